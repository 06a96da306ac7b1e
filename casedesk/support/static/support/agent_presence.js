// A support conversation's team page: "<visitor> is typing…" under the transcript, and the
// agent's own typing sent to the visitor's widget. One socket, /ws/support/agent/ (session
// auth, team of the conversation's agency only); the server checks access and throttles.
(function () {
  "use strict";
  var chat = document.getElementById("support-chat");
  var transcript = document.getElementById("transcript");
  if (!chat || !transcript || !("WebSocket" in window)) return;
  var id = chat.dataset.conversation;
  var socket = null, delay = 1000;

  var indicator = document.createElement("p");
  indicator.className = "typing-indicator";
  indicator.id = "support-typing";
  indicator.setAttribute("role", "status");
  indicator.setAttribute("aria-live", "polite");
  indicator.hidden = true;
  transcript.after(indicator);
  var hideTimer = null;
  function show(p) {
    if (String(p.conversation) !== id || !p.name) return;
    indicator.textContent = p.name + " is typing…";
    indicator.hidden = false;
    clearTimeout(hideTimer);
    hideTimer = setTimeout(function () { indicator.hidden = true; }, Math.min(Number(p.expires) || 6, 15) * 1000);
  }
  // The transcript refreshes every few seconds; a new line ends the visitor's "typing".
  transcript.addEventListener("htmx:afterSwap", function () {
    var count = transcript.querySelectorAll("li").length;
    if (count !== Number(transcript.dataset.lines || count)) indicator.hidden = true;
    transcript.dataset.lines = String(count);
  });

  function connect() {
    var scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + location.host + "/ws/support/agent/?conversation=" + encodeURIComponent(id));
    socket.onopen = function () { delay = 1000; chat.dataset.presence = "on"; };
    socket.onmessage = function (e) {
      var data; try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.event === "typing") show(data.payload || {});
    };
    socket.onclose = function (e) {
      chat.dataset.presence = "off";
      if (e.code === 4404) return; // no access: nothing to listen to
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  connect();

  var input = document.getElementById("reply-body");
  var lastSent = 0;
  if (input) input.addEventListener("input", function () {
    if (!input.value.trim() || Date.now() - lastSent < 3000) return;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    lastSent = Date.now();
    socket.send(JSON.stringify({ type: "typing" }));
  });
})();
