// Package reply composes the outbound MIME of an agent's reply, forward or
// automatic message: multipart/alternative (text and HTML from the
// agent's Markdown), attachments, the channel's From, To/Cc defaults that
// keep everyone on the thread (minus our own addresses), Bcc and the
// channel's carbon-copy archive address as hidden recipients, a
// Message-ID on our domain, bounded In-Reply-To/References, the optional
// [#n] subject tag and reply-address token, the signature (an agent's
// personal one wins over the channel's) and, per channel, the quoted
// history ("show quote in reply") or none ("no quote").
//
// Compose is pure: it does no I/O besides reading the attachment readers
// it is given, and rejects header injection (CR/LF in subjects, names or
// addresses) with a clear error.
package reply
