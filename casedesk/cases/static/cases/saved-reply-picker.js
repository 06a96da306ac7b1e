// Saved replies (issue 16 §4): type "/" in a team composer to pick one of the team's saved
// replies. Any <textarea data-saved-replies-url="…"> gets the list: the case thread's composer
// and the support conversation's. The server answers for the team only and fills in the
// variables ({{contact.first_name}}, {{case.title}}, {{agent.first_name}}); nothing is filled
// here. Keyboard: ↑/↓ to move, Enter or Tab to insert, Escape to close. The textarea keeps its
// textbox role (a textarea may not carry aria-expanded); it points at the list with
// aria-controls and at the chosen option with aria-activedescendant, and a polite status line
// says how many replies match.
(function () {
  "use strict";
  var TRIGGER = /(^|\s)\/([^\s/]{0,40})$/;

  function attach(body) {
    var url = body.dataset.savedRepliesUrl;
    var menu = document.createElement("ul");
    menu.className = "saved-reply-menu";
    menu.id = body.id + "-saved-replies";
    menu.setAttribute("role", "listbox");
    menu.setAttribute("aria-label", "Saved replies");
    menu.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    body.after(menu, status);
    body.setAttribute("aria-autocomplete", "list");
    body.setAttribute("aria-controls", menu.id);

    var items = [], active = -1, ticket = 0, inserting = false;

    function query() {
      var upto = body.value.slice(0, body.selectionStart);
      if (body.selectionStart !== body.selectionEnd) return null;
      var m = TRIGGER.exec(upto);
      return m ? { text: m[2], start: upto.length - m[2].length - 1 } : null;
    }
    function close() {
      menu.hidden = true;
      menu.innerHTML = "";
      items = [];
      active = -1;
      body.removeAttribute("aria-activedescendant");
    }
    function render(emptyText) {
      menu.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = menu.id + "-" + item.id;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.className = "saved-reply-option" + (i === active ? " is-active" : "");
        var title = document.createElement("strong");
        title.textContent = item.title;
        var preview = document.createElement("small");
        preview.textContent = item.preview;
        li.append(title, " ", preview);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        menu.appendChild(li);
      });
      if (!items.length && emptyText) {
        var none = document.createElement("li");
        none.className = "saved-reply-empty";
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.setAttribute("aria-selected", "false");
        none.textContent = emptyText;
        menu.appendChild(none);
      }
      menu.hidden = menu.children.length === 0;
      if (active >= 0 && items[active]) {
        body.setAttribute("aria-activedescendant", menu.id + "-" + items[active].id);
        var el = document.getElementById(menu.id + "-" + items[active].id);
        if (el && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
      } else {
        body.removeAttribute("aria-activedescendant");
      }
    }
    function choose(i) {
      var q = query();
      if (!q || !items[i]) return;
      var text = items[i].insert;
      inserting = true;
      body.setRangeText(text, q.start, body.selectionStart, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
      inserting = false;
      status.textContent = "Inserted “" + items[i].title + "”.";
      close();
      body.focus();
    }
    body.addEventListener("input", function () {
      if (inserting) return;
      var q = query();
      if (!q) { close(); return; }
      var mine = ++ticket;
      fetch(url + "?q=" + encodeURIComponent(q.text), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (d) {
          if (mine !== ticket || !query()) return;
          items = d.results || [];
          active = items.length ? 0 : -1;
          var empty = q.text ? "No saved reply matches “" + q.text + "”." : "No saved replies yet: add them in Settings → Saved replies.";
          render(empty);
          status.textContent = items.length
            ? items.length + (items.length === 1 ? " saved reply" : " saved replies") + ". Arrow keys to choose, Enter to insert."
            : empty;
        })
        .catch(close);
    });
    body.addEventListener("keydown", function (e) {
      if (menu.hidden) return;
      if (e.key === "Escape") { e.preventDefault(); close(); return; }
      if (!items.length) return;
      if (e.key === "ArrowDown") { e.preventDefault(); active = (active + 1) % items.length; render(); }
      else if (e.key === "ArrowUp") { e.preventDefault(); active = (active - 1 + items.length) % items.length; render(); }
      else if ((e.key === "Enter" && !e.ctrlKey && !e.metaKey) || e.key === "Tab") {
        if (active >= 0) { e.preventDefault(); e.stopImmediatePropagation(); choose(active); }
      }
    });
    // Close on leaving the box, unless focus came back before the delay ran out (Send and straight
    // back to type, for one): a stale close would hide the list just opened for the new text.
    body.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== body) close(); }, 150);
    });
  }

  document.querySelectorAll("textarea[data-saved-replies-url]").forEach(attach);
})();
