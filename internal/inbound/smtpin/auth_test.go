package smtpin

import (
	"net"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dmarc"
)

// TestAuthResultsFormat pins the exact header the ingest worker reads and
// checks that authres.Parse reads the folded value back.
func TestAuthResultsFormat(t *testing.T) {
	tests := []struct {
		name string
		ar   AuthResult
		in   AuthInput
		want string
	}{
		{"forwarded, dkim decides",
			AuthResult{SPF: "fail", SPFDomain: "customer.test", FromDomain: "customer.test", DMARC: "pass", DMARCPolicy: "reject",
				DKIM: []DKIMSig{{Result: "pass", Domain: "customer.test"}}},
			AuthInput{IP: net.IPv4(127, 0, 0, 1), Helo: "fwd.test", MailFrom: "c@customer.test"},
			"atende.test;\r\n\tspf=fail smtp.mailfrom=customer.test;\r\n\tdkim=pass header.d=customer.test;\r\n\tdmarc=pass reason=\"p=reject\" header.from=customer.test"},
		{"no signature, failing dkim reason, null sender",
			AuthResult{SPF: "none", SPFDomain: "fwd.test", FromDomain: "bank.test", DMARC: "fail", DMARCPolicy: "quarantine",
				DKIM: []DKIMSig{{Result: "fail", Domain: "bank.test", Reason: `signature did not verify; "x"`}}},
			AuthInput{Helo: "fwd.test"},
			"atende.test;\r\n\tspf=none smtp.helo=fwd.test;\r\n\tdkim=fail reason=\"signature did not verify, 'x'\" header.d=bank.test;\r\n\tdmarc=fail reason=\"p=quarantine\" header.from=bank.test"},
		{"nothing at all",
			AuthResult{SPF: "none", SPFDomain: "x.test", FromDomain: "x.test", DMARC: "none"},
			AuthInput{MailFrom: "a@x.test"},
			"atende.test;\r\n\tspf=none smtp.mailfrom=x.test;\r\n\tdkim=none;\r\n\tdmarc=none header.from=x.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := formatAuthResults("atende.test", tc.ar, tc.in)
			if got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tc.want)
			}
			id, results, err := authres.Parse(got)
			if err != nil || id != "atende.test" || len(results) != 3 {
				t.Fatalf("Parse = %q, %d results, %v", id, len(results), err)
			}
			dm, ok := results[2].(*authres.DMARCResult)
			if !ok || string(dm.Value) != tc.ar.DMARC || dm.From != tc.ar.FromDomain {
				t.Fatalf("parsed dmarc = %#v", results[2])
			}
		})
	}
}

func TestAuthservIDOf(t *testing.T) {
	tests := map[string]string{
		"atende.test; dkim=pass":                    "atende.test",
		"Atende.TEST 1; spf=pass":                   "atende.test",
		"(comment) atende.test (x); none":           "atende.test",
		"mx.google.com;\r\n\tdkim=pass header.i=@a": "mx.google.com",
		"garbage without semicolon":                 "garbage",
		"":                                          "",
	}
	for in, want := range tests {
		if got := authservIDOf(in); got != want {
			t.Errorf("authservIDOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAligned(t *testing.T) {
	tests := []struct {
		d, from string
		mode    string
		want    bool
	}{
		{"customer.test", "customer.test", "s", true},
		{"mail.customer.test", "customer.test", "s", false},
		{"mail.customer.test", "customer.test", "r", true},
		{"example.co.uk", "other.co.uk", "r", false},
		{"a.example.co.uk", "b.example.co.uk", "r", true},
		{"", "customer.test", "r", false},
	}
	for _, tc := range tests {
		if got := aligned(tc.d, tc.from, dmarc.AlignmentMode(tc.mode)); got != tc.want {
			t.Errorf("aligned(%q, %q, %s) = %v", tc.d, tc.from, tc.mode, got)
		}
	}
}
