// The composer's files: a picker, drag and drop onto the composer, and paste from the clipboard.
// Each chosen file shows as a chip (type icon, name, size, a thumbnail for images) that can be
// removed before sending; while the message is sent, each chip has a progress bar and a Cancel.
// thread.js sends through window.casedeskComposerFiles.send (one multipart POST, as before:
// the server's 25 MB rule and its sentences are unchanged).
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var input = document.getElementById("composer-files");
  var chips = document.getElementById("composer-attachments");
  var status = document.getElementById("composer-files-status");
  if (!form || !input || !chips) return;
  var pending = [];  // { file, chip, bar, button, url }
  var xhr = null;

  // Django's filesizeformat, so a chip says what the thread will say once it is sent.
  function size(n) {
    if (n < 1024) return n + (n === 1 ? "\u00a0byte" : "\u00a0bytes");
    var units = ["KB", "MB", "GB"], v = n, u = -1;
    do { v /= 1024; u++; } while (v >= 1024 && u < units.length - 1);
    return v.toFixed(1) + "\u00a0" + units[u];
  }
  function family(file) {
    var t = file.type || "", name = file.name.toLowerCase();
    if (/^image\//.test(t)) return "image";
    if (t === "application/pdf" || /\.pdf$/.test(name)) return "pdf";
    if (/^video\//.test(t)) return "video";
    if (/^audio\//.test(t)) return "audio";
    if (/zip|tar|gzip|7z|rar/.test(t) || /\.(zip|tar|gz|7z|rar)$/.test(name)) return "archive";
    if (/spreadsheet|ms-excel|csv/.test(t) || /\.(xlsx?|csv|ods)$/.test(name)) return "sheet";
    if (/wordprocessing|msword|rtf/.test(t) || /\.(docx?|odt|rtf)$/.test(name)) return "doc";
    if (/^text\//.test(t)) return "text";
    return "other";
  }
  var LABELS = { image: "IMG", pdf: "PDF", video: "VID", audio: "AUD", archive: "ZIP", sheet: "XLS", doc: "DOC", text: "TXT", other: "FILE" };
  function say(text) { if (status) status.textContent = text; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function add(fileList, how) {
    var added = [];
    Array.prototype.forEach.call(fileList, function (file) {
      var kind = family(file);
      var chip = el("li", "file-chip file-chip--" + kind + " composer-file");
      var entry = { file: file, chip: chip, url: null };
      if (kind === "image" && window.URL && URL.createObjectURL) {
        entry.url = URL.createObjectURL(file);
        var img = el("img", "composer-thumb");
        img.alt = "";
        img.addEventListener("error", function () { img.remove(); });  // not a picture the browser can show
        img.src = entry.url;
        chip.appendChild(img);
      }
      var icon = el("span", "file-icon", LABELS[kind]); icon.setAttribute("aria-hidden", "true");
      chip.appendChild(icon);
      var text = el("span", "file-text");
      text.appendChild(el("span", "file-name", file.name));
      text.appendChild(el("span", "msg-file-meta file-size", size(file.size)));
      var bar = el("progress", "file-progress"); bar.max = 100; bar.value = 0; bar.hidden = true;
      bar.setAttribute("aria-label", "Sending " + file.name);
      text.appendChild(bar);
      chip.appendChild(text);
      var button = el("button", "file-remove", "Remove");
      button.type = "button";
      button.setAttribute("aria-label", "Remove " + file.name);
      button.addEventListener("click", function () { remove(entry); });
      chip.appendChild(button);
      entry.bar = bar; entry.button = button;
      pending.push(entry); chips.appendChild(chip); added.push(file.name);
    });
    chips.hidden = pending.length === 0;
    if (added.length) say((added.length === 1 ? "“" + added[0] + "” added" : added.length + " files added") + (how ? " " + how : "") + ".");
  }
  function forget(entry) {
    pending = pending.filter(function (e) { return e !== entry; });
    if (entry.url) URL.revokeObjectURL(entry.url);
    entry.chip.remove();
    chips.hidden = pending.length === 0;
  }
  function remove(entry) {
    if (xhr) {  // while sending, the button is Cancel: stop the send, and drop this file
      xhr.abort();
      forget(entry);
      say("Sending stopped and “" + entry.file.name + "” removed. Your text is still here; press Send to send the rest.");
      return;
    }
    forget(entry);
    say("“" + entry.file.name + "” removed.");
    input.focus();
  }

  input.addEventListener("change", function () { add(input.files, ""); input.value = ""; });

  function hasFiles(e) { return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], "Files") >= 0; }
  var depth = 0;
  form.addEventListener("dragenter", function (e) { if (!hasFiles(e)) return; e.preventDefault(); depth++; form.classList.add("is-dropping"); });
  form.addEventListener("dragover", function (e) { if (!hasFiles(e)) return; e.preventDefault(); e.dataTransfer.dropEffect = "copy"; });
  form.addEventListener("dragleave", function () { depth = Math.max(0, depth - 1); if (!depth) form.classList.remove("is-dropping"); });
  form.addEventListener("drop", function (e) {
    depth = 0; form.classList.remove("is-dropping");
    if (!hasFiles(e)) return;
    e.preventDefault();
    add(e.dataTransfer.files, "by drag and drop");
  });
  form.addEventListener("paste", function (e) {
    var data = e.clipboardData;
    if (!data || !data.files || !data.files.length) return;
    // A copied picture arrives as a file; text copied with it (a document's) still pastes as text.
    if (Array.prototype.indexOf.call(data.types || [], "text/plain") < 0) e.preventDefault();
    add(data.files, "from the clipboard");
  });

  function progress(loaded, total) {
    var sum = pending.reduce(function (s, e) { return s + e.file.size; }, 0);
    var start = Math.max(0, total - sum);  // the text fields go first; the files last, in order
    pending.forEach(function (e) {
      var done = e.file.size ? (loaded - start) / e.file.size : 1;
      e.bar.value = Math.round(100 * Math.max(0, Math.min(1, done)));
      start += e.file.size;
    });
  }

  window.casedeskComposerFiles = {
    size: size,
    files: function () { return pending.map(function (e) { return e.file; }); },
    clear: function () { pending.slice().forEach(forget); say(""); },
    // POST the form's fields with the chosen files; resolves like thread.js's post().
    send: function (url, data, headers) {
      data.delete("files");
      pending.forEach(function (e) { data.append("files", e.file, e.file.name); });
      pending.forEach(function (e) {
        e.bar.hidden = !pending.length; e.bar.value = 0;
        e.button.textContent = "Cancel";
        e.button.setAttribute("aria-label", "Cancel sending " + e.file.name);
      });
      return new Promise(function (resolve) {
        var req = new XMLHttpRequest();
        xhr = req;
        req.open("POST", url);
        Object.keys(headers).forEach(function (k) { req.setRequestHeader(k, headers[k]); });
        req.upload.addEventListener("progress", function (e) { if (e.lengthComputable) progress(e.loaded, e.total); });
        function finish(result) {
          xhr = null;
          pending.forEach(function (e) {
            e.bar.hidden = true;
            e.button.textContent = "Remove";
            e.button.setAttribute("aria-label", "Remove " + e.file.name);
          });
          resolve(result);
        }
        req.addEventListener("load", function () {
          var d = {};
          try { d = JSON.parse(req.responseText); } catch (err) {}
          finish({ ok: req.status >= 200 && req.status < 300, status: req.status, data: d });
        });
        req.addEventListener("error", function () {
          finish({ ok: false, status: 0, data: { error: "casedesk could not be reached. Check your connection; your text is still here, so send again when you are back online." } });
        });
        req.addEventListener("abort", function () { finish({ ok: false, status: 0, aborted: true, data: {} }); });
        req.send(data);
      });
    }
  };
})();
