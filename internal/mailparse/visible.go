package mailparse

import (
	"github.com/atende-helpdesk/atende/internal/mailparse/replytext"
	"github.com/atende-helpdesk/atende/internal/yield"
)

// visibleText returns what the sender wrote in this message, without quoted
// history and signature. The HTML body is preferred when there is one: its
// quote containers (gmail_quote, blockquote type=cite, divRplyFwdMsg,
// Outlook's border-top separator, data-marker, ids such as Signature) mark
// the quoted history more reliably than "> " lines. It reads the ORIGINAL
// HTML, not the sanitized one: sanitizing drops the style, id and data-*
// attributes those markers live in, and replytext only extracts text from
// it (nothing of the raw HTML is ever displayed).
func visibleText(m *Message, rawHTML string, g *yield.Gate) string {
	if rawHTML != "" {
		if s := replytext.HTMLGated(rawHTML, g); s != "" {
			return s
		}
	}
	return replytext.Text(m.TextBody)
}
