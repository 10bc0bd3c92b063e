// The 24-hour hotline desk (/hotline): a call's new case with the caller's number first (the
// phone system may open the page with ?caller=), the caller's earlier cases at once, the routing
// suggestion as the operator types; a case's reply to read back; the callback (回访) list with
// the rating taken by phone. Every word comes from the catalogue or the page.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$;
  var me = null, lookupTimer = null, routeTimer = null, lastPhone = "", lastText = "";
  function P(key) { return O.label("portal", key); }
  function deptName(c) { return c.departmentName ? c.departmentName.zh + " " + c.departmentName.en : (c.department || ""); }
  function fail(id, e) {
    var t = $(id);
    if (!e) { t.hidden = true; return; }
    t.textContent = e.message || String(e);
    t.hidden = false;
  }

  // ---- sign in ----
  function start() {
    O.api("GET", "/api/v1/me").then(function (r) { signedIn(r.body); }, function () { O.show("login", true); });
  }
  function signedIn(p) {
    me = p;
    var office = p.role === "supervisor" || p.role === "admin" || (p.role === "handler" && p.department === "office");
    if (p.device || (p.role !== "hotline" && !office)) {
      O.show("login", true);
      O.loginError(O.labelText("portal", "notDesk") + " (" + p.role + ")");
      return;
    }
    O.show("login", false);
    O.show("app", true);
    O.show("logout", true);
    O.setText("who", p.subject);
    lookup();
    callbacks();
  }
  O.login(signedIn);
  O.logout(function () { location.reload(); });

  // ---- a call: the caller's earlier cases, the suggestion, the new case ----
  function caseLine(c) {
    var li = O.el("li");
    li.dataset.number = c.number;
    li.appendChild(O.el("b", "", c.number + " "));
    li.appendChild(O.el("span", "badge", O.labelText("caseState", c.state)));
    li.appendChild(O.el("span", "muted", " " + O.labelText("kind", c.kind) + " · " + deptName(c) + " · " + O.time(c.receivedAt, "MM-DD hh:mm")));
    li.appendChild(O.el("div", "pre", c.text));
    var b = O.el("button", "link", O.labelText("portal", "readBack"));
    b.type = "button";
    b.addEventListener("click", function () { $("rb-number").value = c.number; readBack(c.number); });
    li.appendChild(b);
    return li;
  }
  function lookup() {
    var phone = $("caller").value.trim(), list = $("earlier-list");
    if (phone === lastPhone) { return; }
    lastPhone = phone;
    O.clear(list);
    if (phone.replace(/\D/g, "").length < 5) { return; }
    O.api("GET", "/api/v1/hotline/cases?phone=" + encodeURIComponent(phone)).then(function (r) {
      if (phone !== lastPhone) { return; }
      O.clear(list);
      if (!r.body.cases.length) { list.appendChild(O.el("li", "muted", O.labelText("portal", "noCases"))); }
      r.body.cases.forEach(function (c) { list.appendChild(caseLine(c)); });
    }, function (e) { list.appendChild(O.el("li", "error", e.message)); });
  }
  $("caller").addEventListener("input", function () { clearTimeout(lookupTimer); lookupTimer = setTimeout(lookup, 300); });

  function route() {
    var t = $("call-text").value.trim();
    if (t.length < 4 || t === lastText) { return; }
    lastText = t;
    O.api("POST", "/api/v1/route", { text: t.slice(0, 2000) }).then(function (r) {
      var s = r.body, out = $("call-suggest");
      O.clear(out);
      if (!s.department) { return; }
      out.appendChild(document.createTextNode(O.labelText("portal", "suggested") + ": "));
      [s.department].concat((s.alternatives || []).map(function (a) { return a.department; })).slice(0, 3).forEach(function (d) {
        var opt = $("call-dept").querySelector("option[value='" + d + "']");
        if (!opt) { return; }
        var b = O.el("button", "link", opt.textContent);
        b.type = "button";
        b.dataset.dept = d;
        b.addEventListener("click", function () { $("call-dept").value = d; });
        out.appendChild(b);
      });
    }, function () { /* the suggestion is a help */ });
  }
  $("call-text").addEventListener("input", function () { clearTimeout(routeTimer); routeTimer = setTimeout(route, 400); });

  $("call-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    fail("call-error", null);
    O.show("call-done", false);
    var kind = $("call-form").querySelector("input[name=kind]:checked");
    var body = { kind: kind ? kind.value : "consultation", channel: "hotline", text: $("call-text").value.trim(),
      requester: { phone: $("caller").value.trim(), name: $("call-name").value.trim() } };
    if ($("call-dept").value) { body.department = $("call-dept").value; }
    var btn = $("call-send");
    btn.disabled = true;
    O.api("POST", "/api/v1/cases", body).then(function (r) {
      var c = r.body;
      $("call-done").textContent = O.labelText("portal", "opened") + " " + c.number + " → " + deptName(c);
      O.show("call-done", true);
      $("call-text").value = "";
      O.clear($("call-suggest"));
      lastPhone = "";
      lastText = "";
      lookup();
    }, function (e) { fail("call-error", e); }).then(function () { btn.disabled = false; });
  });

  // ---- read back ----
  function readBack(number) {
    fail("rb-error", null);
    O.show("rb-case", false);
    O.api("GET", "/api/v1/hotline/cases/" + encodeURIComponent(number)).then(function (r) {
      var c = r.body, rp = c.replies && c.replies.length ? c.replies[c.replies.length - 1] : null;
      O.setText("rb-title", c.number);
      O.setText("rb-state", O.labelText("caseState", c.state));
      O.setText("rb-dept", deptName(c) + " · " + O.time(c.receivedAt, "MM-DD hh:mm"));
      O.setText("rb-text", c.text);
      O.setText("rb-reply", rp ? rp.text : O.labelText("portal", "noReply"));
      O.show("rb-case", true);
    }, function (e) { fail("rb-error", e.status === 404 ? new Error(O.labelText("portal", "notFound")) : e); });
  }
  $("rb-form").addEventListener("submit", function (ev) { ev.preventDefault(); readBack($("rb-number").value.trim()); });

  // ---- callbacks ----
  function callbacks() {
    var list = $("cb-list");
    O.api("GET", "/api/v1/hotline/callbacks").then(function (r) {
      O.clear(list);
      if (!r.body.cases.length) { list.appendChild(O.el("li", "muted", O.labelText("portal", "noCallbacks"))); }
      r.body.cases.forEach(function (c) {
        var li = O.el("li"), rp = c.replies[c.replies.length - 1];
        li.dataset.number = c.number;
        li.appendChild(O.el("b", "", c.number + " "));
        li.appendChild(O.el("a", "", (c.requester.phone || "") + " " + (c.requester.name || "")));
        if (c.requester.phone) { li.lastChild.href = "tel:" + c.requester.phone; }
        li.appendChild(O.el("div", "muted", deptName(c) + " · " + O.time(rp.at, "MM-DD hh:mm")));
        li.appendChild(O.el("div", "pre reply", rp.text));
        var row = O.el("div", "stars-row");
        [5, 4, 3, 2, 1].forEach(function (n) {
          var b = O.el("button", "", n + "★");
          b.type = "button";
          b.dataset.stars = String(n);
          b.addEventListener("click", function () { rate(c.number, n, li); });
          row.appendChild(b);
        });
        li.appendChild(row);
        list.appendChild(li);
      });
    }, function (e) { O.clear(list); list.appendChild(O.el("li", "error", e.message)); });
  }
  function rate(number, stars, li) {
    O.api("POST", "/api/v1/hotline/cases/" + encodeURIComponent(number) + "/rating", { stars: stars }).then(function () {
      O.clear(li);
      li.appendChild(O.el("span", "ok", number + " " + O.labelText("portal", "rated") + " " + stars + "★"));
      setTimeout(callbacks, 1500);
    }, function (e) { li.appendChild(O.el("p", "error", e.message)); });
  }
  $("cb-refresh").addEventListener("click", callbacks);

  start();
  window.onedoorHotline = { lookup: lookup, callbacks: callbacks, me: function () { return me; } };
}());
