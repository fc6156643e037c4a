package mailparse

import (
	"regexp"
	"strings"
)

// finish assembles bodies and flags once all parts were read.
func (p *parser) finish() {
	m := p.msg
	m.Partial = p.partial
	// U+FEFF (BOM / zero-width no-break space, inserted by iOS Mail) is
	// invisible and only gets in the way of matching text.
	m.TextBody = strings.TrimRight(strings.ReplaceAll(p.text.String(), "\uFEFF", ""), " \t\n")
	// NUL is no text (and PostgreSQL refuses it in text columns).
	m.TextBody = strings.ReplaceAll(m.TextBody, "\x00", "")
	noNUL := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	m.Subject = noNUL(m.Subject)
	m.From.Name, m.From.Address = noNUL(m.From.Name), noNUL(m.From.Address)
	for _, l := range [][]Address{m.To, m.Cc, m.Bcc, m.ReplyTo} {
		for i := range l {
			l[i].Name, l[i].Address = noNUL(l[i].Name), noNUL(l[i].Address)
		}
	}
	for k, vs := range m.Headers {
		for i := range vs {
			vs[i] = noNUL(vs[i])
		}
		m.Headers[k] = vs
	}
	if p.html.Len() > 0 {
		m.HTMLBody = sanitizeHTML(p.html.String(), p.opts.AttachmentURL)
		if strings.TrimSpace(m.TextBody) == "" {
			m.TextBody = htmlToText(m.HTMLBody)
		} else if isStubText(m.TextBody) {
			if t := htmlToText(m.HTMLBody); strings.TrimSpace(t) != "" {
				p.warn("the plain-text part only says to read the HTML part; text taken from the HTML")
				m.TextBody = t
			}
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

// stubTextRe matches what mailers put in the text/plain alternative when the
// real message is only in the HTML part.
var stubTextRe = regexp.MustCompile(`(?i)(html[- ](capable|compatible|enabled|formatted|mail|message|e-?mail|version|viewer|reader|client)|` +
	`(this|the) (is an? |)(html|mime|multi-?part)[- ](message|e-?mail|formatted)|` +
	`(view|read|see|display) (this|the) (message|e-?mail|newsletter)|` +
	`(client|program|reader|viewer|software|application) (does not|doesn't|cannot|can't) (support|display|read|show)|` +
	`(visualizar|ler|ver|exibir) (esta|esse|este|a|o) (mensagem|e-?mail)|` +
	`(ver|visualizar|leer) (este|el|esta|la) (mensaje|correo)|` +
	`mensagem (em|no formato) html|mensaje (en|con formato) html|message (au format |en )html|` +
	`nachricht (im )?html|` +
	`^\s*[.\-_*]?\s*$)`)

// isStubText reports whether a plain-text alternative is a placeholder for
// the HTML one: short and saying so (or nearly empty).
func isStubText(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		return false
	}
	return stubTextRe.MatchString(s)
}
