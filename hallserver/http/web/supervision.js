// Supervision page: sign in and out, publish answers on hot topics. Everything else is drawn on
// the server (charts are SVG). Text is only ever set with textContent.
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
  window.onedoorSupervision = { ready: true };
}());
