// OneDoor page helpers shared by the counter console and the follow page: DOM helpers that only
// ever set text (never HTML from data), the JSON API with the CSRF header, and a hall stream that
// resumes with since=N, backs off, and tells its owner when it is down (so it can poll instead).
// No framework, no CDN.
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
    if (body !== undefined) { h["Content-Type"] = "application/json"; }
    if (method !== "GET") { h["X-CSRF-Token"] = cookie("onedoor_csrf"); }
    return fetch(path, {
      method: method, headers: h, credentials: "same-origin", cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.status === 204) { return { status: 204, body: null }; }
      return r.json().catch(function () { return null; }).then(function (b) {
        if (!r.ok) {
          var msg = b && b.error ? b.error.message : "HTTP " + r.status;
          var err = new Error(msg);
          err.status = r.status;
          err.code = b && b.error ? b.error.code : "";
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

  /** Formats a time as HH:MM in the browser's zone (the hall's, on its own devices). */
  function hhmm(iso) {
    if (!iso) { return ""; }
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" + (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }

  window.OneDoor = { $: $, setText: setText, show: show, el: el, bi: bi, clear: clear, cookie: cookie,
    api: api, stream: stream, minutes: minutes, clock: clock, hhmm: hhmm };
}());
