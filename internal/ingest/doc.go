// Package ingest is Atende's one durable pipeline for incoming mail.
//
// The contract, modelled on a mail server's delivery (maddy's
// Start/Body/Commit): Accept stores the raw bytes under their content
// address and an inbound row with a UNIQUE (channel, source key), and only
// then returns. Small messages (Config.InlineMax, 64 KiB in `serve`) go
// into the database with the row, in its transaction (the accepts' group
// commit); larger ones into the blob store first (fsync, rename). Readers
// open raw messages through Blobs, which looks in both. A caller acknowledges the sender
// (advances an IMAP checkpoint, answers SMTP 250) only after Accept
// returned nil. Accepting the same source key again is a no-op that
// reports Duplicate.
//
// A Worker then turns pending inbound rows into tickets and messages:
// parse (internal/mailparse), thread (internal/thread), route
// (internal/routing) and write contact, ticket, message and attachments in
// one transaction that also marks the row done. Rows are leased, so a
// crashed worker's rows come back after the lease; rows left pending by a
// crash are processed at the next start. Each message carries a dedupe key
// (a hash of its content headers and body, ignoring trace headers that
// relays and forwarders add), unique per company, so the same mail
// arriving twice through different paths yields one ticket message.
package ingest
