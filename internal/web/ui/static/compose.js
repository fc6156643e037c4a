// The reply composer (issue 16): Markdown toolbar, "/" canned replies,
// server-kept drafts (autosaved), pasted or dropped images placed in the
// text (inline in the mail), and the undo-send countdown. Without JavaScript the
// composer is a plain form: the picker, the buttons and "Desfazer" work.
// window.AtendeCompose() starts it again for a ticket put in the inbox
// pane by app.js.
(function () {
  "use strict";
  function init() {
  var form = document.getElementById("reply-form");
  var ta = document.getElementById("reply-text");
  var csrf = document.body.dataset.csrf || "";
  if (!form || !ta || form.dataset.composer) return;
  form.dataset.composer = "on";

  function post(url, params) {
    var body = new URLSearchParams(params);
    body.set("csrf_token", csrf);
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body: body });
  }
  function changed() { ta.dispatchEvent(new Event("input", { bubbles: true })); }

  // Markdown toolbar.
  var bar = form.querySelector(".md-toolbar");
  function wrap(before, after, dflt) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    var sel = v.slice(s, e) || dflt;
    ta.value = v.slice(0, s) + before + sel + after + v.slice(e);
    ta.focus();
    ta.setSelectionRange(s + before.length, s + before.length + sel.length);
    changed();
  }
  function prefixLines(fn) {
    var v = ta.value, s = v.lastIndexOf("\n", ta.selectionStart - 1) + 1, e = ta.selectionEnd;
    var end = v.indexOf("\n", e);
    if (end < 0) end = v.length;
    var lines = v.slice(s, end).split("\n").map(fn);
    var out = lines.join("\n");
    ta.value = v.slice(0, s) + out + v.slice(end);
    ta.focus();
    ta.setSelectionRange(s, s + out.length);
    changed();
  }
  if (bar) {
    bar.hidden = false;
    bar.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-md]");
      if (!b) return;
      switch (b.dataset.md) {
        case "bold": wrap("**", "**", ""); break;
        case "italic": wrap("_", "_", ""); break;
        case "ul": prefixLines(function (l) { return "- " + l; }); break;
        case "ol": var n = 0; prefixLines(function (l) { n++; return n + ". " + l; }); break;
        case "quote": prefixLines(function (l) { return "> " + l; }); break;
        case "link":
          var url = window.prompt(b.dataset.prompt || "URL", "https://");
          if (url && /^(https?:|mailto:)/i.test(url)) wrap("[", "](" + url + ")", url);
          break;
      }
    });
  }

  // Drafts: saved on the server a moment after typing stops.
  var status = document.getElementById("draft-status");
  var timer = null, last = ta.value;
  function saveDraft() {
    timer = null;
    if (ta.value === last || !ta.dataset.draftUrl) return;
    var text = ta.value;
    post(ta.dataset.draftUrl, { text: text }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      last = text;
      if (status) status.textContent = status.dataset.saved;
      form.dataset.draftSaved = String(Date.now());
    }).catch(function () { if (status) status.textContent = status.dataset.failed; });
  }
  ta.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(saveDraft, 600);
  });
  form.addEventListener("submit", function () { if (timer) clearTimeout(timer); });

  // "/" opens the canned replies; typing filters, Enter or a click inserts.
  var pick = document.getElementById("canned-pick");
  var menu = document.getElementById("canned-menu");
  var replies = pick ? Array.prototype.map.call(pick.options, function (o) { return { id: o.value, title: o.textContent }; }) : [];
  var active = -1, token = null;
  function slashToken() {
    var c = ta.selectionStart, v = ta.value.slice(0, c);
    var m = /(^|\s)\/([^\s\/]*)$/.exec(v);
    return m ? { start: c - m[2].length - 1, end: c, q: m[2].toLowerCase() } : null;
  }
  function closeMenu() { menu.hidden = true; active = -1; token = null; ta.removeAttribute("aria-activedescendant"); }
  function render() {
    var q = token.q, items = replies.filter(function (r) { return r.title.toLowerCase().indexOf(q) >= 0; });
    menu.textContent = "";
    items.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "canned-opt-" + r.id;
      li.setAttribute("role", "option");
      li.dataset.id = r.id;
      li.textContent = r.title;
      if (i === active) { li.setAttribute("aria-selected", "true"); ta.setAttribute("aria-activedescendant", li.id); }
      menu.appendChild(li);
    });
    menu.hidden = items.length === 0;
  }
  function insert(id) {
    var t = token;
    closeMenu();
    post(ta.dataset.cannedUrl + id, {}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (d) {
      var v = ta.value;
      ta.value = v.slice(0, t.start) + d.text + v.slice(t.end);
      var at = t.start + d.text.length;
      ta.focus();
      ta.setSelectionRange(at, at);
      // Its files are kept with the draft: listed, ticked.
      (d.files || []).forEach(function (f) {
        if (!kept) return;
        var had = kept.querySelector('li[data-id="' + f.id + '"]');
        if (had) { had.querySelector("input").checked = true; return; }
        kept.appendChild(keptItem(f));
      });
      changed();
    }).catch(function () {});
  }
  if (menu && replies.length) {
    ta.addEventListener("input", function () {
      token = slashToken();
      if (!token) { closeMenu(); return; }
      active = 0;
      render();
    });
    ta.addEventListener("keydown", function (ev) {
      if (menu.hidden || !token) return;
      var n = menu.children.length;
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        active = (active + (ev.key === "ArrowDown" ? 1 : n - 1)) % n;
        render();
      } else if (ev.key === "Enter" || ev.key === "Tab") {
        var li = menu.children[Math.max(active, 0)];
        if (li) { ev.preventDefault(); insert(li.dataset.id); }
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        closeMenu();
      }
    });
    menu.addEventListener("mousedown", function (ev) {
      var li = ev.target.closest("li[data-id]");
      if (li) { ev.preventDefault(); insert(li.dataset.id); }
    });
    ta.addEventListener("blur", function () { setTimeout(function () { if (document.activeElement !== ta) closeMenu(); }, 150); });
  }

  // Pasted or dropped images go where the cursor is: the text gets
  // ![name](attachment:name), which the server sends as an inline image
  // (cid:) at that place; removing the reference leaves the file an
  // ordinary attachment. Every file (pasted, dropped or chosen) is kept
  // on the server with the draft at once (#draft-files, ticked), so a
  // reload, another tab or "Desfazer" still has it. A file the server
  // could not keep stays in the form's file input and goes with the form.
  var input = document.getElementById("attachments");
  var pending = document.getElementById("pending-images");
  var kept = document.getElementById("draft-files");
  var pasted = 0, inflight = 0, submitAfter = null;
  function fmt(tpl, v) { return (tpl || "%s").replace("%s", v); }
  function say(text) { if (status) status.textContent = text; }
  // uniqueName keeps each reference pointing at one file.
  function uniqueName(name, names) {
    if (names.indexOf(name) < 0) return name;
    var dot = name.lastIndexOf("."), base = dot > 0 ? name.slice(0, dot) : name, ext = dot > 0 ? name.slice(dot) : "";
    for (var i = 2; ; i++) { if (names.indexOf(base + "-" + i + ext) < 0) return base + "-" + i + ext; }
  }
  function refURL(name) {
    return encodeURIComponent(name).replace(/[()!'*]/g, function (c) { return "%" + c.charCodeAt(0).toString(16).toUpperCase(); });
  }
  function imageRef(name) {
    var alt = name.replace(/[\\\[\]]/g, "\\$&");
    return "![" + alt + "](attachment:" + refURL(name) + ")";
  }
  // dropRefs takes a removed file's images out of the text (whatever
  // their alt text became), with the line break a paste put after each:
  // the reply would otherwise show "[imagem: name]" at that place.
  function dropRefs(name) {
    var url = ("attachment:" + refURL(name)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    var re = new RegExp("!\\[(?:\\\\.|[^\\]\\\\])*\\]\\(" + url + "\\)\\n?", "g");
    var v = ta.value.replace(re, "");
    if (v !== ta.value) { ta.value = v; changed(); }
  }
  function keptNames() {
    if (!kept) return [];
    return Array.prototype.map.call(kept.querySelectorAll(".draft-name"), function (n) { return n.textContent; });
  }
  // The images still in the file input, as thumbnails under the text
  // (data: URLs: the page's CSP allows no blob:).
  function showPending() {
    if (!pending || !input) return;
    pending.textContent = "";
    Array.prototype.forEach.call(input.files, function (f) {
      if (!/^image\/(png|jpeg|gif|webp)$/.test(f.type)) return;
      var li = document.createElement("li"), img = document.createElement("img"), cap = document.createElement("span");
      img.alt = f.name;
      cap.textContent = f.name;
      li.appendChild(img);
      li.appendChild(cap);
      pending.appendChild(li);
      var rd = new FileReader();
      rd.onload = function () { img.src = rd.result; };
      rd.readAsDataURL(f);
    });
    pending.hidden = pending.children.length === 0;
  }
  function removeButton(li, url, name) {
    var b = li.querySelector(".draft-remove");
    if (!b) {
      b = document.createElement("button");
      b.type = "button"; b.className = "draft-remove"; b.textContent = "×";
      b.dataset.url = url;
      var label = fmt(kept.dataset.removeLabel, name);
      b.setAttribute("aria-label", label); b.title = label;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(b);
    }
    b.hidden = false;
    b.addEventListener("click", function () {
      b.disabled = true;
      post(b.dataset.url, {}).then(function (r) {
        if (!r.ok && r.status !== 404) throw new Error(r.status);
        li.remove();
        // The text's images of that name go too, unless another kept
        // file has the same name.
        if (name && keptNames().indexOf(name) < 0) dropRefs(name);
      }).catch(function () { b.disabled = false; });
    });
  }
  function keptItem(f) {
    var li = document.createElement("li"), label = document.createElement("label"), cb = document.createElement("input");
    li.dataset.id = f.id;
    cb.type = "checkbox"; cb.name = "draft_file"; cb.value = f.id; cb.checked = true;
    label.appendChild(cb);
    label.appendChild(document.createTextNode(" "));
    if (f.image) {
      var img = document.createElement("img");
      img.className = "draft-thumb"; img.alt = ""; img.src = f.url;
      label.appendChild(img);
      label.appendChild(document.createTextNode(" "));
    }
    var name = document.createElement("span"); name.className = "draft-name"; name.textContent = f.name;
    var size = document.createElement("span"); size.className = "muted"; size.textContent = f.size;
    label.appendChild(name);
    label.appendChild(document.createTextNode(" "));
    label.appendChild(size);
    li.appendChild(label);
    removeButton(li, f.url + "/delete", f.name);
    return li;
  }
  if (kept) {
    Array.prototype.forEach.call(kept.querySelectorAll("li[data-id]"), function (li) {
      var b = li.querySelector(".draft-remove"), n = li.querySelector(".draft-name");
      if (b) removeButton(li, b.dataset.url, n ? n.textContent : "");
    });
  }
  // keep uploads files to the draft; those kept leave the file input.
  function keep(files) {
    if (!kept || !kept.dataset.uploadUrl || !input || typeof DataTransfer === "undefined" || typeof FormData === "undefined" || !files.length) return;
    var body = new FormData(), busy = [];
    body.append("csrf_token", csrf);
    files.forEach(function (f) {
      body.append("files", f, f.name);
      var li = document.createElement("li");
      li.className = "uploading";
      li.textContent = fmt(kept.dataset.uploading, f.name);
      kept.appendChild(li);
      busy.push(li);
    });
    inflight++;
    fetch(kept.dataset.uploadUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }, body: body }).then(function (r) {
      if (!r.ok) return r.text().then(function (t) { throw new Error(t || String(r.status)); });
      return r.json();
    }).then(function (list) {
      list.forEach(function (f) { kept.appendChild(keptItem(f)); });
      var dt = new DataTransfer();
      Array.prototype.forEach.call(input.files, function (f) { if (files.indexOf(f) < 0) dt.items.add(f); });
      input.files = dt.files;
      showPending();
    }).catch(function (e) {
      say(files.map(function (f) { return fmt(kept.dataset.failed, f.name); }).join(" ") + (e && e.message && e.message.length < 300 ? " " + e.message : ""));
    }).then(function () {
      busy.forEach(function (li) { li.remove(); });
      inflight--;
      if (inflight === 0 && submitAfter) {
        var s = submitAfter;
        submitAfter = null;
        if (form.requestSubmit) form.requestSubmit(s.submitter || undefined); else form.submit();
      }
    });
  }
  // A send while files are on their way waits for them: each file goes
  // once, either kept (ticked) or in the file input.
  form.addEventListener("submit", function (ev) {
    if (inflight > 0) {
      ev.preventDefault();
      submitAfter = { submitter: ev.submitter && ev.submitter.form === form ? ev.submitter : null };
    }
  });
  function addFiles(list) {
    if (!input || typeof DataTransfer === "undefined") return false;
    var dt = new DataTransfer(), refs = [], names = keptNames(), added = [];
    Array.prototype.forEach.call(input.files, function (f) { dt.items.add(f); names.push(f.name); });
    Array.prototype.forEach.call(list, function (f) {
      if (!/^image\//.test(f.type)) return;
      pasted++;
      var ext = (f.type.split("/")[1] || "png").replace(/[^a-z0-9]/g, "");
      var name = f.name && f.name !== "image.png" ? f.name : (ta.dataset.imageName || "image") + "-" + pasted + "." + ext;
      name = uniqueName(name.replace(/[\r\n]+/g, " "), names);
      names.push(name);
      var file = new File([f], name, { type: f.type });
      dt.items.add(file);
      added.push(name);
      refs.push(imageRef(name));
    });
    if (!refs.length) return false;
    input.files = dt.files;
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value, text = refs.join("\n");
    ta.value = v.slice(0, s) + text + v.slice(e);
    ta.focus();
    ta.setSelectionRange(s + text.length, s + text.length);
    changed();
    showPending();
    keep(Array.prototype.filter.call(input.files, function (f) { return added.indexOf(f.name) >= 0; }));
    return true;
  }
  if (input) input.addEventListener("change", function () {
    showPending();
    keep(Array.prototype.slice.call(input.files));
  });
  ta.addEventListener("paste", function (ev) {
    var cd = ev.clipboardData;
    if (cd && cd.files && cd.files.length && addFiles(cd.files)) ev.preventDefault();
  });
  ta.addEventListener("dragover", function (ev) { if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0) ev.preventDefault(); });
  ta.addEventListener("drop", function (ev) {
    if (ev.dataTransfer && ev.dataTransfer.files.length && addFiles(ev.dataTransfer.files)) ev.preventDefault();
  });

  // Undo countdown: the seconds left; after them the button goes away.
  var held = document.querySelectorAll("form.undo-held[data-left]"), t0 = Date.now();
  if (held.length) {
    var tick = function () {
      var gone = Date.now() - t0, left = 0;
      Array.prototype.forEach.call(held, function (f) {
        var s = Math.ceil((Number(f.dataset.left) - gone) / 1000), span = f.querySelector("span");
        if (s > 0) { left++; span.textContent = span.textContent.replace(/\d+/, String(s)); return; }
        if (!f.dataset.done) {
          f.dataset.done = "1";
          span.textContent = f.dataset.gone;
          var b = f.querySelector("button");
          if (b) b.remove();
        }
      });
      if (left) setTimeout(tick, 500);
    };
    tick();
  }
  }
  window.AtendeCompose = init;
  init();
})();
