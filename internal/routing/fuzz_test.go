package routing

import (
	"strings"
	"testing"
)

// FuzzRouting checks that Fold is idempotent and that a valid
// subject_contains/body_contains filter always matches a message that
// contains its value, and that Evaluate never panics.
func FuzzRouting(f *testing.F) {
	for _, s := range []string{"Cotação", "cotac\u0327a\u0303o", "İ", "ß", "ℂ", "\u0301", "a\u00a0b", "ﬁscal", "\xff", "x@y.com", "empresa.com.br"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs := Fold(s)
		if again := Fold(fs); again != fs {
			t.Fatalf("Fold not idempotent on %q: %q -> %q", s, fs, again)
		}
		for _, k := range Kinds {
			r := Rule{DefaultTeamID: 1, Filters: []Filter{{Kind: k, Value: s, Action: Action{TeamID: 2}}}}
			in := Input{From: s, Recipients: []string{s}, Subject: "Re: " + s + " [#1]", Body: "Olá,\n" + s + "\nObrigado"}
			d := Evaluate(r, in)
			valid := r.Validate() == nil
			if !valid && d.MatchedFilter != -1 {
				t.Fatalf("invalid %s filter %q matched", k, s)
			}
			if valid && (k == SubjectContains || k == BodyContains) && (d.MatchedFilter != 0 || d.TeamID != 2) {
				t.Fatalf("%s filter %q did not match a message containing it: %+v", k, s, d)
			}
			if valid && k == SenderAddress && d.MatchedFilter != 0 {
				t.Fatalf("sender_address filter %q did not match itself", s)
			}
			if valid && k == RecipientAddress && d.MatchedFilter != 0 {
				t.Fatalf("recipient_address filter %q did not match itself", s)
			}
			if valid && k == SenderDomain {
				if d := Evaluate(r, Input{From: "ana@sub." + strings.TrimSpace(s)}); d.MatchedFilter != 0 {
					t.Fatalf("sender_domain filter %q did not match a subdomain sender", s)
				}
			}
		}
	})
}
