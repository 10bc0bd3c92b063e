// my.js: the requester's page /my (identity.go). The list is drawn on the server; the script
// signs in inside the WeChat Work app and signs out: DELETE /api/v1/me/requester, then the page.
(function () {
  "use strict";
  // Inside the WeChat Work app, sign in without a tap (once per tab: a refused sign-in does not
  // loop).
  var wecom = document.getElementById("signin-wecom");
  if (wecom && /wxwork/i.test(navigator.userAgent) && !sessionStorage.getItem("onedoor-wecom-tried")) {
    sessionStorage.setItem("onedoor-wecom-tried", "1");
    location.replace(wecom.href);
    return;
  }
  var b = document.getElementById("signout");
  if (!b) { return; }
  b.addEventListener("click", function () {
    b.disabled = true;
    fetch("/api/v1/me/requester", { method: "DELETE", credentials: "same-origin" })
      .catch(function () { return null; })
      .then(function () { location.replace("/my"); });
  });
})();
