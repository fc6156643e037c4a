// Package outbox is Atende's durable outbound queue.
//
// Every outgoing message is first a message row (status queued) with its
// raw MIME in the blob store and a "send" job (store.Jobs), written in
// the same transaction as the reply itself. Workers claim jobs with a
// lease and send through a Sender chosen per channel (the mailbox's own
// SMTP, or Atende's relay).
//
//   - 4xx replies and network errors are retried with exponential backoff
//     and jitter; the last error is shown on the message.
//   - 5xx replies fail the message permanently with the server's text.
//   - A sending setup that retrying cannot fix (STARTTLS missing, TLS or
//     certificate mismatch, login refused) fails the message at once.
//   - A failed message's error text starts with its kind ("[rejected]",
//     "[config]", "[relay_starttls]", "[gave_up]"; "[retrying]" while
//     still queued): see ParseFailure. The channel's admins get one
//     notice (NoticeSendFailed) per failed message, not per attempt, and
//     Requeue sends the same stored message (same Message-ID) again
//     through its existing job ("Tentar novamente"), idempotently.
//   - A provider's own sending limit (e.g. Gmail's 550 5.4.5 "Daily user
//     sending limit exceeded") pauses that channel's queue until the next
//     day instead of failing messages.
//   - Daily quota (Conecta seed: personal accounts ~25 mails a day): when
//     a channel reached its quota for the calendar day (in the configured
//     time zone), its messages wait in the queue and are sent from the
//     next day on; receiving is never affected.
//
// Delivery guarantee: at least once, and exactly once except in one
// window. The job is completed (message marked sent, send logged) in one
// transaction right after the server's final 250. If the process dies
// between that 250 and the commit (milliseconds), the lease expires and
// the message is sent again with the SAME Message-ID, which mail clients
// such as Gmail and Outlook show as one message. Any other crash (before
// or during DATA) leaves the job pending and the message is sent once.
package outbox
