// Package ui is Atende's web interface for agents: server-rendered
// html/template pages (templates/), one small hand-written script and one
// stylesheet (static/), all embedded with go:embed so `go build` alone
// ships them.
//
// New returns an http.Handler for every path except the API's; Combine
// serves it next to internal/web/api.Handler (APIPaths: /api/, /healthz,
// /readyz, /oauth/) from one handler.
//
// Pages: first-run setup (only while the database has no company;
// afterwards it redirects to the login), login (CSRF double-submit cookie
// before a session exists; precise wrong-password and lockout messages),
// the ticket inbox (filters by status, team, assignee and channel, text
// search, unread marks kept per agent by the server (store.Reads), and a live
// refresh of the list fragment /inbox/list on the API's server-sent
// events, GET /api/v1/events), and the ticket view (thread, DMARC
// warning, attachments, internal note, reply composer, status and
// assignment; new activity is announced without a reload). Every form
// posts with the session's CSRF token (auth.CheckCSRF) and redirects
// after success (303); validation errors re-render the form with the
// translated message next to each field.
//
// Mail HTML never becomes part of a UI page: each message body is its own
// document at /tickets/{id}/messages/{mid}/body, shown in an iframe whose
// sandbox has no allow-scripts, served with the Content-Security-Policy
// FrameCSP ("default-src 'none'; img-src 'self' data:; style-src
// 'unsafe-inline'"). Remote images (kept by internal/mailparse as
// data-remote-src) load only after the agent clicks "show images":
// ?images=1 copies them into src and widens img-src to http: and https:
// for that one document. cid: images resolve to
// /tickets/{id}/messages/{mid}/cid/{cid} (raster types only); attachments
// download with Content-Disposition: attachment and a sandbox CSP. UI pages
// themselves run under PageCSP (scripts only from /static/).
//
// Every label and error message is in the catalogs (locale/*.json) in pt-BR and
// en; the language is the agent's setting (changeable in the header),
// else the browser's Accept-Language, else pt-BR.
//
// Times (times.go) are shown in the agent's time zone, friendly ("hoje
// 14:05", "ontem 09:12", "5 de jun. 14:05", "05/06/2023 14:05") relative
// to Deps.Clock, with the whole timestamp and zone in the <time> title.
// An agent without a zone gets the company's until the page script saves
// the browser's (POST /me/timezone, once); /me ("Preferências", the
// agent's name in the header) changes the agent's language and zone and,
// for admins, the company's language and zone (what customers read).
//
// A message the outbox could not send shows a translated banner by
// failure kind (outbox.ParseFailure: refused by the recipient's server,
// our sending setup, the relay without STARTTLS, given up after retries)
// with the server's text as the detail and "Tentar novamente"
// (ticket.Service.Retry: the same message and Message-ID back in the
// queue). The ticket's priority and tags (set by rule filters) are shown
// and editable in the side column.
//
// The agent workspace of a ticket (workspace.go, issue 16):
//   - Presence: the page posts its state to /tickets/{id}/presence
//     (viewing, typing while a textarea changes, gone on pagehide) every
//     10 s and shows the other agents in the ticket; a change is the
//     presence.changed event, which crosses nodes like every event (the
//     rows, with a 30 s expiry, are in the database), so the other page
//     re-reads within the event's latency.
//   - Held send: the reply form carries the newest message id the page
//     showed (seen_message); when another agent replied after it, the
//     send is held (409, the ticket shown again with the new reply, the
//     agent's text kept and "Mariana respondeu há 3 s") with "Revisar"
//     and "Enviar mesmo assim" (send_anyway=1). Plain forms: it works
//     with JavaScript off.
//   - Activity timeline (store.Activity rows written by internal/ticket,
//     ingest's routing and internal/outbox), with who and when in the
//     agent's zone.
//   - Contact panel (name editable, address, organization by domain,
//     other tickets) and /contacts/{id}, every ticket of the contact the
//     agent may see, 50 a page.
//   - Attachments: PNG, JPEG, GIF and PDF open at .../attachments/{aid}/view
//     with their own type, inline, nosniff and a sandbox CSP (images as
//     thumbnails scaled in CSS, refused when their header claims more than
//     40 megapixels; PDFs in the browser's viewer, in a new tab); every
//     attachment still downloads as application/octet-stream, attachment
//     disposition, nosniff.
//
// The split inbox (split.go, issue 16): /inbox?…&t=ID shows the views,
// the list and ticket ID beside it from 1200 px (narrower, the ticket
// takes the whole width; a row still opens /tickets/{id}). The pane is the
// ticket page's own template (templates/ticket_view.html, "ticket") and
// data; showing it marks the ticket read. The page script loads a row's
// ticket into the pane without a reload (GET /tickets/{id}?pane=1, the
// view alone), pushes the URL (back and forward move between tickets),
// restarts presence, the live notice and the composer for the new ticket
// and stops the old ones; Esc closes the pane. The pane's forms carry
// "return" (a local /inbox URL, checked by returnTarget, else ignored):
// after the POST the agent is back on that inbox with the ticket, and a
// form error or a held reply renders the inbox with the pane. The bulk
// bar is hidden on an empty list (and, beside a ticket, until a row is
// ticked).
//
// The inbox's view counts (counts.go, issue 19) come from the company's
// open and pending tickets grouped by status, assignee and team
// (store.CountOpenTicketGroups, one answer for every agent); with
// Deps.ViewCounts set that answer is kept until the company's next change
// (ViewCounts.Changed, called by the app from the event hub), so a page
// view does not count every open ticket. The page runs a fixed number of
// queries, list and search alike (TestPageQueries).
//
// The composer (compose.go, static/compose.js, issue 16) works as plain
// forms: a picker inserts a canned reply (POST /tickets/{id}/canned shows
// the form again with the filled text and the reply's files as
// checkboxes), "Enviar e resolver" / "Enviar e deixar pendente" are
// submit buttons (name "then"), a held reply shows "Desfazer" (a form)
// until its delay ends. The script adds the Markdown toolbar, the "/"
// menu (POST /tickets/{id}/canned/{cid} answers the filled text as
// JSON), draft autosave (POST /tickets/{id}/draft), pasted or dropped
// images as attachments and the countdown. /canned lists and edits canned
// replies; admins also set the undo delay there.
//
// Translations: every label and message lives in locale/<tag>.json, one
// flat key → message file per language (pt-BR is the default and the
// reference: every other file has exactly its keys, with the same
// fmt placeholders; TestCatalogParity and TestEveryUsedKeyExists check
// both). A translator adds a language by adding a file, e.g. locale/es.json
// with "language.name": "Español"; the language menus, Accept-Language
// matching and the directory's validation pick it up with no Go change.
package ui
