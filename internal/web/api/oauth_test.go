package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/secrets"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func get(t *testing.T, rawURL string, hdr map[string]string, cookies ...*http.Cookie) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	must(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := noRedirect.Do(req)
	must(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func stateCookie(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == "atende_oauth" {
			return c
		}
	}
	t.Fatalf("no atende_oauth cookie in %v", res.Header.Values("Set-Cookie"))
	return nil
}

// consent plays the browser at the provider: returns the callback URL.
func consent(t *testing.T, authURL string) *url.URL {
	t.Helper()
	res, body := get(t, authURL, nil)
	if res.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %s", res.StatusCode, body)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	must(t, err)
	return u
}

// oauthConnect connects tn's channel with the test Google: start as the
// admin (302 with the cookie), consent, callback. It returns the routes it
// called successfully.
func oauthConnect(t *testing.T, e *env, tn *tenant) []string {
	t.Helper()
	start := fmt.Sprintf("%s/api/v1/channels/%d/oauth/start?provider=google", e.srv.URL, tn.ch.ID)
	res, body := get(t, start, map[string]string{"Authorization": "Bearer " + tn.adminTok})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	c := stateCookie(t, res)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/oauth" || c.MaxAge <= 0 || c.MaxAge > 600 {
		t.Fatalf("state cookie %+v", c)
	}
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, e.oauth.URL+"/authorize?") || !strings.Contains(loc, "code_challenge_method=S256") {
		t.Fatalf("start redirects to %s", loc)
	}
	cb := consent(t, loc)
	if cb.Path != "/oauth/callback" {
		t.Fatalf("provider returned to %s", cb)
	}
	res, body = get(t, e.srv.URL+cb.RequestURI(), nil, c)
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != fmt.Sprintf("/channels/%d?oauth=connected", tn.ch.ID) {
		t.Fatalf("callback: %d %s -> %s", res.StatusCode, body, res.Header.Get("Location"))
	}
	ch, err := e.st.GetChannel(ctx, tn.co.ID, tn.ch.ID)
	must(t, err)
	s := ch.Settings
	if s.IMAP.Username != "suporte@gmail.test" || s.IMAP.Auth != "oauth" || s.SMTP.Username != "suporte@gmail.test" || s.SMTP.Auth != "oauth" ||
		s.IMAP.Host != "imap.gmail.com" || s.Provider != "gmail" || s.FromEmail != "suporte@gmail.test" {
		t.Fatalf("channel settings after connect: %+v", s)
	}
	// The token was stored and works.
	tok, err := e.tokens.Access(ctx, tn.co.ID, tn.ch.ID, false)
	if err != nil || !e.oauth.Active(tok) {
		t.Fatalf("stored token %v", err)
	}
	return []string{"GET /api/v1/channels/{id}/oauth/start", "GET /oauth/callback"}
}

// TestOAuthConnect: the connect flow stores the token encrypted and
// never shows it; forged or missing state, a denied consent, an unknown
// or unconfigured provider are refused with a clear problem.
func TestOAuthConnect(t *testing.T) {
	e := newEnv(t, "sqlite")
	tn := e.a
	before := e.changed.Load()
	oauthConnect(t, e, tn)
	if e.changed.Load() == before {
		t.Fatal("the sync was not reloaded after connecting")
	}
	sec, err := e.st.GetSecret(ctx, tn.co.ID, tn.ch.ID, secrets.OAuthToken)
	must(t, err)
	tok, err := e.tokens.Access(ctx, tn.co.ID, tn.ch.ID, false)
	must(t, err)
	if bytes.Contains(sec.Ciphertext, []byte(tok)) {
		t.Fatal("token stored in clear")
	}

	start := fmt.Sprintf("%s/api/v1/channels/%d/oauth/start?provider=google", e.srv.URL, tn.ch.ID)
	res, body := get(t, start, map[string]string{"Authorization": "Bearer " + tn.adminTok, "Accept": "application/json"})
	var js struct {
		AuthorizeURL string `json:"authorize_url"`
	}
	if res.StatusCode != 200 || json.Unmarshal([]byte(body), &js) != nil || !strings.HasPrefix(js.AuthorizeURL, e.oauth.URL) {
		t.Fatalf("start as JSON: %d %s", res.StatusCode, body)
	}
	cookie := stateCookie(t, res)
	cb := consent(t, js.AuthorizeURL)
	forged := *cb
	q := forged.Query()
	q.Set("state", "forged-state")
	forged.RawQuery = q.Encode()
	other := *cookie
	other.Value = "google." + strings.Repeat("A", 60)
	cases := []struct {
		name    string
		path    string
		cookies []*http.Cookie
		status  int
		code    string
	}{
		{"forged state", forged.RequestURI(), []*http.Cookie{cookie}, 400, "oauth_bad_state"},
		{"no cookie", cb.RequestURI(), nil, 400, "oauth_bad_state"},
		{"forged cookie", cb.RequestURI(), []*http.Cookie{&other}, 400, "oauth_bad_state"},
		{"consent denied", "/oauth/callback?error=access_denied&state=x", []*http.Cookie{cookie}, 400, "oauth_denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, e.srv.URL+tc.path, nil, tc.cookies...)
			if res.StatusCode != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}
	// The genuine callback still works after the refused attempts.
	if res, body := get(t, e.srv.URL+cb.RequestURI(), map[string]string{"Accept": "application/json"}, cookie); res.StatusCode != 200 ||
		!strings.Contains(body, `"email":"suporte@gmail.test"`) {
		t.Fatalf("callback as JSON: %d %s", res.StatusCode, body)
	}

	refusals := []struct {
		name, query string
		status      int
		code        string
	}{
		{"unknown provider", "provider=yahoo", 422, "validation"},
		{"provider not configured", "provider=microsoft", 409, "oauth_not_configured"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, fmt.Sprintf("%s/api/v1/channels/%d/oauth/start?%s", e.srv.URL, tn.ch.ID, tc.query),
				map[string]string{"Authorization": "Bearer " + tn.adminTok})
			if res.StatusCode != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("%d %s", res.StatusCode, body)
			}
		})
	}

	// A connection test of the connected channel uses its token; a revoked
	// grant answers "reconnect".
	e.oauth.RevokeAll()
	e.tokens.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // the access token expired
	r := e.do(t, "POST", "/api/v1/channels/test-connection", map[string]any{"channel_id": tn.ch.ID}, bearer(tn.adminTok))
	if r.status != 409 || r.problem(t).Code != "oauth_reconnect_needed" {
		t.Fatalf("test connection after revoke: %d %s", r.status, r.body)
	}
	e.tokens.Now = nil
	must(t, e.tokens.Save(ctx, tn.co.ID, tn.ch.ID, e.oauth.Issue("suporte@gmail.test")))

	// No token ever shows in an API answer or a log line.
	tok, err = e.tokens.Access(ctx, tn.co.ID, tn.ch.ID, false)
	must(t, err)
	res, chBody := get(t, fmt.Sprintf("%s/api/v1/channels/%d", e.srv.URL, tn.ch.ID), map[string]string{"Authorization": "Bearer " + tn.adminTok})
	_, stBody := get(t, fmt.Sprintf("%s/api/v1/channels/%d/status", e.srv.URL, tn.ch.ID), map[string]string{"Authorization": "Bearer " + tn.adminTok})
	if res.StatusCode != 200 || !strings.Contains(chBody, "suporte@gmail.test") {
		t.Fatalf("channel view %d %s", res.StatusCode, chBody)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "oauth: channel connected") {
		t.Fatalf("connect not logged: %s", logs)
	}
	for _, s := range e.oauth.Issued() {
		for name, text := range map[string]string{"channel view": chBody, "status": stBody, "logs": logs} {
			if strings.Contains(text, s) {
				t.Errorf("token %q appears in %s", s, name)
			}
		}
	}
	if len(e.oauth.Issued()) < 4 || tok == "" {
		t.Fatalf("issued %d tokens", len(e.oauth.Issued()))
	}
}
