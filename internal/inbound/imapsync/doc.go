// Package imapsync imports mail from external mailboxes over IMAP into
// the ingest pipeline ("conexão externa": the channel reads the mailbox
// itself instead of the customer forwarding mail).
//
// One Folder loop runs per (channel, folder), on its own connection and
// goroutine, so a slow or failing mailbox never delays another. Each loop:
//
//   - logs in (implicit TLS, STARTTLS, or plain only when explicitly
//     allowed) with the password from store.Secrets opened by the
//     secrets.Box — or, for IMAP auth "oauth" (Gmail, Office 365), with
//     XOAUTH2 (OAUTHBEARER when only that is offered) and an access token
//     from the TokenProvider given to Manager.SetOAuth: a refused token is
//     refreshed once (force) and retried on the same connection; a revoked
//     grant (oauth.ErrReconnectNeeded) puts only that channel in
//     reconnect_needed with a pt-BR/en message and one admin notice (kind
//     "oauth_reconnect"), and a new token saved by a reconnect makes Reload
//     restart it from its checkpoint — and SELECTs the folder (EXAMINE when the channel leaves
//     messages untouched);
//   - keeps a checkpoint per folder (store.SyncCheckpoint): UIDVALIDITY and
//     the highest UID whose message ingest accepted. It fetches only UIDs
//     above it, with BODY.PEEK[] (never sets \Seen), streaming each literal
//     straight into ingest.Service.Accept with the source key
//     "imap:<folder>:<uidvalidity>:<uid>", and advances the checkpoint only
//     after Accept returned nil — so a crash re-fetches at most one batch,
//     which the source key turns into duplicates that are not stored twice;
//   - on first connect applies the channel's history policy (none: only
//     mail arriving from now on; N days: UID SEARCH SINCE; all), imports
//     big mailboxes in batches with progress on the channel status, and
//     resumes after a restart from the checkpoint;
//   - on a UIDVALIDITY change re-scans the folder from the date it was
//     first synced; re-imported copies collapse into the existing messages
//     through ingest's content dedupe key;
//   - then waits for new mail with IDLE (re-issued every IdleRestart,
//     default 25 min, below the 29-minute limit of RFC 2177), or polls
//     every PollInterval (default 60 s) when the server lacks IDLE;
//   - optionally marks imported mail read or moves it (MOVE, or COPY +
//     STORE \Deleted + UID EXPUNGE);
//   - on errors reconnects with exponential backoff and jitter, recovering
//     from panics, and reports a user-facing problem (internal/providers)
//     on the channel status; rejected credentials put the channel in
//     "reconnect_needed" and retry only at the longest backoff.
//
// Manager runs the loops of every enabled channel with external incoming
// mail, and starts, restarts or stops them when channels change (Reload,
// also run every ReloadInterval). With several nodes on one database
// (SetOwnership, lease.go) it runs only the channels whose lease this
// node holds (package cluster decides), restarts a channel whose lease
// was taken again under a new token, and writes checkpoints fenced by
// that token (store.ErrLeaseLost stops the loop at once). CheckConnection is the "test connection"
// button: it resolves, connects with TLS verification on, logs in to IMAP
// and SMTP, checks the folders and reports IDLE support, sending nothing.
package imapsync
