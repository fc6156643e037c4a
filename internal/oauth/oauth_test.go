package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// authServer is a small OAuth2 authorization server on 127.0.0.1:
// authorize, token (code with PKCE S256, refresh with rotation), revoke,
// userinfo.
type authServer struct {
	*httptest.Server
	mu         sync.Mutex
	challenges map[string]string // code → PKCE challenge
	refresh    map[string]bool   // live refresh tokens
	access     map[string]bool
	n          int
}

func newAuthServer(t *testing.T) *authServer {
	a := &authServer{challenges: map[string]string{}, refresh: map[string]bool{}, access: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("client_id") != "atende-test" {
			http.Error(w, "bad request", 400)
			return
		}
		a.mu.Lock()
		a.n++
		code := fmt.Sprintf("code-%d", a.n)
		a.challenges[code] = q.Get("code_challenge")
		a.mu.Unlock()
		u, _ := url.Parse(q.Get("redirect_uri"))
		v := u.Query()
		v.Set("code", code)
		v.Set("state", q.Get("state"))
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		a.mu.Lock()
		defer a.mu.Unlock()
		fail := func(code string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":%q}`, code)
		}
		switch r.Form.Get("grant_type") {
		case "authorization_code":
			ch, ok := a.challenges[r.Form.Get("code")]
			delete(a.challenges, r.Form.Get("code"))
			sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != ch {
				fail("invalid_grant")
				return
			}
		case "refresh_token":
			if !a.refresh[r.Form.Get("refresh_token")] {
				fail("invalid_grant")
				return
			}
			delete(a.refresh, r.Form.Get("refresh_token")) // rotation
		default:
			fail("unsupported_grant_type")
			return
		}
		a.n++
		at, rt := fmt.Sprintf("at-%d", a.n), fmt.Sprintf("rt-%d", a.n)
		a.access[at], a.refresh[rt] = true, true
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		ok := a.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		a.mu.Unlock()
		if !ok {
			http.Error(w, "unauthorized", 401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"sub":"1","email":"Suporte@Example.test","email_verified":true}`)
	})
	a.Server = httptest.NewServer(mux)
	t.Cleanup(a.Close)
	return a
}

func (a *authServer) revokeAll() {
	a.mu.Lock()
	a.refresh = map[string]bool{}
	a.mu.Unlock()
}

func (a *authServer) client() *Client {
	return &Client{Provider: Provider{ID: "google", Endpoint: oauth2.Endpoint{AuthURL: a.URL + "/authorize", TokenURL: a.URL + "/token",
		AuthStyle: oauth2.AuthStyleInParams}, Scopes: []string{"https://mail.google.com/"}, UserInfoURL: a.URL + "/userinfo"},
		ClientID: "atende-test", ClientSecret: "s3cret", RedirectURL: "http://127.0.0.1:8080/oauth/callback"}
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
	a := newAuthServer(t)
	c := a.client()
	box, _ := secrets.NewBox(secrets.NewKey())
	now := time.Now() // token expiry comes from the real clock (expires_in)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
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
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("access_type") != "offline" {
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
	a.revokeAll()
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
	resp, err := c.Next([]byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`))
	if err == nil || len(resp) != 0 || !strings.Contains(err.Error(), "401") {
		t.Fatalf("error challenge: %q %v", resp, err)
	}
	if _, _, err := NewXOAUTH2Client("", "t").Start(); err == nil {
		t.Fatal("empty user accepted")
	}
}
