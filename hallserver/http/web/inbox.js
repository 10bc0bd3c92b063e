// Department inbox (/cases): sign in, the department's cases by urgency, and the actions on the
// case picked, each shown only when the case API offers it (the case's "actions", the engine's
// own rule): sign, interim answer, reply (with templates), ask the requester, resume, extension
// request, set category, merge as duplicate, not accept, return to triage, invite a co-handling
// department and finish an assisting part, dispatch (office), note; related cases and timeline.
// Everything goes through the JSON API; text from people is only ever set with textContent.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$;
  var me = null, cases = [], selected = "", current = null, filter = "open", busy = false, ready = false;
  var depts = {}; // code → {zh, en}
  var categories = {}; // code → {zh, en}
  var categoryDept = {}; // code → department
  var pollTimer = null;

  // Reply templates (一次告知: say everything needed at once).
  var TEMPLATES = [
    { name: "已处理 Fixed", text: "您好，您反映的问题已收悉并已处理完毕：{具体措施}。如仍有问题，欢迎随时反馈。感谢您的监督！" },
    { name: "政策解答 Policy", text: "您好，关于您咨询的问题，依据《{文件名称}》第{条款}条：{答复要点}。需携带的材料：{材料清单}。办理地点：{地点}，时间：工作日 8:30–17:00。" },
    { name: "阶段进展 In progress", text: "您好，您反映的问题我们已安排专人跟进，目前进展：{进展}。预计于 {日期} 前处理完毕，届时将再次答复您。" },
    { name: "建议采纳 Suggestion", text: "您好，感谢您的宝贵建议。我们经研究认为：{意见}，将于 {时间} 起{落实措施}。" }
  ];

  function deptName(code) { var d = depts[code]; return d ? d.zh : code || ""; }
  function inboxLabel(key) { return O.labelText("inbox", key); }
  function isOffice() { return me.role !== "handler" || me.department === "office"; }
  /** Whether the signed-in department only assists with the case (another department leads). */
  function assisting(c) { return !isOffice() && c.department !== me.department; }

  /**
   * The request as the requester made it: the original text (the title too, when it says more;
   * never a kiosk's title, which is only its K- reference for the desk) and what the requester
   * added later on the follow page, oldest first.
   */
  function request(c) {
    var title = c.channel === "kiosk" ? "" : (c.title || "");
    var text = c.text || "";
    var original = title && text.indexOf(title) < 0 ? (text ? title + "\n" + text : title) : text;
    var added = (c.timeline || []).filter(function (e) {
      return e.type === "case.details_added" && (e.text || (e.attachments && e.attachments.length));
    });
    return { original: original, added: added };
  }
  /** One line for the list: the original request, else the first addition, else the topic. */
  function summary(c) {
    var r = request(c);
    if (r.original) { return r.original; }
    for (var i = 0; i < r.added.length; i++) { if (r.added[i].text) { return r.added[i].text; } }
    return categories[c.category] ? categories[c.category].zh : "";
  }
  /**
   * Who did a timeline entry, in words: staff by their account, the requester (the web form, the
   * follow page), the kiosk or outside channel that logged the request, the system.
   */
  function actorName(c, e) {
    var a = e.actor || "";
    if (a === "system") { return inboxLabel("system"); }
    if (a === "" && (e.type === "case.details_added" || e.type === "case.rated" || e.type === "case.reopened" || e.type === "case.resumed")) {
      return e.type === "case.resumed" ? "" : inboxLabel("requester");
    }
    if (a !== "" && a === c.source) {
      if (c.channel === "web") { return inboxLabel("requester"); }
      if (c.channel === "kiosk") { return inboxLabel("kiosk"); }
      if (c.channel === "api") { return inboxLabel("api") + (a.indexOf(":") > 0 ? " " + a.slice(0, a.indexOf(":")) : ""); }
    }
    if (a.indexOf("web:") === 0) { return inboxLabel("requester"); }
    return a;
  }
  function handling(c) {
    return ["triage", "dispatched", "in_progress", "waiting_requester", "reopened"].indexOf(c.state) >= 0;
  }
  /** The next limit of a case being handled and which one it is. */
  function nextLimit(c) {
    if (!c.respondedAt && c.replyDue && new Date(c.replyDue) < new Date(c.due)) { return { at: new Date(c.replyDue), what: "答复" }; }
    return { at: new Date(c.due), what: "办结" };
  }
  /** "剩 5 小时" style time left, with a class for its urgency. */
  function timeLeft(c) {
    if (!handling(c)) { return { text: O.labelText("caseState", c.state), cls: "none" }; }
    if (c.state === "waiting_requester") { return { text: "暂停 Paused", cls: "paused" }; }
    var l = nextLimit(c), ms = l.at - Date.now(), h = Math.abs(ms) / 3600000;
    var span = h >= 48 ? Math.floor(h / 24) + " 天" : h >= 1 ? Math.floor(h) + " 小时" : Math.max(1, Math.round(h * 60)) + " 分钟";
    if (ms < 0) { return { text: l.what + "超时 " + span, cls: "late" }; }
    return { text: l.what + "剩 " + span, cls: h < 4 ? "soon" : "" };
  }

  function showError(e) {
    O.setText("act-error", e ? "操作失败 Failed: " + e.message : "");
    O.show("act-error", !!e);
  }

  // ---- sign in ----
  function start() {
    O.api("GET", "/api/v1/me").then(function (r) { signedIn(r.body); }, function () { O.show("login", true); ready = true; });
  }
  function signedIn(p) {
    me = p;
    if (p.device || ["handler", "supervisor", "admin"].indexOf(p.role) < 0) {
      O.show("login", true);
      O.loginError("该账号不处理诉求 This account does not work cases");
      ready = true;
      return;
    }
    O.show("login", false);
    O.show("app", true);
    O.show("logout", true);
    var office = p.role !== "handler" || p.department === "office";
    O.show("nav-supervision", office);
    O.show("dept-filter", office);
    O.setText("who", p.subject + (p.department ? " · " + deptName(p.department) : ""));
    loadDepartments().then(function () {
      O.setText("who", p.subject + (p.department ? " · " + deptName(p.department) : ""));
      return refresh();
    }).then(function () { ready = true; });
    clearInterval(pollTimer);
    pollTimer = setInterval(function () { if (!busy && !live) { refresh(); } }, 15000);
    connect();
  }

  // Live updates: the case stream (GET /api/v1/cases/stream) sends every event of the cases
  // this account may see; any event refreshes the list (and the open case) shortly after.
  // While it is down the page polls every 15 s.
  var live = false, ws = null, wsDelay = 1000, refreshTimer = null, lastSeq = 0;
  function connect() {
    if (!window.WebSocket) { return; }
    var u = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/cases/stream" + (lastSeq ? "?since=" + lastSeq : "");
    try { ws = new WebSocket(u); } catch (e) { return retry(); }
    ws.onopen = function () { live = true; wsDelay = 1000; };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); if (typeof msg.seq === "number" && msg.seq > lastSeq) { lastSeq = msg.seq; } } catch (e) { return; }
      if (msg.type && msg.type !== "snapshot") { alertOf(msg); }
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(function () { if (!busy) { refresh(); } }, 250);
    };
    ws.onclose = function () { ws = null; live = false; retry(); };
  }
  // Alerts (docs/NOTIFY.md): an event that asks this desk to act — a case arriving (lead or
  // assisting), a limit near, details added, a low rating, supervision; for the office also
  // triage and escalations — counts in the title while the page is not looked at, shows a
  // browser notification when allowed, and beeps when the sound is on (kept in localStorage).
  var baseTitle = document.title, unseen = 0;
  var ALERTS = { "case.dispatched": 1, "case.invited": 1, "case.warned": 1, "case.details_added": 1, "case.rated": 1, "case.supervised": 1 };
  var OFFICE_ALERTS = { "case.triaged": 1, "case.escalated": 1 };
  function forMe(msg) {
    if (msg.left || !me) { return false; }
    var c = msg.case || {};
    if (isOffice() && OFFICE_ALERTS[msg.type]) { return true; }
    if (!ALERTS[msg.type]) { return false; }
    if (msg.type === "case.rated") {
      var rs = c.ratings || [];
      if (!rs.length || rs[rs.length - 1].stars > 2) { return false; }
    }
    if (msg.type === "case.supervised" && !c.supervised) { return false; }
    if (msg.actor === me.subject) { return false; } // what I did myself
    var dept = msg.department || c.department;
    return isOffice() || dept === me.department || c.department === me.department;
  }
  function alertOf(msg) {
    if (!ready || !forMe(msg)) { return; }
    var num = (msg.case && msg.case.number) || "";
    var title = O.label("caseEvent", msg.type).zh + " " + num;
    if (document.hidden || !document.hasFocus()) {
      unseen++;
      document.title = "(" + unseen + ") " + baseTitle;
    }
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      try { new Notification(title, { body: baseTitle, tag: num || String(msg.seq) }); } catch (e) { /* not allowed here */ }
    }
    if ($("alert-sound").checked) { beep(); }
  }
  function seen() {
    if (document.hidden) { return; }
    unseen = 0;
    document.title = baseTitle;
  }
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);
  var audio = null;
  function beep() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) { return; }
    try {
      audio = audio || new AC();
      var o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = 880;
      g.gain.value = 0.1;
      o.connect(g);
      g.connect(audio.destination);
      o.start();
      o.stop(audio.currentTime + 0.2);
    } catch (e) { /* no sound */ }
  }
  function setupAlerts() {
    var btn = $("alert-enable"), snd = $("alert-sound");
    snd.checked = localStorage.getItem("onedoor.inbox.sound") === "1";
    snd.addEventListener("change", function () {
      localStorage.setItem("onedoor.inbox.sound", snd.checked ? "1" : "0");
      if (snd.checked) { beep(); }
    });
    if (!window.Notification || Notification.permission !== "default") { btn.hidden = true; return; }
    btn.hidden = false;
    btn.addEventListener("click", function () {
      Notification.requestPermission().then(function () { btn.hidden = Notification.permission === "default"; });
    });
  }
  setupAlerts();

  function retry() {
    setTimeout(function () { if (me) { connect(); } }, wsDelay);
    wsDelay = Math.min(wsDelay * 2, 15000);
  }
  O.login(signedIn);
  O.logout(function () { location.reload(); });

  function loadDepartments() {
    return O.api("GET", "/api/v1/catalogue").then(function (r) {
      depts = { office: { zh: "督办室", en: "Office" } };
      (r.body.categories || []).forEach(function (k) { depts[k.department] = k.departmentName; categories[k.code] = k.name; categoryDept[k.code] = k.department; });
      var sels = [$("dept-filter"), $("invite-dept"), $("dispatch-dept")];
      Object.keys(depts).sort().forEach(function (code) {
        sels.forEach(function (s) {
          var o = document.createElement("option");
          o.value = code;
          o.textContent = depts[code].zh + " " + (depts[code].en || "");
          s.appendChild(o);
        });
      });
    }, function () { /* names fall back to codes */ });
  }

  // ---- the list ----
  function listQuery() {
    var q = [];
    if (filter === "open") { q.push("state=triage,dispatched,in_progress,waiting_requester,reopened"); }
    if (filter === "overdue") { q.push("overdue=1"); }
    if (filter === "supervised") { q.push("supervised=1&state=triage,dispatched,in_progress,waiting_requester,reopened"); }
    if (filter === "mine") { q.push("mine=1&state=dispatched,in_progress,waiting_requester,reopened"); }
    var d = $("dept-filter").value;
    if (d) { q.push("department=" + encodeURIComponent(d)); }
    var s = $("search").value.trim();
    if (s) { q.push("q=" + encodeURIComponent(s)); }
    q.push("limit=200");
    q.push("view=summary"); // the list's line needs only the requester's additions of the timeline
    return "/api/v1/cases?" + q.join("&");
  }
  // The export links download the list of the current filter (GET /api/v1/cases/export).
  function exportLinks() {
    var q = listQuery().split("?")[1].split("&").filter(function (p) { return !/^(limit|view)=/.test(p); });
    ["xlsx", "csv"].forEach(function (f) { $("export-" + f).href = "/api/v1/cases/export?" + q.concat("format=" + f).join("&"); });
  }
  function refresh() {
    exportLinks();
    return O.api("GET", listQuery()).then(function (r) {
      cases = r.body.cases || [];
      renderList();
      if (selected) { return loadCase(selected, true); }
    }, showError);
  }
  function renderList() {
    var ul = $("cases");
    O.clear(ul);
    O.setText("count", cases.length);
    if (isOffice() && !$("search").value.trim()) {
      // A search keeps the server's order (best match first).
      // The office's first job: cases waiting for triage (a stable sort keeps the urgency order).
      cases = cases.map(function (c, i) { return { c: c, i: i }; }).sort(function (a, b) {
        return (a.c.state === "triage" ? 0 : 1) - (b.c.state === "triage" ? 0 : 1) || a.i - b.i;
      }).map(function (x) { return x.c; });
    }
    cases.forEach(function (c) {
      var li = O.el("li");
      var co = assisting(c);
      li.setAttribute("data-id", c.id);
      li.setAttribute("data-number", c.number);
      li.className = (c.id === selected ? "selected" : "") + (co ? " co-row" : "");
      var b = O.el("button");
      b.type = "button";
      var top = O.el("span", "top");
      var num = O.el("span", "num", c.number + (c.supervised ? " · 督办" : ""));
      if (co) {
        // a case we only assist with: marked 协办, with the lead department named
        num.appendChild(document.createTextNode(" "));
        num.appendChild(O.el("span", "badge co", inboxLabel("coHandling")));
        num.appendChild(O.el("span", "lead", " " + inboxLabel("lead") + " " + deptName(c.department)));
      }
      if (c.state === "triage") { num.appendChild(document.createTextNode(" ")); num.appendChild(O.el("span", "badge bad", O.labelText("caseState", "triage"))); }
      top.appendChild(num);
      var tl = timeLeft(c);
      top.appendChild(O.el("span", "left " + tl.cls, tl.text));
      b.appendChild(top);
      b.appendChild(O.el("span", "title", O.label("kind", c.kind).zh + " · " + deptName(c.department) + (c.assignee ? " · " + O.label("inbox", "assignee").zh + " " + c.assignee : "") + " · " + summary(c)));
      b.addEventListener("click", function () { select(c.id); });
      li.appendChild(b);
      ul.appendChild(li);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      filter = a.getAttribute("data-filter");
      Array.prototype.forEach.call(document.querySelectorAll("#tabs a"), function (x) { x.className = x === a ? "active" : ""; });
      refresh();
    });
  });
  $("dept-filter").addEventListener("change", refresh);
  var searchTimer = null;
  $("search").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(refresh, 300); });

  // ---- one case ----
  function select(id) {
    selected = id;
    Array.prototype.forEach.call(document.querySelectorAll("#cases li"), function (li) {
      li.className = (li.getAttribute("data-id") === id ? "selected" : "") + (/co-row/.test(li.className) ? " co-row" : "");
    });
    showError(null);
    return loadCase(id, false);
  }
  function loadCase(id, quiet) {
    return O.api("GET", "/api/v1/cases/" + encodeURIComponent(id)).then(function (r) {
      renderCase(r.body, quiet);
      return O.api("GET", "/api/v1/cases/" + encodeURIComponent(id) + "/related").then(function (x) { renderRelated(x.body.cases || []); }, function () { renderRelated([]); });
    }, function (e) { if (!quiet) { showError(e); } });
  }
  function renderCase(c, quiet) {
    var same = current && current.id === c.id;
    current = c;
    O.show("empty", false);
    O.show("case", true);
    $("case").setAttribute("data-state", c.state);
    O.setText("c-number", c.number);
    O.setText("c-state", O.labelText("caseState", c.state));
    O.show("c-supervised", !!c.supervised);
    var tl = timeLeft(c);
    $("c-left").className = "left " + tl.cls;
    O.setText("c-left", tl.text);
    O.setText("c-meta", O.label("kind", c.kind).zh + " · " + c.channel + " · 受理 " + O.time(c.receivedAt) + (c.category ? " · " + (categories[c.category] ? categories[c.category].zh : c.category) : ""));
    O.setText("c-dept", deptName(c.department));
    // Named assignment: offered when the case API says this account may reassign now (the
    // engine's rule, c.actions); not on the office's own cases (it has no handlers to name).
    O.setText("c-assignee", c.assignee || "—");
    O.show("f-assign", (c.actions || []).indexOf("assign") >= 0 && c.department !== "office");
    var rq = c.requester || {};
    O.setText("c-requester", rq.anonymous ? "匿名 Anonymous" : [rq.name, rq.phone, rq.personId].filter(Boolean).join(" · ") || "—");
    O.setText("c-replydue", O.time(c.replyDue) + (c.respondedAt ? " ✓" : ""));
    O.setText("c-due", O.time(c.due));
    renderRequest(c);
    O.setText("c-question", c.question || "");
    O.show("c-question-box", !!c.question);
    var parts = $("c-parts");
    O.clear(parts);
    (c.parts || []).forEach(function (p) {
      parts.appendChild(O.el("li", "", deptName(p.department) + "：" + (p.task || "") + (p.done ? " ✓ " + (p.text || "") : " …")));
    });
    O.show("c-parts-box", (c.parts || []).length > 0);
    var reps = $("c-replies");
    O.clear(reps);
    (c.replies || []).forEach(function (p) {
      var li = O.el("li");
      li.appendChild(O.el("time", "", O.time(p.at) + " ")).dateTime = new Date(p.at).toISOString();
      li.appendChild(O.el("span", "pre", p.text));
      reps.appendChild(li);
    });
    O.show("c-replies-box", (c.replies || []).length > 0);
    var ol = $("c-timeline");
    O.clear(ol);
    (c.timeline || []).forEach(function (e) {
      var li = O.el("li");
      li.appendChild(O.el("time", "", O.time(e.at))).dateTime = new Date(e.at).toISOString();
      var ev = O.label("caseEvent", e.type);
      li.appendChild(O.el("b", "", ev.zh));
      if (ev.en) { li.appendChild(O.el("span", "en", " " + ev.en)); }
      var who = [actorName(c, e), e.department ? deptName(e.department) : ""].filter(Boolean).join(" · ");
      if (who) { li.appendChild(document.createTextNode(" (" + who + ")")); }
      if (e.text) { li.appendChild(document.createTextNode("：" + e.text)); }
      if (e.attachments && e.attachments.length) { li.appendChild(files(c, e.attachments)); }
      ol.appendChild(li);
    });
    // The actions offered are the ones the case API says this account may take now (c.actions,
    // computed by the engine's own rule); the server checks again when one is sent.
    var can = function (a) { return (c.actions || []).indexOf(a) >= 0; };
    O.show("act-sign", can("sign"));
    O.show("act-resume", can("resume"));
    O.show("f-reply", can("reply"));
    O.show("f-respond", can("respond"));
    O.show("f-ask", can("ask"));
    O.show("f-invite", can("invite"));
    O.show("f-return", can("return"));
    O.show("f-dispatch", can("dispatch"));
    O.show("f-note", can("note"));
    O.show("f-extend", can("extend"));
    O.show("f-notaccept", can("not-accept"));
    renderPart(c, can("part"));
    renderCategories(c, can("set-category"));
    renderDuplicateChoices(c, can("duplicate"));
    var x = c.extension;
    O.setText("c-extension", x ? (x.decided ? (x.approved ? "延期已批准 Extension approved" : "延期未批准 Extension rejected") : "延期申请待审批 Extension pending") +
      " · " + x.days + " 天 days · " + x.reason : "");
    O.show("c-extension", !!x);
    if (!same || !quiet) {
      ["reply-text", "ask-text", "return-text", "note-text", "invite-task", "reply-files", "respond-text", "extend-text", "notaccept-text", "duplicate-text", "part-text"].forEach(function (id) { $(id).value = ""; });
      $("reply-template").value = "";
      $("duplicate-of").value = "";
      $("duplicate-q").value = "";
      dupPicked = null;
      O.clear($("duplicate-results"));
      O.show("duplicate-results", false);
    }
  }
  /** The co-handling part: an assisting department finishes its own; the office names whose. */
  function renderPart(c, offered) {
    var pending = (c.parts || []).filter(function (p) { return !p.done && (isOffice() || p.department === me.department); });
    O.show("f-part", offered && pending.length > 0);
    O.setText("part-task", pending.map(function (p) { return deptName(p.department) + "：" + (p.task || ""); }).join("；"));
    var sel = $("part-dept");
    O.clear(sel);
    pending.forEach(function (p) {
      var o = document.createElement("option");
      o.value = p.department;
      o.textContent = deptName(p.department);
      sel.appendChild(o);
    });
    O.show("part-dept", isOffice());
  }
  /** The categories of the lead department (a category of another department means dispatching). */
  function renderCategories(c, offered) {
    var sel = $("category-code"), keep = sel.value;
    O.clear(sel);
    Object.keys(categoryDept).filter(function (k) { return categoryDept[k] === c.department; }).forEach(function (k) {
      var o = document.createElement("option");
      o.value = k;
      o.textContent = categories[k].zh + " " + (categories[k].en || "");
      sel.appendChild(o);
    });
    sel.value = c.category || keep;
    O.show("f-category", offered && sel.options.length > 0);
  }
  /**
   * The original to merge into: an open case this account may see (the list it has and the
   * related cases), never the case itself.
   */
  function renderDuplicateChoices(c, offered) {
    O.show("f-duplicate", offered);
    if (!offered) { return; }
    var sel = $("duplicate-of"), keep = sel.value, seen = {};
    while (sel.options.length > 1) { sel.remove(1); }
    var add = function (x) {
      if (!x.number || x.number === c.number || seen[x.number] || !handling(x)) { return; }
      seen[x.number] = true;
      addChoice(x);
    };
    relatedCases.forEach(add);
    cases.forEach(add);
    if (dupPicked) { add(dupPicked); }
    sel.value = keep;
  }
  /** A possible original as an option of the merge form's list. */
  function choiceText(x) { return x.number + " · " + deptName(x.department) + " · " + (x.title || summary(x)).slice(0, 40); }
  function addChoice(x) {
    var sel = $("duplicate-of");
    for (var i = 0; i < sel.options.length; i++) { if (sel.options[i].value === x.number) { return; } }
    var o = document.createElement("option");
    o.value = x.number;
    o.textContent = choiceText(x);
    sel.appendChild(o);
  }
  /**
   * The merge form's search: the original among every case this account may see (GET
   * /api/v1/cases?q=, the server's search: number, the requester's phone or name where the
   * account may search by them, words), open ones only and never the case itself; picking a
   * result selects it in the list.
   */
  var dupTimer = null, dupSeq = 0, dupPicked = null; // dupPicked: the result picked, kept in the list
  function searchOriginal() {
    clearTimeout(dupTimer);
    var q = $("duplicate-q").value.trim(), list = $("duplicate-results"), seq = ++dupSeq;
    if (q.length < 2 || !current) { O.clear(list); O.show(list, false); return; }
    O.api("GET", "/api/v1/cases?q=" + encodeURIComponent(q) + "&limit=20&view=summary").then(function (r) {
      if (seq !== dupSeq || !current) { return; }
      var found = (r.body.cases || []).filter(function (x) { return x.number !== current.number && handling(x); });
      O.clear(list);
      found.forEach(function (x) {
        var li = O.el("li"), b = O.el("button", "", choiceText(x));
        b.type = "button";
        b.setAttribute("data-number", x.number);
        b.setAttribute("aria-pressed", String($("duplicate-of").value === x.number));
        b.addEventListener("click", function () {
          dupPicked = x;
          addChoice(x);
          $("duplicate-of").value = x.number;
          list.querySelectorAll("button").forEach(function (y) { y.setAttribute("aria-pressed", String(y === b)); });
        });
        li.appendChild(b);
        list.appendChild(li);
      });
      if (!found.length) { list.appendChild(O.el("li", "muted", "无匹配的办理中诉求 No open case matches")); }
      O.show(list, true);
    }, function (e) {
      if (seq !== dupSeq) { return; }
      O.clear(list);
      list.appendChild(O.el("li", "error", "搜索失败 Search failed: " + e.message));
      O.show(list, true);
    });
  }
  $("duplicate-q").addEventListener("input", function () { clearTimeout(dupTimer); dupTimer = setTimeout(searchOriginal, 250); });
  $("duplicate-q").addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); searchOriginal(); } });
  /** The request box: the original (or a note that there is no text) and each addition, marked. */
  function renderRequest(c) {
    var r = request(c), p = $("c-text"), ol = $("c-details");
    O.clear(p);
    if (r.added.length) { p.appendChild(O.el("span", "tag", inboxLabel("original"))); }
    if (r.original) {
      p.appendChild(document.createTextNode(r.original));
    } else {
      p.appendChild(O.el("span", "muted", inboxLabel("noText")));
    }
    O.clear(ol);
    r.added.forEach(function (e) {
      var li = O.el("li");
      li.appendChild(O.el("span", "tag", inboxLabel("added") + " · " + O.time(e.at)));
      if (e.text) { li.appendChild(O.el("span", "pre", e.text)); }
      if (e.attachments && e.attachments.length) { li.appendChild(files(c, e.attachments)); }
      ol.appendChild(li);
    });
    O.show("c-details", r.added.length > 0);
  }
  /** The files of a message: photos as thumbnails, PDFs as links (GET /api/v1/cases/{id}/attachments/{file}). */
  function files(c, list) {
    return O.thumbs(list, function (a) {
      return "/api/v1/cases/" + encodeURIComponent(c.id) + "/attachments/" + encodeURIComponent(a.id);
    }, O.labelText("files", "files"));
  }
  var relatedCases = [];
  function renderRelated(list) {
    relatedCases = list;
    if (current) { renderDuplicateChoices(current, (current.actions || []).indexOf("duplicate") >= 0); }
    var ul = $("related");
    O.clear(ul);
    if (!list.length) { ul.appendChild(O.el("li", "muted", "无 None")); return; }
    list.forEach(function (x) {
      var li = O.el("li");
      var a = O.el("a", "", x.number);
      a.href = "#";
      a.addEventListener("click", function (ev) { ev.preventDefault(); select(x.id); });
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + O.label("relation", x.relation).zh + " · " + O.labelText("caseState", x.state) + " · " + deptName(x.department) + " · " + x.title));
      if (x.similarity) { li.appendChild(O.el("span", "sim", " (" + Math.round(x.similarity * 100) + "%)")); }
      ul.appendChild(li);
    });
  }

  /** Performs an action on the current case, then refreshes list and case. */
  function act(action, body) {
    if (!current || busy) { return Promise.resolve(); }
    busy = true;
    showError(null);
    return O.api("POST", "/api/v1/cases/" + encodeURIComponent(current.id) + "/" + action, body || {})
      .then(function (r) { renderCase(r.body, false); return refresh(); })
      .catch(showError)
      .then(function () { busy = false; });
  }
  $("act-sign").addEventListener("click", function () { act("sign"); });
  $("act-resume").addEventListener("click", function () { act("resume"); });
  TEMPLATES.forEach(function (t, i) {
    var o = document.createElement("option");
    o.value = String(i);
    o.textContent = t.name;
    $("reply-template").appendChild(o);
  });
  $("reply-template").addEventListener("change", function () {
    var t = TEMPLATES[Number(this.value)];
    if (this.value !== "" && t) { $("reply-text").value = t.text; $("reply-text").focus(); }
  });
  function form(id, action, body) {
    $(id).addEventListener("submit", function (ev) { ev.preventDefault(); act(action, body()); });
  }
  $("f-assign").addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("assign", { assignee: $("assign-to").value.trim() }).then(function () { $("assign-to").value = ""; });
  });
  form("f-reply", "reply", function () {
    var files = $("reply-files").files;
    if (!files.length) { return { text: $("reply-text").value }; }
    // A reply with files goes as multipart/form-data (the server checks each file's bytes).
    var fd = new FormData();
    fd.append("text", $("reply-text").value);
    Array.prototype.forEach.call(files, function (f) { fd.append("files", f, f.name); });
    return fd;
  });
  form("f-ask", "ask", function () { return { text: $("ask-text").value }; });
  form("f-return", "return", function () { return { text: $("return-text").value }; });
  form("f-note", "note", function () { return { text: $("note-text").value }; });
  form("f-invite", "invite", function () { return { department: $("invite-dept").value, text: $("invite-task").value }; });
  form("f-dispatch", "dispatch", function () { return { department: $("dispatch-dept").value }; });
  form("f-respond", "respond", function () { return { text: $("respond-text").value }; });
  form("f-extend", "extend", function () { return { days: parseInt($("extend-days").value, 10) || 0, text: $("extend-text").value }; });
  form("f-notaccept", "not-accept", function () { return { text: $("notaccept-text").value }; });
  form("f-category", "set-category", function () { return { category: $("category-code").value }; });
  form("f-duplicate", "duplicate", function () { return { original: $("duplicate-of").value, text: $("duplicate-text").value }; });
  form("f-part", "part", function () {
    var b = { text: $("part-text").value };
    if (isOffice()) { b.department = $("part-dept").value; }
    return b;
  });

  window.onedoorInbox = {
    ready: function () { return ready; },
    busy: function () { return busy; },
    live: function () { return live; },
    selected: function () { return current ? current.number : ""; },
    state: function () { return current ? current.state : ""; },
    actions: function () { return current ? (current.actions || []).slice() : []; },
    offered: function () {
      // the actions whose button or form is on screen now
      var ids = { sign: "act-sign", resume: "act-resume", reply: "f-reply", respond: "f-respond", ask: "f-ask", invite: "f-invite", "return": "f-return",
        dispatch: "f-dispatch", note: "f-note", extend: "f-extend", "not-accept": "f-notaccept", part: "f-part", "set-category": "f-category", duplicate: "f-duplicate" };
      return Object.keys(ids).filter(function (a) { return !$(ids[a]).hidden; }).sort();
    },
    count: function () { return cases.length; },
    select: function (number) {
      for (var i = 0; i < cases.length; i++) { if (cases[i].number === number) { return select(cases[i].id); } }
      return Promise.resolve();
    }
  };
  start();
}());
