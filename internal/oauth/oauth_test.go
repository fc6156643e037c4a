package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// testClient is a Client registered with the test provider (oauthtest).
func testClient(a *oauthtest.Server) *Client {
	return &Client{Provider: Provider{ID: "google", Endpoint: a.Endpoint(), Scopes: Google.Scopes, Issuers: []string{a.IssuerTemplate()}, UserInfoURL: a.UserInfoURL()},
		ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret, RedirectURL: "http://127.0.0.1:8080/oauth/callback"}
}

// authorize plays the browser: follows the provider's consent and returns
// the callback's state and code.
func authorize(t *testing.T, authURL string) (state, code string) {
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	return loc.Query().Get("state"), loc.Query().Get("code")
}

func TestConnectFlowRefreshAndRevoke(t *testing.T) {
	ctx := context.Background()
	a := oauthtest.New(t, "suporte@example.test")
	c := testClient(a)
	box, _ := secrets.NewBox(secrets.NewKey())
	now := time.Now() // token expiry comes from the real clock (expires_in)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(ctx, co)
	ch := &model.Channel{CompanyID: co.ID, Slug: "g", Name: "Gmail", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "x"}
	st.CreateChannel(ctx, ch)

	authURL, cookie, err := c.Begin(box, co.ID, ch.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("access_type") != "offline" || len(u.Query().Get("nonce")) < 32 {
		t.Fatalf("auth URL %s", authURL)
	}
	state, code := authorize(t, authURL)

	// A forged state, a tampered or missing cookie, or an expired one are refused.
	for name, try := range map[string]func() error{
		"forged state": func() error { _, err := c.Complete(ctx, box, cookie, "forged", code, now); return err },
		"no cookie":    func() error { _, err := c.Complete(ctx, box, "", state, code, now); return err },
		"tampered cookie": func() error {
			_, err := c.Complete(ctx, box, cookie[:len(cookie)-2]+"AA", state, code, now)
			return err
		},
		"expired": func() error { _, err := c.Complete(ctx, box, cookie, state, code, now.Add(11*time.Minute)); return err },
	} {
		if err := try(); !errors.Is(err, ErrBadState) {
			t.Errorf("%s: err = %v, want ErrBadState", name, err)
		}
	}
	res, err := c.Complete(ctx, box, cookie, state, code, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Email != "suporte@example.test" || res.ChannelID != ch.ID || res.CompanyID != co.ID || res.Token.RefreshToken == "" {
		t.Fatalf("result %+v", res)
	}
	// The same code cannot be exchanged twice (the server burned it).
	if _, err := c.Complete(ctx, box, cookie, state, code, now); err == nil {
		t.Fatal("code reused")
	}

	clock := now
	tokens := &Tokens{Client: c, Box: box, Store: st, Now: func() time.Time { return clock }}
	if err := tokens.Save(ctx, co.ID, ch.ID, res.Token); err != nil {
		t.Fatal(err)
	}
	// Stored encrypted: the ciphertext row does not contain the token.
	sec, err := st.GetSecret(ctx, co.ID, ch.ID, secrets.OAuthToken)
	if err != nil || strings.Contains(string(sec.Ciphertext), res.Token.RefreshToken) {
		t.Fatalf("secret row: %v", err)
	}
	first, err := tokens.Access(ctx, co.ID, ch.ID, false)
	if err != nil || first != res.Token.AccessToken {
		t.Fatalf("access = %q %v", first, err)
	}
	// Near expiry: refreshed, and the rotated refresh token persisted.
	clock = res.Token.Expiry.Add(-time.Minute)
	second, err := tokens.Access(ctx, co.ID, ch.ID, false)
	if err != nil || second == first {
		t.Fatalf("refresh = %q %v", second, err)
	}
	third, err := tokens.Access(ctx, co.ID, ch.ID, true) // the server refused `second`
	if err != nil || third == second {
		t.Fatalf("forced refresh = %q %v (the rotated refresh token must have been saved)", third, err)
	}
	// Revoked at the provider: reconnect needed, nothing else.
	a.RevokeAll()
	if _, err := tokens.Access(ctx, co.ID, ch.ID, true); !errors.Is(err, ErrReconnectNeeded) {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestXOAUTH2InitialResponse(t *testing.T) {
	c := NewXOAUTH2Client("suporte@example.test", "ya29.token")
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=suporte@example.test\x01auth=Bearer ya29.token\x01\x01" {
		t.Fatalf("%s %q %v", mech, ir, err)
	}
	challenge := `{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`
	resp, err := c.Next([]byte(challenge))
	if err != nil || resp == nil || len(resp) != 0 || Refusal(c) != challenge {
		t.Fatalf("error challenge: %q %v refusal %q", resp, err, Refusal(c))
	}
	b := NewOAuthBearerClient("suporte@example.test", "ya29.token")
	if mech, ir, err := b.Start(); err != nil || mech != "OAUTHBEARER" || !strings.Contains(string(ir), "auth=Bearer ya29.token") {
		t.Fatalf("oauthbearer start: %s %q %v", mech, ir, err)
	}
	if resp, err := b.Next([]byte(`{"status":"invalid_token"}`)); err != nil || string(resp) != "\x01" || Refusal(b) != `{"status":"invalid_token"}` {
		t.Fatalf("oauthbearer error challenge: %q %v", resp, err)
	}
	if _, _, err := NewXOAUTH2Client("", "t").Start(); err == nil {
		t.Fatal("empty user accepted")
	}
}
