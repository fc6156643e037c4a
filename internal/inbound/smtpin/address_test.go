package smtpin

import (
	"errors"
	"regexp"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/store"
)

func TestNewInboundToken(t *testing.T) {
	re := regexp.MustCompile(`^[a-z2-7]{16}$`)
	seen := map[string]bool{}
	for i := 0; i < 2000; i++ {
		tok := NewInboundToken()
		if !re.MatchString(tok) {
			t.Fatalf("token %q is not 16 lowercase base32 characters (80 bits)", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
}

func TestInboundAddress(t *testing.T) {
	if got := InboundAddress("acme", "abcdefgh23456789", "In.Atende.Test."); got != "acme-abcdefgh23456789@in.atende.test" {
		t.Fatalf("InboundAddress = %q", got)
	}
	tests := []struct {
		name, addr, slug, token string
		ok                      bool
	}{
		{"plain", "acme-abcdefgh23456789@in.atende.test", "acme", "abcdefgh23456789", true},
		{"upper case", "ACME-ABCDEFGH23456789@IN.ATENDE.TEST", "acme", "abcdefgh23456789", true},
		{"angle brackets", "<acme-tok2@in.atende.test>", "acme", "tok2", true},
		{"slug with dashes", "acme-brasil-tok2@in.atende.test", "acme-brasil", "tok2", true},
		{"plus detail ignored", "acme-tok2+t-abc@in.atende.test", "acme", "tok2", true},
		{"trailing dot domain", "acme-tok2@in.atende.test.", "acme", "tok2", true},
		{"other domain", "acme-tok2@atende.test", "", "", false},
		{"subdomain", "acme-tok2@x.in.atende.test", "", "", false},
		{"no dash", "acmetok2@in.atende.test", "", "", false},
		{"empty token", "acme-@in.atende.test", "", "", false},
		{"empty slug", "-tok2@in.atende.test", "", "", false},
		{"bad token chars", "acme-to.k@in.atende.test", "", "", false},
		{"bad slug", "ac_me-tok2@in.atende.test", "", "", false},
		{"no at", "acme-tok2", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			slug, token, ok := ParseInboundAddress(tc.addr, "in.atende.test")
			if ok != tc.ok || slug != tc.slug || token != tc.token {
				t.Fatalf("ParseInboundAddress(%q) = %q, %q, %v; want %q, %q, %v", tc.addr, slug, token, ok, tc.slug, tc.token, tc.ok)
			}
		})
	}
}

func TestRegenerateAddress(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{}, nil)
	old := e.addr
	raw := buildMail("cliente@example.com", old, "", "Oi", "regen-1@example.com", "olá")
	if _, err := send(t, e.saddr, "cliente@example.com", []string{old}, raw); err != nil {
		t.Fatalf("before regenerate: %v", err)
	}
	newAddr, err := RegenerateAddress(bg, e.st, testDomain, e.co.ID, e.ch.ID)
	must(t, err)
	if newAddr == old {
		t.Fatal("address did not change")
	}
	slug, tok, ok := ParseInboundAddress(newAddr, testDomain)
	if !ok || slug != "acme" {
		t.Fatalf("new address %q does not parse", newAddr)
	}
	ch, err := e.st.GetChannel(bg, e.co.ID, e.ch.ID)
	must(t, err)
	if ch.InboundToken != tok {
		t.Fatalf("stored token %q, address token %q", ch.InboundToken, tok)
	}
	rcptErrs, _ := send(t, e.saddr, "cliente@example.com", []string{old}, raw)
	wantCode(t, rcptErrs[0], 550, smtp.EnhancedCode{5, 1, 1})
	rcptErrs, dataErr := send(t, e.saddr, "cliente@example.com", []string{newAddr}, raw)
	if rcptErrs[0] != nil || dataErr != nil {
		t.Fatalf("new address: rcpt %v, data %v", rcptErrs[0], dataErr)
	}
	if _, err := RegenerateAddress(bg, e.st, testDomain, e.co.ID, e.ch.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("regenerate unknown channel: %v, want ErrNotFound", err)
	}
}
