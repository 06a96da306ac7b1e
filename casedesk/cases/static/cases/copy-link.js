// "Copy share link" buttons: copy the link next to them and say so (or say how to copy by hand).
// Delegated from the document, so buttons in a list that live updates redraw keep working.
(function () {
  "use strict";
  function feedback(button, text, ok) {
    var box = button.parentNode.querySelector(".copy-feedback");
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("is-error", !ok);
    clearTimeout(button._copyTimer);
    button._copyTimer = setTimeout(function () { box.textContent = ""; }, 4000);
  }
  function byHand(input) {
    // Without the Clipboard API (an http:// page other than localhost): the older command.
    input.focus(); input.select();
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.copy-link") : null;
    if (!button) return;
    var input = document.getElementById(button.dataset.copyFrom);
    if (!input) return;
    var done = function () { feedback(button, "Link copied.", true); };
    var failed = function () {
      if (byHand(input)) { done(); return; }
      input.focus(); input.select();
      feedback(button, "The link could not be copied; it is selected: press Ctrl+C (⌘C on a Mac).", false);
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, failed);
    else failed();
  });
})();
