// Package oauthtest is an OAuth2 authorization server for tests, on
// 127.0.0.1 (httptest): authorize (code + PKCE S256), token (code
// exchange, refresh with rotation), userinfo, and an RFC 7662
// introspection endpoint that Dovecot's oauth2 passdb (mailstack
// Options.OAuth2IntrospectURL) asks whether a bearer token is live and
// whose mailbox it is. Tests expire access tokens (ExpireAccess) and
// revoke grants (RevokeAll, RevokeRefresh) to drive refresh and
// reconnect paths.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

// ClientID and ClientSecret are the only registration the server accepts.
const (
	ClientID     = "atende-test"
	ClientSecret = "s3cret"
)

// Server is the test authorization server.
type Server struct {
	*httptest.Server

	mu         sync.Mutex
	email      string            // the identity consented in /authorize
	challenges map[string]grant  // code → PKCE challenge + identity
	refresh    map[string]string // live refresh token → email
	access     map[string]string // live access token → email
	n          int
	issued     []string
	introspect int // introspection requests answered
	refreshes  int // successful refresh grants
}

type grant struct{ challenge, email string }

// New starts a server whose consent screen signs in as email (a full
// mailbox address, e.g. "bob@example.test"); SetEmail changes it.
func New(t testing.TB, email string) *Server {
	s := &Server{email: email, challenges: map[string]grant{}, refresh: map[string]string{}, access: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("GET /userinfo", s.userinfo)
	mux.HandleFunc("POST /introspect", s.introspectHandler)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// SetEmail changes the identity the next consent signs in as.
func (s *Server) SetEmail(email string) { s.mu.Lock(); s.email = email; s.mu.Unlock() }

// Endpoint is the server's oauth2 endpoint (client credentials in the body).
func (s *Server) Endpoint() oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: s.URL + "/authorize", TokenURL: s.URL + "/token", AuthStyle: oauth2.AuthStyleInParams}
}

// UserInfoURL answers {"email": ...} for a live access token.
func (s *Server) UserInfoURL() string { return s.URL + "/userinfo" }

// IntrospectURL is the RFC 7662 endpoint for Dovecot's oauth2 passdb.
func (s *Server) IntrospectURL() string { return s.URL + "/introspect" }

// Issue mints a token pair for email without the browser flow.
func (s *Server) Issue(email string) *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, rt := s.mint(email)
	return &oauth2.Token{AccessToken: at, RefreshToken: rt, TokenType: "Bearer"}
}

// ExpireAccess makes every current access token inactive (introspection
// answers {"active": false}, userinfo 401); refresh tokens stay valid.
func (s *Server) ExpireAccess() { s.mu.Lock(); s.access = map[string]string{}; s.mu.Unlock() }

// RevokeAll revokes every grant: access and refresh tokens.
func (s *Server) RevokeAll() {
	s.mu.Lock()
	s.access, s.refresh = map[string]string{}, map[string]string{}
	s.mu.Unlock()
}

// RevokeEmail revokes the grants of one mailbox only.
func (s *Server) RevokeEmail(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.access {
		if v == email {
			delete(s.access, k)
		}
	}
	for k, v := range s.refresh {
		if v == email {
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

// Refreshes counts the successful refresh-token grants so far.
func (s *Server) Refreshes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.refreshes }

func (s *Server) mint(email string) (at, rt string) {
	s.n++
	at, rt = fmt.Sprintf("at-%d-%s", s.n, randHex()), fmt.Sprintf("rt-%d-%s", s.n, randHex())
	s.access[at], s.refresh[rt] = email, email
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
	s.challenges[code] = grant{challenge: q.Get("code_challenge"), email: s.email}
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
	var email string
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		g, ok := s.challenges[r.Form.Get("code")]
		delete(s.challenges, r.Form.Get("code")) // single use
		sum := sha256.Sum256([]byte(r.Form.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		email = g.email
	case "refresh_token":
		e, ok := s.refresh[r.Form.Get("refresh_token")]
		if !ok {
			fail(http.StatusBadRequest, "invalid_grant")
			return
		}
		delete(s.refresh, r.Form.Get("refresh_token")) // rotation
		email = e
		s.refreshes++
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	at, rt := s.mint(email)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": at, "refresh_token": rt, "token_type": "Bearer", "expires_in": 3600})
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	email, ok := s.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// mixed case on purpose: clients must normalise the address
	local, domain, _ := strings.Cut(email, "@")
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"sub": email, "email": strings.ToUpper(local[:1]) + local[1:] + "@" + domain, "email_verified": true})
}

// introspectHandler is RFC 7662: POST token=...; Dovecot's oauth2 passdb
// with introspection_mode = post sends exactly that.
func (s *Server) introspectHandler(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.introspect++
	email, ok := s.access[r.Form.Get("token")]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		fmt.Fprint(w, `{"active":false}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"active": true, "username": email, "email": email, "scope": "https://mail.google.com/", "client_id": ClientID})
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
