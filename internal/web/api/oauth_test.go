package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
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

// oauthConnect connects tn's channel with the test Google, signing in as
// the channel's own address: start as the admin (302 with the cookie),
// consent, callback. It returns the routes it called successfully.
func oauthConnect(t *testing.T, e *env, tn *tenant) []string {
	t.Helper()
	ch, err := e.st.GetChannel(ctx, tn.co.ID, tn.ch.ID)
	must(t, err)
	mailbox := strings.ToLower(ch.Settings.PrimaryEmail)
	e.oauth.SetEmail(mailbox)
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
	if !strings.HasPrefix(loc, e.oauth.URL+"/authorize?") || !strings.Contains(loc, "code_challenge_method=S256") || !strings.Contains(loc, "nonce=") {
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
	ch, err = e.st.GetChannel(ctx, tn.co.ID, tn.ch.ID)
	must(t, err)
	s := ch.Settings
	if s.IMAP.Username != mailbox || s.IMAP.Auth != "oauth" || s.SMTP.Username != mailbox || s.SMTP.Auth != "oauth" ||
		s.IMAP.Host != "imap.gmail.com" || s.Provider != "gmail" || s.FromEmail == "" {
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
	denied := fmt.Sprintf("/oauth/callback?error=access_denied&state=%s", url.QueryEscape(cb.Query().Get("state")))
	channelForm := fmt.Sprintf("/channels/%d", tn.ch.ID)
	cases := []struct {
		name    string
		path    string
		cookies []*http.Cookie
		status  int
		code    string
		back    string // where a browser is sent back to
	}{
		{"forged state", forged.RequestURI(), []*http.Cookie{cookie}, 400, "oauth_bad_state", "/channels?oauth=error&reason=bad_state"},
		{"no cookie", cb.RequestURI(), nil, 400, "oauth_bad_state", "/channels?oauth=error&reason=bad_state"},
		{"forged cookie", cb.RequestURI(), []*http.Cookie{&other}, 400, "oauth_bad_state", "/channels?oauth=error&reason=bad_state"},
		{"consent denied", denied, []*http.Cookie{cookie}, 400, "oauth_denied", channelForm + "?oauth=error&reason=denied"},
		{"consent denied, forged state", "/oauth/callback?error=access_denied&state=x", []*http.Cookie{cookie}, 400, "oauth_denied", "/channels?oauth=error&reason=denied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, body := get(t, e.srv.URL+tc.path, map[string]string{"Accept": "application/json"}, tc.cookies...)
			if res.StatusCode != tc.status || !strings.Contains(body, `"code":"`+tc.code+`"`) {
				t.Fatalf("JSON: %d %s", res.StatusCode, body)
			}
			res, body = get(t, e.srv.URL+tc.path, nil, tc.cookies...)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.back {
				t.Fatalf("browser: %d %s -> %s", res.StatusCode, body, res.Header.Get("Location"))
			}
		})
	}
	// The genuine callback still works after the refused attempts.
	if res, body := get(t, e.srv.URL+cb.RequestURI(), map[string]string{"Accept": "application/json"}, cookie); res.StatusCode != 200 ||
		!strings.Contains(body, `"email":"suporte@acme.test"`) {
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
	e.clk.Advance(2 * time.Hour) // the access token expired
	r := e.do(t, "POST", "/api/v1/channels/test-connection", map[string]any{"channel_id": tn.ch.ID, "incoming": "external"}, bearer(tn.adminTok))
	if r.status != 409 || r.problem(t).Code != "oauth_reconnect_needed" {
		t.Fatalf("test connection after revoke: %d %s", r.status, r.body)
	}
	must(t, e.tokens.Save(ctx, tn.co.ID, tn.ch.ID, e.oauth.Issue("suporte@acme.test")))

	// No token ever shows in an API answer or a log line.
	tok, err = e.tokens.Access(ctx, tn.co.ID, tn.ch.ID, false)
	must(t, err)
	res, chBody := get(t, fmt.Sprintf("%s/api/v1/channels/%d", e.srv.URL, tn.ch.ID), map[string]string{"Authorization": "Bearer " + tn.adminTok})
	_, stBody := get(t, fmt.Sprintf("%s/api/v1/channels/%d/status", e.srv.URL, tn.ch.ID), map[string]string{"Authorization": "Bearer " + tn.adminTok})
	if res.StatusCode != 200 || !strings.Contains(chBody, `"username":"suporte@acme.test","auth":"oauth"`) {
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

// office365 registers a "microsoft" client against a second test server
// in Microsoft's shape (tenant issuer, Outlook-audience tokens that its
// userinfo refuses) and returns that server.
func office365(t *testing.T, e *env, email string) *oauthtest.Server {
	t.Helper()
	ms := oauthtest.New(t, email)
	ms.SetTenant("5d3c1b2a-0f9e-4d8c-b7a6-95847362a1b0")
	ms.SetNow(e.clk.Now)
	e.tokens.Clients["microsoft"] = &oauth.Client{Provider: oauth.Provider{ID: "microsoft", Endpoint: ms.Endpoint(), Scopes: oauth.Microsoft.Scopes,
		Issuers: []string{ms.IssuerTemplate()}}, ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret, RedirectURL: e.srv.URL + "/oauth/callback"}
	return ms
}

// callback runs "Connect with Microsoft" for tn's channel up to the
// callback, as a browser (or a JSON client) would.
func callback(t *testing.T, e *env, tn *tenant, accept string) (*http.Response, string) {
	t.Helper()
	res, body := get(t, fmt.Sprintf("%s/api/v1/channels/%d/oauth/start?provider=microsoft", e.srv.URL, tn.ch.ID),
		map[string]string{"Authorization": "Bearer " + tn.adminTok})
	if res.StatusCode != http.StatusFound {
		t.Fatalf("start: %d %s", res.StatusCode, body)
	}
	cb := consent(t, res.Header.Get("Location"))
	var hdr map[string]string
	if accept != "" {
		hdr = map[string]string{"Accept": accept}
	}
	return get(t, e.srv.URL+cb.RequestURI(), hdr, stateCookie(t, res))
}

// TestOAuthOffice365 (issue 20): the Outlook access token is refused by
// userinfo, yet the connection completes with the address of the ID
// token; a bad ID token is refused with a clear message and the admin is
// sent back to the form; another account than the channel's waits for the
// admin without touching the channel.
func TestOAuthOffice365(t *testing.T) {
	e := newEnv(t, "sqlite")
	tn := e.a
	ms := office365(t, e, "suporte@acme.test")
	form := fmt.Sprintf("/channels/%d", tn.ch.ID)
	unchanged := func(t *testing.T) {
		t.Helper()
		ch, err := e.st.GetChannel(ctx, tn.co.ID, tn.ch.ID)
		must(t, err)
		if ch.Settings.IMAP.Auth == "oauth" || ch.Settings.IMAP.Username != "" {
			t.Fatalf("channel changed: %+v", ch.Settings.IMAP)
		}
		if _, err := e.st.GetSecret(ctx, tn.co.ID, tn.ch.ID, secrets.OAuthToken); err == nil {
			t.Fatal("a token was stored")
		}
	}

	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		reason string
		detail string
	}{
		{"wrong audience", func(c map[string]any) { c["aud"] = "00000000-aaaa-bbbb-cccc-000000000000" }, "id_token_audience", "issued for another application"},
		{"wrong issuer", func(c map[string]any) { c["iss"] = "https://login.example.test/v2.0" }, "id_token_issuer", "not issued by the expected provider"},
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "n-0" }, "id_token_nonce", "does not belong to this sign-in"},
		{"expired", func(c map[string]any) { c["exp"] = e.clk.Now().Add(-time.Hour).Unix() }, "id_token_expired", "has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms.SetIDTokenClaims(tc.edit)
			res, body := callback(t, e, tn, "")
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != form+"?oauth=error&reason="+tc.reason {
				t.Fatalf("browser: %d %s -> %s", res.StatusCode, body, res.Header.Get("Location"))
			}
			res, body = callback(t, e, tn, "application/json")
			if res.StatusCode != http.StatusBadGateway || !strings.Contains(body, `"code":"oauth_id_token"`) || !strings.Contains(body, tc.detail) {
				t.Fatalf("JSON: %d %s", res.StatusCode, body)
			}
			unchanged(t)
		})
	}
	ms.SetIDTokenClaims(nil)

	// Another account than the channel's: nothing changes, the form asks.
	ms.SetEmail("joao@acme.test")
	before := e.changed.Load()
	res, body := callback(t, e, tn, "")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != form+"?oauth=mismatch" {
		t.Fatalf("mismatch: %d %s -> %s", res.StatusCode, body, res.Header.Get("Location"))
	}
	unchanged(t)
	if e.changed.Load() != before {
		t.Fatal("the sync was reloaded for a connection that waits")
	}
	p, err := e.tokens.Pending(ctx, tn.co.ID, tn.ch.ID)
	if err != nil || p.Email != "joao@acme.test" || p.Expected != "suporte@acme.test" {
		t.Fatalf("pending %+v %v", p, err)
	}
	if res, body := callback(t, e, tn, "application/json"); res.StatusCode != 200 || !strings.Contains(body, `"pending":true`) ||
		!strings.Contains(body, `"expected":"suporte@acme.test"`) {
		t.Fatalf("mismatch as JSON: %d %s", res.StatusCode, body)
	}

	// The channel's own mailbox: connected from the ID token, userinfo
	// never asked (it would refuse the Outlook token).
	ms.SetEmail("suporte@acme.test")
	res, body = callback(t, e, tn, "")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != form+"?oauth=connected" {
		t.Fatalf("connect: %d %s -> %s", res.StatusCode, body, res.Header.Get("Location"))
	}
	if n := ms.UserInfoRequests(); n != 0 {
		t.Fatalf("userinfo asked %d times", n)
	}
	ch, err := e.st.GetChannel(ctx, tn.co.ID, tn.ch.ID)
	must(t, err)
	s := ch.Settings
	if s.Provider != "office365" || s.IMAP.Host != "outlook.office365.com" || s.SMTP.Host != "smtp.office365.com" ||
		s.IMAP.Username != "suporte@acme.test" || s.SMTP.Username != "suporte@acme.test" || s.IMAP.Auth != "oauth" {
		t.Fatalf("settings %+v", s)
	}
	if _, err := e.tokens.Pending(ctx, tn.co.ID, tn.ch.ID); !errors.Is(err, oauth.ErrNoPending) {
		t.Fatalf("the earlier pending connection survived a good one: %v", err)
	}
	tok, err := e.tokens.Access(ctx, tn.co.ID, tn.ch.ID, false)
	if err != nil || !ms.Active(tok) {
		t.Fatalf("token %v", err)
	}
	if e.changed.Load() == before {
		t.Fatal("the sync was not reloaded")
	}
	for _, s := range ms.Issued() {
		if strings.Contains(e.logs.String(), s) {
			t.Fatal("a token appears in the logs")
		}
	}
}
