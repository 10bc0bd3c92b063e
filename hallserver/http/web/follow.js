// Follow page: the ticket live over the hall stream (polling every 5 s while the stream is down),
// a vibration/notification when 3 people are ahead and when called, "I left"; and the case the
// visit became or the walk-in request: timeline, reply, rating, details. Text only, never HTML.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$, setText = O.setText, show = O.show, el = O.el;
  var root = $("follow");
  if (!root) { return; }
  var token = root.getAttribute("data-token") || "";
  var hall = root.getAttribute("data-hall") || "";
  var number = root.getAttribute("data-number") || "";
  var caseToken = root.getAttribute("data-case-token") || "";
  var api = "/api/v1/follow/" + encodeURIComponent(token);
  var caseApi = "/api/v1/case-follow/" + encodeURIComponent(caseToken);

  var OPEN = { waiting: true, called: true, serving: true, parked: true };
  // LIVE states keep following the hall (a no-show can be reinstated).
  var LIVE = { waiting: true, called: true, serving: true, parked: true, no_show: true };

  var last = { state: root.getAttribute("data-state") || "", position: -1, calls: 0 };
  var seen = {};
  try { seen = JSON.parse(sessionStorage.getItem("onedoor.alert." + token) || "{}"); } catch (e) { seen = {}; }

  function live(msg) { setText("live", msg); }

  // Shows a {zh, en} label (from the server's catalogue: OneDoor.label) with a class.
  function bilingual(e, t, cls) {
    if (!e) { return; }
    if (cls) { e.className = cls; }
    O.bi(e, t);
  }

  // ---- alerts: vibration and a notification, each once per occasion ----

  // The browser blocks (and reports on the console) a vibration before the person has touched
  // the page: vibrate only once they have (the "notify me" button is such a touch).
  function mayVibrate() {
    return !!navigator.vibrate && (!navigator.userActivation || navigator.userActivation.hasBeenActive);
  }

  function alertOnce(key, title, body) {
    if (seen[key]) { return; }
    seen[key] = true;
    try { sessionStorage.setItem("onedoor.alert." + token, JSON.stringify(seen)); } catch (e) { /* private mode */ }
    if (mayVibrate()) { try { navigator.vibrate([300, 150, 300, 150, 600]); } catch (e) { /* not allowed */ } }
    if (window.Notification && Notification.permission === "granted") {
      try { new Notification(title, { body: body, tag: "onedoor-" + number }); } catch (e) { /* mobile needs a service worker */ }
    }
    root.setAttribute("data-alert", key);
  }

  // ---- the ticket ----

  function render(f) {
    if (f.outcome === "case_opened") {
      bilingual($("state"), { zh: "已转部门办理，进度见诉求", en: "Handed to a department: see your request" }, "state state-case");
    } else {
      bilingual($("state"), O.label("ticketState", f.state), "state state-" + f.state);
    }
    root.setAttribute("data-state", f.state);
    setText("ahead", f.position);
    setText("eta", O.minutes(f.etaSeconds));
    // Nobody serves the service now: no estimate ("0 minutes" would be a lie), say so instead.
    show("eta-box", !f.unserved);
    show("unserved", f.state === "waiting" && !!f.unserved);
    var opens = f.state === "waiting" && f.unserved ? O.opensText(f.opensAt) : null; // "08:30 开始办理"
    setText("opens-zh", opens ? " · " + opens.zh : "");
    setText("opens-en", opens ? " · " + opens.en : "");
    var atCounter = !!f.counter && (f.state === "called" || f.state === "serving");
    setText("counter", f.counter || "");
    setText("counter-en", f.counter || "");
    show("called", atCounter);
    show("stats", f.state === "waiting");
    show("cancel", f.state === "waiting" || f.state === "parked");
    show("missed", f.state === "no_show");
    show("visit", f.state === "done");
    renderVisitRating(f.visitRating);
    show("notify", (f.state === "waiting" || f.state === "parked") && !!window.Notification && Notification.permission === "default");
    if (f.state === "waiting" && !f.unserved && f.position <= 3 && f.position >= 0) {
      alertOnce("ahead3", number + " 前面还有 " + f.position + " 人", "请回到大厅候叫 Please come back to the hall: " + f.position + " ahead");
    }
    if (f.state === "called") {
      alertOnce("called" + (f.calledAt || ""), number + " 请到 " + f.counter + " 号窗口", "Please go to counter " + f.counter);
    }
    if (f.hasCase && !caseToken) {
      // The counter just opened a case for this visit: the page shows it after a reload.
      setTimeout(function () { location.reload(); }, 300);
    }
    last.state = f.state;
    last.position = f.position;
    return LIVE[f.state];
  }

  // The holder's rating of the finished visit (好差评): the form until rated, then the rating.
  function renderVisitRating(v) {
    show("visit-rate", !v);
    show("visit-rated", !!v);
    if (v) {
      setText("visit-stars", v.stars);
      setText("visit-said", v.comment ? " · " + v.comment : "");
    }
  }

  var fetching = false, again = false, lastFetch = 0;
  function fetchTicket() {
    if (!token) { return; }
    if (fetching) { again = true; return; }
    fetching = true;
    lastFetch = Date.now();
    O.api("GET", api).then(function (r) {
      live("");
      if (!render(r.body)) { stopLive(); }
    }, function (e) {
      live(e.status === 404 ? "号码已失效 This ticket is no longer valid" : "网络不稳定，正在重试… Reconnecting…");
    }).then(function () {
      fetching = false;
      if (again) { again = false; fetchTicket(); }
    });
  }

  // Events about other tickets change the position too; a busy hall must not make every phone
  // ask on every event, so those refreshes are spaced out.
  var spaced = null;
  function onStream(msg) {
    if (msg.type === "snapshot") { fetchTicket(); return; }
    var t = msg.ticket;
    if (t && t.number === number) {
      if (msg.type === "ticket.called" || msg.type === "ticket.recalled") {
        // Show the call at once; the follow API confirms it.
        render({ state: "called", counter: t.counter, position: 0, etaSeconds: 0, calledAt: t.calledAt });
      }
      fetchTicket();
      return;
    }
    // A counter opening or closing changes whether anybody serves the service.
    if (last.state === "waiting" && /^(ticket|counter)\./.test(msg.type || "") && !spaced) {
      var wait = Math.max(0, 3000 - (Date.now() - lastFetch));
      spaced = setTimeout(function () { spaced = null; fetchTicket(); }, wait);
    }
  }

  var conn = null, poll = null;
  function startLive() {
    if (!token || !hall) { return; }
    conn = O.stream(hall, onStream, function (up) {
      if (!conn) { return; } // stopLive closed it: the ticket is no longer live, nothing to poll
      clearInterval(poll);
      poll = null;
      if (!up) {
        poll = setInterval(fetchTicket, 5000);
        live("实时连接中断，每 5 秒刷新 Live link down: refreshing every 5 s");
      } else {
        live("");
        fetchTicket();
      }
    });
    // Until the stream is up, poll.
    poll = setInterval(fetchTicket, 5000);
  }
  function stopLive() {
    if (conn) { conn.close(); conn = null; }
    clearInterval(poll);
    poll = null;
  }

  var cancel = $("cancel");
  if (cancel) {
    cancel.addEventListener("click", function () {
      if (!window.confirm("确定取消排队吗？ Leave the queue?")) { return; }
      cancel.disabled = true;
      O.api("POST", api + "/cancel").then(function (r) {
        render(r.body);
        stopLive();
      }, function () {
        live("取消失败，请重试 Could not cancel, try again");
      }).then(function () { cancel.disabled = false; });
    });
  }
  var notify = $("notify");
  if (notify) {
    if (!window.Notification || Notification.permission !== "default") { notify.hidden = true; }
    notify.addEventListener("click", function () {
      if (navigator.vibrate) { try { navigator.vibrate(50); } catch (e) { /* not allowed */ } }
      if (!window.Notification) { notify.hidden = true; return; }
      Notification.requestPermission().then(function () { notify.hidden = true; });
    });
  }

  var visitForm = $("visit-rate");
  if (visitForm) {
    visitForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var s = visitForm.querySelector('input[name="vstars"]:checked');
      if (!s) { setText("visit-msg", "请选择星级 Choose 1–5 stars"); return; }
      setText("visit-msg", "");
      var b = $("visit-btn");
      b.disabled = true;
      O.api("POST", api + "/rating", { stars: parseInt(s.value, 10), comment: $("visit-comment").value.trim() }).then(function (r) {
        renderVisitRating(r.body);
      }, function (e) {
        if (e.status === 409 && e.code === "conflict") { fetchTicket(); }
        setText("visit-msg", "提交失败 Could not send: " + e.message);
      }).then(function () { b.disabled = false; });
    });
  }

  // ---- the case ----

  function renderCase(c) {
    bilingual($("case-state"), O.label("caseState", c.state), "state cstate-" + c.state);
    var d = $("case-dept");
    if (d && c.departmentName) { bilingual(d, { zh: c.departmentName.zh || c.department, en: c.departmentName.en || "" }); }
    // The reply-by time moves when the case is reopened: every place that names it follows.
    var due = O.time(c.replyDue);
    Array.prototype.forEach.call(root.querySelectorAll(".due"), function (e) { setText(e, due); });
    setText("case-text", c.text);
    show("case-text-box", !!c.text);
    setText("case-question-text", c.question || "");
    show("case-question", !!c.question && c.state === "waiting_requester");
    setText("case-reason-text", c.reason || "");
    show("case-reason", !!c.reason);
    var replies = c.replies || [], ratings = c.ratings || [];
    var reply = replies.length ? replies[replies.length - 1] : null;
    var rating = ratings.length ? ratings[ratings.length - 1] : null;
    setText("case-reply-text", reply ? reply.text : "");
    show("case-reply", !!reply);
    var handling = { triage: true, dispatched: true, in_progress: true, waiting_requester: true, reopened: true };
    show("case-promise", !reply && !!handling[c.state]);
    var canRate = c.state === "replied" && (!rating || !reply || rating.round < reply.round);
    show("rate", canRate);
    show("rated", !!rating && !canRate);
    if (rating) {
      setText("rated-stars", rating.stars);
      setText("rated-comment", rating.comment ? " · " + rating.comment : "");
    }
    var final = c.state === "archived" || c.state === "duplicate" || c.state === "not_accepted" || c.state === "rated";
    show("details", !final);
    var ol = $("timeline");
    if (ol) {
      O.clear(ol);
      (c.timeline || []).forEach(function (e) {
        var li = el("li"), name = O.label("caseEvent", e.type), inv = O.labels.invited;
        var dn = e.department && c.departmentNames ? c.departmentNames[e.department] : null, dept = "";
        if (dn && dn.zh && e.type === "case.invited" && inv) {
          // The co-handling line names the department asked (the catalogue's "{dept}").
          name = { zh: inv.zh.replace("{dept}", dn.zh), en: inv.en.replace("{dept}", dn.en || dn.zh) };
        } else if (dn && dn.zh) {
          dept = " · " + dn.zh;
        }
        li.appendChild(el("time", "", O.time(e.at))).dateTime = new Date(e.at).toISOString();
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("b", "", name.zh));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("span", "en", name.en));
        if (dept) { li.appendChild(document.createTextNode(dept)); }
        if (e.text) { li.appendChild(el("span", "pre txt", e.text)); }
        if (e.attachments && e.attachments.length) { li.appendChild(thumbs(e.attachments)); }
        ol.appendChild(li);
      });
    }
    root.setAttribute("data-case-state", c.state);
  }

  // The files of a timeline entry: photos as thumbnails, PDFs as links (served by the follow
  // API to this token only: the requester's own files and the reply's).
  function thumbs(list) {
    return O.thumbs(list, function (a) { return caseApi + "/attachments/" + encodeURIComponent(a.id); });
  }

  function fetchCase() {
    if (!caseToken) { return; }
    O.api("GET", caseApi).then(function (r) { renderCase(r.body); }, function () { /* next time */ });
  }

  var rate = $("rate");
  if (rate) {
    rate.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var s = rate.querySelector('input[name="stars"]:checked');
      if (!s) { live("请选择星级 Choose 1–5 stars"); return; }
      var b = $("rate-btn");
      b.disabled = true;
      O.api("POST", caseApi + "/rate", { stars: parseInt(s.value, 10), comment: $("rate-comment").value.trim() }).then(function (r) {
        renderCase(r.body);
        live(parseInt(s.value, 10) <= 2 ? "已收到，部门将重新办理 Thank you: the department will handle it again" : "感谢您的评价 Thank you for your rating");
      }, function (e) { live("提交失败 Could not send: " + e.message); }).then(function () { b.disabled = false; });
    });
  }
  var details = $("details");
  if (details) {
    var ta = $("details-text");
    ta.addEventListener("input", function () { setText("details-count", ta.value.length); });
    var picker = $("details-files"), picked = $("details-picked");
    var MAX_FILES = 5, MAX_SIZE = 10 << 20;
    var OK_TYPE = { "image/jpeg": true, "image/png": true, "image/webp": true, "application/pdf": true };
    // What is wrong with the chosen files, before they travel ("" when nothing); the server
    // checks again, from the bytes.
    var filesProblem = function (files) {
      var msg = O.label("files", "tooMany");
      if (files.length > MAX_FILES) { return msg.zh + " " + msg.en; }
      for (var i = 0; i < files.length; i++) {
        if (files[i].size > MAX_SIZE) { msg = O.label("files", "tooBig"); return files[i].name + ": " + msg.zh + " " + msg.en; }
        if (files[i].type && !OK_TYPE[files[i].type]) { msg = O.label("files", "badType"); return files[i].name + ": " + msg.zh + " " + msg.en; }
      }
      return "";
    };
    if (picker) {
      picker.addEventListener("change", function () {
        O.clear(picked);
        Array.prototype.forEach.call(picker.files, function (f) {
          picked.appendChild(el("li", "", f.name + " · " + Math.max(1, Math.round(f.size / 1024)) + " KB"));
        });
        live(filesProblem(picker.files));
      });
    }
    details.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = ta.value.trim();
      var files = picker ? picker.files : [];
      if (!text && !files.length) { return; }
      var problem = filesProblem(files);
      if (problem) { live(problem); return; }
      var b = $("details-btn");
      b.disabled = true;
      var sent;
      if (files.length) {
        var fd = new FormData();
        if (text) { fd.append("text", text); }
        Array.prototype.forEach.call(files, function (f) { fd.append("files", f, f.name); });
        sent = O.api("POST", caseApi + "/attachments", fd);
      } else {
        sent = O.api("POST", caseApi + "/details", { text: text });
      }
      sent.then(function (r) {
        ta.value = "";
        setText("details-count", 0);
        if (picker) { picker.value = ""; O.clear(picked); }
        renderCase(r.body);
        live("已提交补充说明 Details sent");
      }, function (e) { live("提交失败 Could not send: " + e.message); }).then(function () { b.disabled = false; });
    });
  }

  // ---- a request from the page (web channel): when the ticket has no case yet ----

  var askForm = $("ask-form");
  if (askForm) {
    var askText = $("ask-text"), topics = $("ask-topic"), askBtn = $("ask-btn"), topicsLoaded = false;
    var loadTopics = function () {
      if (topicsLoaded) { return; }
      O.api("GET", "/api/v1/catalogue?topics=1").then(function (r) {
        topicsLoaded = true;
        (r.body.categories || []).forEach(function (k) {
          var o = el("option", "", (k.name.zh || k.code) + (k.name.en ? " " + k.name.en : ""));
          o.value = k.code;
          topics.appendChild(o);
        });
        root.setAttribute("data-topics", String(topics.options.length - 1));
      }, function () { setText("ask-msg", "事项列表加载失败，请稍后重试 Could not load the topics, try again"); });
    };
    $("ask-open").addEventListener("click", function () {
      show("ask-form", true);
      show("ask-open", false);
      loadTopics();
      topics.focus();
    });
    askText.addEventListener("input", function () { setText("ask-count", askText.value.length); });
    // One key per request: a retry after a lost answer returns the same case, not a second one.
    var askKey = function () {
      var k = "";
      try { k = sessionStorage.getItem("onedoor.ask." + token) || ""; } catch (e) { k = ""; }
      if (!k) {
        var b = new Uint8Array(12);
        window.crypto.getRandomValues(b);
        k = "web-" + Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
        try { sessionStorage.setItem("onedoor.ask." + token, k); } catch (e) { /* private mode */ }
      }
      return k;
    };
    askForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var kind = askForm.querySelector('input[name="ask-kind"]:checked');
      if (!topics.value) { setText("ask-msg", "请选择事项 Choose a topic"); topics.focus(); return; }
      setText("ask-msg", "");
      askBtn.disabled = true;
      var body = { kind: kind ? kind.value : "consultation", category: topics.value, text: askText.value.trim(),
        phone: $("ask-phone").value.trim(), lang: (navigator.language || "zh").indexOf("en") === 0 ? "en" : "zh" };
      O.api("POST", api + "/request", body, { "Idempotency-Key": askKey() }).then(function (r) {
        root.setAttribute("data-asked", r.body.number);
        live("已提交，编号 " + r.body.number + " Sent");
        // The page shows the case (timeline, reply limit) from the server.
        setTimeout(function () { location.reload(); }, 200);
      }, function (e) {
        setText("ask-msg", "提交失败 Could not send: " + e.message);
        askBtn.disabled = false;
      });
    });
  }

  if (token && LIVE[last.state]) { startLive(); }
  if (caseToken) {
    fetchCase(); // the files of the timeline are drawn by renderCase
    setInterval(function () { if (!document.hidden) { fetchCase(); } }, 15000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { fetchCase(); } });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && LIVE[last.state]) { fetchTicket(); }
  });
  if (token && LIVE[last.state]) { fetchTicket(); }
  // For tests and curious developers: is the live link up?
  window.onedoorFollow = { ready: true, live: function () { return !!(conn && conn.up()); } };
}());
