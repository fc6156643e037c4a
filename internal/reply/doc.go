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
// The quoted history is introduced in the company's language and time
// zone (Input.Language, Input.Location). Its inline images are carried
// again: the HTML alternative becomes multipart/related with each image
// as a part under its original Content-ID (Input.Inline, read from the
// blob store by the caller), and an image whose bytes are gone becomes a
// "[imagem: alt]" placeholder; the ticket view's internal cid/<id> URLs
// never reach a customer. Output.HTML is the ticket view's copy (cid/<id>
// sources) and Output.Inline the images the raw mail carries.
//
// A signature typed as plain lines keeps its line breaks (SignatureHTML:
// "\n" becomes <br> unless it is laid out with block tags), and a single
// newline in the agent's Markdown is a line break, as typed.
//
// Compose is pure: it does no I/O besides reading the attachment readers
// it is given, and rejects header injection (CR/LF in subjects, names or
// addresses) with a clear error.
package reply
