package ingest

import "testing"

func TestAuthVerdict(t *testing.T) {
	ours := "mx.atende.test; spf=fail smtp.mailfrom=bank.example; dkim=none; dmarc=fail header.from=bank.example"
	forged := "evil.example; dmarc=pass header.from=bank.example"
	google := "mx.google.com; dkim=pass header.i=@shop.example; spf=pass smtp.mailfrom=shop.example; dmarc=pass header.from=shop.example"
	cases := []struct {
		name     string
		values   []string
		ourID    string
		topmost  bool
		wantRaw  string
		wantFail bool
	}{
		{"ours fails", []string{ours}, "mx.atende.test", false, ours, true},
		{"case-insensitive id", []string{ours}, "MX.Atende.Test", false, ours, true},
		{"forged other id ignored for internal", []string{forged}, "mx.atende.test", false, "", false},
		{"ours found below others", []string{forged, ours}, "mx.atende.test", false, ours, true},
		{"provider topmost trusted for external", []string{google, forged}, "", true, google, false},
		{"second header not trusted", []string{"garbage", forged}, "", true, "", false},
		{"none", nil, "mx.atende.test", true, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, fail := authVerdict(c.values, c.ourID, c.topmost)
			if raw != c.wantRaw || fail != c.wantFail {
				t.Fatalf("got %q %v, want %q %v", raw, fail, c.wantRaw, c.wantFail)
			}
		})
	}
}
