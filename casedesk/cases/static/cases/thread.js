// The case thread (team and portal): live new messages, load earlier, drafts, send, edit, delete, @ list.
(function () {
  "use strict";
  var thread = document.getElementById("thread");
  var list = document.getElementById("thread-list");
  var form = document.getElementById("composer");
  if (!thread || !list) return;
  var caseId = thread.dataset.case;
  var feedUrl = thread.dataset.feedUrl;
  var messageUrl = function (id) { return thread.dataset.messageUrl.replace(/0\/$/, id + "/"); };
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var status = document.getElementById("thread-status");

  function lastId() {
    var ids = Array.prototype.map.call(list.querySelectorAll("article.msg[data-id]"), function (a) { return Number(a.dataset.id); });
    return ids.length ? Math.max.apply(null, ids) : 0;
  }
  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    return Array.prototype.filter.call(t.content.children, function (el) { return el.matches("article.msg"); });
  }
  function upsert(article, atTop) {
    var existing = document.getElementById(article.id);
    if (existing) { existing.replaceWith(article); return; }
    if (atTop) list.insertBefore(article, list.firstChild); else list.appendChild(article);
    document.getElementById("thread-empty").hidden = true;
  }
  function nearBottom() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200; }

  // Screen readers hear new messages through a polite live region: who wrote, and how it begins.
  var announcer = document.getElementById("thread-announce");
  function announce(rows) {
    if (!announcer || !rows.length) return;
    var last = rows[rows.length - 1];
    var who = last.querySelector(".msg-author"), text = last.querySelector(".msg-body");
    var words = (text ? text.textContent : "").replace(/\s+/g, " ").trim().slice(0, 140);
    announcer.textContent = (rows.length > 1 ? rows.length + " new messages. Latest from " : "New message from ") +
      (who ? who.textContent.trim() : "someone") + ": " + words;
  }

  var catchingUp = false, again = false;
  // Fetch everything after the newest message shown: after a live event, and after a reconnect.
  function catchUp() {
    if (catchingUp) { again = true; return; }
    catchingUp = true;
    var stick = nearBottom();
    fetch(feedUrl + "?after=" + lastId(), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var rows = parse(html);
        rows.forEach(function (a) { upsert(a, false); a.classList.add("msg-new"); });
        announce(rows);
        if (rows.length && stick) rows[rows.length - 1].scrollIntoView({ block: "end" });
        if (rows.length >= 50) again = true;
      })
      .catch(function () {})
      .finally(function () { catchingUp = false; if (again) { again = false; catchUp(); } });
  }
  function refreshOne(id) {
    if (!document.getElementById("m" + id)) return;
    fetch(messageUrl(id), { credentials: "same-origin" }).then(function (r) {
      if (r.status === 404) { var gone = document.getElementById("m" + id); if (gone) gone.remove(); return; }
      return r.text().then(function (html) { parse(html).forEach(function (a) { upsert(a, false); }); });
    }).catch(function () {});
  }

  if (window.casedeskLive) {
    window.casedeskLive.subscribeCase(caseId);
    window.casedeskLive.on("message.created", function (p) { if (String(p.case) === caseId) catchUp(); });
    window.casedeskLive.on("message.updated", function (p) { if (String(p.case) === caseId) refreshOne(p.message); });
    window.casedeskLive.on("message.deleted", function (p) {
      if (String(p.case) !== caseId) return;
      var el = document.getElementById("m" + p.message); if (el) el.remove();
    });
    window.casedeskLive.on("reconnected", function () { catchUp(); });
    window.casedeskLive.on("disconnected", function () { if (status) { status.hidden = false; status.textContent = "Reconnecting… new messages will appear when the connection is back."; } });
    window.casedeskLive.on("connected", function () { if (status) status.hidden = true; });
    window.casedeskLive.on("reconnected", function () { if (status) status.hidden = true; });
    window.casedeskLive.on("case.status", function (p) { if (String(p.case) === caseId && status) { status.hidden = false; status.textContent = "This case was reopened."; } });
  }

  // A link to one message (#m38, from a notification): scroll to it and highlight it.
  function highlightTarget() {
    var m = /^#m(\d+)$/.exec(location.hash);
    var target = m && document.getElementById("m" + m[1]);
    if (!target) return;
    list.querySelectorAll(".msg-highlight").forEach(function (el) { el.classList.remove("msg-highlight"); });
    target.classList.add("msg-highlight");
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    target.scrollIntoView({ block: "center", behavior: still ? "auto" : "smooth" });
  }
  highlightTarget();
  window.addEventListener("hashchange", highlightTarget);

  // Load earlier
  var earlier = document.getElementById("thread-earlier");
  if (earlier) earlier.addEventListener("click", function () {
    var first = list.querySelector("article.msg[data-id]");
    var before = first ? first.dataset.id : earlier.dataset.before;
    earlier.disabled = true;
    fetch(feedUrl + "?before=" + before, { credentials: "same-origin" }).then(function (r) {
      var more = r.headers.get("X-Has-Earlier") === "1";
      return r.text().then(function (html) {
        var rows = parse(html);
        for (var i = rows.length - 1; i >= 0; i--) upsert(rows[i], true);
        earlier.disabled = false;
        if (!more) earlier.remove();
      });
    }).catch(function () { earlier.disabled = false; });
  });

  // Edit and delete own messages
  list.addEventListener("click", function (e) {
    var btn = e.target.closest("button");
    if (!btn) return;
    var article = btn.closest("article.msg");
    if (btn.classList.contains("msg-delete")) {
      if (!confirm("Delete this message? Its text stays in the case history.")) return;
      post(btn.dataset.url, new FormData()).then(function (res) {
        if (res.ok) article.remove(); else alert(res.data.error || "The message could not be deleted. Try again.");
      });
    } else if (btn.classList.contains("msg-edit")) {
      if (article.querySelector("form.msg-editor")) return;
      var src = article.querySelector("template.msg-source");
      var editor = document.createElement("form");
      editor.className = "msg-editor";
      editor.innerHTML = '<label class="composer-label">Edit message<textarea name="body" rows="4"></textarea></label>' +
        '<p class="composer-error" role="alert" hidden></p>' +
        '<div class="composer-bar"><button type="submit" class="btn btn-primary btn-small">Save</button> <button type="button" class="link msg-cancel">Cancel</button></div>';
      editor.querySelector("textarea").value = src ? src.content.textContent : "";
      article.querySelector(".msg-body").after(editor);
      editor.querySelector("textarea").focus();
      editor.querySelector(".msg-cancel").addEventListener("click", function () { editor.remove(); });
      editor.addEventListener("submit", function (ev) {
        ev.preventDefault();
        post(btn.dataset.url, new FormData(editor)).then(function (res) {
          var err = editor.querySelector(".composer-error");
          if (!res.ok) { err.hidden = false; err.textContent = res.data.error || "The change was not saved. Try again."; return; }
          showWarnings(res.data.warnings);
          refreshOne(article.dataset.id);
        });
      });
    }
  });

  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" } })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (d) { return { ok: r.ok, status: r.status, data: d }; }); })
      .catch(function () { return { ok: false, status: 0, data: { error: "casedesk could not be reached. Check your connection; your text is still here, so send again when you are back online." } }; });
  }

  function showWarnings(warnings) {
    var box = document.getElementById("composer-warnings");
    if (!box) return;
    box.innerHTML = "";
    (warnings || []).forEach(function (w) { var p = document.createElement("p"); p.textContent = w; box.appendChild(p); });
    box.hidden = !(warnings && warnings.length);
  }

  if (!form) return;
  var body = document.getElementById("composer-body");
  var files = document.getElementById("composer-files");
  var internal = document.getElementById("composer-internal");
  var errorBox = document.getElementById("composer-error");
  var sendBtn = document.getElementById("composer-send");
  var draftKey = form.dataset.draftKey;

  // Drafts survive a reload (this device only), and are dropped once sent.
  try {
    var saved = localStorage.getItem(draftKey);
    if (saved && !body.value) body.value = saved;
  } catch (e) {}
  body.addEventListener("input", function () { try { localStorage.setItem(draftKey, body.value); } catch (e) {} });

  // The length limit is the server's: a counter shows as it nears, and the server's sentence
  // refuses a longer message. Nothing is cut here (no maxlength), so cut text is never posted.
  var maxChars = Number(form.dataset.maxChars || 0);
  var counter = document.getElementById("composer-count");
  function updateCount() {
    if (!counter || !maxChars) return;
    var n = body.value.length;
    counter.hidden = n < maxChars * 0.9;
    counter.classList.toggle("is-over", n > maxChars);
    counter.textContent = n > maxChars
      ? (n - maxChars).toLocaleString("en-GB") + " characters over the limit of " + maxChars.toLocaleString("en-GB") + "."
      : (maxChars - n).toLocaleString("en-GB") + " characters left.";
  }
  body.addEventListener("input", updateCount);
  updateCount();
  if (internal) {
    var sync = function () { form.classList.toggle("is-internal", internal.checked); };
    internal.addEventListener("change", sync); sync();
  }

  function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
  function size(n) {
    if (n < 1024) return n + " bytes";
    var units = ["KB", "MB", "GB"], v = n, u = -1;
    do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
    return (Math.round(v * 10) / 10) + " " + units[u];
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    showError("");
    var maxBytes = Number(form.dataset.maxBytes || 0);
    var picker = window.casedeskComposerFiles;  // composer-files.js: chosen, dropped and pasted files
    var chosen = picker ? picker.files() : (files ? Array.prototype.slice.call(files.files) : []);
    if (maxBytes) {
      for (var i = 0; i < chosen.length; i++) {
        var f = chosen[i];
        if (f.size > maxBytes) {
          showError("“" + f.name + "” is " + (size(f.size) === size(maxBytes) ? "just over " + size(maxBytes) : size(f.size)) + "; the limit is " + size(maxBytes) + " per file. Nothing was sent: remove that file (or share a link to it) and send again.");
          return;
        }
      }
    }
    sendBtn.disabled = true;
    sendBtn.textContent = "Sending…";
    var sentText = body.value;  // what this send carries; typing may go on while it is in flight
    var url = form.action || location.pathname;
    var sending = picker
      ? picker.send(url, new FormData(form), { "X-CSRFToken": csrf, Accept: "application/json" })
      : post(url, new FormData(form));
    sending.then(function (res) {
      sendBtn.disabled = false;
      sendBtn.textContent = "Send";
      if (res.aborted) return;  // cancelled from a file chip: composer-files.js said so
      if (!res.ok) {
        showError(res.data.error || ("The message was not sent (error " + res.status + "). Your text is still here; try again."));
        return;
      }
      // Take out only the text that was sent: what was typed after Send (the live thread can show
      // the message before this answer comes) stays in the box and in the draft.
      if (body.value.indexOf(sentText) === 0) body.value = body.value.slice(sentText.length);
      updateCount();
      if (files) files.value = "";
      if (picker) picker.clear();
      try {
        if (body.value) localStorage.setItem(draftKey, body.value);
        else localStorage.removeItem(draftKey);
      } catch (e2) {}
      showWarnings(res.data.warnings);
      catchUp();
    });
  });
  body.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); form.requestSubmit(); }
  });

  // @ mentions: teammates of the case's agency only (the server decides who is offered).
  var mentionUrl = form.dataset.mentionUrl;
  var menu = document.getElementById("mention-list");
  if (!mentionUrl || !menu) return;
  var active = -1, items = [], pending = 0;
  function closeMenu() { menu.hidden = true; menu.innerHTML = ""; items = []; active = -1; }
  function currentQuery() {
    var upto = body.value.slice(0, body.selectionStart);
    var m = /(^|\s)@([^\s@*]{0,30})$/.exec(upto);
    return m ? { query: m[2], start: upto.length - m[2].length - 1 } : null;
  }
  function choose(i) {
    var q = currentQuery(); if (!q || !items[i]) return;
    var before = body.value.slice(0, q.start), after = body.value.slice(body.selectionStart);
    var insert = items[i].insert + " ";
    body.value = before + insert + after;
    var pos = before.length + insert.length;
    body.setSelectionRange(pos, pos);
    body.dispatchEvent(new Event("input"));
    closeMenu();
    body.focus();
  }
  function render() {
    menu.innerHTML = "";
    items.forEach(function (p, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.className = "mention-option" + (i === active ? " is-active" : "");
      li.textContent = p.name + " ";
      var small = document.createElement("small"); small.textContent = p.email; li.appendChild(small);
      li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
      menu.appendChild(li);
    });
    menu.hidden = items.length === 0;
  }
  body.addEventListener("input", function () {
    var q = currentQuery();
    if (!q) { closeMenu(); return; }
    var ticket = ++pending;
    fetch(mentionUrl + "?q=" + encodeURIComponent(q.query), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) { if (ticket !== pending) return; items = d.results || []; active = items.length ? 0 : -1; render(); })
      .catch(closeMenu);
  });
  body.addEventListener("keydown", function (e) {
    if (menu.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); active = (active + 1) % items.length; render(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); active = (active - 1 + items.length) % items.length; render(); }
    else if (e.key === "Enter" || e.key === "Tab") { if (active >= 0) { e.preventDefault(); choose(active); } }
    else if (e.key === "Escape") { closeMenu(); }
  });
  // Close on leaving the box, unless focus came back before the delay ran out (a quick Send and
  // back, for one): a stale close would hide a list the user has just opened.
  body.addEventListener("blur", function () {
    setTimeout(function () { if (document.activeElement !== body) closeMenu(); }, 150);
  });
})();
