// Package smtpin is Atende's own inbound SMTP server for the "internal
// connection" (Usedesk seed: «Conexão interna»): a company keeps its
// mailbox where it is and forwards it to the channel's inbound address
//
//	<company-slug>-<channel-token>@<inbound domain>
//
// where the token is 80 bits from crypto/rand in lowercase base32
// (NewInboundToken, InboundAddress, ParseInboundAddress; RegenerateAddress
// replaces a leaked token, after which the old address gets 550 5.1.1).
// Addresses are case-insensitive and a "+detail" is ignored. The token
// alone finds the channel (store.GetChannelByInboundToken), and the slug
// must be that channel's company's, otherwise the address is unknown.
//
// # Transactions
//
// Server is a go-smtp Backend. RCPT answers:
//   - unknown address, wrong slug, or a channel whose Incoming is not
//     model.ConnInternal: 550 5.1.1; a disabled channel: 550 5.2.1;
//     a store failure during lookup: 451 4.3.0.
//   - An address that is not an inbound address but a channel's
//     Settings.PrimaryEmail or one of Settings.AdditionalEmails (Atende's
//     server is then the MX of that domain) maps to that channel only
//     when the channel's company owns the address: it verified the
//     address itself or its domain (package identity). Any company may
//     list any address; listing is not owning, so another company's claim
//     neither receives the owner's mail nor blocks it. Two channels of the
//     owning company claiming one address get 550 5.1.1 with a reason. An
//     address claimed but verified by nobody gets 550 5.7.1 "not
//     verified", so the sender is told at once (the mail is not silently
//     lost), and each claimant's admins get one notice a day
//     (identity.NoticeRefused) saying what to verify; when another company
//     owns the address the claimants are told nothing. A "+detail" is
//     ignored (replies to plus-addresses). The table comes from
//     ListEnabledChannels and ListVerifiedIdentities: it is rebuilt lazily
//     by the first lookup after Config.AddressTTL (30 s), or after
//     Server.InvalidateAddresses. A lazy TTL needs no goroutine, and a
//     table of every enabled channel is small (one entry per address),
//     while a per-RCPT query across companies would need a new
//     cross-company JSON query in both dialects.
//
// Several RCPTs naming one or more channels make one transaction: the
// message is stored once per distinct channel. To/Cc are never rewritten,
// so the worker sees every original recipient and replies can go to all
// of them in one ticket.
//
// DATA is answered 250 only after ingest (Acceptor.AcceptContent, i.e.
// *ingest.Service) stored the message durably for every channel; a
// storage error answers 451 4.3.0 and the sending MTA retries. If some
// channels were stored before the failure, the retry stores them again
// under a new Received id; ingest's content dedupe key (trace headers
// ignored) makes that one ticket message. Oversized mail gets 552 5.3.4
// with the limit in the text. Configure ingest's MaxSize at least 64 KB
// above Config.MaxMessageSize for the headers we prepend.
//
// The message is streamed: DATA goes to a spool (in memory up to 1 MB,
// otherwise an unlinked temporary file, never the whole 50 MB in RAM),
// because the Authentication-Results header we prepend depends on the DKIM
// body hash, known only at the end. The spool is read once for DKIM and
// once into ingest, which streams into the blob store; for a second
// channel the stored blob is re-opened from blob.Store rather than
// buffered.
//
// # Headers added
//
// Before storing, these fields are prepended (top to bottom):
//
//	Return-Path: <envelope sender>
//	Authentication-Results: <authserv-id>;
//		spf=<result> smtp.mailfrom=<domain>;        (smtp.helo=<helo> for the null sender)
//		dkim=<result> [reason="..."] header.d=<d>;  (one per signature; "dkim=none" without any)
//		dmarc=<result> [reason="p=<policy>"] header.from=<domain>
//	X-Atende-ARC: sets=<n>; sealer=<d of the newest ARC-Seal>; cv=<claimed cv>; verified=no   (only with ARC)
//	Received: from <helo> ([<ip>])
//		by <hostname> (Atende) with ESMTP|ESMTPS id <16 hex>
//		[for <rcpt>];   (when there is one recipient)
//		<RFC 1123Z date>
//
// The authserv-id is Config.AuthServID (default the hostname). Any
// Authentication-Results field already in the message that claims our
// authserv-id is removed (a forgery, RFC 8601 §5), and so is any
// X-Atende-ARC field; all other bytes are stored exactly as received.
// The values are formatted by go-msgauth's authres.Format, so
// authres.Parse reads them back; dmarc values are pass, fail, none (no
// policy), temperror and permerror.
//
// # Authentication of forwarded mail
//
// The connecting IP is the forwarder's (the company's mail provider), not
// the original sender's. SPF (blitiri.com.ar/go/spf, chosen because it
// implements RFC 7208 completely including macros and void-lookup limits,
// has no dependencies, and takes an injectable resolver via
// spf.WithResolver and a context) is therefore evaluated for the envelope
// sender against the forwarder's IP and is expected to fail or softfail
// for forwarded mail; when the forwarder rewrites the envelope (SRS) it
// passes for the forwarder's domain, which does not align with the
// author's. Neither says anything about the author, so SPF is recorded
// but cannot sink a forwarded message on its own.
//
// DKIM (go-msgauth dkim.VerifyWithOptions, at most 5 signatures) usually
// survives forwarding, because forwarders add header fields above the
// signed ones and leave the body alone. DMARC (go-msgauth
// dmarc.LookupWithOptions at the From domain, falling back to the
// organizational domain from golang.org/x/net/publicsuffix, honouring
// sp=, adkim= and aspf=) passes when an aligned identifier passed; for
// forwarded mail that is in practice an aligned DKIM signature. dmarc=fail
// means no aligned DKIM signature verified and SPF did not align: the
// ingest worker flags the message (model.FlagDMARCFail) for a warning in
// the UI, it never drops it: a forwarder that alters the body (footer,
// mailing list) breaks DKIM for legitimate mail too.
//
// ARC (RFC 8617) is how forwarders vouch for the authentication results
// they saw. go-msgauth has no ARC verifier, so we only record that ARC
// sets exist, their count and the newest sealer's domain and claimed cv=
// (X-Atende-ARC, "verified=no"). Because nothing is verified, anyone can
// add ARC headers: they must never turn a dmarc=fail into a pass. They are
// useful to a human (the forwarder was, say, google.com) and become
// trustworthy only once a verifier checks the chain and the sealer is on
// an allow-list of forwarders the company uses.
//
// DNS goes through the Resolver interface (*net.Resolver satisfies it), so
// tests run offline with a map-backed fake.
//
// # Forwarding confirmations
//
// Gmail sends a confirmation mail to the target address when a user turns
// on forwarding (From forwarding-noreply@google.com, subject
// "(#123456789) Gmail Forwarding Confirmation - Receive Mail from x@y" or
// "Confirmação de encaminhamento do Gmail"). Such a mail, when it carries
// a valid google.com DKIM signature, is stored raw in the blob store and
// becomes a store.Notice (kind forwarding_confirmation, with the code and
// the https://mail-settings.google.com/mail/vf-... link) for the channel's
// admins instead of a ticket. One without a valid Google signature goes
// the normal way (a ticket, shown with the DMARC warning), so nobody can
// plant a "confirm here" link in the admin notices. Notices are unique per
// code, so re-delivery makes one notice.
//
// # Limits and lifecycle
//
// Per client IP: at most Config.MaxConnsPerIP concurrent connections and
// ConnsPerMinute new connections (token bucket, ConnBurst); over either,
// the connection gets "421 4.7.0" and is closed. Read/write timeouts are
// go-smtp's. STARTTLS is offered when a certificate is configured.
//
// Run(ctx) serves until ctx ends, then stops accepting, lets transactions
// finish for up to Config.ShutdownGrace, cuts the rest (they got no 250,
// so their senders retry) and returns only after every goroutine it owns
// has stopped: the serve loop, go-smtp's connection handlers, and the
// short-lived writers of 421 refusals. Close stops at once.
package smtpin
