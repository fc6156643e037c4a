package ui

import (
	"os"
	"regexp"
	"testing"

	"github.com/atende-helpdesk/atende/internal/oauth"
)

// TestChannelKeysExist: every message key the channel templates and
// handlers name is in the catalog in both languages (T would otherwise
// show the bare key).
func TestChannelKeysExist(t *testing.T) {
	re := regexp.MustCompile(`\bT[ (]"((?:ch|rule)\.[a-z_.]+)"`)
	files := []string{"templates/channels.html", "templates/channel.html", "templates/rule.html", "channels.go", "rules.go"}
	n := 0
	for _, f := range files {
		var b []byte
		var err error
		if f[len(f)-3:] == ".go" {
			b, err = os.ReadFile(f)
		} else {
			b, err = templateFS.ReadFile(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, lang := range []string{LangPT, LangEN} {
				if _, ok := catalog[lang][m[1]]; !ok {
					t.Errorf("%s: key %q missing in %s", f, m[1], lang)
				}
			}
		}
	}
	if n < 80 {
		t.Fatalf("found only %d keys: the pattern is broken", n)
	}
	for _, k := range append(append([]string{}, filterKinds...), "connected", "syncing", "idle", "error", "reconnect_needed", "disabled", "pending") {
		key := "rule.kind." + k
		if k == "connected" || k == "syncing" || k == "idle" || k == "error" || k == "reconnect_needed" || k == "disabled" || k == "pending" {
			key = "ch.state." + k
		}
		for _, lang := range []string{LangPT, LangEN} {
			if _, ok := catalog[lang][key]; !ok {
				t.Errorf("dynamic key %q missing in %s", key, lang)
			}
		}
	}
}

// Every reason an OAuth connection can fail with has a message in both
// languages (the callback names it in ?reason=).
func TestOAuthReasonsTranslated(t *testing.T) {
	reasons := []string{oauth.ReasonBadState, oauth.ReasonDenied, oauth.ReasonNoCode, oauth.ReasonExchange, oauth.ReasonNoRefreshToken,
		oauth.ReasonNoIdentity, oauth.ReasonUserInfo, oauth.ReasonNotConfigured, oauth.ReasonFailed, "pending_expired",
		string(oauth.IDTokenMalformed), string(oauth.IDTokenIssuer), string(oauth.IDTokenAudience), string(oauth.IDTokenNonce), string(oauth.IDTokenExpired)}
	for _, r := range reasons {
		for _, lang := range []string{LangPT, LangEN} {
			if _, ok := catalog[lang]["ch.oauth_err."+r]; !ok {
				t.Errorf("ch.oauth_err.%s missing in %s", r, lang)
			}
		}
	}
}
