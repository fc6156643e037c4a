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
// search, unread marks kept in the browser's localStorage, and a live
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
// Every label and error message is in the catalog (i18n.go) in pt-BR and
// en; the language is the agent's setting (changeable in the header),
// else the browser's Accept-Language, else pt-BR.
package ui
