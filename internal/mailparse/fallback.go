package mailparse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Fallback builds a partial Message from a raw message that Parse could not
// read (Parse failed with a panic, i.e. a bug): the sender, recipients,
// subject, ids and date when net/mail can read the header, and the raw body
// (or the whole input) as text, valid UTF-8, cut at 4 MB. It never panics
// and never fails; reason becomes the first warning. The raw message stays
// the authority.
func Fallback(r io.Reader, reason string) (m *Message) {
	m = &Message{To: []Address{}, Cc: []Address{}, InReplyTo: []string{}, References: []string{},
		Attachments: []Attachment{}, Headers: map[string][]string{}, Partial: true,
		Warnings: []string{"message could not be fully read: " + reason}}
	m.PartialReason = m.Warnings[0]
	raw, _ := readLimited(r, maxBodyBytes)
	body := raw
	defer func() {
		if p := recover(); p != nil {
			m.Warnings = append(m.Warnings, fmt.Sprintf("fallback header reading failed: %v", p))
		}
		if m.TextBody == "" {
			m.TextBody = readableText(body)
			m.ReplyVisibleText = m.TextBody
		}
	}()
	if msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw))); err == nil {
		p := &parser{msg: &Message{}, seen: map[string]bool{}}
		if a, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
			m.From = Address{Name: a.Name, Address: strings.ToLower(a.Address)}
		}
		if l, err := mail.ParseAddressList(msg.Header.Get("To")); err == nil {
			for _, a := range l {
				m.To = append(m.To, Address{Name: a.Name, Address: strings.ToLower(a.Address)})
			}
		}
		m.Subject = p.decodeWords(msg.Header.Get("Subject"), "Subject")
		m.MessageID = parseMsgID(msg.Header.Get("Message-Id"))
		m.InReplyTo = parseMsgIDList(msg.Header.Get("In-Reply-To"))
		m.References = parseMsgIDList(msg.Header.Get("References"))
		if t, err := parseDate(msg.Header.Get("Date")); err == nil {
			m.Date = t
		}
		if b, err := io.ReadAll(msg.Body); err == nil {
			body = b
		}
	}
	m.TextBody = readableText(body)
	m.ReplyVisibleText = m.TextBody
	return m
}

// readableText returns raw bytes as text: UTF-8 when valid, else
// windows-1252, without NUL and with "\n" line breaks.
func readableText(b []byte) string {
	s := ""
	if utf8.Valid(b) {
		s = string(b)
	} else {
		s = decodeWith1252(b)
	}
	s = strings.ReplaceAll(s, "\x00", "")
	return strings.TrimSpace(normalizeNewlines(s))
}
