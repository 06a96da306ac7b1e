// The agent's conversation page: the transcript (refreshed by htmx every few seconds) opens at
// the newest message and follows new ones, unless the agent has scrolled up to read.
(function () {
  "use strict";
  var holder = document.getElementById("transcript");
  if (!holder) return;
  function pane() { return holder.querySelector(".support-transcript"); }
  var before = { atBottom: true, top: 0 };
  function toBottom() { var list = pane(); if (list) list.scrollTop = list.scrollHeight; }
  toBottom();
  holder.addEventListener("htmx:beforeSwap", function () {
    var list = pane();
    if (!list) return;
    before = {
      atBottom: list.scrollHeight - list.scrollTop - list.clientHeight < 40,
      top: list.scrollTop
    };
  });
  holder.addEventListener("htmx:afterSwap", function () {
    var list = pane();
    if (!list) return;
    if (before.atBottom) toBottom(); else list.scrollTop = before.top;
  });
})();
