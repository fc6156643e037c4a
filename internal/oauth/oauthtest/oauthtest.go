// Package oauthtest is an OAuth2 / OpenID Connect authorization server for
// tests, on 127.0.0.1 (httptest), that behaves like Google's and
// Microsoft's where Atende depends on it: authorize (code + PKCE S256,
// state, nonce, scope), token (code exchange returning an ID token when
// openid was asked, refresh with rotation), userinfo, and an RFC 7662
// introspection endpoint that Dovecot's oauth2 passdb (mailstack
// Options.OAuth2IntrospectURL) asks whether a bearer token is live and
// whose mailbox it is.
//
// Access tokens carry an audience: the resource of the URL scopes asked
// for (https://outlook.office.com for Outlook's IMAP/SMTP scopes,
// https://mail.google.com for Gmail's). Userinfo, like Microsoft Graph's,
// refuses a token issued for Outlook; like Google's, it accepts Gmail's.
// Introspection (the mail server) accepts mail tokens only. The ID token is
// a signed JWT (ES256) with iss, sub, aud (the client ID), iat, exp, the
// nonce of the authorize request, email and preferred_username; in tenant
// mode (SetTenant) its issuer is <URL>/<tid>/v2.0 with a tid claim, like
// Microsoft's common endpoint. Tests reshape it (SetIDTokenClaims) to
// send a wrong audience, issuer, nonce or expiry, and expire access tokens
// (ExpireAccess) and revoke grants (RevokeAll, RevokeEmail) to drive
// refresh and reconnect paths.
package oauthtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// ClientID and ClientSecret are the only registration the server accepts.
const (
	ClientID     = "atende-test"
	ClientSecret = "s3cret"
)

// Audiences (resources) of access tokens.
const (
	AudienceOutlook = "https://outlook.office.com"
	AudienceGmail   = "https://mail.google.com"
)

// Server is the test authorization server.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	email      string           // the identity consented in /authorize
	challenges map[string]grant // code → PKCE challenge, identity, nonce, scopes
	refresh    map[string]token // live refresh token → grant
	access     map[string]token // live access token → grant
	n          int
	issued     []string
	introspect int // introspection requests answered
	refreshes  int // successful refresh grants
	userinfo   int // userinfo requests answered (any status)
	tenant     string
	claimsHook func(map[string]any)
	now        func() time.Time
	key        *ecdsa.PrivateKey
}

type grant struct {
	challenge, email, nonce string
	scopes                  []string
}

type token struct {
	email, aud string
	scopes     []string
}

// New starts a server whose consent screen signs in as email (a full
// mailbox address, e.g. "bob@example.test"); SetEmail changes it.
func New(t testing.TB, email string) *Server {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{email: email, challenges: map[string]grant{}, refresh: map[string]token{}, access: map[string]token{}, now: time.Now, key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /userinfo", s.userinfoHandler)
	mux.HandleFunc("POST /introspect", s.introspectHandler)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// SetNow sets the clock that dates ID tokens (iat, exp); time.Now by
// default.
func (s *Server) SetNow(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// SetTenant switches to Microsoft's multi-tenant form: ID tokens carry
// tid and the issuer <URL>/<tid>/v2.0 (Issuer, IssuerTemplate).
func (s *Server) SetTenant(tid string) { s.mu.Lock(); s.tenant = tid; s.mu.Unlock() }

// SetIDTokenClaims lets a test change the claims of the next ID tokens
// before they are signed (delete "email", set a wrong "aud", ...); nil
// restores them. Deleting every claim sends no ID token at all.
func (s *Server) SetIDTokenClaims(fn func(claims map[string]any)) {
	s.mu.Lock()
	s.claimsHook = fn
	s.mu.Unlock()
}

// Issuer is the iss of the ID tokens: the server URL, or <URL>/<tid>/v2.0
// in tenant mode.
func (s *Server) Issuer() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuerLocked()
}

func (s *Server) issuerLocked() string {
	if s.tenant != "" {
		return s.URL + "/" + s.tenant + "/v2.0"
	}
	return s.URL
}

// IssuerTemplate is what a client accepts as issuer (oauth.Provider.Issuers):
// <URL>/{tid}/v2.0 in tenant mode, else the issuer.
func (s *Server) IssuerTemplate() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenant != "" {
		return s.URL + "/{tid}/v2.0"
	}
	return s.URL
}

// SetEmail changes the identity the next consent signs in as.
func (s *Server) SetEmail(email string) { s.mu.Lock(); s.email = email; s.mu.Unlock() }

// Endpoint is the server's oauth2 endpoint (client credentials in the body).
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}
}

// UserInfoURL answers {"sub": ..., "email": ...} for a live access token
// that was issued with the openid scope and not for Outlook (401
// invalid_token otherwise, as Graph's UserInfo answers an Outlook token).
func (s *Server) UserInfoURL() string { return s.URL + "/userinfo" }

// IntrospectURL is the RFC 7662 endpoint for Dovecot's oauth2 passdb.
func (s *Server) IntrospectURL() string { return s.URL + "/introspect" }

// Issue mints a token pair for email without the browser flow, for
// Gmail's mail scope (IssueScopes for others).
func (s *Server) Issue(email string) *oauth2.Token {
	return s.IssueScopes(email, "https://mail.google.com/")
}

// IssueScopes mints a token pair for email with these scopes.
func (s *Server) IssueScopes(email string, scopes ...string) *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, rt := s.mint(token{email: email, aud: resource(scopes), scopes: scopes})
	return &oauth2.Token{AccessToken: at, RefreshToken: rt, TokenType: "Bearer"}
}

// resource is the audience of a token asked with scopes: the origin of its
// first URL scope ("" for an OpenID-only token).
func resource(scopes []string) string {
	for _, sc := range scopes {
		if u, err := url.Parse(sc); err == nil && u.Scheme == "https" && u.Host != "" {
			return "https://" + u.Host
		}
	}
	return ""
}

// ExpireAccess makes every current access token inactive (introspection
// answers {"active": false}, userinfo 401); refresh tokens stay valid.
func (s *Server) ExpireAccess() { s.mu.Lock(); s.access = map[string]token{}; s.mu.Unlock() }

// RevokeAll revokes every grant: access and refresh tokens.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	s.access, s.refresh = map[string]token{}, map[string]token{}
	s.mu.Unlock()
}

// RevokeEmail revokes the grants of one mailbox only.
func (s *Server) RevokeEmail(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.access {
		if v.email == email {
			delete(s.access, k)
		}
	}
	for k, v := range s.refresh {
		if v.email == email {
			delete(s.refresh, k)
		}
	}
}

// Active reports whether an access token is live.
func (s *Server) Active(accessToken string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.access[accessToken]
	return ok
}

// Introspections counts the introspection requests answered so far.
func (s *Server) Introspections() int { s.mu.Lock(); defer s.mu.Unlock(); return s.introspect }

// UserInfoRequests counts the userinfo requests answered so far.
func (s *Server) UserInfoRequests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.userinfo }

// Refreshes counts the successful refresh-token grants so far.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

func (s *Server) mint(g token) (at, rt string) {
	s.n++
	at, rt = fmt.Sprintf("at-%d-%s", s.n, randHex()), fmt.Sprintf("rt-%d-%s", s.n, randHex())
	s.access[at], s.refresh[rt] = g, g
	s.issued = append(s.issued, at, rt)
	return at, rt
}

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("client_id") != ClientID || q.Get("response_type") != "code" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	u, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || u.Host == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.n++
	code := fmt.Sprintf("code-%d-%s", s.n, randHex())
	s.challenges[code] = grant{challenge: q.Get("code_challenge"), email: s.email, nonce: q.Get("nonce"), scopes: strings.Fields(q.Get("scope"))}
	s.mu.Unlock()
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(status int, code string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q}`, code)
	}
	if r.Form.Get("client_id") != ClientID || r.Form.Get("client_secret") != ClientSecret {
		fail(http.StatusUnauthorized, "invalid_client")
		return
	}
	var tok token
	var idToken string
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		g, ok := s.challenges[r.Form.Get("code")]
		delete(s.challenges, r.Form.Get("code")) // single use
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		tok = token{email: g.email, aud: resource(g.scopes), scopes: g.scopes}
		if slices.Contains(g.scopes, "openid") {
			idToken = s.idToken(g)
		}
	case "refresh_token":
		t, ok := s.refresh[r.Form.Get("refresh_token")]
		if !ok {
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.refresh, r.Form.Get("refresh_token")) // rotation
		tok = t
		s.refreshes++
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	at, rt := s.mint(tok)
	resp := map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer", "expires_in": 3600, "scope": strings.Join(tok.scopes, " ")}
	if idToken != "" {
		resp["id_token"] = idToken
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

// idToken signs the ID token of a grant (s.mu held); "" when the claims
// hook removed every claim.
func (s *Server) idToken(g grant) string {
	now := s.now()
	local, domain, _ := strings.Cut(g.email, "@")
	claims := map[string]any{
		"iss": s.issuerLocked(), "sub": subject(g.email), "aud": ClientID,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		// mixed case on purpose: clients must normalise the address
		"email": strings.ToUpper(local[:1]) + local[1:] + "@" + domain, "preferred_username": g.email,
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	if s.tenant != "" {
		claims["tid"] = s.tenant
	}
	if s.claimsHook != nil {
		s.claimsHook(claims)
	}
	if len(claims) == 0 {
		return ""
	}
	return s.sign(claims)
}

// sign is a compact JWS with ES256.
func (s *Server) sign(claims map[string]any) string {
	hdr, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": "oauthtest"})
	body, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	sum := sha256.Sum256([]byte(input))
	r, sg, err := ecdsa.Sign(rand.Reader, s.key, sum[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// PublicKey is the ID tokens' signing key.
func (s *Server) PublicKey() *ecdsa.PublicKey { return &s.key.PublicKey }

func (s *Server) userinfoHandler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.userinfo++
	tok, ok := s.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	s.mu.Unlock()
	refuse := func(desc string) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		http.Error(w, "unauthorized: "+desc, http.StatusUnauthorized)
	}
	switch {
	case !ok:
		refuse("unknown or expired token")
		return
	case tok.aud == AudienceOutlook:
		refuse("the token's audience is " + tok.aud + ", not this API")
		return
	case !slices.Contains(tok.scopes, "openid"):
		refuse("the token was not issued with the openid scope")
		return
	}
	local, domain, _ := strings.Cut(tok.email, "@")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"sub": subject(tok.email),
		"email": strings.ToUpper(local[:1]) + local[1:] + "@" + domain, "email_verified": true})
}

// introspectHandler is RFC 7662: POST token=...; Dovecot's oauth2 passdb
// with introspection_mode = post sends exactly that. Only tokens issued
// for a mail resource are active here.
func (s *Server) introspectHandler(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.introspect++
	tok, ok := s.access[r.Form.Get("token")]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok || (tok.aud != AudienceOutlook && tok.aud != AudienceGmail) {
		fmt.Fprint(w, `{"active":false}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"active": true, "username": tok.email, "email": tok.email, "aud": tok.aud,
		"scope": strings.Join(tok.scopes, " "), "client_id": ClientID})
}

// subject is the stable, opaque sub of an account.
func subject(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(email)))
	return "sub-" + hex.EncodeToString(sum[:12])
}

func randHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Issued lists every access and refresh token minted so far (live or
// not), for tests that check tokens never leak into logs or answers.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}
