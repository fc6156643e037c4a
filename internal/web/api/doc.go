// Package api is Atende's HTTP surface: the whole route table in one
// function (routes, Go 1.22 ServeMux method patterns), health and
// readiness probes, and the REST API under /api/v1, one file per resource
// (agents.go, teams.go, channels.go with the routing rule, tickets.go,
// tokens.go, webhooks.go, events.go, session.go, oauth.go: "Connect with
// Google / Microsoft" — GET /api/v1/channels/{id}/oauth/start (admin; sets
// the sealed state cookie, Path=/oauth) and the public GET /oauth/callback).
//
// The agent workspace of issue 16 is here too, over the same services the
// UI calls (no rule of its own): canned.go (canned replies: the company's,
// managed by admins, and the caller's own; rendered for a ticket by
// ticket.Service.RenderCanned; files uploaded as multipart "file" parts),
// workspace.go (the caller's draft, replies held for the undo delay with
// "undo": true and cancelled by POST .../replies/{message_id}/cancel — 409
// too_late once a worker claimed it —, snooze, bulk actions through
// ticket.Service.Bulk, the activity timeline, contacts) and reports.go
// (reports.ParsePeriod and reports.WriteCSV, as the UI's /reports).
//
// Authentication is internal/auth (bearer API token or session cookie with
// CSRF); every route declares public, agent or admin access in the table.
// Every read and write is scoped to the caller's company: another
// company's id answers 404 exactly like a missing one. Errors are RFC 9457
// problem documents (application/problem+json) with a machine "code" and,
// for validation, field errors ("errors": [{field, message}]); domain
// errors are mapped to status codes only here (problem.go).
//
// openapi.json is the hand-written OpenAPI 3 document, served at
// /api/v1/openapi.json; a test walks the route table and fails when a
// route is missing from the document or the document lists a route that
// does not exist.
//
// Hub fans ticket events (ticket.created, message.received, message.sent,
// ticket.updated) out to server-sent event streams of the same company
// (GET /api/v1/events; agents only see their tickets' events) and to the
// company's webhooks, as durable store jobs that WebhookWorker delivers:
// POST with X-Atende-Signature: sha256=HMAC-SHA256(secret, timestamp "."
// body) and X-Atende-Timestamp, retried with exponential backoff on any
// non-2xx answer or timeout. Hub implements ingest.Notifier and
// ticket.Publisher. Webhook jobs are enqueued right after the change
// commits (not inside its transaction), so a crash between the two can
// lose one notification; live events are best effort (a slow client
// misses events and should refetch).
package api
