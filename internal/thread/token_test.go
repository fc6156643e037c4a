package thread

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNewReplyToken(t *testing.T) {
	re := regexp.MustCompile(`^[a-z2-7]{24}$`)
	seen := map[string]bool{}
	for range 1000 {
		tok := NewReplyToken()
		if !re.MatchString(tok) {
			t.Fatalf("token %q is not 24 lowercase base32 characters", tok)
		}
		if !ValidToken(tok) {
			t.Fatalf("ValidToken(%q) = false", tok)
		}
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
	}
	// 24 base32 characters carry 120 bits; the spec asks for at least 80.
	if bits := TokenLen * 5; bits < 80 {
		t.Fatalf("token carries %d bits", bits)
	}
}

func TestPlusAddress(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		tok     string
		want    string
		wantErr error
	}{
		{"plain", "support@x.com", tokA, "support+t-" + tokA + "@x.com", nil},
		{"keeps existing detail", "support+sales@x.com", tokA, "support+sales+t-" + tokA + "@x.com", nil},
		{"keeps case of base", "Suporte@ACME.com.br", tokA, "Suporte+t-" + tokA + "@ACME.com.br", nil},
		{"no at", "support", tokA, "", ErrBadAddress},
		{"empty", "", tokA, "", ErrBadAddress},
		{"empty local", "@x.com", tokA, "", ErrBadAddress},
		{"empty domain", "support@", tokA, "", ErrBadAddress},
		{"display name", "Support <support@x.com>", tokA, "", ErrBadAddress},
		{"quoted local part", `"sup port"@x.com`, tokA, "", ErrBadAddress},
		{"already tokenized", "support+t-" + tokB + "@x.com", tokA, "", ErrBadAddress},
		{"local part too long", strings.Repeat("s", 40) + "@x.com", tokA, "", ErrBadAddress},
		{"short token", "support@x.com", "abc", "", ErrBadToken},
		{"upper-case token", "support@x.com", strings.ToUpper(tokA), "", ErrBadToken},
		{"token with plus", "support@x.com", "abcdefgh+ijklmnopq", "", ErrBadToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PlusAddress(tc.base, tc.tok)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if err == nil {
				tok, ok := TokenFromAddress(got)
				if !ok || tok != tc.tok {
					t.Errorf("round trip: TokenFromAddress(%q) = %q, %v", got, tok, ok)
				}
			}
		})
	}
}

func TestTokenFromAddress(t *testing.T) {
	tests := []struct {
		name   string
		addr   string
		want   string
		wantOK bool
	}{
		{"plain", "support+t-" + tokA + "@x.com", tokA, true},
		{"upper case", "SUPPORT+T-" + strings.ToUpper(tokA) + "@X.COM", tokA, true},
		{"angle brackets", "<support+t-" + tokA + "@x.com>", tokA, true},
		{"display name", `"Suporte, ACME" <support+t-` + tokA + "@x.com>", tokA, true},
		{"spaces", "  support+t-" + tokA + "@x.com\t", tokA, true},
		{"after other detail", "support+sales+t-" + tokA + "@x.com", tokA, true},
		{"before other detail", "support+t-" + tokA + "+x@x.com", tokA, true},
		{"url-safe alphabet", "s+t-abc_def-ghi_jklmnop@x.com", "abc_def-ghi_jklmnop", true},
		{"exactly 16", "s+t-" + strings.Repeat("a", 16) + "@x.com", strings.Repeat("a", 16), true},
		{"15 is too short", "s+t-" + strings.Repeat("a", 15) + "@x.com", "", false},
		{"exactly max", "s+t-" + strings.Repeat("b", MaxTokenLen) + "@x.com", strings.Repeat("b", MaxTokenLen), true},
		{"over max", "s+t-" + strings.Repeat("b", MaxTokenLen+1) + "@x.com", "", false},
		{"no plus", "t-" + tokA + "@x.com", "", false},
		{"no domain", "support+t-" + tokA, "", false},
		{"empty domain", "support+t-" + tokA + "@", "", false},
		{"empty local", "@x.com", "", false},
		{"bad character", "support+t-abcdefghijklmnop.q@x.com", "", false},
		{"non-ascii", "support+t-abcdefghijklmnopç@x.com", "", false},
		{"token in domain only", "support@t-" + tokA + ".x.com", "", false},
		{"empty", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := TokenFromAddress(tc.addr)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("TokenFromAddress(%q) = %q, %v; want %q, %v", tc.addr, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
