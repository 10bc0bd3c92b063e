// The public portal (/ask): a consultation, complaint or suggestion without a login. As the
// person types, the router's suggested departments are shown (GET /api/v1/ask/suggest) and may be
// picked ("@相关部门"); POST /api/v1/ask sends it (multipart when files are attached); the answer
// shows the case number, the follow link and its QR code. Every word comes from the catalogue.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$;
  var form = $("ask-form"), text = $("ask-text"), dept = $("ask-dept");
  var timer = null, asked = "", seq = 0;
  var minText = parseInt(text.getAttribute("minlength"), 10) || 1;
  function P(key) { return O.label("portal", key); }

  function error(t) {
    var e = $("ask-error");
    if (!t) { e.hidden = true; return; }
    O.bi(e, t);
    e.hidden = false;
  }

  // The suggestion: the first department and the alternatives as chips; a chip picks it in the
  // department list, the list's choice shows as the pressed chip.
  function chip(code, name) {
    var b = O.el("button");
    b.type = "button";
    b.dataset.dept = code;
    O.bi(b, name);
    b.setAttribute("aria-pressed", String(dept.value === code));
    b.addEventListener("click", function () {
      dept.value = dept.value === code ? "" : code;
      pressed();
    });
    return b;
  }
  function pressed() {
    var bs = $("suggest-list").querySelectorAll("button");
    for (var i = 0; i < bs.length; i++) { bs[i].setAttribute("aria-pressed", String(bs[i].dataset.dept === dept.value)); }
  }
  function suggest() {
    var t = text.value.trim();
    if (t.length < 4 || t === asked) { return; }
    asked = t;
    var my = ++seq;
    O.api("GET", "/api/v1/ask/suggest?text=" + encodeURIComponent(t.slice(0, 500))).then(function (r) {
      if (my !== seq) { return; }
      var s = r.body, list = $("suggest-list");
      O.clear(list);
      if (!s.department || s.department === "office") { $("suggest").hidden = true; return; }
      O.bi($("suggest-title"), P("suggested"));
      list.appendChild(chip(s.department, s.departmentName));
      (s.alternatives || []).forEach(function (a) {
        if (a.department !== "office") { list.appendChild(chip(a.department, a.departmentName)); }
      });
      $("suggest").hidden = false;
    }).catch(function () { /* a suggestion is a help, not a step: leave the list as it is */ });
  }
  text.addEventListener("input", function () {
    O.setText("ask-count", text.value.length);
    clearTimeout(timer);
    timer = setTimeout(suggest, 400);
  });
  dept.addEventListener("change", pressed);

  function body() {
    var kind = form.querySelector("input[name=kind]:checked");
    var b = { kind: kind ? kind.value : "consultation", text: text.value.trim(), lang: navigator.language || "zh" };
    if (dept.value) { b.department = dept.value; }
    var c = { name: $("ask-name").value.trim(), phone: $("ask-phone").value.trim(), number: $("ask-number").value.trim() };
    if (c.name || c.phone || c.number) { b.contact = c; }
    if ($("ask-anon").checked) { b.anonymous = true; }
    if ($("ask-website").value) { b.website = $("ask-website").value; }
    return b;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    error(null);
    if (text.value.trim().length < minText) { error(P("tooShort")); text.focus(); return; }
    var files = $("ask-files").files, b = body(), send = b;
    if (files && files.length > 5) { error(O.label("files", "tooMany")); return; }
    if (files && files.length) {
      send = new FormData();
      send.append("request", JSON.stringify(b));
      for (var i = 0; i < files.length; i++) { send.append("files", files[i]); }
    }
    var btn = $("ask-send");
    btn.disabled = true;
    O.api("POST", "/api/v1/ask", send).then(function (r) {
      var c = r.body;
      O.bi($("done-title"), P("sent"));
      O.setText("done-number", c.number);
      var box = $("done-qr-box"), img = O.el("img");
      O.clear(box);
      img.id = "done-qr";
      img.alt = O.labelText("portal", "qr");
      img.width = 256;
      img.height = 256;
      img.src = c.qrUrl;
      box.appendChild(img);
      var a = $("done-link");
      a.href = c.followUrl;
      a.textContent = c.followUrl;
      form.hidden = true;
      $("done").hidden = false;
      window.scrollTo(0, 0);
    }, function (e) {
      if (e.status === 429) { error(P("tooMany")); return; }
      if (e.status === 409) { error(P("duplicate")); return; }
      if (e.status === 401) { error(P("identity")); return; }
      var f = P("failed");
      error({ zh: f.zh + "：" + e.message, en: f.en });
    }).then(function () { btn.disabled = false; });
  });

  $("done-again").addEventListener("click", function () {
    form.reset();
    asked = "";
    O.setText("ask-count", 0);
    $("suggest").hidden = true;
    $("done").hidden = true;
    form.hidden = false;
  });

  window.onedoorAsk = { suggest: suggest };
}());
