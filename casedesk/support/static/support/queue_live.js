// The support queue, live: one socket per agency (/ws/support/queue/?agency=<id>, session auth,
// that agency's team only). Each frame names a changed conversation and the waiting count, never
// a line of text. The sidebar's "Support" badge shows the count; on the queue (or console) page
// the lists re-read over HTTP (debounced). The lists poll every 30 s anyway (hx-trigger); while
// the socket is down this script also asks every 5 s, as the page did before it was live.
(function () {
  "use strict";
  if (!("WebSocket" in window)) return;
  var badge = document.getElementById("support-waiting");
  var lists = document.getElementById("queue-lists");
  var FAST = 5000, DEBOUNCE = 300;

  function refreshLists() {
    if (lists && window.htmx) window.htmx.trigger(lists, "queue:changed");
  }
  var debounceTimer = null;
  function soon() {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(refreshLists, DEBOUNCE);
  }
  function showCount(n) {
    if (!badge || typeof n !== "number") return;
    var count = badge.querySelector("[data-count]");
    if (count) count.textContent = String(n);
    badge.hidden = n === 0;
  }

  var fastTimer = null;
  function setLive(up, forLists) {
    if (!forLists) return;
    // Read by the browser tests (a data attribute: no inline script, no eval).
    lists.dataset.live = up ? "on" : "off";
    if (up && fastTimer) { clearInterval(fastTimer); fastTimer = null; }
    if (!up && !fastTimer) fastTimer = setInterval(refreshLists, FAST);
  }

  function connect(agency, onEvent, forLists) {
    var delay = 1000, wasOpen = false;
    (function dial() {
      var scheme = location.protocol === "https:" ? "wss" : "ws";
      var socket = new WebSocket(scheme + "://" + location.host + "/ws/support/queue/?agency=" + encodeURIComponent(agency));
      socket.onopen = function () { delay = 1000; wasOpen = true; setLive(true, forLists); };
      socket.onmessage = function (e) {
        var data; try { data = JSON.parse(e.data); } catch (err) { return; }
        if (data.event === "conversation.updated") onEvent(data);
      };
      socket.onclose = function (e) {
        if (wasOpen) { wasOpen = false; setLive(false, forLists); }
        if (e.code === 4404) return; // not this agency's team: nothing to listen to
        setTimeout(dial, delay);
        delay = Math.min(delay * 2, 15000);
      };
    })();
  }

  var badgeAgency = badge && badge.dataset.agency;
  var listsAgency = lists && lists.dataset.agency;
  if (lists) fastTimer = setInterval(refreshLists, FAST); // until a socket is up
  if (badgeAgency && badgeAgency === listsAgency) {
    connect(badgeAgency, function (data) { showCount(data.waiting); soon(); }, true);
  } else {
    if (badgeAgency) connect(badgeAgency, function (data) { showCount(data.waiting); }, false);
    if (listsAgency) connect(listsAgency, soon, true);
  }
})();
