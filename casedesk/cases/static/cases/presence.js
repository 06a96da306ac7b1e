// Presence on a case thread (team and portal): typing indicators and seen receipts.
// Typing goes over the live socket (casedeskLive.typing); the server decides who hears it, and an
// internal note's typing never reaches a client. Seen state: the page posts "seen up to id N"
// while the tab is visible, and shows what the server says (team: which client contacts saw each
// client-visible message; client: "Seen by the team" on their own last message).
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  var list = document.getElementById("thread-list");
  if (!thread || !list || !window.casedeskLive) return;
  var live = window.casedeskLive;
  var caseId = thread.dataset.case;
  var seenUrl = thread.dataset.seenUrl;
  var isTeam = thread.dataset.audience === "team";
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var SEND_EVERY_MS = 3000;

  // --- Typing: send -----------------------------------------------------------------------
  var body = document.getElementById("composer-body");
  var internal = document.getElementById("composer-internal");
  var lastSent = { reply: 0, note: 0 };
  if (body) {
    body.addEventListener("input", function () {
      if (!body.value.trim()) return;
      // On the team side the mode follows the "Internal only" box; clients have no such box.
      var isNote = !!(internal && internal.checked);
      var mode = isNote ? "note" : "reply";
      var now = Date.now();
      if (now - lastSent[mode] < SEND_EVERY_MS) return;
      lastSent[mode] = now;
      live.typing(caseId, isNote);
    });
  }

  // --- Typing: show -----------------------------------------------------------------------
  var indicator = document.createElement("p");
  indicator.className = "typing-indicator";
  indicator.id = "thread-typing";
  indicator.setAttribute("role", "status");
  indicator.setAttribute("aria-live", "polite");
  indicator.hidden = true;
  list.after(indicator);
  var typers = {}; // key -> { name, internal, until }
  var timer = null;

  function names(items) {
    if (items.length === 1) return items[0];
    return items.slice(0, -1).join(", ") + " and " + items[items.length - 1];
  }
  function renderTyping() {
    var now = Date.now(), replying = [], noting = [];
    Object.keys(typers).forEach(function (k) {
      var t = typers[k];
      if (t.until <= now) { delete typers[k]; return; }
      (t.internal ? noting : replying).push(t.name);
    });
    var parts = [];
    if (replying.length) parts.push(names(replying) + (replying.length > 1 ? " are typing…" : " is typing…"));
    if (noting.length) parts.push(names(noting) + (noting.length > 1 ? " are writing an internal note…" : " is writing an internal note…"));
    indicator.textContent = parts.join(" ");
    indicator.hidden = !parts.length;
    clearTimeout(timer);
    if (parts.length) timer = setTimeout(renderTyping, 1000);
  }
  live.on("typing", function (p) {
    if (String(p.case) !== caseId || !p.name) return;
    var expires = Math.min(Number(p.expires) || 6, 15) * 1000;
    typers[(p.internal ? "n:" : "r:") + p.side + ":" + p.name] = { name: p.name, internal: !!p.internal, until: Date.now() + expires };
    renderTyping();
  });
  // A message from someone ends their "typing"; the new message says the rest.
  live.on("message.created", function (p) { if (String(p.case) === caseId) { typers = {}; renderTyping(); } });

  // --- Seen: mark -------------------------------------------------------------------------
  function newestId() {
    var ids = Array.prototype.map.call(list.querySelectorAll("article.msg[data-id]"), function (a) { return Number(a.dataset.id); });
    return ids.length ? Math.max.apply(null, ids) : 0;
  }
  var markedUpTo = 0, markTimer = null;
  function markSeen() {
    clearTimeout(markTimer);
    markTimer = setTimeout(function () {
      if (document.visibilityState !== "visible") return;
      var upTo = newestId();
      if (!upTo || upTo <= markedUpTo) return;
      markedUpTo = upTo;
      var data = new FormData();
      data.append("up_to", String(upTo));
      fetch(seenUrl, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
        .catch(function () { markedUpTo = 0; });
    }, 400);
  }

  // --- Seen: show -------------------------------------------------------------------------
  function setSeenLine(article, text, title) {
    var line = article.querySelector(".msg-seen");
    if (!text) { if (line) line.remove(); return; }
    if (!line) { line = document.createElement("p"); line.className = "msg-seen"; article.appendChild(line); }
    line.textContent = text;
    if (title) line.title = title; else line.removeAttribute("title");
  }
  var loading = false, loadAgain = false;
  function loadSeen() {
    if (loading) { loadAgain = true; return; }
    loading = true;
    var url = seenUrl;
    if (isTeam) {
      var ids = Array.prototype.map.call(list.querySelectorAll("article.msg[data-id]:not(.msg-internal)"), function (a) { return a.dataset.id; });
      if (!ids.length) { loading = false; return; }
      url += "?ids=" + ids.slice(-200).join(",");
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        if (isTeam) {
          list.querySelectorAll("article.msg[data-id]:not(.msg-internal)").forEach(function (a) {
            var rows = (d.messages || {})[a.dataset.id] || [];
            setSeenLine(a, rows.length ? "Seen by " + rows.map(function (s) { return s.name + " (" + s.label + ")"; }).join(", ") : "");
          });
        } else {
          list.querySelectorAll(".msg-seen").forEach(function (el) { el.remove(); });
          var mine = d.message && document.getElementById("m" + d.message);
          if (mine && d.seen_by_team) setSeenLine(mine, "Seen by the team", d.label ? "Seen " + d.label : "");
        }
      })
      .catch(function () {})
      .finally(function () { loading = false; if (loadAgain) { loadAgain = false; loadSeen(); } });
  }

  var refreshTimer = null;
  function soon() { clearTimeout(refreshTimer); refreshTimer = setTimeout(loadSeen, 300); }
  // New or re-rendered messages (live catch-up, load earlier, edits): mark and refresh.
  new MutationObserver(function (changes) {
    var added = changes.some(function (c) {
      return Array.prototype.some.call(c.addedNodes, function (n) { return n.nodeType === 1 && n.matches("article.msg"); });
    });
    if (added) { markSeen(); soon(); }
  }).observe(list, { childList: true });
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") markSeen(); });
  live.on("seen.changed", function (p) { if (String(p.case) === caseId) soon(); });
  live.on("reconnected", soon);
  markSeen();
  loadSeen();
})();
