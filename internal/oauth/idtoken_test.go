package oauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/secrets"
)

// tenant is the work tenant of the Microsoft-style tests.
const tenant = "3f2a9c1e-8b7d-4e6f-a5c4-1d2e3f4a5b6c"

// clockAt is the fixed time of these tests: the test server dates its ID
// tokens with it and Complete checks them against it.
var clockAt = time.Date(2031, 3, 14, 9, 30, 0, 0, time.UTC)

// outlookServer is a test provider in Microsoft's shape: multi-tenant
// issuer, Outlook-audience access tokens that userinfo refuses.
func outlookServer(t *testing.T, email string) (*oauthtest.Server, *Client) {
	a := oauthtest.New(t, email)
	a.SetTenant(tenant)
	a.SetNow(func() time.Time { return clockAt })
	c := &Client{Provider: Provider{ID: "microsoft", Endpoint: a.Endpoint(), Scopes: Microsoft.Scopes, Issuers: []string{a.IssuerTemplate()},
		UserInfoURL: a.UserInfoURL()}, // set on purpose: it must not be needed
		ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret, RedirectURL: "http://127.0.0.1:8080/oauth/callback"}
	return a, c
}

// connect runs Begin, the consent and Complete at clockAt.
func connect(t *testing.T, c *Client, box *secrets.Box) (*Result, error) {
	t.Helper()
	authURL, cookie, err := c.Begin(box, 7, 42, clockAt)
	if err != nil {
		t.Fatal(err)
	}
	state, code := authorize(t, authURL)
	return c.Complete(context.Background(), box, cookie, state, code, clockAt)
}

// Office 365: the access token is for Outlook and the userinfo endpoint
// refuses it, as Graph's does; the address comes from the ID token.
func TestOutlookAddressFromIDToken(t *testing.T) {
	a, c := outlookServer(t, "vendas@contoso.test")
	box, _ := secrets.NewBox(secrets.NewKey())
	res, err := connect(t, c, box)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if res.Email != "vendas@contoso.test" || res.Provider != "microsoft" || res.ChannelID != 42 || res.CompanyID != 7 {
		t.Fatalf("result %+v", res)
	}
	if n := a.UserInfoRequests(); n != 0 {
		t.Fatalf("userinfo asked %d times; the ID token names the address", n)
	}
	// The server really refuses that token at userinfo (the bug of issue 20).
	req, _ := http.NewRequest("GET", a.UserInfoURL(), nil)
	req.Header.Set("Authorization", "Bearer "+res.Token.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "audience") {
		t.Fatalf("userinfo with an Outlook token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if !a.Active(res.Token.AccessToken) {
		t.Fatal("the access token is not live")
	}

	// Claims order: email, then preferred_username, then upn.
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"email first", func(c map[string]any) { c["preferred_username"] = "other@contoso.test" }, "vendas@contoso.test"},
		{"preferred_username without email", func(c map[string]any) { delete(c, "email") }, "vendas@contoso.test"},
		{"upn when the others are not addresses", func(c map[string]any) {
			delete(c, "email")
			c["preferred_username"] = "+55 11 99999-0000"
			c["upn"] = "Vendas@Contoso.test"
		}, "vendas@contoso.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a.SetIDTokenClaims(tc.edit)
			res, err := connect(t, c, box)
			if err != nil || res.Email != tc.want {
				t.Fatalf("email %v, err %v; want %s", res, err, tc.want)
			}
		})
	}
	// A personal account (outlook.com, hotmail.com) through the same
	// common endpoint: Microsoft's consumer tenant.
	a.SetIDTokenClaims(nil)
	a.SetTenant("9188040d-6c67-4c5b-b112-36a304b66dad")
	a.SetEmail("cliente.vip@hotmail.test")
	if res, err := connect(t, c, box); err != nil || res.Email != "cliente.vip@hotmail.test" {
		t.Fatalf("personal account: %+v %v", res, err)
	}
	a.SetTenant(tenant)
	a.SetEmail("vendas@contoso.test")

	// No address in the ID token: the Outlook token cannot be used at
	// userinfo, and the failure says why.
	a.SetIDTokenClaims(func(c map[string]any) { delete(c, "email"); delete(c, "preferred_username") })
	if _, err := connect(t, c, box); Reason(err) != ReasonUserInfo || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("no address and an Outlook token: %v (reason %q)", err, Reason(err))
	}
	// Microsoft's provider has no userinfo fallback at all.
	c.Provider.UserInfoURL = ""
	if _, err := connect(t, c, box); !errors.Is(err, ErrNoIdentity) || Reason(err) != ReasonNoIdentity {
		t.Fatalf("no address, no userinfo: %v", err)
	}
}

// Every check of the ID token refuses with a clear message and a reason
// the UI translates, and names the channel to return to.
func TestIDTokenRefused(t *testing.T) {
	a, c := outlookServer(t, "vendas@contoso.test")
	box, _ := secrets.NewBox(secrets.NewKey())
	cases := []struct {
		name    string
		edit    func(map[string]any)
		problem IDTokenProblem
		words   string
	}{
		{"wrong audience", func(c map[string]any) { c["aud"] = "another-app" }, IDTokenAudience, "another application"},
		{"audience list without us", func(c map[string]any) { c["aud"] = []string{"x", "y"} }, IDTokenAudience, "another application"},
		{"several audiences, other azp", func(c map[string]any) { c["aud"] = []string{oauthtest.ClientID, "y"}; c["azp"] = "y" }, IDTokenAudience, "azp"},
		{"issuer of another provider", func(c map[string]any) { c["iss"] = "https://accounts.example.test" }, IDTokenIssuer, "expected provider"},
		{"issuer of another tenant than tid", func(c map[string]any) {
			c["tid"] = "00000000-1111-2222-3333-444444444444"
		}, IDTokenIssuer, "expected provider"},
		{"tenant that is not a GUID", func(c map[string]any) {
			c["tid"] = "../evil"
			c["iss"] = strings.Replace(c["iss"].(string), tenant, "../evil", 1)
		}, IDTokenIssuer, "expected provider"},
		{"no tid", func(c map[string]any) { delete(c, "tid") }, IDTokenIssuer, "expected provider"},
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "replayed-nonce" }, IDTokenNonce, "nonce mismatch"},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }, IDTokenNonce, "no nonce claim"},
		{"expired", func(c map[string]any) { c["exp"] = clockAt.Add(-3 * time.Minute).Unix() }, IDTokenExpired, "expired"},
		{"no exp", func(c map[string]any) { delete(c, "exp") }, IDTokenExpired, "no exp"},
		{"not yet valid", func(c map[string]any) { c["nbf"] = clockAt.Add(10 * time.Minute).Unix() }, IDTokenExpired, "not valid before"},
		{"aud of the wrong type", func(c map[string]any) { c["aud"] = 42 }, IDTokenMalformed, "not a readable JWT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a.SetIDTokenClaims(tc.edit)
			_, err := connect(t, c, box)
			var ie *IDTokenError
			var fe *FlowError
			if !errors.As(err, &ie) || ie.Problem != tc.problem || !errors.Is(err, ErrIDToken) || Reason(err) != string(tc.problem) {
				t.Fatalf("err = %v, want %s", err, tc.problem)
			}
			if !errors.As(err, &fe) || fe.ChannelID != 42 || fe.CompanyID != 7 {
				t.Fatalf("flow error does not name the channel: %#v", err)
			}
			if !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("message %q lacks %q", err, tc.words)
			}
		})
	}
	// Within the leeway, a token that just expired is still accepted
	// (clocks drift).
	a.SetIDTokenClaims(func(c map[string]any) { c["exp"] = clockAt.Add(-time.Minute).Unix() })
	if _, err := connect(t, c, box); err != nil {
		t.Fatalf("expired a minute ago: %v", err)
	}
}

// Google: issuer https://accounts.google.com or accounts.google.com; the
// userinfo fallback works with Gmail's token and must describe the same
// subject as the ID token.
func TestGoogleIDTokenAndUserInfoFallback(t *testing.T) {
	a := oauthtest.New(t, "suporte@example.test")
	a.SetNow(func() time.Time { return clockAt })
	c := testClient(a)
	box, _ := secrets.NewBox(secrets.NewKey())
	if res, err := connect(t, c, box); err != nil || res.Email != "suporte@example.test" || a.UserInfoRequests() != 0 {
		t.Fatalf("connect: %+v %v (userinfo %d)", res, err, a.UserInfoRequests())
	}
	a.SetIDTokenClaims(func(c map[string]any) { delete(c, "email"); delete(c, "preferred_username") })
	if res, err := connect(t, c, box); err != nil || res.Email != "suporte@example.test" || a.UserInfoRequests() != 1 {
		t.Fatalf("userinfo fallback: %+v %v (userinfo %d)", res, err, a.UserInfoRequests())
	}
	a.SetIDTokenClaims(func(c map[string]any) { delete(c, "email"); delete(c, "preferred_username"); c["sub"] = "someone-else" })
	if _, err := connect(t, c, box); Reason(err) != ReasonUserInfo || !strings.Contains(err.Error(), "sub differs") {
		t.Fatalf("userinfo of another subject: %v", err)
	}
	// No ID token at all (a provider without openid): userinfo.
	a.SetIDTokenClaims(func(c map[string]any) { clear(c) })
	if res, err := connect(t, c, box); err != nil || res.Email != "suporte@example.test" {
		t.Fatalf("no ID token: %+v %v", res, err)
	}

	for _, iss := range []string{"https://accounts.google.com", "accounts.google.com"} {
		if !issuerOK(Google.Issuers, &idClaims{Issuer: iss}) {
			t.Errorf("google issuer %q refused", iss)
		}
	}
	for _, tc := range []struct {
		iss, tid string
		ok       bool
	}{
		{"https://login.microsoftonline.com/" + tenant + "/v2.0", tenant, true},
		// personal accounts (outlook.com, hotmail.com) have their own tenant
		{"https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0", "9188040d-6c67-4c5b-b112-36a304b66dad", true},
		{"https://login.microsoftonline.com/common/v2.0", "common", false},
		{"https://login.microsoftonline.com/{tid}/v2.0", "", false},
		{"https://login.microsoftonline.com/" + tenant + "/v2.0", "9188040d-6c67-4c5b-b112-36a304b66dad", false},
		{"https://sts.windows.net/" + tenant + "/", tenant, false}, // v1.0 issuer
		{"https://accounts.google.com", "", false},
	} {
		if got := issuerOK(Microsoft.Issuers, &idClaims{Issuer: tc.iss, Tenant: tc.tid}); got != tc.ok {
			t.Errorf("microsoft issuer %q tid %q: %v, want %v", tc.iss, tc.tid, got, tc.ok)
		}
	}
}

func TestParseIDTokenMalformed(t *testing.T) {
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	hdr := enc(map[string]string{"alg": "RS256"})
	for name, raw := range map[string]string{
		"two parts":       hdr + "." + enc(map[string]any{"iss": "x"}),
		"header not json": base64.RawURLEncoding.EncodeToString([]byte("{")) + "." + enc(map[string]any{}) + ".sig",
		"payload not b64": hdr + ".%%%.sig",
		"payload array":   hdr + "." + enc([]int{1}) + ".sig",
		"exp a string":    hdr + "." + enc(map[string]any{"exp": "tomorrow"}) + ".sig",
	} {
		if _, err := parseIDToken(raw); !errors.Is(err, ErrIDToken) || Reason(err) != string(IDTokenMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The nonce is new for every authorization and travels only in the
// authorize URL and the sealed cookie.
func TestNoncePerAuthorization(t *testing.T) {
	_, c := outlookServer(t, "vendas@contoso.test")
	box, _ := secrets.NewBox(secrets.NewKey())
	seen := map[string]bool{}
	for range 3 {
		authURL, cookie, err := c.Begin(box, 1, 2, clockAt)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(authURL)
		n := u.Query().Get("nonce")
		if len(n) < 32 || seen[n] || strings.Contains(cookie, n) || u.Query().Get("nonce") == u.Query().Get("state") {
			t.Fatalf("nonce %q (seen %v)", n, seen[n])
		}
		seen[n] = true
		if !strings.Contains(u.Query().Get("scope"), "profile") || !strings.Contains(u.Query().Get("scope"), "openid") {
			t.Fatalf("scopes %q", u.Query().Get("scope"))
		}
	}
}
