// Counter-side rating page (/rate/{counter}): a tablet at the counter, facing the person served.
// It signs in with the tablet's device token (given once as #token=… or typed, kept in
// localStorage and sent as a bearer token) or a staff session, follows the hall stream (the
// public view: no rating text of anybody), and asks about the visit the counter has just
// finished: 1–5 stars on the government-service scale, an optional preset reason and remark.
// One rating per visit, counted with the follow page's (the server answers 409 to a second).
// After a rating it thanks and waits for the next finished visit. Every word comes from the
// label catalogue ("rate"), Chinese first, English second.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$, el = O.el;
  var counter = parseInt($("rate").getAttribute("data-counter"), 10);
  var tokenKey = "onedoor.rater.token";
  // The preset reasons (hall.VisitReasons), by what they praise or blame: the page offers the
  // ones that fit the stars picked.
  var good = ["quick", "friendly", "clear"], bad = ["wait_long", "unclear", "attitude", "not_solved", "materials"];
  var st = { hall: "", token: "", visit: null, stars: 0, reason: "", skipped: "", thanking: false, timer: null, refreshT: null, stream: null };

  function L(key) { return O.label("rate", key); }
  function fill(t, v) {
    function f(s) { return String(s || "").replace("{n}", v.n || "").replace("{counter}", String(counter)); }
    return { zh: f(t.zh), en: f(t.en) };
  }
  function bi(id, t) { O.bi(typeof id === "string" ? $(id) : id, t); }
  function headers() { return st.token ? { "Authorization": "Bearer " + st.token } : {}; }
  function api(method, path, body) { return O.api(method, path, body, headers()); }

  function screen(name) {
    ["signin", "denied", "wait", "ask", "thanks"].forEach(function (s) { O.show("screen-" + s, s === name); });
  }

  // ---- signing in ----

  function readToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash || "");
    if (m) {
      try { localStorage.setItem(tokenKey, decodeURIComponent(m[1])); } catch (e) { /* private mode */ }
      st.token = decodeURIComponent(m[1]);
      history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar
      return;
    }
    try { st.token = localStorage.getItem(tokenKey) || ""; } catch (e) { st.token = ""; }
  }

  function start() {
    return api("GET", "/api/v1/me").then(function (r) {
      var me = r.body, q = /[?&]hall=([^&]+)/.exec(location.search);
      st.hall = q ? decodeURIComponent(q[1]) : (me.halls && me.halls[0]) || "";
      if (st.hall) { return null; }
      return api("GET", "/api/v1/halls").then(function (h) { st.hall = h.body.halls.length ? h.body.halls[0].code : ""; });
    }).then(function () {
      var w = fill(L("counter"), {});
      O.setText("where", w.zh + " · " + w.en + " · " + st.hall);
      follow();
      return refresh();
    }, function (e) {
      if (e.status === 401) {
        if (st.token) { try { localStorage.removeItem(tokenKey); } catch (x) { /* private mode */ } st.token = ""; }
        screen("signin");
        return;
      }
      showError(e);
    });
  }

  function follow() {
    if (st.stream) { st.stream.close(); }
    st.stream = O.stream(st.hall, onStream, function (up) {
      $("conn").className = "conn" + (up ? " up" : "");
      clearInterval(st.poll);
      st.poll = up ? null : setInterval(refresh, 5000);
    });
  }

  // ---- the visit ----

  function onStream(msg) {
    var t = msg.ticket, c = msg.counter;
    if (msg.type === "snapshot" || msg.type === "hall.day_reset" || (t && t.counter === counter) || (c && c.number === counter)) {
      clearTimeout(st.refreshT);
      st.refreshT = setTimeout(refresh, 80);
    }
  }

  function refresh() {
    if (!st.hall) { return Promise.resolve(); }
    return api("GET", "/api/v1/halls/" + encodeURIComponent(st.hall) + "/counter-ratings/" + counter).then(function (r) {
      st.visit = r.body.visit;
      if (!st.thanking) { render(); }
    }, showError);
  }

  function render() {
    var v = st.visit;
    if (v && v.state === "done" && !v.rated && st.skipped !== v.number) {
      if (screenShown() !== "ask" || $("screen-ask").getAttribute("data-ticket") !== v.number) { ask(v); }
      return;
    }
    var line = v && v.state !== "done" ? fill(L("serving"), { n: v.number }) : L("waiting");
    O.setText("wait-line", line.zh);
    O.setText("wait-en", line.en);
    screen("wait");
  }

  function screenShown() {
    var names = ["signin", "denied", "wait", "ask", "thanks"];
    for (var i = 0; i < names.length; i++) { if (!$("screen-" + names[i]).hidden) { return names[i]; } }
    return "";
  }

  function ask(v) {
    st.stars = 0;
    st.reason = "";
    $("comment").value = "";
    $("screen-ask").setAttribute("data-ticket", v.number);
    bi("ask-line", fill(L("ask"), { n: v.number }));
    drawStars();
    O.show("reasons-box", false);
    O.show("ask-error", false);
    $("submit").disabled = true;
    screen("ask");
  }

  function drawStars() {
    var box = $("stars");
    O.clear(box);
    [5, 4, 3, 2, 1].forEach(function (n) {
      var b = el("button", "star" + (n <= 2 ? " bad" : ""));
      b.type = "button";
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", String(st.stars === n));
      b.setAttribute("data-stars", String(n));
      var t = L("star." + n);
      b.appendChild(el("span", "icons", new Array(n + 1).join("★")));
      b.appendChild(el("span", "zh", t.zh));
      b.appendChild(el("span", "en", t.en));
      b.addEventListener("click", function () { pick(n); });
      box.appendChild(b);
    });
  }

  function pick(n) {
    st.stars = n;
    st.reason = "";
    drawStars();
    var box = $("reasons");
    O.clear(box);
    (n >= 4 ? good : n <= 2 ? bad : good.concat(bad)).forEach(function (code) {
      var b = el("button", "reason");
      b.type = "button";
      b.setAttribute("data-reason", code);
      b.setAttribute("aria-pressed", "false");
      bi(b, L("reason." + code));
      b.addEventListener("click", function () {
        st.reason = st.reason === code ? "" : code;
        box.querySelectorAll(".reason").forEach(function (x) { x.setAttribute("aria-pressed", String(x.getAttribute("data-reason") === st.reason)); });
      });
      box.appendChild(b);
    });
    O.show("reasons-box", true);
    $("submit").disabled = false;
  }

  function submit() {
    var v = st.visit;
    if (!v || !st.stars) { return; }
    $("submit").disabled = true;
    var body = { ticket: v.number, stars: st.stars };
    if (st.reason) { body.reason = st.reason; }
    var c = $("comment").value.trim();
    if (c) { body.comment = c; }
    api("POST", "/api/v1/halls/" + encodeURIComponent(st.hall) + "/counter-ratings/" + counter, body).then(function () {
      v.rated = true;
      thank(L("thanks"));
    }, function (e) {
      if (e.status === 409) { v.rated = true; thank(L("rated")); return; }
      $("submit").disabled = false;
      showError(e);
    });
  }

  function thank(t) {
    st.thanking = true;
    bi("thanks", t);
    screen("thanks");
    clearTimeout(st.timer);
    st.timer = setTimeout(function () { st.thanking = false; refresh(); }, 4000);
  }

  function showError(e) {
    if (e.status === 403) { bi("denied", L("denied")); screen("denied"); return; }
    var t = L("failed");
    O.setText("ask-error", t.zh + " " + t.en + ": " + e.message);
    O.show("ask-error", true);
  }

  // ---- wiring ----

  bi("title", fill(L("title"), {}));
  O.setText("where", "");
  bi("signin-hint", L("signin"));
  bi("token-label", L("token"));
  bi("token-use", L("use"));
  bi("submit", L("submit"));
  bi("skip", L("skip"));
  bi("reason-label", L("reason"));
  bi("comment-label", L("comment"));
  document.title = fill(L("counter"), {}).zh + " · " + L("title").zh;
  $("submit").addEventListener("click", submit);
  $("skip").addEventListener("click", function () { if (st.visit) { st.skipped = st.visit.number; } render(); });
  $("token-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    st.token = $("token").value.trim();
    $("token").value = "";
    try { localStorage.setItem(tokenKey, st.token); } catch (e) { /* private mode */ }
    start();
  });
  O.login(function () { st.token = ""; return start(); });
  readToken();
  start();

  // For the browser tests: the screen shown.
  window.onedoorRate = { screen: screenShown };
}());
