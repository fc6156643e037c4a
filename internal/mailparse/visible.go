package mailparse

import "github.com/atende-helpdesk/atende/internal/mailparse/replytext"

// visibleText returns what the sender wrote in this message, without quoted
// history and signature. The HTML body is preferred when there is one: its
// quote containers (gmail_quote, blockquote type=cite, divRplyFwdMsg, ...)
// mark the quoted history more reliably than "> " lines. HTMLBody is the
// sanitized HTML, whose allowed class names and ids keep those markers.
func visibleText(m *Message) string {
	if m.HTMLBody != "" {
		if s := replytext.HTML(m.HTMLBody); s != "" {
			return s
		}
	}
	return replytext.Text(m.TextBody)
}
