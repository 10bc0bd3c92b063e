// my.js: the requester's page /my (identity.go). The list is drawn on the server; the script
// only signs out: DELETE /api/v1/me/requester, then the page again.
(function () {
  "use strict";
  var b = document.getElementById("signout");
  if (!b) { return; }
  b.addEventListener("click", function () {
    b.disabled = true;
    fetch("/api/v1/me/requester", { method: "DELETE", credentials: "same-origin" })
      .catch(function () { return null; })
      .then(function () { location.replace("/my"); });
  });
})();
