// OneDoor page helpers shared by the pages: DOM helpers that only ever set text (never HTML from
// data), the JSON API with the CSRF header, a hall stream that resumes with since=N, backs off,
// and tells its owner when it is down (so it can poll instead), the labels and the campus time
// zone the server hands the page (its boot block), one time formatter in that zone, and the
// sign-in form of the staff pages. No framework, no CDN.
(function () {
  "use strict";

  /** Returns the element with the id. */
  function $(id) { return document.getElementById(id); }

  /** Sets an element's text (data is never parsed as HTML). */
  function setText(id, v) {
    var e = typeof id === "string" ? $(id) : id;
    if (e) { e.textContent = v === undefined || v === null ? "" : String(v); }
  }

  /** Shows or hides an element. */
  function show(id, on) {
    var e = typeof id === "string" ? $(id) : id;
    if (e) { e.hidden = !on; }
  }

  /** Makes an element with a class and text. */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  /** Makes "中文 <span class=en>English</span>" from a {zh, en} text, as nodes. */
  function bi(parent, t) {
    parent.textContent = "";
    if (!t) { return parent; }
    parent.appendChild(document.createTextNode((t.zh || t.en || "") + " "));
    if (t.en && t.zh) { parent.appendChild(el("span", "en", t.en)); }
    return parent;
  }

  /** Removes every child. */
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } }

  /** Reads a cookie. */
  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].split("=");
      if (kv[0] === name) { return decodeURIComponent(kv.slice(1).join("=")); }
    }
    return "";
  }

  /**
   * Calls the JSON API (extra headers optional). State-changing requests carry the CSRF token from the readable cookie.
   * Resolves with {status, body}; rejects with an Error whose .status and .code come from the
   * server's JSON error (status 0: network).
   */
  function api(method, path, body, headers) {
    var h = { "Accept": "application/json" };
    for (var k in headers || {}) { if (Object.prototype.hasOwnProperty.call(headers, k)) { h[k] = headers[k]; } }
    var form = typeof FormData !== "undefined" && body instanceof FormData; // files: multipart, its own Content-Type
    if (body !== undefined && !form) { h["Content-Type"] = "application/json"; }
    if (method !== "GET") { h["X-CSRF-Token"] = cookie("onedoor_csrf"); }
    return fetch(path, {
      method: method, headers: h, credentials: "same-origin", cache: "no-store",
      body: body === undefined || form ? body : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) { return { status: 204, body: null }; }
      return r.json().catch(function () { return null; }).then(function (b) {
        if (!r.ok) {
          var msg = b && b.error ? b.error.message : "HTTP " + r.status;
          var err = new Error(msg);
          err.status = r.status;
          err.code = b && b.error ? b.error.code : "";
          err.body = b; // the whole JSON error: its field, or every field error of a form
          throw err;
        }
        return { status: r.status, body: b };
      });
    }, function (e) {
      var err = new Error("网络错误 Network error");
      err.status = 0;
      err.cause = e;
      throw err;
    });
  }

  /**
   * Follows a hall's stream: onMessage(msg) for the snapshot and every event, onState(up) when
   * the connection comes up or goes down. It reconnects with since=<last seq> and a growing
   * delay (1 s … 15 s). Returns {close()}.
   */
  function stream(hall, onMessage, onState) {
    var seq = 0, ws = null, delay = 1000, closed = false, timer = null, up = false;
    function setUp(v) { if (v !== up) { up = v; if (onState) { onState(v); } } }
    function connect() {
      if (closed || !window.WebSocket) { setUp(false); return; }
      var u = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
        "/api/v1/halls/" + encodeURIComponent(hall) + "/stream" + (seq ? "?since=" + seq : "");
      try { ws = new WebSocket(u); } catch (e) { retry(); return; }
      ws.onopen = function () { delay = 1000; setUp(true); };
      ws.onmessage = function (m) {
        var msg;
        try { msg = JSON.parse(m.data); } catch (e) { return; }
        if (typeof msg.seq === "number" && msg.seq > seq) { seq = msg.seq; }
        onMessage(msg);
      };
      ws.onclose = function () { ws = null; setUp(false); retry(); };
      ws.onerror = function () { /* onclose follows */ };
    }
    function retry() {
      if (closed) { return; }
      clearTimeout(timer);
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    }
    connect();
    return {
      close: function () { closed = true; clearTimeout(timer); if (ws) { ws.close(); } },
      up: function () { return up; }
    };
  }

  /** Formats seconds as "N 分钟" style minutes (at least 1 while > 0). */
  function minutes(sec) { return Math.max(0, Math.ceil((sec || 0) / 60)); }

  /** Formats a duration in seconds as m:ss or h:mm:ss. */
  function clock(sec) {
    sec = Math.max(0, Math.floor(sec || 0));
    var h = Math.floor(sec / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }

  // ---- what the server hands the page: <script type="application/json" id="onedoor-boot"> ----

  var boot = {};
  try { boot = JSON.parse(($("onedoor-boot") || {}).textContent || "{}") || {}; } catch (e) { boot = {}; }
  var labels = boot.labels || {};

  /**
   * Returns the {zh, en} label of a state or type from the server's catalogue: table is
   * "ticketState", "counterState", "caseState", "caseEvent", "kind", "relation" or "actionDone",
   * key the value the API sent.
   * An unknown key is shown as it is.
   */
  function label(table, key) {
    var t = labels[table] || {};
    return Object.prototype.hasOwnProperty.call(t, key) ? t[key] : { zh: String(key || ""), en: "" };
  }

  /** Returns a label as one line of text: "中文 English". */
  function labelText(table, key) {
    var t = label(table, key);
    return t.en ? t.zh + " " + t.en : t.zh;
  }

  // Every time is shown in the campus zone, whatever the browser's zone.
  var zone = boot.zone || undefined, formats = {};
  function format(locale, opts) {
    var k = locale + JSON.stringify(opts);
    if (!formats[k]) {
      var o = { timeZone: zone };
      for (var n in opts) { if (Object.prototype.hasOwnProperty.call(opts, n)) { o[n] = opts[n]; } }
      try { formats[k] = new Intl.DateTimeFormat(locale, o); } catch (e) { delete o.timeZone; formats[k] = new Intl.DateTimeFormat(locale, o); }
    }
    return formats[k];
  }
  function toDate(v) {
    if (!v) { return null; }
    var d = v instanceof Date ? v : new Date(v);
    return isNaN(d.getTime()) ? null : d;
  }

  /**
   * Formats a time (ISO string or Date) in the campus zone: layout "hh:mm", "hh:mm:ss" or
   * "MM-DD hh:mm" (the default, as the server writes "01-02 15:04") or "YYYY-MM-DD hh:mm:ss".
   * "" for no time.
   */
  function time(v, layout) {
    var d = toDate(v);
    if (!d) { return ""; }
    var p = {};
    format("en-GB", { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
      .formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    var hh = p.hour === "24" ? "00" : p.hour;
    switch (layout) {
    case "hh:mm": return hh + ":" + p.minute;
    case "hh:mm:ss": return hh + ":" + p.minute + ":" + p.second;
    case "YYYY-MM-DD hh:mm:ss": return p.year + "-" + p.month + "-" + p.day + " " + hh + ":" + p.minute + ":" + p.second;
    default: return p.month + "-" + p.day + " " + hh + ":" + p.minute;
    }
  }

  /** Formats a time as HH:MM in the campus zone. */
  function hhmm(v) { return time(v, "hh:mm"); }

  /**
   * Says when a service nobody serves opens (an opensAt time) as read at now (default: the
   * browser's clock), in the campus zone, with the server's "opens" labels: {zh, en} such as
   * "08:30 开始办理" / "opens 08:30", "明天 08:30 开始办理", "12月7日 08:30 开始办理". null without a
   * time, once it has passed, or on a page without those labels.
   */
  function opensText(v, now) {
    var d = toDate(v), n = toDate(now) || new Date(Date.now());
    if (!d || d <= n || !labels.opens) { return null; }
    function ymd(x) {
      var p = {};
      format("en-GB", { year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(x).forEach(function (q) { p[q.type] = q.value; });
      return Date.UTC(+p.year, +p.month - 1, +p.day);
    }
    var days = Math.round((ymd(d) - ymd(n)) / 86400000);
    var l = labels.opens[days === 0 ? "today" : days === 1 ? "tomorrow" : "date"];
    if (!l) { return null; }
    var parts = {};
    format("en-US", { month: "numeric", day: "numeric" }).formatToParts(d).forEach(function (q) { parts[q.type] = q.value; });
    var mon = format("en-US", { month: "short" }).format(d);
    function fill(s) {
      return String(s || "").replace("{time}", hhmm(d)).replace("{month}", parts.month).replace("{day}", parts.day).replace("{mon}", mon);
    }
    return { zh: fill(l.zh), en: fill(l.en) };
  }

  /** The campus date of a time, in both languages: "2026年12月3日 星期四 · Thu 3 Dec". */
  function dateLine(v) {
    var d = toDate(v);
    if (!d) { return ""; }
    return format("zh-CN", { year: "numeric", month: "long", day: "numeric" }).format(d) + " " +
      format("zh-CN", { weekday: "long" }).format(d) + " · " +
      format("en-GB", { weekday: "short", day: "numeric", month: "short" }).format(d).replace(",", "");
  }

  // ---- the sign-in form of the staff pages (the "login" partial) ----

  /**
   * Wires the sign-in form: POST /api/v1/session, then GET /api/v1/me, and signedIn(me) (which
   * may return a promise). A failure is shown in #login-error.
   */
  function login(signedIn) {
    var form = $("login-form");
    if (!form) { return; }
    var cas = $("login-cas");
    if (cas && boot.casStaff) { // staff sign-in by the campus sign-on (统一身份认证), back to this page
      cas.href = "/auth/cas/staff?next=" + encodeURIComponent(location.pathname + location.search);
      cas.hidden = false;
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var b = $("login-btn");
      b.disabled = true;
      show("login-error", false);
      api("POST", "/api/v1/session", { username: $("username").value.trim(), password: $("password").value }).then(function () {
        $("password").value = "";
        return api("GET", "/api/v1/me");
      }).then(function (r) { return signedIn(r.body); }).catch(function (e) {
        setText("login-error", e.status === 401 ? "用户名或密码错误 Wrong username or password" : "登录失败 Sign-in failed: " + e.message);
        show("login-error", true);
      }).then(function () { b.disabled = false; });
    });
  }

  /** Shows a sign-in problem (an account that cannot use the page) under the form. */
  function loginError(msg) {
    setText("login-error", msg);
    show("login-error", !!msg);
  }

  /** Wires the sign-out button #logout: DELETE /api/v1/session, then done() whatever the answer. */
  function logout(done) {
    var b = $("logout");
    if (!b) { return; }
    b.addEventListener("click", function () {
      api("DELETE", "/api/v1/session").catch(function () { return null; }).then(function () { done(); });
    });
  }

  /**
   * The files of a message as a list: photos as thumbnails, PDFs as links, each opening in a new
   * tab; urlOf(a) gives a file's URL (the follow API or the staff API), label the list's
   * aria-label when given.
   */
  function thumbs(list, urlOf, label) {
    var ul = el("ul", "thumbs");
    if (label) { ul.setAttribute("aria-label", label); }
    list.forEach(function (a) {
      var url = urlOf(a), photo = a.type.indexOf("image/") === 0;
      var li = el("li"), link = el("a", photo ? "photo" : "doc");
      link.href = url;
      link.target = "_blank";
      link.rel = "noopener";
      link.title = a.name;
      if (photo) {
        var img = el("img");
        img.src = url;
        img.alt = a.name;
        img.loading = "lazy";
        link.appendChild(img);
      } else {
        link.textContent = "PDF · " + a.name;
      }
      li.appendChild(link);
      ul.appendChild(li);
    });
    return ul;
  }

  /**
   * What a staff page says of a device alert: the device's name (as its administrator typed it,
   * or its role and ID) and the fault, Chinese first, English second (the deviceAlert and
   * deviceRole labels).
   */
  function alertText(a) {
    var role = label("deviceRole", a.role);
    var name = a.name || (role.zh + " " + a.device);
    var key = a.kind === "printer" && a.detail ? "printer." + a.detail : a.kind;
    var t = label("deviceAlert", key);
    var n = String(a.pending || 0);
    return { name: name, zh: t.zh.replace("{n}", n), en: (t.en || "").replace("{n}", n), role: role.en };
  }

  /**
   * What a staff page says of a visit rating (a visit.rated event's rated, a snapshot's
   * lowRatings): the ticket and counter, the staff member, the stars with their step of the
   * government-service scale and the reason, Chinese first, English second (the "rate" labels).
   * The comment is the rater's own words, shown as text.
   */
  function ratedText(rv) {
    function fill(s) {
      return String(s || "").replace("{n}", rv.number || "").replace("{counter}", String(rv.counter || "")).replace("{stars}", String(rv.stars || ""));
    }
    var line = label("rate", "lowLine"), stars = label("rate", "stars"), step = label("rate", "star." + rv.stars);
    var zh = [fill(line.zh)], en = [fill(line.en)];
    if (rv.staff) { zh.push(rv.staff); en.push(rv.staff); }
    zh.push(fill(stars.zh) + " " + step.zh);
    en.push(fill(stars.en) + " " + step.en);
    if (rv.reason) { var r = label("rate", "reason." + rv.reason); zh.push(r.zh); en.push(r.en); }
    return { zh: zh.join(" · "), en: en.join(" · "), comment: rv.comment || "", at: time(rv.at, "hh:mm") };
  }

  window.OneDoor = { $: $, setText: setText, show: show, el: el, bi: bi, clear: clear, cookie: cookie,
    api: api, stream: stream, minutes: minutes, clock: clock, labels: labels, label: label, labelText: labelText,
    time: time, hhmm: hhmm, opensText: opensText, dateLine: dateLine, login: login, loginError: loginError, logout: logout,
    thumbs: thumbs, alertText: alertText, ratedText: ratedText };
}());
