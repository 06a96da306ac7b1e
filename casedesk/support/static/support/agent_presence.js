// A support conversation's team page: "<visitor> is typing…" under the transcript, and the
// agent's own typing sent to the visitor's widget (the server checks access and throttles).
(function () {
  "use strict";
  var chat = document.getElementById("support-chat");
  var transcript = document.getElementById("transcript");
  var live = window.casedeskLive;
  if (!chat || !transcript || !live) return;
  var id = chat.dataset.conversation;
  live.subscribeConversation(id);

  var indicator = document.createElement("p");
  indicator.className = "typing-indicator";
  indicator.id = "support-typing";
  indicator.setAttribute("role", "status");
  indicator.setAttribute("aria-live", "polite");
  indicator.hidden = true;
  transcript.after(indicator);
  var hideTimer = null;
  live.on("typing", function (p) {
    if (String(p.conversation) !== id || !p.name) return;
    indicator.textContent = p.name + " is typing…";
    indicator.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { indicator.hidden = true; }, Math.min(Number(p.expires) || 6, 15) * 1000);
  });
  // The transcript refreshes every few seconds; a new line ends the visitor's "typing".
  transcript.addEventListener("htmx:afterSwap", function () {
    var count = transcript.querySelectorAll("li").length;
    if (count !== Number(transcript.dataset.lines || count)) indicator.hidden = true;
    transcript.dataset.lines = String(count);
  });

  var input = document.getElementById("reply-body");
  var lastSent = 0;
  if (input) input.addEventListener("input", function () {
    if (!input.value.trim() || Date.now() - lastSent < 3000) return;
    lastSent = Date.now();
    live.typingConversation(id);
  });
})();
