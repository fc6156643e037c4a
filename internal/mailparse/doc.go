// Package mailparse turns one raw email (RFC 5322 / MIME) into a Message:
// addresses, subject, threading ids, date, plain text and sanitized HTML
// bodies, attachments (streamed to a Sink), the automatic-reply, bulk and
// bounce flags, a few raw headers other features need, and a list of
// warnings describing what had to be repaired or truncated.
//
// # Entry points
//
//   - Parse(r, opts) and ParseFile(path, opts) read a message. They fail
//     only when the input cannot be read (an I/O error); otherwise they
//     return the best Message they could build plus Message.Warnings.
//     Input without any header field is read as a body-only message, empty
//     input as an empty one; Message.Partial marks these and every message
//     whose structure was broken badly enough that content may be missing
//     or misread (a boundary never found, a size or nesting limit);
//     Message.PartialReason names the warning that made it so.
//   - Fallback(r, reason) builds a partial Message from raw bytes when Parse
//     itself failed (ingest uses it if the parser panics).
//   - NewReport(m) gives the JSON shape printed by `atende parse FILE`.
//
// # Library choice
//
// Header blocks are parsed with github.com/emersion/go-message's
// textproto.ReadHeader after a tolerant pre-pass (header.go). Multipart
// bodies are split by this package's own streaming reader (multipart.go):
// go-message's reader stops at the first malformed part, losing the rest of
// the message, where this one skips empty parts (a boundary line repeated),
// reads parts without a header, matches delimiter lines exactly (so a
// boundary that is a prefix of an inner one, or the reverse, is no
// problem), accepts long boundaries and a missing close delimiter. Part
// bodies are streamed, so attachments go to the Sink without being held in
// memory. Charsets are converted with go-message's charset package
// (charset.Reader, called explicitly) plus UTF-7 (RFC 2152), which it lacks.
//
// github.com/jhillyerd/enmime/v2 was measured on the same corpus
// (go test -run CompareEnmime -compare -v): it produced mojibake or invalid
// UTF-8 for messages without a Content-Type and for mislabelled or raw
// 8-bit text (8 of 101 messages), lost the body of messages with a damaged
// base64 body, a missing blank line after the header, a missing boundary
// parameter (hard error) or a boundary that never appears, and left
// uuencoded files in the text; it also reads every part into memory. Its
// speed is comparable (see BenchmarkParseCorpus and
// BenchmarkParseCorpusEnmime), so correctness decided.
//
// # Repairs
//
// On top of go-message this package: reads the header block tolerantly
// (mbox "From " line, junk lines, missing blank line, over-long lines
// truncated; no header at all); decodes RFC 2047 words with its own decoder
// even when malformed (spaces or raw 8-bit bytes inside, glued to text,
// unknown charset, UTF-7, base64 without padding, a character split across
// two words); reads mailboxes without a domain ("Name <moderator>");
// decodes RFC 2231 parameters in any
// charset and RFC 2047 inside quoted filenames; reads raw 8-bit header
// bytes as UTF-8 or, when invalid, windows-1252; repairs text whose
// declared charset is wrong (declared US-ASCII/UTF-8 but Latin-1, declared
// Latin-1 but UTF-8, unknown labels), honours <meta charset> in HTML
// without a MIME charset; finds a missing multipart boundary in the body,
// keeps the body as text when the boundary never appears, keeps parts cut
// by a missing closing boundary; decodes damaged base64 leniently;
// extracts uuencoded files from text bodies. Each repair adds a warning.
//
// # Limits
//
// Nesting depth 50, 10,000 MIME parts, boundary lines up to 16 KB, 10,000 addresses per header,
// 4 MB each for the text and HTML bodies, 1 MB per header field, 4 MB per
// header block, 1,000 References, 100 warnings. Beyond a limit the rest is
// skipped with a warning; CPU and memory stay bounded (see
// hostile_test.go). Part headers are read by go-message without a size
// limit of their own, so their cost is bounded by the message size (a
// 10 MB part header line costs about 60 MB of allocation); the caller
// should cap the size of messages it accepts.
//
// # Bodies and HTML
//
// TextBody comes from the text/plain parts (parts of a multipart/mixed
// are joined; of a multipart/alternative only the last plain one), and from
// text/enriched and text/richtext parts converted to plain text (unless a
// plain alternative exists); when there is only HTML, or the plain
// alternative is a stub ("use an HTML compatible viewer"), it is derived
// from the sanitized HTML. HTMLBody is sanitized with bluemonday: no script, style, iframe,
// object, embed, form, base, meta or link elements, no event handlers, no
// javascript:/vbscript:/data: URLs except base64 raster data: images, no
// relative URLs, inline style reduced to a list of harmless properties, and
// class only with the names mail clients use for quotes and signatures.
// Remote images keep their element with src="" and the URL in
// data-remote-src; cid: images point to Options.AttachmentURL(cid), or get
// src="" and data-cid when it is unset or returns "".
//
// # Attachments
//
// Every non-body part is handed to Options.Sink as it is decoded, with its
// filename (sanitized to a base name; GivenName is the sender's, "" when
// none, and Filename then a made-up "attachment-N.ext" or, for an attached
// message, its subject + ".eml"; the report's "filename" is the sender's
// and "stored_as" Atende's), content type, Content-ID (without
// brackets) and inline flag. message/rfc822 parts are stored as .eml named
// after their subject; delivery-status and rfc822-headers parts of a DSN
// are stored too. uuencoded files found in a text body are decoded from
// that (size-limited) body and stored with content type
// application/octet-stream. zip and gzip files are stored as they are, never
// unpacked. TNEF (winmail.dat) is stored as is with a warning: there is no
// maintained Go TNEF library (github.com/teamwork/tnef, the usual one, has
// had no release since 2020 and the module proxy reachable here refuses
// it), so its contents are not extracted.
//
// # Flags
//
// AutoSubmitted: Auto-Submitted other than "no", X-Autoreply,
// X-Autorespond, X-Autogenerated, Precedence: auto_reply, and every
// delivery report or bounce (RFC 3834 treats them as automatic).
// X-Auto-Response-Suppress alone does not count: Outlook adds it to
// ordinary mail. Precedence: bulk/list/junk only sets Bulk.
// Bulk: Precedence bulk/list/junk, List-Id or List-Unsubscribe.
// Bounce: from a multipart/report DSN (the first failed, else delayed,
// recipient; success reports give none), or from mail sent by
// mailer-daemon/postmaster whose text reports a failure and names a
// recipient (qmail, Exim style). The original Message-ID comes from the
// attached message/rfc822 or text/rfc822-headers part, or from a
// "Message-ID:" line of the returned copy in the text.
//
// ReplyVisibleText is set by visibleText (visible.go) using the sibling
// package replytext.
package mailparse
