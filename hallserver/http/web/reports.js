// Queue reports page: sign in and out. The form, the table and the charts are drawn on the
// server (charts are SVG).
(function () {
  "use strict";
  var O = window.OneDoor;
  function reload() { location.reload(); }
  O.login(reload);
  O.logout(reload);
  window.onedoorReports = { ready: true };
}());
