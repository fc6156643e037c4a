// Atende UI: live inbox refresh, unread marks, message frame sizing.
// No inline scripts: the page CSP allows only this file.
(function () {
  "use strict";

  var seenKey = function (id) { return "atende.seen." + id; };

  function seen(id) {
    try { return Number(localStorage.getItem(seenKey(id)) || 0); } catch (e) { return 0; }
  }

  function markUnread(root) {
    var rows = (root || document).querySelectorAll(".ticket-row");
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var unread = Number(r.dataset.last || 0) > seen(r.dataset.ticket);
      r.classList.toggle("unread", unread);
    }
  }

  function initInbox(list) {
    markUnread(list);
    if (!window.EventSource) return;
    var live = document.getElementById("live");
    var pending = null, inflight = false, again = false;
    function refresh() {
      if (inflight) { again = true; return; }
      inflight = true;
      fetch("/inbox/list" + location.search, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
        .then(function (html) { list.innerHTML = html; markUnread(list); document.body.dataset.refreshed = String(Date.now()); })
        .catch(function () {})
        .then(function () { inflight = false; if (again) { again = false; refresh(); } });
    }
    function schedule() {
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { pending = null; refresh(); }, 100);
    }
    var es = new EventSource("/api/v1/events");
    ["ticket.created", "ticket.updated", "message.received", "message.sent"].forEach(function (t) {
      es.addEventListener(t, schedule);
    });
    es.onopen = function () {
      document.body.dataset.live = "on";
      if (live) live.textContent = list.dataset.liveLabel || "";
    };
    es.onerror = function () {
      document.body.dataset.live = "off";
      if (live) live.textContent = "";
    };
  }

  function fitFrame(f) {
    try {
      var d = f.contentDocument;
      if (d && d.body) {
        // The body's box, not documentElement.scrollHeight (at least the
        // frame's current height, so it never shrinks).
        var h = Math.ceil(d.body.getBoundingClientRect().bottom) + 12;
        f.style.height = Math.min(Math.max(h, 48), 4000) + "px";
      }
    } catch (e) { /* cross-origin: keep the CSS height */ }
  }

  function initTicket(view) {
    try { localStorage.setItem(seenKey(view.dataset.ticket), view.dataset.last); } catch (e) {}
    var notice = document.getElementById("ticket-live");
    if (notice && window.EventSource) {
      // Tell the agent about new activity without reloading (a reload
      // would lose what they are typing).
      var es = new EventSource("/api/v1/events");
      var onEvent = function (ev) {
        try {
          if (String(JSON.parse(ev.data).ticket_id) === view.dataset.ticket) notice.hidden = false;
        } catch (e) {}
      };
      ["ticket.updated", "message.received", "message.sent"].forEach(function (t) { es.addEventListener(t, onEvent); });
      es.onopen = function () { document.body.dataset.live = "on"; };
    }
    var frames = view.querySelectorAll("iframe.msg-frame");
    for (var i = 0; i < frames.length; i++) {
      (function (f) {
        f.addEventListener("load", function () { fitFrame(f); });
        fitFrame(f);
      })(frames[i]);
    }
    var details = view.querySelectorAll("details.quoted");
    for (var j = 0; j < details.length; j++) {
      details[j].addEventListener("toggle", function (ev) {
        var f = ev.target.querySelector("iframe.msg-frame");
        if (f) fitFrame(f);
      });
    }
    var show = view.querySelectorAll("a.show-images");
    for (var k = 0; k < show.length; k++) {
      show[k].addEventListener("click", function (ev) {
        var f = document.getElementById(ev.currentTarget.dataset.frame);
        if (!f) return;
        ev.preventDefault();
        f.src = ev.currentTarget.getAttribute("href");
        ev.currentTarget.parentNode.hidden = true;
      });
    }
  }

  // "/" jumps to the inbox search (unless typing somewhere).
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var t = ev.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    var q = document.getElementById("q");
    if (q) { ev.preventDefault(); q.focus(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("ticket-list");
    if (list) initInbox(list);
    var view = document.querySelector(".ticket-view");
    if (view) initTicket(view);
  });
})();
