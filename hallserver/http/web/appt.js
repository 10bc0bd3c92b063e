// Booking page (/a/{token}): cancel the booking, or move it to another free time of its
// service (the slots API). Text only, never HTML.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$;
  var root = $("appt");
  if (!root) { return; }
  var token = root.getAttribute("data-token") || "";
  var hall = root.getAttribute("data-hall") || "";
  var svc = root.getAttribute("data-service") || "";
  var api = "/api/v1/appointments/" + encodeURIComponent(token);

  function loadSlots() {
    var box = $("slots");
    if (!box) { return; }
    var legend = box.querySelector("legend");
    O.clear(box);
    box.appendChild(legend);
    O.show("slots-none", false);
    O.api("GET", "/api/v1/halls/" + encodeURIComponent(hall) + "/services/" + encodeURIComponent(svc) +
      "/slots?date=" + encodeURIComponent($("day").value)).then(function (r) {
      var any = false;
      (r.body.slots || []).forEach(function (s, i) {
        var lab = O.el("label");
        var inp = O.el("input");
        inp.type = "radio";
        inp.name = "slot";
        inp.value = s.start;
        inp.id = "slot-" + i;
        inp.disabled = s.free <= 0;
        any = any || s.free > 0;
        lab.appendChild(inp);
        lab.appendChild(O.el("span", "", O.hhmm(s.start)));
        box.appendChild(lab);
      });
      if (!any) {
        O.show("slots-none", true);
        O.setText("slots-none", O.labelText("appointment", "none"));
      }
    }, function (e) { O.setText("appt-msg", e.message); });
  }

  if ($("day")) {
    $("day").addEventListener("change", loadSlots);
    loadSlots();
  }
  if ($("move")) {
    $("move").addEventListener("click", function () {
      var slot = document.querySelector("input[name=slot]:checked");
      if (!slot) { O.setText("appt-msg", O.labelText("appointment", "pick")); return; }
      O.api("POST", api + "/reschedule", { start: slot.value }).then(function () {
        window.location.reload();
      }, function (e) { O.setText("appt-msg", e.message); loadSlots(); });
    });
  }
  if ($("cancel")) {
    $("cancel").addEventListener("click", function () {
      O.api("POST", api + "/cancel").then(function () {
        window.location.reload();
      }, function (e) { O.setText("live", e.message); });
    });
  }
  window.onedoorAppt = { reload: loadSlots };
}());
