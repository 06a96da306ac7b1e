// Documents tab: refresh the list when a file is added to the case (uploaded, or attached to a message).
(function () {
  "use strict";
  var docs = document.getElementById("docs");
  if (!docs || !window.casedeskLive) return;
  var caseId = docs.dataset.case;
  function refresh() {
    fetch(docs.dataset.fragmentUrl, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) docs.innerHTML = html; })
      .catch(function () {});
  }
  window.casedeskLive.subscribeCase(caseId);
  ["document.created", "message.deleted"].forEach(function (ev) {
    window.casedeskLive.on(ev, function (p) { if (String(p.case) === caseId) refresh(); });
  });
  // Files attached to a message come with its message.created event.
  window.casedeskLive.on("message.created", function (p) {
    if (String(p.case) === caseId && p.documents && p.documents.length) refresh();
  });
  window.casedeskLive.on("reconnected", refresh);
})();
