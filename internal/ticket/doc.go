// Package ticket is what agents do to tickets: list (filters, text query,
// cursor pagination), read (messages with attachments), add internal
// notes, assign, change status, merge, set priority and tags, retry a
// failed message, and reply or forward.
//
// Every operation runs as an Actor (company, agent, admin flag, teams).
// Another company's ticket is ErrNotFound; a ticket of the actor's company
// outside their teams (and not assigned to them) is ErrForbidden for
// agents; admins see every ticket of their company.
//
// Replies and forwards are composed by internal/reply (signature, quote,
// threading headers, plus-address Reply-To), their raw MIME is put in the
// blob store, and they are stored as outbound messages with status
// "queued" and handed, inside the same transaction, to an Outbox — by
// default Queue, internal/outbox's durable send queue, whose workers send
// them. Changes are announced to a Publisher (webhooks and live updates)
// after commit.
//
// The agent workspace (issue 16): every change an agent makes (status,
// team, assignee, merge, retry) is recorded as a store.Activity in the
// change's transaction (activity.go; RecordRouted and RecordReopened are
// called by ingest, internal/outbox records delivery failures, retries
// and sent auto-replies); Presence keeps who is viewing or typing in a
// ticket (rows with PresenceTTL in the database, EventPresence on a
// change); RepliedSince tells the composer that another agent replied
// after the page loaded; Contact and RenameContact serve the contact
// panel.
//
// The agent's composer (compose.go, issue 16): a reply with Hold waits in
// the outbox for the company's undo-send delay (store.UndoSeconds,
// default 10 s, 0 = none; API replies wait only when they ask, with
// "undo": true); UndoReply takes it
// back while no worker has claimed its send job (the message is deleted,
// its Markdown returns to the agent's draft, a status set with it is
// restored), else ErrTooLate. ReplyInput.Status sets the ticket's status
// in the same transaction ("Enviar e resolver"). Drafts are kept per
// agent per ticket and cleared by a reply. Canned replies are the
// company's (admins manage them) or an agent's own; RenderCanned fills
// their {{variables}} (Portuguese and English names) on the server and
// leaves any unknown {{...}} as it is.
//
// Bulk (bulk.go) applies one action (assign, team, status, merge) to
// many tickets through Assign, SetStatus and Merge, with per-ticket
// outcomes; the inbox's bulk bar and POST /api/v1/tickets/bulk both call
// it. Unsnooze ends a snooze now; SearchContacts lists a company's
// contacts by address or name; FormAttachments reads a multipart form's
// files for the UI's forms and the API's canned reply upload.
package ticket
