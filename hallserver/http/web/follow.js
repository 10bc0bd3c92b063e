// Follow page: poll the follow API every 5 s and update the page. No framework, no CDN.
(function () {
  "use strict";
  var root = document.getElementById("follow");
  if (!root) { return; }
  var token = root.getAttribute("data-token");
  var api = "/api/v1/follow/" + encodeURIComponent(token);
  var states = {
    waiting: ["排队中", "Waiting"],
    called: ["请到窗口办理", "Called: please go to the counter"],
    serving: ["办理中", "Being served"],
    parked: ["暂挂，请留意叫号", "On hold: listen for your number"],
    done: ["已办结", "Done"],
    no_show: ["过号", "Missed"],
    cancelled: ["已取消", "Cancelled"]
  };
  function $(id) { return document.getElementById(id); }
  function setText(id, v) { var e = $(id); if (e) { e.textContent = String(v); } }
  function show(id, on) { var e = $(id); if (e) { e.hidden = !on; } }
  function render(f) {
    var st = states[f.state] || [f.state, ""];
    var el = $("state");
    el.className = "state state-" + f.state;
    el.textContent = st[0] + " ";
    var en = document.createElement("span");
    en.className = "en";
    en.textContent = st[1];
    el.appendChild(en);
    setText("ahead", f.position);
    setText("eta", Math.ceil((f.etaSeconds || 0) / 60));
    setText("counter", f.counter || "");
    show("row-ahead", f.state === "waiting");
    show("row-eta", f.state === "waiting");
    show("row-counter", !!f.counter && (f.state === "called" || f.state === "serving"));
    var open = f.state === "waiting" || f.state === "called" || f.state === "serving" || f.state === "parked";
    show("cancel", open && f.state !== "called" && f.state !== "serving");
    setText("status", "");
    return open;
  }
  var timer = null;
  function poll() {
    fetch(api, { cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (f) {
      if (render(f)) { timer = setTimeout(poll, 5000); }
    }).catch(function () {
      setText("status", "网络不稳定，正在重试… Reconnecting…");
      timer = setTimeout(poll, 5000);
    });
  }
  var btn = $("cancel");
  if (btn) {
    btn.addEventListener("click", function () {
      if (!window.confirm("确定取消排队吗？ Leave the queue?")) { return; }
      fetch(api + "/cancel", { method: "POST" }).then(function (r) { return r.json(); })
        .then(function (f) { if (f && f.state) { render(f); } })
        .catch(function () { setText("status", "取消失败，请重试 Could not cancel, try again"); });
    });
  }
  timer = setTimeout(poll, 5000);
}());
