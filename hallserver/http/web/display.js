// Hall display: follow the hall's WebSocket stream (a snapshot, then events; on reconnect
// since=<last seq> so the server replays what was missed), draw the calls, queues and notices,
// and read each call aloud once (chime, Mandarin, English) with the browser's speech synthesis.
// Times are the campus's (common.js). No framework, no CDN: the campus intranet may have no internet.
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) { return; }
  var hallCode = root.getAttribute("data-hall");
  // ALSO_SHOWN calls other counters made within AT_ONCE ms of the newest stand beside it.
  var RECENT_SHOWN = 6, RECENT_KEPT = 10, ALSO_SHOWN = 3, AT_ONCE = 30000, OFFLINE_AFTER = 5000, MIN_BACKOFF = 250, MAX_BACKOFF = 5000;

  // The state: what the display knows of its hall.
  var st = { seq: 0, synced: false, name: null, services: [], recent: [], notices: [], serial: 0 };
  // Probes for tests and benchmarks: what was rendered and announced, and when.
  var probe = window.onedoorDisplay = { announced: [], lastCall: null, renders: 0, connected: false, sound: false };

  var O = window.OneDoor, $ = O.$, el = O.el;
  // Writes only what changed: a display redraws on every event of a busy hall.
  function setText(id, v) { var e = $(id); if (e && e.textContent !== String(v)) { e.textContent = String(v); } }
  function callKey(c) { return c.number + "|" + c.counter + "|" + c.at; }

  // ---- state ------------------------------------------------------------------------------
  function applySnapshot(snap) {
    var missed = [];
    if (st.synced) {
      var last = st.recent.length ? Date.parse(st.recent[0].at) : 0;
      for (var i = (snap.recentCalls || []).length - 1; i >= 0; i--) {
        if (Date.parse(snap.recentCalls[i].at) > last) { missed.push(snap.recentCalls[i]); }
      }
    }
    var old = {};
    st.services.forEach(function (s) { old[s.code] = s.perPerson; });
    st.seq = snap.seq; st.synced = true; st.name = snap.name;
    st.services = (snap.services || []).map(function (s) {
      var pp = old[s.code] || 0;
      if (s.waiting > 0 && s.etaSeconds > 0) { pp = s.etaSeconds / s.waiting; }
      return { code: s.code, name: s.name, waiting: s.waiting, eta: s.etaSeconds, open: s.open, opensAt: s.opensAt, perPerson: pp };
    });
    st.counters = {};
    (snap.counters || []).forEach(function (c) { st.counters[c.number] = c; });
    st.recent = (snap.recentCalls || []).slice(0, RECENT_KEPT);
    st.notices = (snap.notices || []).map(function (n) { return { id: n.id, text: n.text }; });
    if (missed.length) { st.serial++; }
    return missed;
  }

  function applyEvent(ev) {
    st.seq = ev.seq;
    if (ev.waiting) {
      st.services.forEach(function (s) {
        if (Object.prototype.hasOwnProperty.call(ev.waiting, s.code)) {
          s.waiting = ev.waiting[s.code];
          s.eta = s.waiting === 0 ? 0 : (s.perPerson > 0 ? Math.round(s.perPerson * s.waiting) : s.eta);
        }
      });
    }
    if (ev.counter) {
      st.counters[ev.counter.number] = ev.counter;
      st.services.forEach(function (s) {
        s.open = Object.keys(st.counters).some(function (k) {
          var c = st.counters[k];
          return c.state === "open" && (c.services || []).indexOf(s.code) >= 0;
        });
      });
    }
    if (ev.notice) {
      var i = st.notices.findIndex(function (n) { return n.id === ev.notice.id; });
      if (ev.type === "notice.published") {
        if (i >= 0) { st.notices[i].text = ev.notice.text; } else { st.notices.push({ id: ev.notice.id, text: ev.notice.text }); }
      } else if (ev.type === "notice.withdrawn" && i >= 0) {
        st.notices.splice(i, 1);
      }
    }
    if ((ev.type === "ticket.called" || ev.type === "ticket.recalled") && ev.ticket) {
      var c = { number: ev.ticket.number, service: ev.ticket.service, counter: ev.counter ? ev.counter.number : ev.ticket.counter, at: ev.at, recall: ev.type === "ticket.recalled", priority: !!ev.ticket.priority };
      st.recent.unshift(c);
      st.recent.length = Math.min(st.recent.length, RECENT_KEPT);
      st.serial++;
      return [c];
    }
    return [];
  }

  // Events carry waiting counts, not estimates: after a queue or counter change (one fetch per
  // ESTIMATE_GAP ms at most) and every ESTIMATE_EVERY ms, take the server's estimates from the
  // snapshot (ignored when older than the stream; the scaled estimate stands in meanwhile).
  var ESTIMATE_GAP = 500, ESTIMATE_EVERY = 60000, estTimer = null;
  function refreshEstimates() {
    if (estTimer) { return; }
    estTimer = setTimeout(function () {
      fetch("/api/v1/halls/" + encodeURIComponent(hallCode) + "/snapshot", { cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (snap) {
          estTimer = null;
          if (!snap || !st.synced || snap.seq < st.seq) { return; }
          if (st.reconfigured) {
            // campus.changed: the hall's services and counters are the snapshot's now.
            st.reconfigured = false;
            var missed = applySnapshot(snap);
            render();
            missed.forEach(announce);
            return;
          }
          (snap.services || []).forEach(function (x) {
            st.services.forEach(function (s) {
              if (s.code !== x.code) { return; }
              s.waiting = x.waiting; s.eta = x.etaSeconds; s.open = x.open; s.opensAt = x.opensAt;
              if (x.waiting > 0 && x.etaSeconds > 0) { s.perPerson = x.etaSeconds / x.waiting; }
            });
          });
          render();
        }, function () { estTimer = null; });
    }, ESTIMATE_GAP);
  }

  // ---- view ---------------------------------------------------------------------------------
  function serviceName(code) {
    for (var i = 0; i < st.services.length; i++) { if (st.services[i].code === code) { return st.services[i].name; } }
    return { zh: code, en: code };
  }
  var shownSerial = 0, flashTimer = null;
  function render() {
    if (st.name) { setText("hall-zh", st.name.zh); setText("hall-en", st.name.en); }
    // Each number once (a recall is not listed again below it); calls other counters made at
    // about the same time as the newest stand beside it; the rest are the recent list.
    var now = null, also = [], earlier = [], seenNum = {}, ctrs = {};
    st.recent.forEach(function (c) {
      if (seenNum[c.number]) { return; }
      seenNum[c.number] = true;
      if (!now) { now = c; ctrs[c.counter] = true; }
      else if (also.length < ALSO_SHOWN && !earlier.length && !ctrs[c.counter] && Date.parse(now.at) - Date.parse(c.at) <= AT_ONCE) { also.push(c); ctrs[c.counter] = true; }
      else if (earlier.length < RECENT_SHOWN) { earlier.push(c); }
    });
    if (now) {
      setText("now-label-zh", now.recall ? "再次呼叫" : "正在呼叫");
      setText("now-label-en", now.recall ? "Calling again" : "Now calling");
      $("now-priority").hidden = !now.priority;
      setText("now-number", now.number);
      setText("now-zh", "请到 " + now.counter + " 号窗口");
      setText("now-en", "Please go to counter " + now.counter);
      var sn = serviceName(now.service);
      setText("now-service", sn.zh + "  " + sn.en);
    }
    var al = $("now-also");
    al.hidden = !also.length;
    $("now").classList.toggle("has-also", also.length > 0); // the big number shrinks to make room
    al.replaceChildren.apply(al, [el("span", "lead", "同时呼叫 Also")].concat(also.map(function (c) {
      var x = el("span", "call");
      x.appendChild(el("b", "num", c.number));
      if (c.priority) { x.appendChild(el("span", "prio", "绿色通道")); }
      x.appendChild(document.createTextNode(" → " + c.counter + " 号窗口 · Counter " + c.counter));
      return x;
    })));
    var ol = $("recent");
    var items = earlier.map(function (c) {
      var li = el("li", c.priority ? "priority" : "");
      li.appendChild(el("span", "num", c.number));
      if (c.priority) { li.appendChild(el("span", "prio", "绿色通道 Priority")); }
      var ctr = el("span", "ctr");
      ctr.appendChild(el("span", "zh", c.counter + " 号窗口"));
      ctr.appendChild(el("span", "en", "Counter " + c.counter));
      li.appendChild(ctr);
      return li;
    });
    ol.replaceChildren.apply(ol, items);
    var ul = $("services");
    ul.replaceChildren.apply(ul, st.services.map(function (s) {
      var li = el("li", s.open || s.waiting > 0 ? "" : "closed");
      li.setAttribute("data-code", s.code);
      li.appendChild(el("div", "name", s.code + " " + s.name.zh));
      li.appendChild(el("div", "name-en", s.name.en));
      var row = el("div", "row");
      row.appendChild(el("span", "count", String(s.waiting)));
      var w = el("span", "wait"), zh, en;
      if (!s.open && s.waiting === 0) { zh = "暂停服务"; en = "closed"; }
      else if (!s.open) { zh = "暂无窗口办理"; en = "no counter now"; } // nobody serves it: never minutes
      else if (s.waiting === 0) { zh = "无需等待"; en = "no wait"; }
      else { var m = Math.max(1, Math.ceil(s.eta / 60)); zh = "约 " + m + " 分钟"; en = "about " + m + " min"; }
      var opens = s.open ? null : O.opensText(s.opensAt); // outside its hours: when it opens
      if (opens) { zh += " · " + opens.zh; en += " · " + opens.en; }
      w.appendChild(el("span", "zh", "人等候 · " + zh));
      w.appendChild(el("span", "en", "waiting · " + en));
      row.appendChild(w);
      li.appendChild(row);
      return li;
    }));
    renderNotice();
    if (st.serial !== shownSerial) {
      if (shownSerial !== 0 || probe.renders > 0) { flash(); }
      shownSerial = st.serial;
    }
    probe.renders++;
    if (now) { probe.lastCall = { number: now.number, counter: now.counter, t: Date.now() }; }
  }
  function flash() {
    var n = $("now");
    n.classList.remove("flash");
    void n.offsetWidth; // restart the animation
    n.classList.add("flash");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(function () { n.classList.remove("flash"); }, 2900);
  }
  var noticeShown = null;
  function renderNotice() {
    var text = st.notices.map(function (n) {
      var t = n.text || {};
      return (t.zh || "") + (t.en && t.en !== t.zh ? "  " + t.en : "");
    }).filter(Boolean).join("   ·   ");
    if (text === noticeShown) { return; }
    noticeShown = text;
    var e = $("notice");
    e.textContent = text;
    e.classList.remove("scroll");
    if (text && e.scrollWidth > e.parentNode.clientWidth) {
      e.classList.add("scroll");
      e.style.animationDuration = Math.max(10, text.length / 6) + "s"; // CSSOM: allowed by the CSP
    }
  }
  // The clock and the date are the campus's (the server's zone, OneDoor.time), not the TV's.
  function tick() {
    var d = new Date();
    setText("clock", O.time(d, "hh:mm:ss"));
    setText("date", O.dateLine(d));
    var offline = !probe.connected && Date.now() - lostAt >= OFFLINE_AFTER;
    $("conn").hidden = !offline;
    if (offline) {
      $("conn").firstChild.textContent = st.synced ? "连接中断，正在重连…" : "正在连接服务器…";
      $("conn").lastChild.textContent = st.synced ? "Connection lost, reconnecting…" : "Connecting to the server…";
    }
    $("dot").hidden = !probe.connected;
  }

  // ---- voice --------------------------------------------------------------------------------
  var soundOn = false, speaking = false, queue = [], seen = {}, seenOrder = [];
  var digitsZh = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
  var digitsEn = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  function spell(number, digits) {
    return number.split("").map(function (ch) { return /[0-9]/.test(ch) ? digits[+ch] : ch; });
  }
  function announce(c) {
    var k = callKey(c);
    if (seen[k]) { return; }
    seen[k] = true; seenOrder.push(k);
    if (seenOrder.length > 1024) { delete seen[seenOrder.shift()]; }
    probe.announced.push(c.number + "@" + c.counter + (c.recall ? "(recall)" : ""));
    if (!soundOn) { return; }
    queue.push(c);
    if (queue.length > 50) { queue.shift(); }
    speakNext();
  }
  var audio = null, voices = [];
  function pickVoice(lang) {
    voices = window.speechSynthesis ? speechSynthesis.getVoices() : [];
    var l = lang.toLowerCase();
    return voices.find(function (v) { return v.lang.toLowerCase().replace("_", "-") === l; }) ||
      voices.find(function (v) { return v.lang.toLowerCase().indexOf(l.split("-")[0]) === 0; }) || null;
  }
  function chime(done) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var t = audio.currentTime;
      [[659.25, 0, 0.45], [523.25, 0.45, 0.7]].forEach(function (n) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = n[0];
        g.gain.setValueAtTime(0.0001, t + n[1]);
        g.gain.exponentialRampToValueAtTime(0.35, t + n[1] + 0.01);
        g.gain.exponentialRampToValueAtTime(0.0001, t + n[1] + n[2]);
        o.connect(g); g.connect(audio.destination);
        o.start(t + n[1]); o.stop(t + n[1] + n[2]);
      });
      setTimeout(done, 1150);
    } catch (e) { done(); }
  }
  function say(text, lang, done) {
    if (!window.speechSynthesis) { done(); return; }
    var u = new SpeechSynthesisUtterance(text);
    u.lang = lang;
    var v = pickVoice(lang);
    if (v) { u.voice = v; }
    u.rate = 0.9;
    var finished = false;
    function end() { if (!finished) { finished = true; clearTimeout(guard); done(); } }
    var guard = setTimeout(end, 15000); // some engines never fire onend
    u.onend = end; u.onerror = end;
    speechSynthesis.speak(u);
  }
  function speakNext() {
    if (speaking || !queue.length) { return; }
    speaking = true;
    var c = queue.shift();
    var zh = (c.recall ? "再次呼叫，" : "") + "请 " + spell(c.number, digitsZh).join("") + " 号，到 " + c.counter + " 号窗口";
    var en = (c.recall ? "Calling again. " : "") + "Number " + spell(c.number, digitsEn).join(", ") + ", please go to counter " + c.counter;
    chime(function () {
      say(zh, "zh-CN", function () {
        say(en, "en-US", function () { speaking = false; speakNext(); });
      });
    });
  }
  // Sound is off until enabled: a tap on the pill, any key of a remote or keyboard (OK, Enter,
  // Space, S), or ?sound=on (the browser must allow audio without a gesture: see DISPLAY.md).
  // The calls are shown either way.
  var btn = $("sound");
  function enableSound() {
    if (soundOn || root.getAttribute("data-silent")) { return; }
    soundOn = true; probe.sound = true;
    if (btn) { btn.hidden = true; }
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); audio.resume(); } catch (e) { /* no Web Audio */ }
    if (window.speechSynthesis) { speechSynthesis.getVoices(); speechSynthesis.speak(new SpeechSynthesisUtterance("")); }
  }
  if (btn) { btn.addEventListener("click", enableSound); }
  document.addEventListener("keydown", enableSound);
  if (root.getAttribute("data-sound") === "on") { enableSound(); }

  // ---- stream -------------------------------------------------------------------------------
  var backoff = MIN_BACKOFF, lostAt = Date.now(), ws = null;
  function url() {
    var u = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/halls/" + encodeURIComponent(hallCode) + "/stream";
    return st.seq > 0 ? u + "?since=" + st.seq : u;
  }
  function connect() {
    try { ws = new WebSocket(url()); } catch (e) { retry(); return; }
    var opened = false;
    ws.onopen = function () { opened = true; probe.connected = true; backoff = MIN_BACKOFF; tick(); };
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { ws.close(); return; }
      var calls;
      if (msg.type === "snapshot") {
        calls = applySnapshot(msg.snapshot);
      } else {
        if (msg.seq <= st.seq) { return; }
        if (st.seq > 0 && msg.seq !== st.seq + 1) { ws.close(); return; } // gap: resync with since
        calls = applyEvent(msg);
        if (msg.type === "campus.changed") { st.reconfigured = true; }
        if (msg.waiting || msg.counter || st.reconfigured) { refreshEstimates(); }
      }
      render();
      calls.forEach(announce);
    };
    ws.onclose = function () {
      if (probe.connected || !opened) { lostAt = probe.connected ? Date.now() : lostAt; }
      probe.connected = false;
      tick();
      retry();
    };
  }
  function retry() {
    var pause = backoff / 2 + Math.random() * backoff / 2;
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
    setTimeout(connect, pause);
  }
  tick();
  setInterval(tick, 1000);
  setInterval(refreshEstimates, ESTIMATE_EVERY);
  connect();
})();
