// Atende UI: live inbox refresh, unread marks, message frame sizing.
// No inline scripts: the page CSP allows only this file.
(function () {
  "use strict";

  // Unread marks come from the server (data-unread: customer activity
  // since this agent last opened the ticket, on any device); the class
  // mirrors them for scripts and older selectors.
  function markUnread(root) {
    var rows = (root || document).querySelectorAll(".ticket-row");
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.toggle("unread", rows[i].hasAttribute("data-unread"));
    }
  }

  // keepPicked remembers the rows ticked for a bulk action and returns
  // what ticks them again after the list is redrawn.
  function keepPicked(list) {
    var ids = {};
    list.querySelectorAll("input.bulk-pick:checked").forEach(function (c) { ids[c.value] = true; });
    return function () { list.querySelectorAll("input.bulk-pick").forEach(function (c) { if (ids[c.value]) c.checked = true; }); };
  }

  // The list fragment carries the views' counts; copy them to the column.
  function updateCounts(list) {
    var src = list.querySelectorAll("#view-counts [data-count]");
    for (var i = 0; i < src.length; i++) {
      var dst = document.querySelector(".views .count[data-count='" + src[i].dataset.count + "']");
      if (dst) dst.textContent = src[i].textContent;
    }
  }

  // The bulk bar is hidden while the list is empty (server-rendered the
  // same way); a live refresh may fill or empty the list.
  function showBulk(list) {
    var bar = document.getElementById("bulk-form");
    if (bar) bar.hidden = !list.querySelector(".ticket-row");
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
        .then(function (html) { var picked = keepPicked(list); list.innerHTML = html; picked(); markUnread(list); updateCounts(list); showBulk(list); document.body.dataset.refreshed = String(Date.now()); })
        .catch(function () {})
        .then(function () { inflight = false; if (again) { again = false; refresh(); } });
    }
    function schedule() {
      if (pending) clearTimeout(pending);
      pending = setTimeout(function () { pending = null; refresh(); }, 100);
    }
    var es = new EventSource("/api/v1/events");
    ["ticket.created", "ticket.updated", "message.received", "message.sent", "stream.resync"].forEach(function (t) {
      es.addEventListener(t, schedule);
    });
    var opened = false;
    es.onopen = function () {
      // After a reconnect, events may have been missed: re-read the list.
      if (opened) schedule();
      opened = true;
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

  // Presence: this page says the agent is viewing (or typing in) the
  // ticket, renewed every 10 s, and shows the other agents in it, read
  // again on each presence.changed event (any node's).
  function initPresence(view) {
    var bar = document.getElementById("presence");
    var csrf = document.body.dataset.csrf;
    if (!bar || !csrf || !window.fetch) return null;
    var url = "/tickets/" + view.dataset.ticket + "/presence";
    var state = "viewing", idle = null;
    function show(d) {
      var list = (d && d.others) || [];
      var parts = list.map(function (o) {
        return (o.typing ? bar.dataset.typing : bar.dataset.viewing).replace("%s", o.name);
      });
      bar.textContent = parts.join(" · ");
      bar.hidden = parts.length === 0;
      bar.dataset.count = String(parts.length);
    }
    function done(r) { return r.ok ? r.json().then(show) : null; }
    function send(st) {
      var b = new URLSearchParams();
      b.set("csrf_token", csrf);
      b.set("state", st);
      fetch(url, { method: "POST", credentials: "same-origin", body: b }).then(done).catch(function () {});
    }
    send(state);
    var timer = setInterval(function () { send(state); }, 10000);
    view.addEventListener("input", function (ev) {
      if (!ev.target || ev.target.tagName !== "TEXTAREA") return;
      if (state !== "typing") { state = "typing"; send(state); }
      clearTimeout(idle);
      idle = setTimeout(function () { state = "viewing"; send(state); }, 5000);
    });
    function gone() {
      if (!navigator.sendBeacon) return;
      var f = new FormData();
      f.set("csrf_token", csrf);
      f.set("state", "gone");
      navigator.sendBeacon(url, f);
    }
    window.addEventListener("pagehide", gone);
    return {
      reread: function () { fetch(url, { credentials: "same-origin" }).then(done).catch(function () {}); },
      // stop: the ticket left the inbox pane (another one, or closed).
      stop: function () { clearInterval(timer); clearTimeout(idle); window.removeEventListener("pagehide", gone); gone(); }
    };
  }

  // initTicket starts a ticket view's presence, live notice and frames;
  // it returns what stops them (the inbox pane swaps tickets).
  function initTicket(view) {
    var notice = document.getElementById("ticket-live");
    var presence = initPresence(view);
    var reread = presence && presence.reread;
    var es = null;
    if (notice && window.EventSource) {
      // Tell the agent about new activity without reloading (a reload
      // would lose what they are typing).
      es = new EventSource("/api/v1/events");
      var onEvent = function (ev) {
        try {
          if (String(JSON.parse(ev.data).ticket_id) === view.dataset.ticket) notice.hidden = false;
        } catch (e) {}
      };
      ["ticket.updated", "message.received", "message.sent"].forEach(function (t) { es.addEventListener(t, onEvent); });
      es.addEventListener("presence.changed", function (ev) {
        try {
          if (reread && String(JSON.parse(ev.data).ticket_id) === view.dataset.ticket) reread();
        } catch (e) {}
      });
      es.onopen = function () { document.body.dataset.live = "on"; };
    }
    // A thumbnail the server refused (too many pixels) or that does not
    // decode: keep the file's name and download link only.
    view.querySelectorAll("img.att-thumb").forEach(function (img) {
      var hide = function () { if (img.parentNode) img.parentNode.hidden = true; };
      if (img.complete && img.naturalWidth === 0) hide();
      else img.addEventListener("error", hide);
    });
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
    return function () {
      if (es) es.close();
      if (presence) presence.stop();
    };
  }

  // The ticket beside the list (split.go): on a wide screen a row's click
  // (or Enter, o) loads the ticket into the pane, with its URL in the
  // history; narrower, the row's link opens the ticket page as before.
  var WIDE = "(min-width: 1200px)";
  var stopTicket = null;
  function startTicket(view) {
    if (stopTicket) stopTicket();
    stopTicket = view ? initTicket(view) : null;
  }
  var oneTime = ["ok", "bulk", "bulk_n", "bulk_arg", "bulk_status", "bulk_skipped"];
  function inboxURL(id) {
    var q = new URLSearchParams(location.search);
    oneTime.forEach(function (k) { q.delete(k); });
    if (id) q.set("t", id); else q.delete("t");
    var s = q.toString();
    return "/inbox" + (s ? "?" + s : "");
  }
  function selectRow(id) {
    document.querySelectorAll("#ticket-list .ticket-row").forEach(function (r) {
      var on = id !== null && r.getAttribute("data-ticket") === String(id);
      r.classList.toggle("kb-current", on);
      if (on) {
        r.setAttribute("aria-current", "true");
        r.removeAttribute("data-unread"); // opening it marks it read on the server
        r.classList.remove("unread");
      } else r.removeAttribute("aria-current");
    });
    document.dispatchEvent(new CustomEvent("atende:select", { detail: id === null ? null : String(id) }));
  }
  function initPane(list, pane) {
    var inbox = pane.closest(".inbox"), seq = 0;
    var baseTitle = document.title.replace(/^.* · (?=[^·]+ · [^·]+$)/, "");
    function shown(on) {
      pane.hidden = !on;
      inbox.classList.toggle("has-pane", on);
      document.body.classList.toggle("split", on);
    }
    function open(id, push) {
      var target = inboxURL(id), n = ++seq;
      document.body.dataset.paneLoading = String(id);
      return fetch("/tickets/" + encodeURIComponent(id) + "?pane=1&return=" + encodeURIComponent(target),
        { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.text(); })
        .then(function (html) {
          if (n !== seq) return; // a later click won
          if (push) history.pushState({ t: String(id) }, "", target);
          pane.innerHTML = html;
          shown(true);
          pane.scrollTop = 0;
          var view = pane.querySelector(".ticket-view");
          startTicket(view);
          if (window.AtendeCompose) window.AtendeCompose();
          if (view && view.dataset.title) document.title = view.dataset.title + " · " + baseTitle;
          selectRow(id);
          document.body.dataset.pane = String(id);
        })
        .catch(function () { if (n === seq) location.href = "/tickets/" + encodeURIComponent(id); });
    }
    function close(push) {
      seq++;
      startTicket(null);
      pane.innerHTML = "";
      shown(false);
      document.title = baseTitle;
      if (push) history.pushState({ t: null }, "", inboxURL(null));
      selectRow(null);
      document.body.dataset.pane = "";
    }
    function plain(ev) { return ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey; }
    list.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest(".ticket-row a") : null;
      if (!a || !plain(ev) || !window.matchMedia(WIDE).matches) return;
      ev.preventDefault();
      open(a.closest(".ticket-row").getAttribute("data-ticket"), true);
    });
    pane.addEventListener("click", function (ev) {
      var a = ev.target.closest ? ev.target.closest("#pane-close") : null;
      if (!a || !plain(ev)) return;
      ev.preventDefault();
      close(true);
    });
    window.addEventListener("popstate", function () {
      var t = new URLSearchParams(location.search).get("t");
      if (t) open(t, false); else close(false);
    });
    var cur = list.querySelector(".ticket-row[aria-current]");
    if (cur) cur.scrollIntoView({ block: "nearest" });
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
    if (view) startTicket(view);
    var pane = document.getElementById("ticket-pane");
    if (list && pane && window.fetch && window.history && history.pushState) initPane(list, pane);
  });
})();

// Admin pages: copy buttons for secrets shown once (API tokens, webhook
// signing secrets). <button data-copy="ID" data-copied="label">.
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var b = ev.target && ev.target.closest ? ev.target.closest("button[data-copy]") : null;
    if (!b) return;
    var src = document.getElementById(b.dataset.copy);
    if (!src) return;
    ev.preventDefault();
    var text = src.value !== undefined ? src.value : src.textContent;
    var done = function () {
      var st = document.getElementById(b.dataset.copy + "-status");
      if (st) st.textContent = b.dataset.copied || "";
      b.dataset.state = "copied";
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { src.select && src.select(); });
    } else if (src.select) {
      src.select();
      try { document.execCommand("copy"); done(); } catch (e) {}
    }
  });
})();

// Menu Canais: channel form (connection blocks, provider presets, tips,
// copy, connection test without reload) and rule filters (+ / − rows).
(function () {
  "use strict";

  function radio(form, name) {
    var r = form.querySelector("input[name='" + name + "']:checked");
    return r ? r.value : "";
  }

  function initChannelForm(form) {
    var conn = form.querySelector("#ch-connection");
    var provider = form.querySelector("#ch-provider");
    var presets = {};
    try { JSON.parse(provider.dataset.presets || "[]").forEach(function (p) { presets[p.id] = p; }); } catch (e) {}
    function set(id, v) { var el = form.querySelector("#" + id); if (el && v !== undefined && v !== null && v !== "" && v !== 0) el.value = String(v); }
    function update() {
      var c = conn.value;
      form.querySelectorAll("[data-conn]").forEach(function (el) { el.hidden = el.dataset.conn !== c; });
      var p = presets[provider.value];
      form.querySelector("#app-password-tip").hidden = !(p && p.app_password);
      form.querySelector("#personal-warning").hidden = radio(form, "account_kind") !== "personal";
      form.querySelector("#oauth-block").hidden = radio(form, "auth") !== "oauth";
    }
    provider.addEventListener("change", function () {
      var p = presets[provider.value];
      if (p) {
        set("imap-host", p.imap_host); set("imap-port", p.imap_port); set("imap-enc", p.imap_enc);
        set("smtp-host", p.smtp_host); set("smtp-port", p.smtp_port); set("smtp-enc", p.smtp_enc);
      }
      update();
    });
    form.addEventListener("change", update);
    update();
    form.querySelectorAll("[data-copy]").forEach(function (b) {
      b.addEventListener("click", function () {
        var input = document.getElementById(b.dataset.copy);
        input.select();
        var done = function () { b.textContent = b.dataset.copied; };
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
        else { document.execCommand("copy"); done(); }
      });
    });
    var test = form.querySelector("#test-connection");
    var out = form.querySelector("#conn-test");
    test.addEventListener("click", function (ev) {
      ev.preventDefault();
      var label = test.textContent;
      test.disabled = true;
      test.textContent = test.dataset.busy;
      out.innerHTML = "";
      var body = new URLSearchParams(new FormData(form));
      fetch(test.dataset.url, { method: "POST", credentials: "same-origin", body: body })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          out.innerHTML = html;
          form.querySelectorAll(".field-error.from-test").forEach(function (e) { e.remove(); });
          out.querySelectorAll("[data-field]").forEach(function (li) {
            var input = form.querySelector("[name='" + li.dataset.field.replace(/'/g, "") + "']");
            if (!input) return;
            var span = document.createElement("span");
            span.className = "field-error from-test";
            span.setAttribute("role", "alert");
            span.textContent = li.textContent;
            input.insertAdjacentElement("afterend", span);
          });
        })
        .catch(function (e) { out.textContent = String(e); })
        .then(function () { test.disabled = false; test.textContent = label; document.body.dataset.tested = String(Date.now()); });
    });
  }

  function initRuleForm(form) {
    var list = form.querySelector("#filters");
    var tpl = form.querySelector("#filter-template");
    form.querySelector("#add-filter").addEventListener("click", function () {
      list.appendChild(tpl.content.cloneNode(true));
      var rows = list.querySelectorAll("[data-filter]");
      var last = rows[rows.length - 1];
      last.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      var v = last.querySelector("input[name='filter_value']");
      if (v) v.focus();
    });
    list.addEventListener("click", function (ev) {
      var b = ev.target.closest(".remove-filter");
      if (b) b.closest("[data-filter]").remove();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var cf = document.getElementById("channel-form");
    if (cf) initChannelForm(cf);
    var rf = document.getElementById("rule-form");
    if (rf) initRuleForm(rf);
  });
})();

// Time zones: an agent without one gets the browser's, saved once; the
// setup form sends it as the company's.
(function () {
  "use strict";
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var zone = browserZone();
    var setupZone = document.getElementById("setup-time-zone");
    if (setupZone && zone) setupZone.value = zone;
    var b = document.body;
    if (b.dataset.saveZone !== "1" || !zone || !b.dataset.csrf) return;
    var body = new URLSearchParams();
    body.set("csrf_token", b.dataset.csrf);
    body.set("time_zone", zone);
    fetch("/me/timezone", { method: "POST", credentials: "same-origin", body: body })
      .then(function (r) { if (r.ok) b.dataset.zoneSaved = zone; })
      .catch(function () {});
  });
})();
