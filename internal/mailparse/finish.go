package mailparse

import "strings"

// finish assembles bodies and flags once all parts were read.
func (p *parser) finish() {
	m := p.msg
	m.Partial = p.partial
	// U+FEFF (BOM / zero-width no-break space, inserted by iOS Mail) is
	// invisible and only gets in the way of matching text.
	m.TextBody = strings.TrimRight(strings.ReplaceAll(p.text.String(), "\uFEFF", ""), " \t\n")
	if p.html.Len() > 0 {
		m.HTMLBody = sanitizeHTML(p.html.String(), p.opts.AttachmentURL)
		if strings.TrimSpace(m.TextBody) == "" {
			m.TextBody = htmlToText(m.HTMLBody)
		}
	}
	p.detectBounce()
	if m.Bounce != nil || p.isReport {
		// Delivery reports are automatic messages (RFC 3834 section 2).
		m.AutoSubmitted = true
	}
	m.ReplyVisibleText = visibleText(m, p.html.String())
	if m.To == nil {
		m.To = []Address{}
	}
	if m.Cc == nil {
		m.Cc = []Address{}
	}
	if m.InReplyTo == nil {
		m.InReplyTo = []string{}
	}
	if m.References == nil {
		m.References = []string{}
	}
	if m.Attachments == nil {
		m.Attachments = []Attachment{}
	}
}
