/*
 * casedesk support widget. Embed with one tag:
 *   <script src="https://<casedesk>/static/support/widget.js" data-agency="<slug>" defer></script>
 * Optional verified identity (computed by your server):
 *   data-user-id="42" data-user-hash="<hex HMAC-SHA256(secret, '42')>" data-user-name="…" data-user-email="…"
 *
 * Isolation: everything lives in a Shadow DOM root, so the host page's CSS cannot reach in and ours
 * cannot leak out; no iframe, hence no postMessage channel to secure. On other sites no cookie is
 * used: the visitor is a signed, agency-scoped token kept in localStorage. The server decides
 * whether this page may show the widget; when it says no, nothing is added to the page.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="support/widget.js"][data-agency]');
  if (!script || window.__casedeskWidgetLoaded) return;
  window.__casedeskWidgetLoaded = true;

  var base = new URL(script.src, location.href).origin;
  var agency = script.getAttribute("data-agency") || "";
  var sameOrigin = base === location.origin;
  var storageKey = "casedesk-widget:" + base + ":" + agency;
  var api = base + "/widget/api/" + encodeURIComponent(agency);

  var state = {
    token: null, info: null, conversations: [], current: null, messages: [], lastId: 0,
    open: false, socket: null, socketOpen: false, pollTimer: null, retry: 0, busy: false,
    askEmail: false, answerEmail: "", emailSkipped: {}, seenUpTo: {},
    csat: null, csatSkipped: {}, csatDraft: {}
  };

  // The product's one date format, as the app's pages write it: "1 Dec 2026, 21:55".
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function formatDate(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getDate() + " " + MONTHS[d.getMonth()] + " " + d.getFullYear() + ", " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function loadToken() { try { return localStorage.getItem(storageKey); } catch (e) { return null; } }
  function saveToken(t) { try { localStorage.setItem(storageKey, t); } catch (e) { /* private mode */ } }

  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers["X-Visitor-Token"] = state.token;
    return fetch(api + path, {
      method: method,
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: sameOrigin ? "same-origin" : "omit",
      mode: "cors"
    }).catch(function () {
      // fetch rejects only when the request never got an answer: the network, not the server.
      setOffline(true);
      var error = new Error("The help desk could not be reached. Check your connection; your message is still here.");
      error.status = 0;
      throw error;
    }).then(function (response) {
      // An answer to a request sent before the network went is no sign that it is back.
      if (navigator.onLine !== false) setOffline(false);
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.error || "Something went wrong. Try again in a moment.");
          error.status = response.status;
          throw error;
        }
        return data;
      });
    });
  }

  function identity() {
    var id = script.getAttribute("data-user-id");
    if (!id) return undefined;
    return {
      user_id: id,
      user_hash: script.getAttribute("data-user-hash") || "",
      name: script.getAttribute("data-user-name") || "",
      email: script.getAttribute("data-user-email") || ""
    };
  }

  // --- bootstrap: the server decides --------------------------------------------------------
  state.token = loadToken();
  call("POST", "/bootstrap", { page_url: location.href, identity: identity() }).then(function (data) {
    if (!data.show) return;
    state.token = data.token;
    saveToken(data.token);
    state.info = data;
    state.conversations = data.conversations || [];
    build();
    connect();
  }).catch(function () { /* not shown on this page, or the desk is unreachable: stay invisible */ });

  // --- UI --------------------------------------------------------------------------------------
  var root, els = {};

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}",
    ".wrap{--bg:#fff;--ink:#111827;--soft:#5f6673;--line:#e5e7eb;--bubble:#f3f4f6;color:var(--ink);font-size:15px;line-height:1.45}",
    "@media (prefers-color-scheme:dark){.wrap{--bg:#111827;--ink:#f3f4f6;--soft:#9ca3af;--line:#374151;--bubble:#1f2937}}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:56px;height:56px;border-radius:50%;border:0;background:var(--brand);color:#fff;box-shadow:0 4px 14px rgb(0 0 0/.25);cursor:pointer;display:flex;align-items:center;justify-content:center}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid color-mix(in srgb,var(--brand) 60%,white);outline-offset:2px}",
    ".launcher svg{width:26px;height:26px;fill:currentColor}",
    ".panel{position:fixed;right:20px;bottom:88px;z-index:2147483000;width:370px;max-width:calc(100vw - 24px);height:560px;max-height:calc(100vh - 110px);background:var(--bg);border:1px solid var(--line);border-radius:14px;box-shadow:0 12px 40px rgb(0 0 0/.25);display:flex;flex-direction:column;overflow:hidden}",
    ".panel[hidden]{display:none}",
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}.launcher.is-open{display:none}}",
    "header{background:var(--brand);color:#fff;padding:12px 14px;display:flex;align-items:center;gap:8px}",
    "header h2{font-size:16px;margin:0;font-weight:600}",
    "header .titles{flex:1;min-width:0}",
    "header .subtitle{margin:1px 0 0;font-size:12px;opacity:.92;line-height:1.3}",
    "header .avatar{flex:none;width:32px;height:32px;border-radius:50%;background:#fff;color:var(--brand);display:flex;align-items:center;justify-content:center;font-size:13px;font-weight:700}",
    ".offline{margin:0;padding:6px 14px;font-size:13px;background:#fef3c7;color:#78350f;border-bottom:1px solid #fcd34d}",
    ".offline[hidden]{display:none}",
    ".loading{color:var(--soft);font-size:14px}",
    "header button{background:transparent;border:0;color:#fff;font-size:15px;cursor:pointer;padding:6px 8px;border-radius:6px;min-width:36px;min-height:36px}",
    ".body{flex:1;overflow-y:auto;padding:12px}",
    ".list{list-style:none;margin:0;padding:0}",
    ".list li{margin:0 0 8px}",
    ".list button{width:100%;text-align:left;background:var(--bubble);color:var(--ink);border:1px solid var(--line);border-radius:10px;padding:10px;cursor:pointer}",
    ".list .sub{display:block;color:var(--soft);font-size:12px}",
    ".primary{background:var(--brand);color:#fff;border:0;border-radius:8px;padding:9px 14px;cursor:pointer;font-size:14px}",
    ".ghost{background:transparent;color:var(--ink);border:1px solid var(--line);border-radius:8px;padding:7px 12px;cursor:pointer;font-size:14px}",
    ".msgs{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}",
    ".msg{max-width:85%;padding:8px 11px;border-radius:12px;background:var(--bubble);word-wrap:break-word}",
    ".msg p{margin:0 0 6px}.msg p:last-child{margin:0}",
    ".msg .who{display:block;font-size:12px;color:var(--soft);margin-bottom:2px}",
    ".msg.visitor{align-self:flex-end;background:var(--brand);color:#fff}",
    ".msg.visitor .who{color:#fff}",
    ".msg.agent{border:1px solid var(--brand)}",
    ".msg.system,.msg.bot_notice{align-self:center;background:transparent;border:1px dashed var(--line);color:var(--soft);font-size:13px}",
    ".msg a{color:inherit}",
    ".fb{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}",
    ".fb span{width:100%;font-size:13px}",
    ".composer{border-top:1px solid var(--line);padding:10px;display:flex;flex-direction:column;gap:6px}",
    ".composer textarea{width:100%;resize:none;min-height:44px;max-height:120px;border:1px solid var(--line);border-radius:8px;padding:8px;font-size:15px;background:var(--bg);color:var(--ink)}",
    ".row{display:flex;gap:6px;justify-content:space-between;align-items:center}",
    ".err{color:#b91c1c;font-size:13px;min-height:1em}",
    ".typing{margin:0;padding:2px 14px;font-size:13px;font-style:italic;color:var(--soft)}",
    ".count{font-size:13px;color:var(--soft)}.count.over{color:#b91c1c;font-weight:600}.count[hidden]{display:none}",
    ".fb button:disabled{opacity:.6;cursor:default}",
    "@media (prefers-reduced-motion:no-preference){.panel{animation:cd-in .16s ease-out}}",
    "@keyframes cd-in{from{opacity:0;transform:translateY(8px)}}",
    "@media (prefers-reduced-motion:no-preference){.panel.closing{animation:cd-out .14s ease-in forwards}}",
    "@keyframes cd-out{to{opacity:0;transform:translateY(8px)}}",
    "@media (prefers-color-scheme:dark){.err,.count.over{color:#fca5a5}}",
    ".answer-email{margin:10px 0 0;padding:10px;border:1px solid var(--line);border-radius:10px;display:flex;flex-wrap:wrap;gap:6px}",
    ".answer-email label{width:100%;font-size:13px}",
    ".answer-email input{flex:1 1 100%;border:1px solid var(--line);border-radius:8px;padding:8px;font-size:15px;background:var(--bg);color:var(--ink)}",
    ".answer-email button[type=submit]{background:var(--brand);color:#fff;border:0;border-radius:8px;padding:8px 12px;cursor:pointer;font-size:14px}",
    ".answer-email-note{margin:10px 0 0;font-size:13px;color:var(--soft)}",
    ".away{margin:0 0 10px;padding:8px 10px;border-radius:10px;background:color-mix(in srgb,var(--brand) 10%,var(--bg));border:1px solid color-mix(in srgb,var(--brand) 35%,var(--bg));font-size:13px}",
    ".csat{margin:10px 0 0;padding:10px;border:1px solid var(--line);border-radius:10px;display:flex;flex-direction:column;gap:8px}",
    ".csat p{margin:0;font-weight:600}",
    ".csat .thumbs{display:flex;gap:6px;flex-wrap:wrap}",
    ".csat .thumbs button{background:var(--bubble);color:var(--ink);border:1px solid var(--line);border-radius:8px;padding:7px 12px;cursor:pointer;font-size:14px;display:inline-flex;align-items:center;gap:6px}",
    ".csat .thumbs svg{width:18px;height:18px;fill:currentColor}",
    ".csat .thumbs button[aria-pressed=true]{border-color:var(--brand);box-shadow:inset 0 0 0 2px var(--brand)}",
    ".csat label{font-size:13px}",
    ".csat textarea{width:100%;resize:vertical;min-height:44px;border:1px solid var(--line);border-radius:8px;padding:8px;font-size:15px;background:var(--bg);color:var(--ink)}",
    ".csat-done{margin:10px 0 0;font-size:13px;color:var(--soft);text-align:center}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
  ].join("\n");

  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true" data-icon="chat"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  // Thumbs as SVG, not emoji: a system without an emoji font would show empty boxes.
  var ICON_UP = '<svg viewBox="0 0 24 24" aria-hidden="true" data-icon="thumb-up"><path d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"/></svg>';
  var ICON_DOWN = '<svg viewBox="0 0 24 24" aria-hidden="true" data-icon="thumb-down"><path d="M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true" data-icon="close"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    var host = el("div", { id: "casedesk-support-widget" });
    document.body.appendChild(host);
    root = host.attachShadow({ mode: "open" });
    var style = el("style");
    // A page with a nonce-based Content-Security-Policy (ours, or an agency's) lets this <style>
    // in only with the nonce its <script> tag carried.
    if (script.nonce) style.nonce = script.nonce;
    style.textContent = CSS;
    root.appendChild(style);
    var wrap = el("div", { "class": "wrap" });
    wrap.style.setProperty("--brand", state.info.agency.color || "#4f46e5");
    root.appendChild(wrap);
    var name = state.info.agency.name;

    els.launcher = el("button", { "class": "launcher", type: "button", "aria-label": "Chat with " + name, "aria-expanded": "false", "aria-controls": "cd-panel" });
    els.launcher.innerHTML = ICON_CHAT;
    els.launcher.addEventListener("click", function () { toggle(!state.open); });

    els.panel = el("section", { "class": "panel", id: "cd-panel", role: "dialog", "aria-label": "Chat with " + name, hidden: "" });
    var header = el("header");
    els.back = el("button", { type: "button", "aria-label": "All conversations" }, "←");
    els.back.addEventListener("click", showList);
    // Who answers, and how soon: the agency's avatar (initials), its name and, before any
    // handover, the usual reply time ("Usually answers within about 10 minutes") or, outside
    // business hours, when the team is back.
    var avatar = el("span", { "class": "avatar", "aria-hidden": "true" }, initials(name));
    var titles = el("div", { "class": "titles" });
    els.title = el("h2", null, name);
    els.subtitle = el("p", { "class": "subtitle" });
    titles.appendChild(els.title); titles.appendChild(els.subtitle);
    var close = el("button", { type: "button", "aria-label": "Close chat" }, "✕");
    close.addEventListener("click", function () { toggle(false); });
    header.appendChild(els.back); header.appendChild(avatar); header.appendChild(titles); header.appendChild(close);
    renderSubtitle();
    els.body = el("div", { "class": "body" });
    els.composer = el("form", { "class": "composer" });
    var label = el("label", { "for": "cd-input", "class": "sr" }, "Your message");
    // No maxlength: cut text is never sent. A counter shows near the limit; the server refuses past it.
    els.input = el("textarea", { id: "cd-input", rows: "2", placeholder: "Ask a question…", "aria-describedby": "cd-count" });
    els.count = el("div", { id: "cd-count", "class": "count", "aria-live": "polite", hidden: "" });
    els.input.addEventListener("input", updateCount);
    els.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
    });
    var row = el("div", { "class": "row" });
    els.human = el("button", { type: "button", "class": "ghost" }, "Talk to a person");
    els.human.addEventListener("click", askHuman);
    els.send = el("button", { type: "submit", "class": "primary" }, "Send");
    row.appendChild(els.human); row.appendChild(els.send);
    els.error = el("div", { "class": "err", role: "alert" });
    els.composer.appendChild(label); els.composer.appendChild(els.input); els.composer.appendChild(els.count); els.composer.appendChild(els.error); els.composer.appendChild(row);
    els.composer.addEventListener("submit", function (e) { e.preventDefault(); send(); });
    // The message list is redrawn on every change, so replies are announced from a region that stays.
    els.announce = el("div", { "class": "sr", "aria-live": "polite" });
    els.offline = el("p", { "class": "offline", role: "status", hidden: "" }, "You are offline. What you type stays here; send it when the connection is back.");
    if (navigator.onLine === false) els.offline.hidden = false;
    window.addEventListener("offline", function () { setOffline(true); });
    window.addEventListener("online", function () { setOffline(false); refresh(); });
    els.panel.appendChild(header); els.panel.appendChild(els.offline); els.panel.appendChild(els.body); els.panel.appendChild(els.composer);
    // Presence: "<agent> is typing…" above the composer; the visitor's own typing goes to the team.
    els.typing = el("p", { "class": "typing", role: "status", "aria-live": "polite", hidden: "" });
    els.panel.insertBefore(els.typing, els.composer);
    els.input.addEventListener("input", sendTyping);
    els.panel.appendChild(els.announce);
    wrap.addEventListener("keydown", function (e) {
      if (!state.open) return;
      if (e.key === "Escape") toggle(false); else trapFocus(e);
    });
    wrap.appendChild(els.panel);
    wrap.appendChild(els.launcher);
    document.addEventListener("visibilitychange", reportSeen);
    buildFiles(row);
  }

  function initials(name) {
    var words = String(name || "").trim().split(/\s+/).filter(Boolean);
    var letters = words.length > 1 ? words[0].charAt(0) + words[words.length - 1].charAt(0) : (words[0] || "?").slice(0, 2);
    return letters.toUpperCase();
  }

  // Outside the agency's business hours: when the team is back, until that moment passes.
  function awayNow() {
    var away = state.info && state.info.away;
    return away && new Date(away.back_at).getTime() > Date.now() ? away : null;
  }

  function renderSubtitle() {
    if (!els.subtitle) return;
    var away = awayNow();
    if (away) els.subtitle.textContent = away.short;
    else if (state.info.expected_reply) els.subtitle.textContent = "A person usually answers " + state.info.expected_reply + ".";
    else els.subtitle.textContent = "";
  }

  // Offline: say so at once, keep what was typed, and clear the note when the network is back.
  function setOffline(offline) {
    if (!els.offline) return;
    els.offline.hidden = !offline;
  }

  function updateCount() {
    var max = state.info.max_message_chars || 4000, n = els.input.value.length;
    els.count.hidden = n < max * 0.9;
    els.count.classList.toggle("over", n > max);
    els.count.textContent = n > max
      ? (n - max).toLocaleString("en-GB") + " characters over the limit of " + max.toLocaleString("en-GB") + "."
      : (max - n).toLocaleString("en-GB") + " characters left.";
  }

  // While open, Tab and Shift+Tab stay inside the chat; Escape closes it and focus goes back.
  function trapFocus(e) {
    if (e.key !== "Tab") return;
    var nodes = Array.prototype.filter.call(
      els.panel.querySelectorAll("button, textarea, a[href], input, select, [tabindex]:not([tabindex='-1'])"),
      function (n) { return !n.disabled && !n.hidden && n.getClientRects().length; }
    );
    if (els.launcher.getClientRects().length) nodes.push(els.launcher);
    if (!nodes.length) return;
    var first = nodes[0], last = nodes[nodes.length - 1], active = root.activeElement;
    if (e.shiftKey && (active === first || nodes.indexOf(active) < 0)) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (active === last || nodes.indexOf(active) < 0)) { e.preventDefault(); first.focus(); }
  }

  // Closing fades the panel out (unless the visitor asked for reduced motion); everything else
  // (the launcher's icon and label, where focus goes) changes at once.
  function hidePanel() {
    var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (reduce) { els.panel.hidden = true; return; }
    els.panel.classList.add("closing");
    var done = function () {
      els.panel.classList.remove("closing");
      if (!state.open) els.panel.hidden = true;
    };
    els.panel.addEventListener("animationend", done, { once: true });
    setTimeout(done, 250);  // if no animation ran
  }

  function toggle(open) {
    state.open = open;
    if (open) { els.panel.classList.remove("closing"); els.panel.hidden = false; } else hidePanel();
    els.launcher.setAttribute("aria-expanded", String(open));
    els.launcher.classList.toggle("is-open", open);
    els.launcher.innerHTML = open ? ICON_CLOSE : ICON_CHAT;
    els.launcher.setAttribute("aria-label", open ? "Close chat" : "Chat with " + state.info.agency.name);
    if (open) {
      renderSubtitle();
      if (state.current) renderConversation(); else if (state.conversations.length) showList(); else newConversation();
      setTimeout(function () { (state.current || !state.conversations.length ? els.input : els.body.querySelector("button") || els.input).focus(); }, 0);
    } else {
      els.launcher.focus();
    }
  }

  function appendAway() {
    var away = awayNow();
    if (away) els.body.appendChild(el("p", { "class": "away", role: "note" }, away.text));
  }

  function showList() {
    state.current = null; state.messages = []; state.lastId = 0;
    els.back.hidden = true;
    els.composer.hidden = true;
    els.body.textContent = "";
    appendAway();
    var intro = el("p", null, state.info.visitor.known ? "Welcome back, " + state.info.visitor.name + "." : "Your conversations");
    els.body.appendChild(intro);
    var start = el("button", { type: "button", "class": "primary" }, "New conversation");
    start.addEventListener("click", function () { newConversation(); els.input.focus(); });
    els.body.appendChild(start);
    var list = el("ul", { "class": "list", "aria-label": "Earlier conversations" });
    list.style.marginTop = "12px";
    state.conversations.forEach(function (c) {
      var li = el("li");
      var b = el("button", { type: "button" }, c.subject);
      var sub = el("span", { "class": "sub" }, c.state_label + " · " + formatDate(c.updated_at));
      b.appendChild(sub);
      b.addEventListener("click", function () { openConversation(c.id); });
      li.appendChild(b); list.appendChild(li);
    });
    els.body.appendChild(list);
  }

  function newConversation() {
    state.current = null; state.messages = []; state.lastId = 0;
    els.back.hidden = state.conversations.length === 0;
    els.composer.hidden = false;
    els.human.hidden = true;
    els.body.textContent = "";
    appendAway();
    els.body.appendChild(el("p", null, "Hi! Ask a question and I'll look in the help centre. You can ask for a person at any time."));
  }

  function openConversation(id) {
    els.body.textContent = "";
    els.body.appendChild(el("p", { "class": "loading", role: "status" }, "Loading the conversation…"));
    els.body.setAttribute("aria-busy", "true");
    call("GET", "/conversations/" + id).then(function (data) {
      els.body.removeAttribute("aria-busy");
      state.current = data.conversation; state.messages = data.messages; state.lastId = lastIdOf(data.messages);
      answerEmailFrom(data);
      csatFrom(data);
      renderConversation();
      els.input.focus();
    }).catch(function (error) {
      els.body.removeAttribute("aria-busy");
      showList();
      els.body.insertBefore(el("p", { "class": "err", role: "alert" }, error.message), els.body.firstChild);
    });
  }

  var typingSentAt = 0, typingTimer = null;
  function sendTyping() {
    if (!state.current || !state.socketOpen || !els.input.value.trim() || Date.now() - typingSentAt < 3000) return;
    typingSentAt = Date.now();
    try { state.socket.send(JSON.stringify({ type: "typing", conversation: state.current.id })); } catch (e) { /* closed */ }
  }
  function showTyping(data) {
    if (!state.current || data.conversation !== state.current.id || !data.name) return;
    els.typing.textContent = data.name + " is typing…";
    els.typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, Math.min(Number(data.expires) || 6, 15) * 1000);
  }
  function hideTyping() { clearTimeout(typingTimer); if (els.typing) els.typing.hidden = true; }

  function lastIdOf(messages) { return messages.length ? messages[messages.length - 1].id : 0; }

  function renderConversation() {
    hideTyping();
    els.back.hidden = false;
    els.composer.hidden = false;
    els.human.hidden = !state.current || state.current.state !== "bot";
    els.body.textContent = "";
    if (state.current && state.current.state !== "closed") appendAway();
    var list = el("ol", { "class": "msgs", "aria-live": "polite", "aria-label": "Messages" });
    state.messages.forEach(function (m) { list.appendChild(renderMessage(m)); });
    els.body.appendChild(list);
    var emailPart = renderAnswerEmail();
    if (emailPart) els.body.appendChild(emailPart);
    var csatPart = renderCsat();
    if (csatPart) els.body.appendChild(csatPart);
    els.body.scrollTop = els.body.scrollHeight;
    reportSeen();
  }

  // --- the answer finds the visitor: an optional address at the handover, and "seen" reports ---

  function answerEmailFrom(data) {
    state.askEmail = !!data.ask_answer_email;
    state.answerEmail = data.answer_email || "";
  }

  function renderAnswerEmail() {
    if (!state.current) return null;
    if (state.answerEmail) {
      return el("p", { "class": "answer-email-note" }, "If you have left when someone answers, we will email the answer to " + state.answerEmail + ".");
    }
    if (!state.askEmail || state.emailSkipped[state.current.id]) return null;
    var form = el("form", { "class": "answer-email", novalidate: "" });
    var id = "cd-answer-email-" + state.current.id;
    form.appendChild(el("label", { "for": id }, "Your email (optional): we only use it to send you the answer if you have left by then."));
    var input = el("input", { type: "email", id: id, name: "email", autocomplete: "email", placeholder: "you@example.com" });
    form.appendChild(input);
    var save = el("button", { type: "submit" }, "Email me the answer");
    var skip = el("button", { type: "button", "class": "ghost" }, "No thanks");
    form.appendChild(save); form.appendChild(skip);
    var conversationId = state.current.id;
    skip.addEventListener("click", function () { state.emailSkipped[conversationId] = true; renderConversation(); els.input.focus(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = input.value.trim();
      if (!value) { state.emailSkipped[conversationId] = true; renderConversation(); return; }
      call("POST", "/conversations/" + conversationId + "/answer-email?after=" + state.lastId, { email: value })
        .then(function (data) { answerEmailFrom(data); apply(data, false); els.input.focus(); })
        .catch(showError);
    });
    return form;
  }

  // --- satisfaction: asked once after the close, 👍 or 👎 and an optional comment -------------

  function csatFrom(data) { state.csat = data.csat || null; }

  function renderCsat() {
    if (!state.current || !state.csat) return null;
    var conversationId = state.current.id;
    if (state.csat.rating) {
      var thanks = state.csat.rating === "good" ? "Good" : "Not good";
      return el("p", { "class": "csat-done" }, "You rated this conversation “" + thanks + "”. Thank you.");
    }
    if (!state.csat.ask || state.csatSkipped[conversationId]) return null;
    var draft = state.csatDraft[conversationId] || (state.csatDraft[conversationId] = { rating: "", comment: "" });
    var titleId = "cd-csat-title-" + conversationId, commentId = "cd-csat-comment-" + conversationId;
    var form = el("form", { "class": "csat", "aria-labelledby": titleId, novalidate: "" });
    form.appendChild(el("p", { id: titleId }, "How was the help you got?"));
    var thumbs = el("div", { "class": "thumbs" });
    [["good", "Good", ICON_UP], ["bad", "Not good", ICON_DOWN]].forEach(function (choice) {
      var b = el("button", { type: "button", "data-rating": choice[0], "aria-pressed": draft.rating === choice[0] ? "true" : "false" });
      b.innerHTML = choice[2];  // a constant SVG, not data
      b.appendChild(document.createTextNode(choice[1]));
      b.addEventListener("click", function () {
        draft.rating = choice[0];
        thumbs.querySelectorAll("button").forEach(function (other) { other.setAttribute("aria-pressed", other === b ? "true" : "false"); });
        if (els.error) els.error.textContent = "";
      });
      thumbs.appendChild(b);
    });
    form.appendChild(thumbs);
    form.appendChild(el("label", { "for": commentId }, "Anything to add? (optional)"));
    var comment = el("textarea", { id: commentId, name: "comment", rows: "2" });
    comment.value = draft.comment;
    comment.addEventListener("input", function () { draft.comment = comment.value; });
    form.appendChild(comment);
    var row = el("div", { "class": "row" });
    var send = el("button", { type: "submit", "class": "primary" }, "Send rating");
    var skip = el("button", { type: "button", "class": "ghost" }, "No thanks");
    row.appendChild(skip); row.appendChild(send);
    form.appendChild(row);
    skip.addEventListener("click", function () { state.csatSkipped[conversationId] = true; renderConversation(); els.input.focus(); });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!draft.rating) { showError({ message: "Choose Good or Not good to rate this conversation." }); thumbs.querySelector("button").focus(); return; }
      send.disabled = true;
      call("POST", "/conversations/" + conversationId + "/rating?after=" + state.lastId, { rating: draft.rating, comment: draft.comment })
        .then(function (data) { delete state.csatDraft[conversationId]; if (els.error) els.error.textContent = ""; apply(data, false); els.input.focus(); })
        .catch(function (error) { send.disabled = false; showError(error); });
    });
    return form;
  }

  function reportSeen() {
    // "Seen" means the widget is open, the page is visible and the line was on screen.
    if (!state.open || !state.current || document.visibilityState === "hidden") return;
    var upTo = state.lastId;
    if (!upTo || upTo <= (state.seenUpTo[state.current.id] || 0)) return;
    state.seenUpTo[state.current.id] = upTo;
    call("POST", "/conversations/" + state.current.id + "/seen", { up_to: upTo }).catch(function () {});
  }

  function renderMessage(m) {
    var li = el("li", { "class": "msg " + m.kind, "data-kind": m.kind, "data-id": String(m.id) });
    var who = el("span", { "class": "who" }, m.author);
    if (m.created_at) {
      who.appendChild(document.createTextNode(" · "));
      who.appendChild(el("time", { datetime: m.created_at }, formatDate(m.created_at)));
    }
    li.appendChild(who);
    var body = el("div");
    body.innerHTML = m.html; // sanitised on the server (nh3 / escaped)
    li.appendChild(body);
    if (m.files && m.files.length) li.appendChild(renderFiles(m.files));
    if (m.article_url) {
      var p = el("p");
      p.appendChild(document.createTextNode("Read the full article: "));
      var a = el("a", { href: m.article_url, target: "_blank", rel: "noopener" }, m.article_title || "help article");
      p.appendChild(a);
      li.appendChild(p);
    }
    if (m.ask_feedback) {
      var fb = el("div", { "class": "fb" });
      fb.appendChild(el("span", null, "Did that answer your question?"));
      var yes = el("button", { type: "button", "class": "ghost" }, "Yes");
      var no = el("button", { type: "button", "class": "ghost" }, "No, talk to a person");
      // After the handover (or once answered) the question is moot: the buttons stay, disabled.
      if (!state.current || state.current.state !== "bot") { yes.disabled = true; no.disabled = true; }
      yes.addEventListener("click", function () { feedback(m.id, true); });
      no.addEventListener("click", function () { feedback(m.id, false); });
      fb.appendChild(yes); fb.appendChild(no);
      li.appendChild(fb);
    }
    return li;
  }

  // --- files in the chat (issue 16 §2): attach, chips with size and progress, remove, links ---
  // The server's one rule decides (25 MB per file, the same sentence everywhere); the widget
  // only says it early, from the limit the server sent in the bootstrap (max_file_bytes).
  var pendingFiles = [];  // { file, chip, bar }
  var FILES_CSS = [
    ".attach{display:inline-flex;align-items:center;gap:4px;margin-left:auto;margin-right:6px}",
    ".attach svg{width:16px;height:16px}",
    ".files{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}",
    ".files[hidden]{display:none}",
    ".chip{display:flex;flex-wrap:wrap;align-items:center;gap:6px;border:1px solid var(--line);border-radius:8px;padding:5px 8px;font-size:13px;background:var(--bubble);color:var(--ink)}",
    ".chip .name{font-weight:600;overflow-wrap:anywhere;flex:1 1 auto;min-width:0}",
    ".chip .size{color:var(--soft)}",
    ".chip progress{flex-basis:100%;height:6px;accent-color:var(--brand)}",
    ".chip progress[hidden]{display:none}",
    ".chip button{background:transparent;border:1px solid var(--line);border-radius:6px;color:var(--ink);cursor:pointer;font-size:13px;padding:2px 8px}",
    ".msg .files{margin-top:6px}",
    ".msg .chip a{color:inherit}",
    ".msg.visitor .chip{background:rgb(255 255 255/.16);border-color:rgb(255 255 255/.5);color:#fff}",
    ".msg.visitor .chip .size{color:#fff}"
  ].join("\n");
  var ICON_CLIP = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M21.4 11.1l-8.5 8.5a5.5 5.5 0 0 1-7.8-7.8l8.5-8.5a3.7 3.7 0 0 1 5.2 5.2l-8.5 8.5a1.8 1.8 0 0 1-2.6-2.6l7.8-7.8" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/></svg>';

  // Django's filesizeformat, so a chip says what the chat will say once the file is sent.
  function fileSize(n) {
    if (n < 1024) return n + (n === 1 ? "\u00a0byte" : "\u00a0bytes");
    var units = ["KB", "MB", "GB"], v = n, u = -1;
    do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
    return v.toFixed(1) + "\u00a0" + units[u];
  }
  // The server's casedesk.lib.files.human_size ("25 MB", "31.2 MB"), so the early refusal reads
  // exactly as the server's would.
  function humanSize(n) {
    if (n < 1024) return n + (n === 1 ? " byte" : " bytes");
    var units = ["KB", "MB", "GB", "TB"], v = n, u = -1;
    do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
    return v.toFixed(1).replace(/\.0$/, "") + " " + units[u];
  }
  function tooLargeSentence(file, max) {
    var shown = humanSize(file.size), limit = humanSize(max);
    return "“" + file.name + "” is " + (shown === limit ? "just over " + limit : shown) + "; the limit is " + limit + " per file. Nothing was sent: remove that file (or share a link to it) and send again.";
  }

  function buildFiles(row) {
    var style = el("style");
    if (script.nonce) style.nonce = script.nonce;
    style.textContent = FILES_CSS;
    root.appendChild(style);
    els.fileInput = el("input", { type: "file", multiple: "", name: "files", "aria-label": "Files to attach", hidden: "" });
    els.fileInput.addEventListener("change", function () { addFiles(els.fileInput.files); els.fileInput.value = ""; });
    els.attach = el("button", { type: "button", "class": "ghost attach", "aria-label": "Attach a file" });
    els.attach.innerHTML = ICON_CLIP;
    els.attach.appendChild(document.createTextNode("Attach"));
    els.attach.addEventListener("click", function () { els.fileInput.click(); });
    row.insertBefore(els.attach, els.send);
    els.composer.appendChild(els.fileInput);
    els.files = el("ul", { "class": "files", "aria-label": "Files to send", hidden: "" });
    els.composer.insertBefore(els.files, row);
  }

  function addFiles(list) {
    Array.prototype.forEach.call(list, function (file) {
      var chip = el("li", { "class": "chip", "data-file-name": file.name });
      chip.appendChild(el("span", { "class": "name" }, file.name));
      chip.appendChild(el("span", { "class": "size" }, fileSize(file.size)));
      var remove = el("button", { type: "button", "aria-label": "Remove " + file.name }, "Remove");
      var bar = el("progress", { max: "100", value: "0", "aria-label": "Sending " + file.name, hidden: "" });
      var entry = { file: file, chip: chip, bar: bar, remove: remove };
      remove.addEventListener("click", function () { removeFile(entry); });
      chip.appendChild(remove); chip.appendChild(bar);
      pendingFiles.push(entry); els.files.appendChild(chip);
    });
    els.files.hidden = pendingFiles.length === 0;
    if (list.length) els.announce.textContent = list.length === 1 ? "“" + list[0].name + "” added." : list.length + " files added.";
    els.error.textContent = "";
  }

  function removeFile(entry) {
    if (state.busy) return;
    pendingFiles = pendingFiles.filter(function (e) { return e !== entry; });
    entry.chip.remove();
    els.files.hidden = pendingFiles.length === 0;
    els.announce.textContent = "“" + entry.file.name + "” removed.";
    els.input.focus();
  }

  function clearFiles() {
    pendingFiles.forEach(function (e) { e.chip.remove(); });
    pendingFiles = [];
    els.files.hidden = true;
  }

  function sendWithFiles(text) {
    if (state.busy) return;
    var max = state.info.max_file_bytes || 0;
    for (var i = 0; i < pendingFiles.length; i++) {
      if (max && pendingFiles[i].file.size > max) { els.error.textContent = tooLargeSentence(pendingFiles[i].file, max); return; }
    }
    state.busy = true; els.error.textContent = ""; els.send.disabled = true;
    var data = new FormData();
    data.append("body", text);
    data.append("page_url", location.href);
    pendingFiles.forEach(function (e) { data.append("files", e.file, e.file.name); e.bar.hidden = false; e.bar.value = 0; e.remove.disabled = true; });
    var path = state.current ? "/conversations/" + state.current.id + "/messages?after=" + state.lastId : "/conversations";
    var req = new XMLHttpRequest();
    req.open("POST", api + path);
    if (state.token) req.setRequestHeader("X-Visitor-Token", state.token);
    req.withCredentials = sameOrigin;
    req.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var sum = pendingFiles.reduce(function (s, f) { return s + f.file.size; }, 0), start = Math.max(0, e.total - sum);
      pendingFiles.forEach(function (f) {
        f.bar.value = Math.round(100 * Math.max(0, Math.min(1, f.file.size ? (e.loaded - start) / f.file.size : 1)));
        start += f.file.size;
      });
    });
    function done(ok, payload) {
      state.busy = false; els.send.disabled = false;
      pendingFiles.forEach(function (f) { f.bar.hidden = true; f.remove.disabled = false; });
      if (!ok) { els.error.textContent = payload; els.input.focus(); return; }
      els.input.value = ""; updateCount(); clearFiles();
      apply(payload, !state.current || payload.conversation.id !== state.current.id);
      els.input.focus();
    }
    req.addEventListener("load", function () {
      var d = {};
      try { d = JSON.parse(req.responseText); } catch (err) { /* not JSON: a proxy's page */ }
      if (req.status >= 200 && req.status < 300) done(true, d);
      else done(false, d.error || (req.status === 413 ? "This file is larger than the limit of " + humanSize(max) + " per file." : "Something went wrong. Try again in a moment."));
    });
    req.addEventListener("error", function () { done(false, "The help desk could not be reached. Check your connection; your message and files are still here."); });
    req.send(data);
  }

  function renderFiles(files) {
    var list = el("ul", { "class": "files", "aria-label": "Files" });
    files.forEach(function (f) {
      var li = el("li", { "class": "chip", "data-file": String(f.id) });
      var a = el("a", { "class": "name", href: f.url, download: f.name, rel: "noopener" }, f.name);
      li.appendChild(a);
      li.appendChild(el("span", { "class": "size" }, f.size_label));
      list.appendChild(li);
    });
    return list;
  }

  function announce(messages) {
    var replies = messages.filter(function (m) { return m.kind !== "visitor"; });
    if (!replies.length || !els.announce) return;
    var m = replies[replies.length - 1], text = el("div");
    text.innerHTML = m.html; // sanitised on the server
    els.announce.textContent = m.author + ": " + text.textContent.replace(/\s+/g, " ").trim().slice(0, 200);
  }

  function showError(error) { if (els.error) els.error.textContent = error.message; }

  function apply(data, replace) {
    state.current = data.conversation;
    var known = {}, fresh = [];
    state.messages.forEach(function (m) { known[m.id] = true; });
    data.messages.forEach(function (m) { if (!known[m.id]) fresh.push(m); });
    answerEmailFrom(data);
    csatFrom(data);
    if (replace) state.messages = data.messages;
    else fresh.forEach(function (m) { state.messages.push(m); });
    announce(fresh);
    state.lastId = lastIdOf(state.messages);
    var found = false;
    state.conversations.forEach(function (c, i) { if (c.id === data.conversation.id) { state.conversations[i] = data.conversation; found = true; } });
    if (!found) state.conversations.unshift(data.conversation);
    renderConversation();
  }

  function send() {
    var text = els.input.value.trim();
    if (pendingFiles.length) { sendWithFiles(text); return; }
    if (!text || state.busy) return;
    state.busy = true; els.error.textContent = ""; els.send.disabled = true;
    var request = state.current
      ? call("POST", "/conversations/" + state.current.id + "/messages?after=" + state.lastId, { body: text, page_url: location.href })
      : call("POST", "/conversations", { body: text, page_url: location.href });
    request.then(function (data) {
      els.input.value = "";
      updateCount();
      apply(data, !state.current || data.conversation.id !== state.current.id);
    }).catch(showError).then(function () { state.busy = false; els.send.disabled = false; els.input.focus(); });
  }

  function askHuman() {
    if (!state.current) return;
    call("POST", "/conversations/" + state.current.id + "/escalate?after=" + state.lastId)
      .then(function (data) { apply(data, false); els.input.focus(); }).catch(showError);
  }

  function feedback(id, helpful) {
    call("POST", "/conversations/" + state.current.id + "/feedback", { message_id: id, helpful: helpful })
      .then(function (data) { apply(data, true); }).catch(showError);
  }

  function refresh() {
    if (!state.token) return;
    if (state.current) {
      call("GET", "/conversations/" + state.current.id + "?after=" + state.lastId).then(function (data) {
        if (state.current && data.conversation.id === state.current.id) {
          var changed = data.messages.length || data.conversation.state !== state.current.state;
          if (changed) apply(data, false);
        }
      }).catch(function () {});
    } else if (state.open) {
      call("GET", "/conversations").then(function (data) { state.conversations = data.conversations; if (!state.current && els.composer.hidden) showList(); }).catch(function () {});
    }
  }

  // --- live: websocket, with polling as the fallback ---------------------------------------
  function schedulePoll() {
    clearTimeout(state.pollTimer);
    var seconds = state.socketOpen ? 30 : (state.info.poll_seconds || 4);
    state.pollTimer = setTimeout(function () { refresh(); schedulePoll(); }, seconds * 1000);
  }

  function connect() {
    schedulePoll();
    if (!("WebSocket" in window)) return;
    var url = base.replace(/^http/, "ws") + state.info.websocket_path + "?agency=" + encodeURIComponent(agency) + "&token=" + encodeURIComponent(state.token);
    var socket;
    try { socket = new WebSocket(url); } catch (e) { return; }
    state.socket = socket;
    socket.onopen = function () { state.socketOpen = true; state.retry = 0; schedulePoll(); };
    socket.onmessage = function (event) {
      var data; try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.event === "typing") { showTyping(data); return; }
      if (data.event === "conversation.updated") {
        if (state.current && data.conversation === state.current.id) refresh();
        else if (state.open && !state.current) refresh();
      }
    };
    socket.onclose = function () {
      state.socketOpen = false; schedulePoll();
      state.retry = Math.min(state.retry + 1, 6);
      setTimeout(connect, 1000 * Math.pow(2, state.retry));
    };
  }
})();
