// The thread's people and time (team and portal): consecutive messages from one person grouped,
// a separator for each day, and relative times ("5 min ago") with the exact time on hover and
// focus, all in the viewer's time zone. It re-runs whenever the list changes, so messages that
// arrive live, load earlier or are edited get the same treatment as the first page.
(function () {
  "use strict";
  var list = document.getElementById("thread-list");
  var T = window.casedeskTime;
  if (!list || !T) return;
  var GROUP_SECONDS = 10 * 60;  // a pause longer than this starts a new group, as in most chat apps

  function when(article) {
    var t = article.querySelector("time.msg-time");
    return t ? new Date(t.getAttribute("datetime")) : null;
  }
  function separator(date) {
    var row = document.createElement("div");
    row.className = "thread-day";
    var label = document.createElement("time");
    label.setAttribute("datetime", T.dayKey(date));
    label.textContent = T.dayLabel(date);
    row.appendChild(label);
    return row;
  }
  function times() {
    list.querySelectorAll("time.msg-time").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      var exact = T.exact(d);
      // Seen: "5 min ago" (the exact time on hover or focus, by CSS); heard: both.
      var rel = document.createElement("span");
      rel.className = "msg-time-relative";
      rel.textContent = T.relative(d);
      var heard = document.createElement("span");
      heard.className = "visually-hidden";
      heard.textContent = ", " + exact;
      t.replaceChildren(rel, heard);
      t.dataset.exact = exact;
      t.title = exact + (T.zone ? " (" + T.zone + ")" : "");
    });
  }
  function decorate() {
    observer.disconnect();
    list.querySelectorAll(".thread-day").forEach(function (el) { el.remove(); });
    var prev = null, prevDate = null;
    list.querySelectorAll("article.msg").forEach(function (article) {
      var date = when(article);
      if (!date || isNaN(date.getTime())) { prev = article; return; }
      var newDay = !prevDate || T.dayKey(prevDate) !== T.dayKey(date);
      if (newDay) article.before(separator(date));
      var grouped = !newDay && prev !== null &&
        prev.dataset.author === article.dataset.author &&
        prev.classList.contains("msg-internal") === article.classList.contains("msg-internal") &&
        (date.getTime() - prevDate.getTime()) / 1000 <= GROUP_SECONDS;
      article.classList.toggle("msg-grouped", grouped);
      prev = article; prevDate = date;
    });
    times();
    observer.observe(list, { childList: true });
  }
  // A thumbnail the server could not make (a damaged PDF or image): the chip without it.
  list.addEventListener("error", function (e) {
    var img = e.target;
    if (img && img.classList && img.classList.contains("msg-thumb")) (img.closest(".file-thumb") || img).remove();
  }, true);
  var observer = new MutationObserver(decorate);
  decorate();
  // "5 min ago" moves on, and "Today" becomes "Yesterday" at midnight.
  setInterval(decorate, 30 * 1000);
})();
