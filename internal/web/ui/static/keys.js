// Keyboard shortcuts for agents (the list is the #shortcuts dialog in
// layout.html; "?" opens it). In the inbox j/k move through the tickets
// and Enter opens one; e resolves and a assigns the selected ticket to
// oneself. In a ticket j/k move through the messages, r and n go to the
// reply and the note, e and a submit the status and assignment forms.
// Nothing fires while typing in a field or with a modifier held; "/"
// (search) lives in app.js. In the inbox with a ticket beside the list
// (split.go), j/k still move in the list, Enter and o open the selected
// ticket (app.js puts it in the pane on a wide screen), r, n, e and a act
// on the ticket in the pane, and Esc closes the pane.
(function () {
  "use strict";

  function typing(t) {
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  function say(key, number) {
    var s = document.getElementById("keys-status");
    if (!s) return;
    s.textContent = (s.getAttribute("data-" + key) || "").replace("%s", number || "");
    s.className = "flash keys-flash";
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { s.className = "sr-only"; }, 5000);
  }

  // post sends one of the ticket forms' requests with the session's CSRF
  // token, as the form itself would.
  function post(url, fields, done) {
    var body = new URLSearchParams();
    body.set("csrf_token", document.body.getAttribute("data-csrf") || "");
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-Requested-With": "keys" } })
      .then(function (r) { if (r.ok || r.redirected) done(); else say("failed"); })
      .catch(function () { say("failed"); });
  }

  // The inbox: one selected row, kept by ticket id across live refreshes.
  var current = null;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#ticket-list .ticket-row")); }
  function mark() {
    rows().forEach(function (r) {
      var on = r.getAttribute("data-ticket") === current;
      r.classList.toggle("kb-current", on);
      if (on) r.setAttribute("aria-current", "true"); else r.removeAttribute("aria-current");
    });
  }
  function moveRow(step) {
    var list = rows();
    if (!list.length) return;
    if (current === null) {
      var sel = list.find(function (r) { return r.hasAttribute("aria-current"); });
      if (sel) current = sel.getAttribute("data-ticket");
    }
    var i = list.findIndex(function (r) { return r.getAttribute("data-ticket") === current; });
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.max(0, Math.min(list.length - 1, i + step));
    current = list[i].getAttribute("data-ticket");
    mark();
    var a = list[i].querySelector("a");
    if (a) a.focus();
  }
  function selectedRow() {
    return rows().find(function (r) { return r.getAttribute("data-ticket") === current; });
  }
  function rowNumber(r) {
    var n = r.querySelector(".num");
    return n ? n.textContent.replace("#", "") : "";
  }

  // A ticket: messages and forms.
  var msgIndex = -1;
  function moveMessage(step) {
    var msgs = document.querySelectorAll(".thread article.msg");
    if (!msgs.length) return;
    msgIndex = Math.max(0, Math.min(msgs.length - 1, msgIndex + step));
    msgs[msgIndex].setAttribute("tabindex", "-1");
    msgs[msgIndex].focus();
  }
  function goTo(id) {
    var el = document.getElementById(id);
    if (!el) return;
    var d = el.closest("details");
    if (d) d.open = true;
    el.focus();
  }
  function submitSelect(selectID, value) {
    var sel = document.getElementById(selectID);
    if (!sel || !Array.prototype.some.call(sel.options, function (o) { return o.value === value; })) return false;
    sel.value = value;
    var form = sel.form;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var dialog = document.getElementById("shortcuts");
    if (ev.key === "?") {
      if (dialog && dialog.showModal) {
        ev.preventDefault();
        if (dialog.open) dialog.close(); else dialog.showModal();
      }
      return;
    }
    if (dialog && dialog.open) return;
    var inbox = document.getElementById("ticket-list");
    var ticket = document.querySelector(".ticket-view");
    var me = document.body.getAttribute("data-me");
    switch (ev.key) {
      case "Escape":
        var close = document.getElementById("pane-close");
        if (close) { ev.preventDefault(); close.click(); }
        return;
      case "o":
        var sr = inbox && selectedRow();
        var link = sr && sr.querySelector("a");
        if (link) { ev.preventDefault(); link.click(); }
        return;
      case "j":
      case "k":
        ev.preventDefault();
        if (inbox) moveRow(ev.key === "j" ? 1 : -1);
        else if (ticket) moveMessage(ev.key === "j" ? 1 : -1);
        return;
      case "r":
        if (ticket) { ev.preventDefault(); goTo("reply-text"); }
        return;
      case "n":
        if (ticket) { ev.preventDefault(); goTo("note"); }
        return;
      case "e":
        if (ticket) { ev.preventDefault(); submitSelect("status", "resolved"); return; }
        if (inbox && selectedRow()) {
          ev.preventDefault();
          var r = selectedRow(), id = r.getAttribute("data-ticket"), num = rowNumber(r);
          post("/tickets/" + id + "/status", { status: "resolved" }, function () { say("resolved", num); });
        }
        return;
      case "a":
        if (!me) return;
        if (ticket) { ev.preventDefault(); submitSelect("assignee", me); return; }
        if (inbox && selectedRow()) {
          ev.preventDefault();
          var row = selectedRow(), tid = row.getAttribute("data-ticket"), n = rowNumber(row);
          post("/tickets/" + tid + "/assign", { assignee: me }, function () { say("assigned", n); });
        }
        return;
    }
  });

  // app.js says which ticket the pane shows (null: closed).
  document.addEventListener("atende:select", function (ev) {
    if (ev.detail !== null || current !== null) { current = ev.detail; mark(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("ticket-list");
    var sel = list && list.querySelector(".ticket-row[aria-current]");
    if (sel) current = sel.getAttribute("data-ticket");
    if (list && window.MutationObserver) {
      // The list is re-rendered on live events: keep the selection.
      new MutationObserver(function () { if (current) mark(); }).observe(list, { childList: true, subtree: true });
    }
  });
})();
