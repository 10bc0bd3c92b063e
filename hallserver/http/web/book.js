// Booking page (/book): the free times of the chosen service and day from the slots API, the
// booking with a name and a phone, then the booking's page. Text only, never HTML.
(function () {
  "use strict";
  var O = window.OneDoor, $ = O.$;
  var root = $("book");
  var form = $("book-form");
  if (!root || !form) { return; }
  var hall = root.getAttribute("data-hall") || "";

  function service() {
    var c = form.querySelector("input[name=service]:checked");
    return c ? c.value : "";
  }

  // Draws the slots of the chosen service and day as radio buttons (full ones disabled).
  function loadSlots() {
    var box = $("slots");
    var legend = box.querySelector("legend");
    O.clear(box);
    box.appendChild(legend);
    O.show("slots-none", false);
    var path = "/api/v1/halls/" + encodeURIComponent(hall) + "/services/" + encodeURIComponent(service()) +
      "/slots?date=" + encodeURIComponent($("day").value);
    O.api("GET", path).then(function (r) {
      var slots = r.body.slots || [];
      var any = false;
      slots.forEach(function (s, i) {
        var lab = O.el("label");
        var inp = O.el("input");
        inp.type = "radio";
        inp.name = "slot";
        inp.value = s.start;
        inp.id = "slot-" + i;
        inp.disabled = s.free <= 0;
        any = any || s.free > 0;
        var span = O.el("span", "", O.hhmm(s.start) + " ");
        var free = O.labelText("appointment", s.free > 0 ? "free" : "full").replace(/\{n\}/g, String(s.free));
        span.appendChild(O.el("span", "en", free));
        lab.appendChild(inp);
        lab.appendChild(span);
        box.appendChild(lab);
      });
      if (!any) {
        O.show("slots-none", true);
        O.setText("slots-none", O.labelText("appointment", "none"));
      }
    }, function (e) { O.setText("book-msg", e.message); });
  }

  form.addEventListener("change", function (ev) {
    if (ev.target.name === "service" || ev.target.id === "day") { loadSlots(); }
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var slot = form.querySelector("input[name=slot]:checked");
    if (!slot) { O.setText("book-msg", O.labelText("appointment", "pick")); return; }
    $("book-btn").disabled = true;
    O.setText("book-msg", "");
    O.api("POST", "/api/v1/appointments", { hall: hall, service: service(), start: slot.value,
      // signed in with a name: no name field, the server takes it from the sign-in
      name: $("name") ? $("name").value : "", phone: $("phone").value }).then(function (r) {
      window.location.href = "/a/" + encodeURIComponent(r.body.token);
    }, function (e) {
      $("book-btn").disabled = false;
      O.setText("book-msg", O.labelText("appointment", "failed") + ": " + e.message);
      if (e.status === 409) { loadSlots(); }
    });
  });
  loadSlots();
  window.onedoorBook = { reload: loadSlots };
}());
