// Counter console: sign in, choose hall and counter, call and serve, transfer, open a case
// (只进一门). Live over the hall stream, polling while it is down. Data only ever reaches the page
// as text (OneDoor.setText / el), never as HTML.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$, setText = O.setText, show = O.show, el = O.el, api = O.api;


  var st = {
    me: null, halls: [], hall: null, counter: 0, cfg: null, view: null, waiting: [], aside: [],
    busy: false, stream: null, poll: null, refreshT: null, catalogue: null, noShow: null, snap: null,
    alerts: {}, // the hall's active device alerts by device and kind (staff stream only)
    low: [] // today's 1–2 star visit ratings of the hall, oldest first (staff stream only)
  };

  function svc(code) {
    var list = st.hall ? st.hall.services : [];
    for (var i = 0; i < list.length; i++) { if (list[i].code === code) { return list[i]; } }
    return null;
  }
  function svcName(code) { var s = svc(code); return s ? s.name.zh + " " + s.name.en : code; }

  function status(msg, bad) {
    var e = $("status");
    e.textContent = msg || "";
    e.className = "status" + (bad ? " bad" : "");
    clearTimeout(status.t);
    if (msg) { status.t = setTimeout(function () { e.textContent = ""; }, bad ? 8000 : 4000); }
  }
  function fail(err) {
    if (err && err.status === 401) { showLogin(); status("请重新登录 Please sign in again", true); return; }
    status("操作失败 Failed: " + (err && err.message ? err.message : String(err)), true);
  }

  // ---- screens ----

  function screen(name) {
    show("login", name === "login");
    show("pick", name === "pick");
    show("console", name === "console");
  }

  function showLogin() {
    stop();
    st.me = null;
    show("who", false);
    setText("where", "");
    screen("login");
    $("username").focus();
  }

  function stop() {
    if (st.stream) { st.stream.close(); st.stream = null; }
    clearInterval(st.poll); st.poll = null;
  }

  function signedIn(me) {
    // Staff who are not counter staff work only the counters of their seasonal assignments
    // (the server checks the days).
    var assigned = me.role === "counter" || me.role === "admin" ? null : (me.assignments || []);
    if (assigned && !assigned.length) {
      showLogin();
      status("此账号不能使用窗口工作台 This account cannot work a counter (" + me.role + ")", true);
      return Promise.resolve();
    }
    st.me = me;
    setText("who-name", me.name || me.subject || me.username || "");
    show("who", true);
    return api("GET", "/api/v1/halls").then(function (r) {
      var mine = me.halls && me.halls.length ? me.halls : null;
      st.halls = r.body.halls.filter(function (h) { return !mine || mine.indexOf(h.code) >= 0; });
      if (assigned) {
        st.halls = r.body.halls.map(function (h) {
          var ns = [];
          assigned.forEach(function (a) { if (a.hall === h.code) { ns = ns.concat(a.counters); } });
          return Object.assign({}, h, { counters: h.counters.filter(function (c) { return ns.indexOf(c.number) >= 0; }) });
        }).filter(function (h) { return h.counters.length > 0; });
      }
      var saved = {};
      try { saved = JSON.parse(localStorage.getItem("onedoor.counter") || "{}"); } catch (e) { saved = {}; }
      var h = st.halls.filter(function (x) { return x.code === saved.hall; })[0];
      if (h && h.counters.some(function (c) { return c.number === saved.counter; })) {
        enter(h, saved.counter);
        return;
      }
      showPick();
    });
  }

  function showPick() {
    stop();
    var hs = $("pick-hall");
    O.clear(hs);
    st.halls.forEach(function (h) {
      var o = el("option", "", h.name.zh + " " + h.name.en);
      o.value = h.code;
      hs.appendChild(o);
    });
    fillCounters();
    setText("where", "");
    screen("pick");
  }

  function fillCounters() {
    var h = st.halls.filter(function (x) { return x.code === $("pick-hall").value; })[0];
    var cs = $("pick-counter");
    O.clear(cs);
    if (!h) { return; }
    h.counters.forEach(function (c) {
      var o = el("option", "", c.number + " 号窗口 Counter " + c.number + " (" + c.services.join(", ") + ")");
      o.value = String(c.number);
      cs.appendChild(o);
    });
  }

  function enter(h, n) {
    st.hall = h;
    st.counter = n;
    st.cfg = h.counters.filter(function (c) { return c.number === n; })[0];
    st.view = null;
    st.waiting = [];
    st.aside = [];
    st.alerts = {};
    st.low = [];
    renderAlerts();
    renderLow();
    try { localStorage.setItem("onedoor.counter", JSON.stringify({ hall: h.code, counter: n })); } catch (e) { /* private mode */ }
    setText("where", h.name.zh + " · " + n + " 号窗口  " + h.name.en + " · Counter " + n);
    document.title = n + " 号窗口 · " + h.name.zh;
    fillTransfer();
    screen("console");
    render();
    refresh();
    st.stream = O.stream(h.code, onStream, function (up) {
      $("conn").className = "conn" + (up ? " up" : "");
      clearInterval(st.poll);
      st.poll = up ? null : setInterval(refresh, 5000);
    });
  }

  // ---- data ----

  function base() { return "/api/v1/halls/" + encodeURIComponent(st.hall.code); }

  function refresh() {
    if (!st.hall) { return Promise.resolve(); }
    // The services' ticket state (quota, hours, season) redraws only its own list.
    api("GET", base() + "/snapshot").then(function (r) { st.snap = r.body; renderIssuing(); }, function () { /* the next refresh retries */ });
    return Promise.all([
      api("GET", base() + "/counters/" + st.counter).then(function (r) { st.view = r.body; }),
      api("GET", base() + "/waiting").then(function (r) { st.waiting = r.body.tickets; st.aside = r.body.setAside || []; })
    ]).then(render, fail);
  }

  function later() {
    clearTimeout(st.refreshT);
    st.refreshT = setTimeout(refresh, 80);
  }

  function onStream(msg) {
    if (msg.type === "snapshot") {
      st.alerts = {};
      ((msg.snapshot && msg.snapshot.alerts) || []).forEach(function (a) { st.alerts[a.device + "/" + a.kind] = a; });
      renderAlerts();
      st.low = (msg.snapshot && msg.snapshot.lowRatings) || [];
      renderLow();
    } else if (msg.type === "device.alert" && msg.alert) {
      var a = msg.alert, key = a.device + "/" + a.kind;
      if (a.state === "cleared") { delete st.alerts[key]; } else { st.alerts[key] = a; }
      renderAlerts();
    } else if (msg.type === "visit.rated" && msg.rated && msg.rated.low) {
      st.low = st.low.concat([msg.rated]).slice(-20);
      renderLow();
    }
    if (msg.type === "campus.changed") { reloadHall(); return; }
    if (msg.type === "snapshot" || /^(ticket|counter|hall)\./.test(msg.type || "")) { later(); }
  }

  // ---- device alerts ----

  var alertText = O.alertText;

  function renderAlerts() {
    var list = $("alert-list"), keys = Object.keys(st.alerts).sort();
    O.clear(list);
    keys.forEach(function (k) {
      var a = st.alerts[k], t = alertText(a);
      var li = el("li", "alert a-" + a.kind);
      li.setAttribute("data-device", a.device);
      li.setAttribute("data-kind", a.kind);
      li.appendChild(el("b", "", t.name));
      li.appendChild(document.createTextNode(" " + t.zh + " "));
      li.appendChild(el("span", "en", t.role + ": " + t.en));
      list.appendChild(li);
    });
    show("alerts", keys.length > 0);
  }

  // ---- low visit ratings (1–2 stars): the hall lead's alert ----

  function renderLow() {
    var list = $("low-list");
    O.clear(list);
    st.low.slice().reverse().forEach(function (rv) {
      var t = O.ratedText(rv), li = el("li", "alert low");
      li.setAttribute("data-ticket", rv.number);
      li.setAttribute("data-stars", String(rv.stars));
      li.appendChild(el("b", "", t.at + " " + t.zh + " "));
      li.appendChild(el("span", "en", t.en));
      if (t.comment) { li.appendChild(el("q", "", t.comment)); }
      list.appendChild(li);
    });
    show("low-ratings", st.low.length > 0);
  }

  // reloadHall takes the hall's new services and counters after a live campus change: the
  // transfer choices and this counter's profile follow without a reload of the page (a counter
  // removed from the hall keeps its last profile while it finishes its ticket).
  function reloadHall() {
    if (!st.hall) { return; }
    api("GET", base()).then(function (r) {
      var h = r.body;
      st.hall = h;
      st.halls = st.halls.map(function (x) { return x.code === h.code ? h : x; });
      st.cfg = h.counters.filter(function (c) { return c.number === st.counter; })[0] || st.cfg;
      fillTransfer();
      refresh();
    }, fail);
  }

  // ---- rendering ----

  function render() {
    var v = st.view, cur = v && v.current, cs = v ? v.counter.state : "closed";
    var badge = $("counter-state");
    badge.textContent = O.labelText("counterState", cs);
    badge.className = "badge c-" + cs;
    show("no-current", !cur);
    show("cur", !!cur);
    if (cur) { renderCurrent(cur); }
    var busy = st.busy;
    function en(sel, on) {
      Array.prototype.forEach.call(document.querySelectorAll(sel), function (b) { b.disabled = busy || !on; });
    }
    var called = cur && cur.state === "called", serving = cur && cur.state === "serving";
    en('[data-act="open"]', cs !== "open");
    en('[data-act="pause"]', cs === "open");
    en('[data-act="close"]', cs !== "closed" && !cur);
    en("#call-next", cs === "open" && !cur);
    en("#call-one button", cs === "open" && !cur);
    en('[data-act="recall"]', called);
    en('[data-act="start"]', called);
    en('[data-act="finish"]', called || serving);
    en("#outcome", called || serving);
    en('[data-act="no-show"]', called);
    if (st.noShow && !(cur && cur.id === st.noShow.id)) { st.noShow = null; }
    document.querySelector('[data-act="no-show"]').classList.toggle("confirm", !!st.noShow);
    en('[data-act="park"]', called || serving);
    en("#open-transfer", !!cur);
    en("#open-case", !!cur);
    if (!cur) { show("transfer", false); show("case", false); }
    renderWaiting(cs === "open" && !cur);
    renderIssuing();
  }

  // renderIssuing lists this counter's services that are limited or closed for tickets (issue
  // 13): "暂停取号 · 14:00 开始办理", "今日号已取完 · 明天 08:30 开始办理", "今日余号 12", the
  // seasonal mark; both languages, from the snapshot and the labels' "issuing" and "opens".
  function renderIssuing() {
    var ul = $("svc-states"), mine = st.cfg ? st.cfg.services : [], L = O.labels.issuing || {};
    O.clear(ul);
    ((st.snap && st.snap.services) || []).forEach(function (x) {
      if (mine.indexOf(x.code) < 0 || x.outOfSeason) { return; }
      var zh = [], en = [];
      function add(l, fill) {
        if (!l) { return; }
        zh.push(fill(l.zh));
        en.push(fill(l.en));
      }
      function id(v) { return v; }
      if (x.closed) {
        add(L[x.closed], id);
        var o = O.opensText(x.nextIssueAt);
        if (o) { zh.push(o.zh); en.push(o.en); }
      } else if (typeof x.remaining === "number") {
        add(L.remaining, function (v) { return String(v || "").replace("{n}", x.remaining); });
      }
      if (x.until) {
        var p = x.until.split("-"), mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][+p[1] - 1];
        add(L.season, function (v) { return String(v || "").replace("{month}", +p[1]).replace("{day}", +p[2]).replace("{mon}", mon); });
      }
      if (!zh.length) { return; }
      var li = el("li", x.closed ? "closed" : "", x.code + " " + svcName(x.code) + " · " + zh.join(" · ") + " / " + en.join(" · "));
      li.setAttribute("data-code", x.code);
      ul.appendChild(li);
    });
    show("svc-states", ul.childNodes.length > 0);
  }

  function renderCurrent(c) {
    setText("cur-number", c.number);
    setText("cur-service", svcName(c.service));
    var s = $("cur-state");
    s.textContent = O.labelText("ticketState", c.state);
    s.className = "badge t-" + c.state;
    if ($("outcome").getAttribute("data-for") !== c.id) {
      // Each person's visit starts from "resolved": an outcome chosen for the last one is not kept.
      $("outcome").setAttribute("data-for", c.id);
      $("outcome").value = "resolved";
    }
    show("cur-priority", !!c.priority);
    $("current").classList.toggle("is-prio", !!c.priority);
    if (O.labels.priority) { O.bi($("cur-priority"), O.labels.priority); }
    // A booking's ticket (预约): the mark and the booked time.
    show("cur-appt", !!c.appointment);
    if (c.appointment) { setText("cur-appt", apptMark(c.appointment)); }
    setText("cur-calls", c.calls > 1 ? "已呼 " + c.calls + " 次 Called " + c.calls + "×" : "");
    setText("cur-wait", O.clock(c.waitSeconds));
    setText("cur-issued", O.hhmm(c.issuedAt));
    var rq = c.request;
    show("cur-request", !!rq);
    if (rq) {
      setText("cur-request-no", rq.number + " · " + O.labelText("kind", rq.kind));
      setText("cur-request-text", (rq.title ? rq.title + "\n" : "") + (rq.text || ""));
    }
    var ul = $("cur-materials");
    if (ul.getAttribute("data-for") !== c.id) {
      O.clear(ul);
      ul.setAttribute("data-for", c.id);
      (c.materials || []).forEach(function (m, i) {
        var li = el("li"), lab = el("label"), cb = el("input");
        cb.type = "checkbox";
        cb.id = "mat-" + i;
        lab.appendChild(cb);
        var tx = el("span", "", m.zh + " ");
        tx.appendChild(el("span", "en", m.en));
        lab.appendChild(tx);
        li.appendChild(lab);
        ul.appendChild(li);
      });
      if (!c.materials || !c.materials.length) { ul.appendChild(el("li", "muted", "无需材料 Nothing to bring")); }
    }
    var ol = $("cur-visits");
    O.clear(ol);
    (c.visits || []).forEach(function (v) {
      var li = el("li", "", v.counter + " 号窗口 Counter " + v.counter + " · " + (v.serviceName ? v.serviceName.zh + " " + v.serviceName.en : v.service) +
        " · " + O.hhmm(v.calledAt) + "–" + O.hhmm(v.finishedAt));
      if (v.note) { li.appendChild(el("div", "note", v.note)); }
      ol.appendChild(li);
    });
    show("cur-visits-box", !!(c.visits && c.visits.length));
  }

  // apptMark is the console's mark of a booking's ticket: "预约 09:00 Booked".
  function apptMark(a) {
    var m = O.label("appointment", "mark");
    return m.zh + " " + O.hhmm(a.start) + (m.en ? " " + m.en : "");
  }

  function mineWaiting() {
    var services = st.cfg ? st.cfg.services : [];
    return st.waiting.filter(function (t) {
      if (t.targetCounter) { return t.targetCounter === st.counter; }
      return services.indexOf(t.service) >= 0;
    });
  }

  function renderWaiting(canCall) {
    var list = mineWaiting(), tb = $("waiting"), now = Date.now();
    O.clear(tb);
    list.forEach(function (t) {
      var tr = el("tr");
      tr.setAttribute("data-number", t.number);
      var num = el("td", "num", t.number);
      if (t.priority) {
        tr.className = "prio";
        num.appendChild(el("span", "badge prio", O.labels.priority ? O.labels.priority.zh : ""));
      }
      if (t.appointment) { num.appendChild(el("span", "badge appt", apptMark(t.appointment))); }
      if (t.targetCounter) { num.appendChild(el("span", "badge tgt", "转入")); }
      tr.appendChild(num);
      var sv = svc(t.service), name = el("td", "svc", sv ? sv.name.zh : t.service);
      name.title = sv ? sv.name.zh + " " + sv.name.en : t.service;
      tr.appendChild(name);
      tr.appendChild(el("td", "wait", O.clock((now - new Date(t.issuedAt).getTime()) / 1000)));
      var td = el("td"), b = el("button", "small", "叫");
      b.type = "button";
      b.title = "叫此号 Call this number";
      b.disabled = !canCall || st.busy;
      b.addEventListener("click", function () { callNumber(t.number); });
      td.appendChild(b);
      tr.appendChild(td);
      tb.appendChild(tr);
    });
    setText("waiting-count", list.length);
    show("waiting-empty", list.length === 0);
    renderAside(canCall);
  }

  // The tickets set aside: parked ones (resume calls the person back to this counter) and absent
  // ones (reinstate puts them back in the queue), of this counter's services or parked here.
  function renderAside(canCall) {
    var services = st.cfg ? st.cfg.services : [], tb = $("aside");
    var list = st.aside.filter(function (t) {
      return (t.state === "parked" && t.counter === st.counter) || services.indexOf(t.service) >= 0;
    });
    O.clear(tb);
    list.forEach(function (t) {
      var tr = el("tr"), parked = t.state === "parked";
      tr.setAttribute("data-number", t.number);
      tr.appendChild(el("td", "num", t.number));
      var s = el("td"), l = O.label("ticketState", t.state), b = el("span", "badge t-" + t.state, l.zh);
      b.title = l.en;
      s.appendChild(b);
      if (parked && t.counter && t.counter !== st.counter) { s.appendChild(el("span", "muted", " " + t.counter + " 号窗口")); }
      tr.appendChild(s);
      tr.appendChild(el("td", "wait", O.hhmm(t.calledAt)));
      var td = el("td", "act"), btn = el("button", "small", parked ? "恢复 Resume" : "重新排队 Reinstate");
      btn.type = "button";
      btn.setAttribute("data-act", parked ? "resume" : "reinstate");
      btn.title = parked ? "叫回本窗口办理 Call back to this counter" : "按原取号时间重新排队 Back in the queue by its original time";
      btn.disabled = st.busy || (parked && !canCall);
      btn.addEventListener("click", function () { act(parked ? "resume" : "reinstate", { ticket: t.id }); });
      td.appendChild(btn);
      tr.appendChild(td);
      tb.appendChild(tr);
    });
    setText("aside-count", list.length);
    show("aside-box", list.length > 0);
  }

  // ---- actions ----

  function act(action, body, opts) {
    if (st.busy) { return Promise.resolve(null); }
    st.busy = true;
    render();
    return api("POST", base() + "/counters/" + st.counter + "/" + action, body || {}).then(function (r) {
      if (!(opts && opts.quiet)) {
        if (r.status === 204) { status("暂无等候 Nobody is waiting"); } else { status(O.label("actionDone", action).en ? O.labelText("actionDone", action) : "OK"); }
      }
      return r;
    }).catch(function (e) { fail(e); return null; }).then(function (r) {
      // Stay busy until the view shows the result: a click in between must not act on old state.
      return refresh().then(function () { st.busy = false; render(); return r; });
    });
  }

  function callNext() {
    // A double click is one call: the console is busy from the press until the view shows the
    // called ticket, and call-next needs a free counter (the server refuses it too, 409).
    var v = st.view;
    if (st.busy || !v || v.current || v.counter.state !== "open") { return; }
    act("call-next", {}, { quiet: true }).then(function (r) {
      if (!r) { return; }
      if (r.status === 204) { status("暂无等候 Nobody is waiting"); return; }
      status("已叫 Called " + r.body.number + (r.body.priority && O.labels.priority ? " · " + O.labels.priority.zh + " " + O.labels.priority.en : ""));
    });
  }

  function callNumber(n) {
    n = (n || "").trim().toUpperCase();
    if (!n) { return; }
    act("call", { ticket: n }, { quiet: true }).then(function (r) {
      if (r && r.body) { status("已叫 Called " + r.body.number); $("call-number").value = ""; }
    });
  }

  function fillTransfer() {
    var s = $("tr-service"), c = $("tr-counter");
    O.clear(s);
    O.clear(c);
    var none = el("option", "", "—");
    none.value = "";
    s.appendChild(none);
    st.hall.services.forEach(function (x) {
      var o = el("option", "", x.code + " " + x.name.zh + " " + x.name.en);
      o.value = x.code;
      s.appendChild(o);
    });
    var none2 = el("option", "", "—");
    none2.value = "";
    c.appendChild(none2);
    st.hall.counters.forEach(function (x) {
      if (x.number === st.counter) { return; }
      var o = el("option", "", x.number + " 号窗口 Counter " + x.number + " (" + x.services.join(", ") + ")");
      o.value = String(x.number);
      c.appendChild(o);
    });
  }

  function transfer(ev) {
    ev.preventDefault();
    var body = { placement: document.querySelector('input[name="placement"]:checked').value };
    var to = $("tr-service").value, tc = $("tr-counter").value, note = $("tr-note").value.trim();
    if (to) { body.toService = to; }
    if (tc) { body.toCounter = parseInt(tc, 10); }
    if (note) { body.note = note; }
    if (!to && !tc) { status("请选择业务或窗口 Choose a service or a counter", true); return; }
    act("transfer", body).then(function (r) {
      if (r) { show("transfer", false); $("tr-note").value = ""; }
    });
  }

  // ---- 只进一门: a case for a department ----

  function loadCatalogue() {
    if (st.catalogue) { return Promise.resolve(st.catalogue); }
    return api("GET", "/api/v1/catalogue").then(function (r) {
      st.catalogue = r.body;
      var cat = $("case-category"), dep = $("case-dept"), seen = {};
      r.body.categories.forEach(function (k) {
        var o = el("option", "", k.name.zh + " " + k.name.en + " → " + k.departmentName.zh);
        o.value = k.code;
        o.setAttribute("data-dept", k.department);
        cat.appendChild(o);
        if (!seen[k.department]) {
          seen[k.department] = true;
          var d = el("option", "", k.departmentName.zh + " " + k.departmentName.en);
          d.value = k.department;
          dep.appendChild(d);
        }
      });
      return st.catalogue;
    });
  }

  function ensureDept(code, name) {
    var dep = $("case-dept");
    for (var i = 0; i < dep.options.length; i++) { if (dep.options[i].value === code) { return; } }
    var d = el("option", "", name || code);
    d.value = code;
    dep.appendChild(d);
  }

  function deptName(code) {
    var ks = st.catalogue ? st.catalogue.categories : [];
    for (var i = 0; i < ks.length; i++) { if (ks[i].department === code) { return ks[i].departmentName.zh; } }
    return code === "office" ? "督办室" : code;
  }

  function openCase() {
    var cur = st.view && st.view.current;
    if (!cur) { return; }
    show("transfer", false);
    show("case", true);
    var form = $("case"), rq = cur.request;
    if (form.getAttribute("data-for") !== cur.id) {
      // A fresh form for each ticket: the kind is what the visit came as (a walk-in complaint stays
      // a complaint), consultation otherwise; nothing of the previous person stays in it.
      form.setAttribute("data-for", cur.id);
      $("case-kind").value = rq && rq.kind ? rq.kind : "consultation";
      $("case-text").value = rq ? rq.text || "" : "";
      $("case-name").value = "";
      $("case-phone").value = "";
      $("case-category").value = "";
      $("case-dept").value = "";
      setText("case-suggestion", "");
    }
    loadCatalogue().then(function () {
      if (rq && rq.category && form.getAttribute("data-for") === cur.id && !$("case-category").value) {
        $("case-category").value = rq.category;
        var o = $("case-category").selectedOptions[0];
        if (o && o.value) { $("case-dept").value = o.getAttribute("data-dept"); } else { $("case-category").value = ""; }
      }
    }).catch(fail);
    $("case-text").focus();
  }

  function suggest() {
    var text = $("case-text").value.trim();
    if (!text) { status("请先填写摘要 Write the summary first", true); return; }
    var b = $("case-suggest");
    b.disabled = true;
    loadCatalogue().then(function () {
      return api("POST", "/api/v1/route", { text: text });
    }).then(function (r) {
      var res = r.body;
      ensureDept(res.department, deptName(res.department));
      $("case-dept").value = res.department;
      $("case-category").value = res.category && !res.triage ? res.category : "";
      var alt = (res.alternatives || []).slice(0, 2).map(function (a) {
        return deptName(a.department) + " " + Math.round(a.confidence * 100) + "%";
      });
      setText("case-suggestion", "建议 Suggested: " + deptName(res.department) + " " + Math.round(res.confidence * 100) + "%" +
        (res.triage ? "（把握不足，交督办室分派 low confidence: the office assigns）" : "") +
        (alt.length ? " · 其他 also: " + alt.join(", ") : ""));
    }).catch(fail).then(function () { b.disabled = false; });
  }

  function submitCase(ev) {
    ev.preventDefault();
    var cur = st.view && st.view.current;
    var text = $("case-text").value.trim();
    if (!cur || st.busy) { return; }
    if (!text) { status("请填写摘要 Write the summary", true); return; }
    var body = { hall: st.hall.code, kind: $("case-kind").value, channel: "counter", ticketId: cur.id, text: text };
    var cat = $("case-category").value, dep = $("case-dept").value;
    if (cat) { body.category = cat; }
    if (dep && !cat) { body.department = dep; }
    var name = $("case-name").value.trim(), phone = $("case-phone").value.trim();
    if (name || phone) { body.requester = { name: name, phone: phone }; }
    st.busy = true;
    render();
    O.api("POST", "/api/v1/cases", body, { "Idempotency-Key": "counter-case-" + cur.id }).then(function (r) {
      var c = r.body;
      st.busy = false;
      return act("finish", { outcome: "case_opened", caseId: c.id, note: "case " + c.number }, { quiet: true }).then(function (fr) {
        if (!fr) { return; }
        show("case", false);
        $("case").removeAttribute("data-for");
        $("case-text").value = "";
        $("case-name").value = "";
        $("case-phone").value = "";
        setText("case-suggestion", "");
        status("已转办 Case " + c.number + " → " + (c.departmentName ? c.departmentName.zh : c.department) + "，号票二维码可查进度 The ticket's QR follows it");
      });
    }).catch(function (e) { st.busy = false; fail(e); render(); });
  }

  // ---- the keyboard (a counter serves some 200 visits a day) ----

  // The function keys of the actions on the current ticket; the buttons show them.
  var keyActs = { F2: "recall", F3: "start", F4: "finish", F8: "no-show", F9: "park" };

  function onKey(ev) {
    if ($("console").hidden) { return; }
    var tag = ev.target && ev.target.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
    var panel = !$("transfer").hidden || !$("case").hidden;
    if (ev.key === "Escape") {
      if (st.noShow) { st.noShow = null; render(); status("已取消 Cancelled"); } else if (panel) { show("transfer", false); show("case", false); }
      return;
    }
    var a = keyActs[ev.key];
    // Space on a focused button would press that button (say "park" after a click on it):
    // at this console Space means call next, wherever the focus is outside a form field.
    var f1 = ev.key === "F1" || (ev.key === " " && !typing && !panel);
    if (!f1 && !a) { return; }
    ev.preventDefault();
    if (ev.repeat || panel) { return; } // a panel's form takes the keys until it is sent or Esc
    if (f1) { pressF1(); } else { shortcut(ev.key, a); }
  }

  // whyNot says why F1 does not call the next person while a ticket is at the counter.
  function whyNot(cur) {
    if (cur.state === "serving") {
      return cur.number + " 正在办理：请先办结 (F4) 或暂挂 (F9) 再叫号 · " + cur.number + " is being served: finish (F4) or park (F9) it first";
    }
    return cur.number + " 已叫号：请先开始办理 (F3)、记未到 (F8) 或暂挂 (F9) · " + cur.number + " is called: start (F3), mark absent (F8) or park (F9) it first";
  }

  function pressF1() {
    var v = st.view;
    if (st.busy || !v) { return; }
    if (v.counter.state !== "open") { status("窗口未开放，请先开窗 The counter is not open", true); return; }
    var cur = v.current;
    if (!cur) { callNext(); return; }
    if (cur.state === "serving" && $("f1-finish").checked) {
      act("finish", { outcome: $("outcome").value }, { quiet: true }).then(function (r) { if (r) { callNext(); } });
      return;
    }
    status(whyNot(cur), true);
  }

  function shortcut(key, a) {
    var cur = st.view && st.view.current, b = document.querySelector('[data-act="' + a + '"]');
    if (st.busy) { return; }
    if (!b || b.disabled) {
      status(key + " " + b.textContent.replace(/\s+/g, " ").trim() + "：现在不可用 not available now" + (cur ? "" : " (当前无办理对象 nobody at the counter)"), true);
      return;
    }
    if (a === "no-show") {
      // Marking someone absent sends them to the back: the key asks to be pressed again.
      if (!st.noShow || st.noShow.id !== cur.id || Date.now() - st.noShow.at > 8000) {
        st.noShow = { id: cur.id, at: Date.now() };
        clearTimeout(st.noShowT);
        st.noShowT = setTimeout(function () { st.noShow = null; render(); }, 8000);
        render();
        status("记 " + cur.number + " 未到？再按 F8 确认，Esc 取消 · Mark " + cur.number + " absent? F8 again to confirm, Esc to cancel");
        return;
      }
    }
    st.noShow = null;
    act(a, a === "finish" ? { outcome: $("outcome").value } : {});
  }

  // ---- wiring ----

  function wire() {
    O.login(signedIn);
    O.logout(showLogin);
    $("pick-hall").addEventListener("change", fillCounters);
    $("pick-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var h = st.halls.filter(function (x) { return x.code === $("pick-hall").value; })[0];
      if (h) { enter(h, parseInt($("pick-counter").value, 10)); }
    });
    $("change-counter").addEventListener("click", function () {
      try { localStorage.removeItem("onedoor.counter"); } catch (e) { /* private mode */ }
      showPick();
    });
    $("call-next").addEventListener("click", callNext);
    Array.prototype.forEach.call(document.querySelectorAll("[data-act]"), function (b) {
      b.addEventListener("click", function () {
        var a = b.getAttribute("data-act"), body = {};
        if (a === "finish") { body.outcome = $("outcome").value; }
        if (a === "close" && !window.confirm("确定关窗？ Close the counter?")) { return; }
        act(a, body);
      });
    });
    $("call-one").addEventListener("submit", function (ev) { ev.preventDefault(); callNumber($("call-number").value); });
    $("open-transfer").addEventListener("click", function () { show("case", false); show("transfer", true); });
    $("transfer").addEventListener("submit", transfer);
    $("open-case").addEventListener("click", openCase);
    $("case-suggest").addEventListener("click", suggest);
    $("case").addEventListener("submit", submitCase);
    $("case-category").addEventListener("change", function () {
      var o = $("case-category").selectedOptions[0];
      if (o && o.value) { $("case-dept").value = o.getAttribute("data-dept"); }
    });
    $("case-dept").addEventListener("change", function () {
      var o = $("case-category").selectedOptions[0];
      if (o && o.value && o.getAttribute("data-dept") !== $("case-dept").value) { $("case-category").value = ""; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-close]"), function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-close"), false); });
    });
    try { $("f1-finish").checked = localStorage.getItem("onedoor.counter.f1finish") === "1"; } catch (e) { /* private mode */ }
    $("f1-finish").addEventListener("change", function () {
      try { localStorage.setItem("onedoor.counter.f1finish", $("f1-finish").checked ? "1" : "0"); } catch (e) { /* private mode */ }
      $("f1-finish").blur(); // Space must call next, not toggle the setting again
    });
    document.addEventListener("keydown", onKey);
    // Waiting times tick without a request.
    setInterval(function () { if (st.hall && !$("console").hidden) { renderWaiting(!st.busy && st.view && st.view.counter.state === "open" && !st.view.current); } }, 15000);
  }

  wire();
  // For tests and curious developers: the console's state (read only by convention).
  window.onedoorCounter = {
    live: function () { return !!(st.stream && st.stream.up()); },
    busy: function () { return st.busy; },
    current: function () { return st.view && st.view.current ? st.view.current.number : ""; },
    state: function () { return st.view ? st.view.counter.state : ""; }
  };
  api("GET", "/api/v1/me").then(function (r) { return signedIn(r.body); }, function () { showLogin(); }).catch(fail);
}());
