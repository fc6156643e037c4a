package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CookieName is the session cookie.
const CookieName = "atende_session"

// CSRFHeader and CSRFField carry the synchronizer token.
const (
	CSRFHeader = "X-CSRF-Token"
	CSRFField  = "csrf_token"
)

// ErrCSRF is a cookie-authenticated unsafe request without a valid token,
// or from another site.
var ErrCSRF = errors.New("auth: missing or invalid CSRF token")

// HTTP is the request side of authentication.
type HTTP struct {
	Svc *Service
	// TrustProxy believes X-Forwarded-Proto and X-Forwarded-For (set it only
	// behind a reverse proxy that overwrites them).
	TrustProxy bool
}

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of a request, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Secure reports whether the request came over TLS (directly or, with
// TrustProxy, through a proxy that says so).
func (h *HTTP) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return h.TrustProxy && strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// ClientIP is the caller's address (the proxy's last hop with TrustProxy).
func (h *HTTP) ClientIP(r *http.Request) string {
	if h.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SetSessionCookie gives the browser its session token, valid until the
// session expires. The lifetime goes as Max-Age, a duration, not as an
// Expires date: the browser would compare a date with its own clock, and
// the server's clock is the one sessions expire by.
func (h *HTTP) SetSessionCookie(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	maxAge := int(math.Ceil(expires.Sub(h.Svc.Now()).Seconds()))
	if maxAge <= 0 {
		maxAge = -1 // already expired: delete
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.Secure(r)})
}

// ClearSessionCookie removes it.
func (h *HTTP) ClearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.Secure(r)})
}

// SessionToken is the raw cookie token of r ("" without one).
func SessionToken(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// Authenticate resolves r's bearer token or session cookie. A request
// with neither is ErrUnauthenticated. A bearer header wins over a cookie.
func (h *HTTP) Authenticate(r *http.Request) (*Principal, error) {
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, tok, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, ErrUnauthenticated
		}
		return h.Svc.Bearer(r.Context(), strings.TrimSpace(tok))
	}
	return h.Svc.Session(r.Context(), SessionToken(r))
}

// safeMethod reports methods that must not change state.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// CheckOrigin rejects a request a browser says comes from another site:
// Sec-Fetch-Site other than same-origin/none, or an Origin whose host is
// not the request's host.
func CheckOrigin(r *http.Request) error {
	if sfs := r.Header.Get("Sec-Fetch-Site"); sfs != "" && sfs != "same-origin" && sfs != "none" {
		return ErrCSRF
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || o == "null" || !strings.EqualFold(u.Host, r.Host) {
			return ErrCSRF
		}
	}
	return nil
}

// CheckCSRF enforces CSRF protection on r for principal p: only unsafe
// requests authenticated by a session cookie are checked (bearer tokens
// are not sent by browsers on their own).
func CheckCSRF(r *http.Request, p *Principal) error {
	if p == nil || p.Session == nil || safeMethod(r.Method) {
		return nil
	}
	if err := CheckOrigin(r); err != nil {
		return err
	}
	tok := r.Header.Get(CSRFHeader)
	if tok == "" {
		ct := r.Header.Get("Content-Type")
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data") {
			tok = r.FormValue(CSRFField)
		}
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(p.Session.CSRFToken)) != 1 {
		return ErrCSRF
	}
	return nil
}
