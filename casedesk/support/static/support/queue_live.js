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

  // onCount(n, resync): every frame carries the waiting count. The first frame after the socket
  // opens is the count alone ("queue.state"); after a drop (resync) the lists re-read too, since
  // frames sent while the socket was down are lost.
  function connect(agency, onCount, forLists) {
    var delay = 1000, wasOpen = false, opened = 0;
    (function dial() {
      var scheme = location.protocol === "https:" ? "wss" : "ws";
      var socket = new WebSocket(scheme + "://" + location.host + "/ws/support/queue/?agency=" + encodeURIComponent(agency));
      socket.onopen = function () {
        delay = 1000; wasOpen = true; opened += 1; setLive(true, forLists);
        if (badge && agency === badgeAgency) badge.dataset.live = "on";  // read by the browser tests
      };
      socket.onmessage = function (e) {
        var data; try { data = JSON.parse(e.data); } catch (err) { return; }
        if (data.event === "queue.state") onCount(data.waiting, opened > 1);
        else if (data.event === "conversation.updated") onCount(data.waiting, true);
      };
      socket.onclose = function (e) {
        if (wasOpen) { wasOpen = false; setLive(false, forLists); if (badge && agency === badgeAgency) badge.dataset.live = "off"; }
        if (e.code === 4404) return; // not this agency's team: nothing to listen to
        setTimeout(dial, delay);
        delay = Math.min(delay * 2, 15000);
      };
    })();
  }

  // Opt-in desktop notifications (the Notifications API): when the waiting count goes up, a
  // conversation is newly waiting, and a person who switched this on hears of it from any team
  // page, unless they are looking at the queue itself. The frame carries no text, so neither
  // does the notification. One tag per agency: several tabs show one notification, not several.
  var notifySupported = "Notification" in window;
  function notifyKey(agency) { return "casedesk:support-notify:" + agency; }
  function notifyWanted(agency) { try { return localStorage.getItem(notifyKey(agency)) === "on"; } catch (e) { return false; } }
  function setNotifyWanted(agency, on) { try { if (on) localStorage.setItem(notifyKey(agency), "on"); else localStorage.removeItem(notifyKey(agency)); } catch (e) {} }
  function shownCount() {
    var n = Number(((badge && badge.querySelector("[data-count]")) || {}).textContent || 0);
    return isNaN(n) ? 0 : n;
  }
  function notifyIfMore(agency, before, n) {
    if (!notifySupported || typeof n !== "number" || n <= before) return;
    if (!notifyWanted(agency) || Notification.permission !== "granted") return;
    if (lists && document.visibilityState === "visible") return;  // the queue shows it already
    var note = new Notification("New support conversation", {
      body: n === 1 ? "1 conversation is waiting for a person." : n + " conversations are waiting for a person.",
      tag: "casedesk-support-" + agency
    });
    var link = badge.closest("a");
    note.onclick = function () { window.focus(); if (link) location.href = link.href; note.close(); };
  }
  function onBadgeCount(n) {
    var before = shownCount();
    showCount(n);
    notifyIfMore(badgeAgency, before, n);
  }

  // The queue page's switch: "Desktop notifications" asks the browser's permission once.
  var toggle = document.getElementById("support-notify");
  if (toggle) {
    var agencyId = toggle.dataset.agency, hint = document.getElementById("support-notify-hint");
    var render = function () {
      var on = notifyWanted(agencyId) && Notification.permission === "granted";
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      if (Notification.permission === "denied") hint.textContent = "Your browser blocks notifications from this site. Allow them in the site settings (the icon left of the address), then press again.";
      else hint.textContent = on ? "On: this browser tells you when a conversation starts waiting, unless you are looking at this page." : "Off: turn on to hear of new conversations while you work on other pages.";
    };
    if (notifySupported) {
      toggle.hidden = false;
      hint.hidden = false;
      render();
      toggle.addEventListener("click", function () {
        if (notifyWanted(agencyId) && Notification.permission === "granted") { setNotifyWanted(agencyId, false); render(); return; }
        Promise.resolve(Notification.requestPermission()).then(function (permission) {
          setNotifyWanted(agencyId, permission === "granted");
          render();
        });
      });
    }
  }

  var badgeAgency = badge && badge.dataset.agency;
  var listsAgency = lists && lists.dataset.agency;
  if (lists) fastTimer = setInterval(refreshLists, FAST); // until a socket is up
  if (badgeAgency && badgeAgency === listsAgency) {
    connect(badgeAgency, function (n, changed) { onBadgeCount(n); if (changed) soon(); }, true);
  } else {
    if (badgeAgency) connect(badgeAgency, onBadgeCount, false);
    if (listsAgency) connect(listsAgency, function (n, changed) { if (changed) soon(); }, true);
  }
})();
