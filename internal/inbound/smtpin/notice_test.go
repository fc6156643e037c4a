package smtpin

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/store"
)

// loadEML reads a testdata message addressed to the env's channel.
func (e *env) loadEML(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	must(t, err)
	return bytes.ReplaceAll(b, []byte("acme-TOKEN@in.atende.test"), []byte(e.addr))
}

func TestParseConfirmation(t *testing.T) {
	tests := []struct {
		file, code, link, requester string
	}{
		{"gmail_confirmation_en.eml", "563902117",
			"https://mail-settings.google.com/mail/vf-%5BANGjdJ9z3kQ8Vh1cYw4n2Lx7Rb0Tf6PsDm5Ue%5D-Kq7HcT2wZrV9sYf0LxNb3MaPdE",
			"alice.souza@gmail.com"},
		{"gmail_confirmation_pt.eml", "771204583",
			"https://mail-settings.google.com/mail/vf-%5BANGjdJ8pQ2rT5uW7yZ1bD3fH5jL7nP9rTv%5D-Hx4KmQ8sVb2NcZ7wLp0RfYt5Ue",
			"contato@lojabonita.com.br"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
			must(t, err)
			c, ok := parseConfirmation(bytes.NewReader(raw))
			if !ok || c.Provider != "gmail" || c.Code != tc.code || c.Link != tc.link || c.Requester != tc.requester {
				t.Fatalf("parseConfirmation = %+v, %v; want code %s link %s requester %s", c, ok, tc.code, tc.link, tc.requester)
			}
		})
	}
	// A mail from the same sender without code or link is not a confirmation.
	other := buildMail("Gmail Team <forwarding-noreply@google.com>", "x@y.test", "", "Forwarding disabled", "n@google.com", "Forwarding was turned off.")
	if c, ok := parseConfirmation(bytes.NewReader(other)); ok {
		t.Fatalf("plain Google mail parsed as confirmation: %+v", c)
	}
}

func TestGmailConfirmationBecomesNotice(t *testing.T) {
	e := newStoreEnv(t)
	google := newDKIMKey(t, e.dns, "google.com", "20230601")
	e.dns.SetTXT("_dmarc.google.com", "v=DMARC1; p=reject; rua=mailto:mailauth-reports@google.com")
	e.start(t, Config{}, nil)

	for _, file := range []string{"gmail_confirmation_en.eml", "gmail_confirmation_pt.eml"} {
		signed := google.sign(t, e.loadEML(t, file))
		for i := 0; i < 2; i++ { // the second delivery must not add a notice
			if _, err := send(t, e.saddr, "forwarding-noreply@google.com", []string{e.addr}, signed); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
		}
	}
	notices, err := e.st.ListNotices(bg, e.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(notices) != 2 {
		t.Fatalf("notices = %d, want 2 (one per confirmation): %+v", len(notices), notices)
	}
	byCode := map[string]store.Notice{}
	for _, n := range notices {
		byCode[n.Code] = n
	}
	en, pt := byCode["563902117"], byCode["771204583"]
	if en.ChannelID != e.ch.ID || en.Kind != store.NoticeForwardingConfirmation ||
		!strings.HasPrefix(en.Link, "https://mail-settings.google.com/mail/vf-") || !strings.Contains(en.Title, "alice.souza@gmail.com") {
		t.Fatalf("en notice = %+v", en)
	}
	if pt.ChannelID != e.ch.ID || !strings.Contains(pt.Link, "Hx4KmQ8sVb2NcZ7wLp0RfYt5Ue") || !strings.Contains(pt.Body, "contato@lojabonita.com.br") {
		t.Fatalf("pt notice = %+v", pt)
	}
	// The raw mail is kept in the blob store, with our headers.
	rc, err := e.bl.Open(bg, en.RawKey)
	must(t, err)
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Contains(raw, []byte("Confirmation code: 563902117")) || !bytes.HasPrefix(raw, []byte("Return-Path: <forwarding-noreply@google.com>")) ||
		!strings.Contains(headerValues(raw, "Authentication-Results")[0], "dkim=pass header.d=google.com") {
		t.Fatalf("stored raw:\n%s", raw)
	}
	// No customer ticket.
	if n := e.countInbound(t); n != 0 {
		t.Fatalf("inbound rows = %d, want 0 (notices are not tickets)", n)
	}
}

func TestUnsignedConfirmationIsOrdinaryMail(t *testing.T) {
	e := newStoreEnv(t)
	attacker := newDKIMKey(t, e.dns, "evil.test", "s")
	e.start(t, Config{}, nil)
	for _, raw := range [][]byte{
		e.loadEML(t, "gmail_confirmation_en.eml"),                   // no signature
		attacker.sign(t, e.loadEML(t, "gmail_confirmation_pt.eml")), // signed by someone else
	} {
		if _, err := send(t, e.saddr, "forwarding-noreply@google.com", []string{e.addr}, raw); err != nil {
			t.Fatal(err)
		}
	}
	notices, err := e.st.ListNotices(bg, e.co.ID, store.NoticeFilter{})
	must(t, err)
	if len(notices) != 0 {
		t.Fatalf("unverified confirmation made a notice: %+v", notices)
	}
	if n := e.countInbound(t); n != 2 {
		t.Fatalf("inbound rows = %d, want 2 (ordinary mail)", n)
	}
}
