package thread

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzParsers checks TagFromSubject, NormalizeSubject, TokenFromAddress and
// PlusAddress on arbitrary input. Run it with
//
//	go test ./internal/thread -run '^$' -fuzz FuzzParsers -fuzztime 2m
func FuzzParsers(f *testing.F) {
	for _, s := range []string{
		"", "Re: Pedido [#1234]", "Fwd: RES: ENC: x [#1]", "[#0] [#01] [#-1] [#999999999999999999]",
		"[#12345678901234567890]", "Re[2]: Re(3): TR : x", "Re：件名", "[#[#1]1]", "Ticket#12",
		"  \t\n ", "\u00a0Re:\u00a0x", "RE: re: Re:Re:", "[EXTERNAL] FW: x",
		"support+t-" + tokA + "@x.com", "SUPPORT+T-" + strings.ToUpper(tokA) + "@X.COM",
		"Name <s+a+t-" + tokA + "+b@x>", "s+t-short@x", "@", "+t-@", "a@b@c", "<<a+t-" + tokA + "@b>>",
		"\xff\xfe+t-" + tokA + "@x", "s+t-" + strings.Repeat("z", 60) + "@x",
	} {
		f.Add(s)
	}
	const tok = "fuzzfuzzfuzzfuzzfuzzfuzz"
	f.Fuzz(func(t *testing.T, s string) {
		// TagFromSubject: only positive numbers whose exact tag is present.
		if n, ok := TagFromSubject(s); ok {
			if n < 1 || n > MaxTagNumber {
				t.Fatalf("TagFromSubject(%q) = %d", s, n)
			}
			if !strings.Contains(s, SubjectTag(n)) {
				t.Fatalf("TagFromSubject(%q) = %d but %q is not in it", s, n, SubjectTag(n))
			}
		}
		if n, ok := TagFromSubject(strings.ReplaceAll(s, "#", "") + " " + SubjectTag(4242)); !ok || n != 4242 {
			t.Fatalf("appended tag not found in %q: %d %v", s, n, ok)
		}

		// NormalizeSubject: idempotent, no tag, no leading prefix, tidy
		// white space, never longer, indifferent to an extra "Re: ".
		ns := NormalizeSubject(s)
		if again := NormalizeSubject(ns); again != ns {
			t.Fatalf("NormalizeSubject not idempotent on %q: %q -> %q", s, ns, again)
		}
		if _, ok := TagFromSubject(ns); ok {
			t.Fatalf("NormalizeSubject(%q) = %q still has a tag", s, ns)
		}
		if prefixRE.MatchString(ns) {
			t.Fatalf("NormalizeSubject(%q) = %q still has a prefix", s, ns)
		}
		if len(ns) > len(s) {
			t.Fatalf("NormalizeSubject(%q) = %q grew", s, ns)
		}
		if ns != strings.TrimFunc(ns, unicode.IsSpace) || strings.Contains(ns, "  ") {
			t.Fatalf("NormalizeSubject(%q) = %q has untidy white space", s, ns)
		}
		if re := NormalizeSubject("Re: " + s); re != ns {
			t.Fatalf("NormalizeSubject(Re: %q) = %q, without Re: %q", s, re, ns)
		}
		_ = IsForward(s)

		// TokenFromAddress: only well-formed tokens that are really there.
		if got, ok := TokenFromAddress(s); ok {
			if !ValidToken(got) {
				t.Fatalf("TokenFromAddress(%q) = %q, not a valid token", s, got)
			}
			if !strings.Contains(strings.ToLower(s), TokenPrefix+got) {
				t.Fatalf("TokenFromAddress(%q) = %q, not in the address", s, got)
			}
		} else if got != "" {
			t.Fatalf("TokenFromAddress(%q) = %q, false", s, got)
		}

		// PlusAddress round-trips through TokenFromAddress.
		if addr, err := PlusAddress(s, tok); err == nil {
			if got, ok := TokenFromAddress(addr); !ok || got != tok {
				t.Fatalf("PlusAddress(%q) = %q; TokenFromAddress = %q, %v", s, addr, got, ok)
			}
			at := strings.LastIndexByte(s, '@')
			if addr != s[:at]+TokenPrefix+tok+s[at:] {
				t.Fatalf("PlusAddress(%q) = %q", s, addr)
			}
		}
		_ = SenderMayJoin(s, []string{"a@b.test", s})
	})
}
