// The search box shortcut: "/" or Ctrl+K (⌘K) focuses the box in the header from anywhere,
// except while typing in a field. Escape leaves the box. No inline script (CSP).
(function () {
  "use strict";
  function typing(target) {
    if (!target || !(target instanceof Element)) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  document.addEventListener("keydown", function (event) {
    var box = document.querySelector("[data-search-shortcut]");
    if (!box) return;
    var ctrlK = (event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K");
    var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target);
    if (ctrlK || slash) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && event.target === box) {
      box.blur();
    }
  });
})();
