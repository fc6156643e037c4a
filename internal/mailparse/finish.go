package mailparse

import "strings"

// letOthersRun lets other goroutines run between the CPU-heavy steps of a
// large HTML body (sanitizing, converting to text, finding the reply: a
// few milliseconds each for a 50 KB newsletter; each step also yields as
// it reads, package yield). Without it a goroutine that became runnable
// meanwhile on the parser's processor (a server's accept woken by its
// commit) waits for the runtime's preemption, up to 10 ms. Nearly free
// when nothing else waits. With Options.Gate it is that gate's yield
// point (a server's ingest worker may park there while its committer
// runs).
func (p *parser) letOthersRun() { p.opts.Gate.Yield() }

// finish assembles bodies and flags once all parts were read.
func (p *parser) finish() {
	m := p.msg
	m.Partial, m.PartialReason = p.partial, p.partialReason
	// U+FEFF (BOM / zero-width no-break space, inserted by iOS Mail) is
	// invisible and only gets in the way of matching text.
	m.TextBody = strings.TrimRight(strings.ReplaceAll(p.text.String(), "\uFEFF", ""), " \t\n")
	// NUL is no text (and PostgreSQL refuses it in text columns).
	m.TextBody = strings.ReplaceAll(m.TextBody, "\x00", "")
	noNUL := func(s string) string { return strings.ReplaceAll(s, "\x00", "") }
	// A subject and display names are one line of text: an encoded CR/LF
	// (or any other control character) in them would be stored, shown and
	// copied into reply headers, where it is refused (or injects headers).
	m.Subject = oneLine(m.Subject)
	m.From.Name, m.From.Address = oneLine(m.From.Name), noNUL(m.From.Address)
	for _, l := range [][]Address{m.To, m.Cc, m.Bcc, m.ReplyTo} {
		for i := range l {
			l[i].Name, l[i].Address = oneLine(l[i].Name), noNUL(l[i].Address)
		}
	}
	for k, vs := range m.Headers {
		for i := range vs {
			vs[i] = noNUL(vs[i])
		}
		m.Headers[k] = vs
	}
	if p.html.Len() > 0 {
		m.HTMLBody = sanitizeHTML(p.html.String(), p.opts.AttachmentURL, p.opts.Gate)
		p.letOthersRun()
		if strings.TrimSpace(m.TextBody) == "" {
			m.TextBody = htmlToText(m.HTMLBody, p.opts.Gate)
			p.letOthersRun()
		} else if isStubText(m.TextBody) {
			if t := htmlToText(m.HTMLBody, p.opts.Gate); strings.TrimSpace(t) != "" {
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
	m.ReplyVisibleText = visibleText(m, p.html.String(), p.opts.Gate)
	p.letOthersRun()
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

// stubPhrases are what mailers put in the text/plain alternative when the
// real message is only in the HTML part (compared lowercased).
var stubPhrases = []string{
	"html-capable", "html capable", "html compatible", "html-compatible", "html-enabled", "html enabled",
	"html version", "html viewer", "html e-mail", "html email", "html mail", "html message",
	"html-formatted", "html formatted", "html reader", "html client", "this is an html", "this is a html",
	"mensagem em html", "mensagem no formato html", "formato html", "mensaje en html", "mensaje con formato html",
	"message au format html", "message en html", "nachricht im html", "html-nachricht", "html-e-mail",
	"view this message", "view this email", "view this e-mail", "view the message", "view this newsletter",
	"read this message", "display this message", "see this message",
	"does not support html", "doesn't support html", "cannot display html", "can't display html",
	"visualizar esta mensagem", "visualizar este e-mail", "visualizar este email", "ver esta mensagem",
	"ver este mensaje", "ver este correo", "leer este mensaje",
	"multi-part message in mime", "multipart message in mime", "this is a mime", "mime-formatted",
}

// isStubText reports whether a plain-text alternative is a placeholder for
// the HTML one: short and saying so (or nearly empty).
func isStubText(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) > 400 {
		return false
	}
	if len(strings.Trim(s, ".-_* ")) == 0 {
		return true
	}
	l := strings.ToLower(s)
	for _, w := range stubPhrases {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// oneLine turns header text into one line: a line break (CR, LF,
// U+2028/2029) becomes a space (one per run, none after a space), other
// control characters (C0 but tab, DEL, C1) and bidi embeddings, overrides
// and isolates (U+202A–202E, U+2066–2069; not the LRM/RLM marks) are dropped;
// everything else is kept as it is.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, needsCleaning) {
		return s
	}
	var b strings.Builder
	prevSpace := false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			if !prevSpace {
				b.WriteByte(' ')
				prevSpace = true
			}
			continue
		case needsCleaning(r):
			continue
		}
		b.WriteRune(r)
		prevSpace = r == ' ' || r == '\t'
	}
	return b.String()
}

func needsCleaning(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
