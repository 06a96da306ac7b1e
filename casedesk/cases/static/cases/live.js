// casedesk live updates: one websocket per page (/ws/live/), reconnecting with backoff.
// Events carry ids only; pages fetch content through their own access-checked URLs.
(function () {
  "use strict";
  if (window.casedeskLive) return;
  var listeners = {};
  var cases = new Set();
  var socket = null;
  var delay = 500;
  var everOpened = false;
  var holdUntil = 0;

  function emit(event, payload) {
    (listeners[event] || []).forEach(function (fn) {
      try { fn(payload || {}); } catch (e) { console.error(e); }
    });
  }

  function send(obj) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(obj));
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(scheme + "://" + location.host + "/ws/live/");
    socket.onopen = function () {
      delay = 500;
      cases.forEach(function (id) { send({ type: "subscribe", case: id }); });
      emit(everOpened ? "reconnected" : "connected", {});
      everOpened = true;
      document.documentElement.dataset.live = "on";
    };
    socket.onmessage = function (e) {
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      emit(data.event, data.payload || {});
    };
    socket.onclose = function (e) {
      document.documentElement.dataset.live = "off";
      emit("disconnected", {});
      if (e.code === 4401) return; // not signed in: nothing to listen to
      // Exponential backoff with jitter, capped at 15 s.
      var wait = Math.max(delay / 2 + Math.random() * delay, holdUntil - Date.now());
      delay = Math.min(delay * 2, 15000);
      setTimeout(connect, wait);
    };
  }

  window.casedeskLive = {
    on: function (event, fn) { (listeners[event] = listeners[event] || []).push(fn); },
    subscribeCase: function (id) {
      id = Number(id);
      if (!cases.has(id)) { cases.add(id); send({ type: "subscribe", case: id }); }
    },
    // "I am typing" on a case (presence.js); the server re-checks access and throttles.
    typing: function (id, internal) { send({ type: "typing", case: Number(id), internal: internal !== false }); },
    // For tests: drop the connection as a network failure would, staying away at least holdMs.
    _drop: function (holdMs) { holdUntil = Date.now() + (holdMs || 0); if (socket) socket.close(); },
  };

  // The bell (team pages): the count follows notification events, and is re-read after a reconnect.
  function setBell(n) {
    var el = document.getElementById("bell-count");
    if (!el) return;
    el.textContent = String(n);
    el.classList.toggle("bell-zero", !n);
  }
  window.casedeskLive.on("notifications.changed", function (p) { if (typeof p.unread === "number") setBell(p.unread); });
  window.casedeskLive.on("reconnected", function () {
    var bell = document.getElementById("bell");
    if (!bell) return;
    fetch(bell.dataset.countUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d && typeof d.unread === "number") setBell(d.unread); })
      .catch(function () {});
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", connect);
  else connect();
})();
