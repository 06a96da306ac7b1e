// The notifications page: "5 min ago" for each notification's time, with the exact time on hover
// and for screen readers, through the same formatter as the thread (window.casedeskTime).
(function () {
  "use strict";
  var T = window.casedeskTime;
  if (!T) return;
  function times() {
    document.querySelectorAll("time.notif-time").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      var exact = T.exact(d);
      var rel = document.createElement("span");
      rel.textContent = T.relative(d);
      var heard = document.createElement("span");
      heard.className = "visually-hidden";
      heard.textContent = ", " + exact;
      t.replaceChildren(rel, heard);
      t.title = exact + (T.zone ? " (" + T.zone + ")" : "");
    });
  }
  times();
  setInterval(times, 30 * 1000);
})();
