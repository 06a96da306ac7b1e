/*
 * Behaviour that used to sit in inline handlers (onchange=, onfocus=), which the
 * Content-Security-Policy forbids. Delegated from the document, so it also works on markup
 * that htmx or the live feed swap in later.
 *   <select data-autosubmit>        submits its form when the choice changes
 *   <input data-select-on-focus>    selects its text on focus (share links)
 *   <button id="nav-toggle">        opens and closes the phone menu (aria-expanded follows)
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      if (target.form.requestSubmit) target.form.requestSubmit(); else target.form.submit();
    }
  });
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.hasAttribute("data-select-on-focus")) target.select();
  });
  document.addEventListener("click", function (event) {
    var toggle = event.target instanceof Element ? event.target.closest("#nav-toggle") : null;
    if (!toggle) return;
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    var nav = toggle.closest(".sidebar");
    if (nav) nav.classList.toggle("nav-open", open);
  });
})();
