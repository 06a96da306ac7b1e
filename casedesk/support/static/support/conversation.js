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

// Files in the agent's reply (issue 16 §2): composer-files.js shows the chips (name, size,
// remove, progress); a reply with files is sent through it, and the server's one size rule
// answers with its sentence, shown here with the text and the files kept.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var picker = window.casedeskComposerFiles;
  if (!form || !picker) return;
  var error = document.getElementById("composer-error");
  var send = document.getElementById("composer-send");
  var body = document.getElementById("reply-body");
  function showError(text) { error.textContent = text; error.hidden = !text; }
  // The server's casedesk.lib.files.human_size ("25 MB", "31.2 MB"): the same sentence as the server's.
  function humanSize(n) {
    if (n < 1024) return n + (n === 1 ? " byte" : " bytes");
    var units = ["KB", "MB", "GB", "TB"], v = n, u = -1;
    do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
    return v.toFixed(1).replace(/\.0$/, "") + " " + units[u];
  }
  function tooLarge(file, max) {
    var shown = humanSize(file.size), limit = humanSize(max);
    return "“" + file.name + "” is " + (shown === limit ? "just over " + limit : shown) + "; the limit is " + limit + " per file. Nothing was sent: remove that file (or share a link to it) and send again.";
  }
  form.addEventListener("submit", function (e) {
    var files = picker.files();
    if (!files.length) return;  // text only: the plain form post, as before
    e.preventDefault();
    showError("");
    var max = Number(form.dataset.maxBytes || 0);
    for (var i = 0; i < files.length; i++) {
      if (max && files[i].size > max) { showError(tooLarge(files[i], max)); return; }
    }
    send.disabled = true;
    picker.send(form.action, new FormData(form), { Accept: "application/json" }).then(function (res) {
      send.disabled = false;
      if (res.aborted) return;
      if (!res.ok) { showError((res.data && res.data.error) || "The reply could not be sent. Try again."); return; }
      body.value = "";
      picker.clear();
      if (window.htmx) window.htmx.trigger(document.getElementById("transcript"), "refresh");
      body.focus();
    });
  });
})();
