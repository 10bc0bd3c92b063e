// Supervision page: sign in and out, publish answers on hot topics; the office desk (the triage
// queue, then the escalation list most urgent first, and the office's actions on the case picked:
// dispatch, 督办 with an internal note, approve or reject an extension, reopen, put on the
// long-standing list, each shown only when the case API offers it); the long-standing list
// editor (longlist.js, shared with /admin). Figures and charts are drawn on the server (SVG).
// Text is only ever set with textContent.
(function () {
  "use strict";
  var O = window.OneDoor;
  function reload() { location.reload(); }
  O.login(reload);
  O.logout(reload);
  var forms = document.querySelectorAll("form.answer-form");
  Array.prototype.forEach.call(forms, function (f) {
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var art = f.closest("[data-topic]");
      var id = art.getAttribute("data-topic");
      var status = f.querySelector(".status");
      var btn = f.querySelector("button");
      btn.disabled = true;
      status.textContent = "发布中… Publishing…";
      O.api("POST", "/api/v1/topics/" + encodeURIComponent(id) + "/answer",
        { text: { zh: f.elements.zh.value, en: f.elements.en.value } })
        .then(function (r) {
          status.textContent = "已发布到 " + (r.body.notices || []).length + " 个大厅，" + r.body.cases.length + " 件诉求 · Published";
          btn.disabled = false;
        }, function (e) {
          status.textContent = "失败 Failed: " + e.message;
          btn.disabled = false;
        });
    });
  });

  // ---- the office desk: triage first, then the escalations; actions on the case picked ----
  var desk = document.getElementById("desk"), $ = O.$;
  var depts = {}, current = null, busy = false, deskReady = false, escalated = [], triage = [];
  function deptName(code) { return depts[code] ? depts[code].zh : code || ""; }
  /** What the page says of why a case is on the escalation list (the server's reasons). */
  function reasonTags(x) {
    return x.reasons.map(function (r) {
      var l = O.label("escalation", r);
      function f(s) { return String(s || "").replace("{n}", String(x.case.returns || 0)).replace("{stars}", String(x.stars || "")); }
      return { zh: f(l.zh), en: f(l.en) };
    });
  }
  function briefItem(c, tags) {
    var li = O.el("li");
    li.setAttribute("data-number", c.number);
    var a = O.el("a", "", c.number);
    a.href = "#";
    a.addEventListener("click", function (ev) { ev.preventDefault(); pick(c.id); });
    li.appendChild(O.el("b")).appendChild(a);
    li.appendChild(document.createTextNode(" " + deptName(c.department) + " · " + O.labelText("caseState", c.state) + (c.supervised ? " · 督办" : "")));
    tags.forEach(function (x) { li.appendChild(document.createTextNode(" ")); li.appendChild(O.el("span", "badge bad", x.zh + " " + x.en)); });
    li.appendChild(O.el("br"));
    li.appendChild(O.el("span", "title", (c.title || c.text || "").slice(0, 80)));
    return li;
  }
  function loadDesk() {
    // The escalation list is the server's (GET /api/v1/cases/escalations: the case service
    // applies the rules over every case, most urgent first); the triage queue comes first.
    return Promise.all([
      O.api("GET", "/api/v1/cases?state=triage&limit=500&view=summary"),
      O.api("GET", "/api/v1/cases/escalations")
    ]).then(function (rs) {
      triage = rs[0].body.cases || [];
      escalated = (rs[1].body.escalations || []).map(function (x) { return { c: x.case, why: reasonTags(x) }; });
      var tu = $("triage"), eu = $("escalations");
      O.clear(tu);
      O.clear(eu);
      triage.forEach(function (c) { tu.appendChild(briefItem(c, [])); });
      escalated.forEach(function (x) { eu.appendChild(briefItem(x.c, x.why)); });
      if (!triage.length) { tu.appendChild(O.el("li", "muted", "无 None")); }
      if (!escalated.length) { eu.appendChild(O.el("li", "muted", "无 None")); }
      O.setText("n-triage", triage.length);
      O.setText("n-escalations", escalated.length);
    });
  }
  function pick(id) {
    return O.api("GET", "/api/v1/cases/" + encodeURIComponent(id)).then(function (r) { show(r.body); }, deskError);
  }
  function deskError(e) {
    O.setText("desk-error", e ? "操作失败 Failed: " + e.message : "");
    O.show("desk-error", !!e);
  }
  function show(c) {
    current = c;
    deskError(null);
    O.show("desk-case", true);
    $("desk-case").setAttribute("data-number", c.number);
    O.setText("d-number", c.number);
    O.setText("d-state", O.labelText("caseState", c.state));
    O.show("d-supervised", !!c.supervised);
    O.setText("d-meta", deptName(c.department) + " · 受理 " + O.time(c.receivedAt) + " · 时限 Due " + O.time(c.due));
    O.setText("d-text", c.text || c.title || "");
    var x = c.extension;
    O.setText("d-extension", x ? (x.decided ? (x.approved ? "延期已批准 Approved" : "延期未批准 Rejected") : "申请延期 Extension requested") + " · " + x.days + " 天 days · " + x.reason : "");
    O.show("d-extension", !!x);
    // the actions the case API offers this account now (the engine's own rule)
    var can = function (a) { return (c.actions || []).indexOf(a) >= 0; };
    O.show("f-dispatch", can("dispatch"));
    O.show("f-supervise", can("supervise") && !c.supervised);
    O.show("f-extension", can("approve") || can("reject"));
    O.show("approve-btn", can("approve"));
    O.show("reject-btn", can("reject"));
    O.show("f-reopen", can("reopen"));
    O.show("f-list", can("list") && !c.longStanding);
    $("d-open").href = "/cases#" + encodeURIComponent(c.number);
    ["supervise-text", "decide-text", "reopen-text", "list-item"].forEach(function (id) { $(id).value = ""; });
  }
  function act(action, body) {
    if (!current || busy) { return Promise.resolve(); }
    busy = true;
    deskError(null);
    return O.api("POST", "/api/v1/cases/" + encodeURIComponent(current.id) + "/" + action, body || {})
      .then(function (r) { show(r.body); return loadDesk(); })
      .catch(deskError)
      .then(function () { busy = false; });
  }
  function onSubmit(id, action, body) {
    $(id).addEventListener("submit", function (ev) { ev.preventDefault(); act(action, body()); });
  }
  if (desk) {
    onSubmit("f-dispatch", "dispatch", function () { return { department: $("dispatch-dept").value }; });
    onSubmit("f-supervise", "supervise", function () { return { on: true, text: $("supervise-text").value }; });
    onSubmit("f-reopen", "reopen", function () { return { text: $("reopen-text").value }; });
    onSubmit("f-list", "list", function () { return { on: true, listItem: $("list-item").value }; });
    $("f-extension").addEventListener("submit", function (ev) { ev.preventDefault(); });
    $("approve-btn").addEventListener("click", function () { act("approve", { text: $("decide-text").value }); });
    $("reject-btn").addEventListener("click", function () { act("reject", { text: $("decide-text").value }); });
    O.api("GET", "/api/v1/catalogue").then(function (r) {
      depts = { office: { zh: "督办室", en: "Office" } };
      (r.body.categories || []).forEach(function (k) { depts[k.department] = k.departmentName; });
      Object.keys(depts).sort().forEach(function (code) {
        if (code === "office") { return; }
        var o = document.createElement("option");
        o.value = code;
        o.textContent = depts[code].zh + " " + (depts[code].en || "");
        $("dispatch-dept").appendChild(o);
      });
    }, function () { /* names fall back to codes */ }).then(loadDesk).then(function () {
      return O.longListEditor($("longlist-editor")).load();
    }).catch(deskError).then(function () { deskReady = true; });
  }

  window.onedoorSupervision = {
    ready: true,
    deskReady: function () { return deskReady; },
    busy: function () { return busy; },
    escalations: function () { return escalated.map(function (x) { return x.c.number; }); },
    triage: function () { return triage.map(function (c) { return c.number; }); },
    pick: function (number) {
      var all = triage.concat(escalated.map(function (x) { return x.c; }));
      for (var i = 0; i < all.length; i++) { if (all[i].number === number) { return pick(all[i].id); } }
      return O.api("GET", "/api/v1/cases/" + encodeURIComponent(number)).then(function (r) { show(r.body); });
    },
    selected: function () { return current ? current.number : ""; },
    offered: function () {
      var ids = { dispatch: "f-dispatch", supervise: "f-supervise", approve: "approve-btn", reject: "reject-btn", reopen: "f-reopen", list: "f-list" };
      return Object.keys(ids).filter(function (a) { return !$(ids[a]).hidden && !$(ids[a]).closest("[hidden]"); }).sort();
    }
  };
}());
