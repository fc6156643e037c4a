package mailparse

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// dsnRecipient is one per-recipient block of a message/delivery-status part
// (RFC 3464).
type dsnRecipient struct {
	recipient string
	action    string
	status    string
}

// addrFromType strips the "rfc822;" address-type of a DSN field.
func addrFromType(v string) string {
	v = strings.TrimSpace(v)
	if t, rest, ok := strings.Cut(v, ";"); ok && !strings.Contains(t, "@") {
		v = rest
	}
	return strings.ToLower(strings.TrimSpace(stripBrackets(v)))
}

var statusRe = regexp.MustCompile(`\b([245])\.(\d{1,3})\.(\d{1,3})\b`)

// parseDeliveryStatus reads the per-message and per-recipient field groups
// of a delivery-status body.
func parseDeliveryStatus(b []byte) []dsnRecipient {
	var out []dsnRecipient
	br := bufio.NewReader(bytes.NewReader(b))
	for group := 0; group < 1000; group++ {
		// skip blank lines between groups
		for {
			c, err := br.Peek(1)
			if err != nil {
				return out
			}
			if c[0] != '\r' && c[0] != '\n' {
				break
			}
			_, _ = br.ReadByte()
		}
		p := &parser{msg: &Message{}, seen: map[string]bool{}}
		h, _, err := p.readHeaderBlock(br, "delivery-status", false)
		if err != nil {
			return out
		}
		if r := recipientOf(h); r != "" || h.Has("Status") && h.Has("Action") {
			status := ""
			if m := statusRe.FindString(h.Get("Status")); m != "" {
				status = m
			}
			out = append(out, dsnRecipient{recipient: r, action: strings.ToLower(strings.TrimSpace(h.Get("Action"))), status: status})
		}
	}
	return out
}

func recipientOf(h textproto.Header) string {
	if v := h.Get("Final-Recipient"); v != "" {
		return addrFromType(v)
	}
	if v := h.Get("Original-Recipient"); v != "" {
		return addrFromType(v)
	}
	return ""
}

// pickBounce chooses the recipient a DSN reports as failed (or delayed).
// A DSN that only reports success gives no Bounce.
func pickBounce(recs []dsnRecipient) *Bounce {
	var best *dsnRecipient
	for i := range recs {
		r := &recs[i]
		failed := r.action == "failed" || strings.HasPrefix(r.status, "5.")
		delayed := r.action == "delayed" || strings.HasPrefix(r.status, "4.")
		if r.action == "delivered" || r.action == "relayed" || r.action == "expanded" {
			continue
		}
		if failed {
			best = r
			break
		}
		if delayed && best == nil {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	st := best.status
	if st == "" {
		if best.action == "delayed" {
			st = "4.0.0"
		} else {
			st = "5.0.0"
		}
	}
	return &Bounce{Recipient: best.recipient, Status: st}
}

var (
	daemonLocal = regexp.MustCompile(`(?i)^(mailer-daemon|postmaster|mail-daemon|maildaemon)$`)
	failureHint = regexp.MustCompile(`(?i)(could not be delivered|couldn't be delivered|undeliver|delivery (has )?failed|delivery to the following recipient|failed permanently|permanent (fatal )?error|user unknown|mailbox unavailable|does not exist|não foi entregue|nao foi entregue|falha na entrega|unable to deliver|wasn't delivered|address rejected|recipient address rejected)`)
	anyAddr     = regexp.MustCompile(`<?([A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})>?`)
	smtpCode    = regexp.MustCompile(`\b([45])[0-9]{2}[ -]`)
	bodyMsgID   = regexp.MustCompile(`(?im)^message-id:\s*(<[^<>\s]+>)`)
)

// detectBounce sets Message.Bounce: from the DSN when the message is a
// multipart/report; otherwise, for mail from mailer-daemon/postmaster whose
// text names a failed recipient.
func (p *parser) detectBounce() {
	m := p.msg
	if p.isReport || len(p.dsn) > 0 {
		if b := pickBounce(p.dsn); b != nil {
			b.OriginalMessageID = p.origID
			m.Bounce = b
		}
		return
	}
	local, _, _ := strings.Cut(m.From.Address, "@")
	if !daemonLocal.MatchString(local) {
		return
	}
	text := m.TextBody
	loc := failureHint.FindStringIndex(text)
	if loc == nil && !failureHint.MatchString(m.Subject) {
		return
	}
	start := 0
	if loc != nil {
		start = loc[0]
	}
	// The failed recipient is the first address after the failure text
	// that is neither the daemon nor the original sender's host daemon.
	var rcpt string
	for _, mm := range anyAddr.FindAllStringSubmatch(text[start:], 50) {
		a := strings.ToLower(mm[1])
		l, _, _ := strings.Cut(a, "@")
		if daemonLocal.MatchString(l) || a == m.From.Address || isToAddress(m, a) {
			continue
		}
		rcpt = a
		break
	}
	if rcpt == "" {
		return
	}
	status := statusRe.FindString(text[start:])
	if status == "" {
		if c := smtpCode.FindStringSubmatch(text[start:]); c != nil {
			status = c[1] + ".0.0"
		} else {
			status = "5.0.0"
		}
	}
	orig := p.origID
	if orig == "" {
		if mm := bodyMsgID.FindStringSubmatch(text); mm != nil {
			orig = parseMsgID(mm[1])
		}
	}
	m.Bounce = &Bounce{Recipient: rcpt, Status: status, OriginalMessageID: orig}
}

func isToAddress(m *Message, a string) bool {
	for _, t := range m.To {
		if t.Address == a {
			return true
		}
	}
	return false
}
