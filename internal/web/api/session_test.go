package api_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

func (e *env) login(t *testing.T, company, email, password string) (*http.Cookie, string) {
	t.Helper()
	r := e.do(t, "POST", "/api/v1/auth/login", map[string]string{"company": company, "email": email, "password": password})
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.json(t, &me)
	var c *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == auth.CookieName {
			c = ck
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Fatalf("session cookie %+v", c)
	}
	if me.CSRFToken == "" {
		t.Fatal("no CSRF token")
	}
	return c, me.CSRFToken
}

func TestSessionCSRF(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		c, csrf := e.login(t, "acme", "admin@acme.test", "admin password")
		body := map[string]string{"name": "Suporte N3"}
		if r := e.do(t, "GET", "/api/v1/me", nil, cookie(c)); r.status != 200 || !strings.Contains(string(r.body), csrf) {
			t.Fatalf("me with cookie: %d %s", r.status, r.body)
		}
		if r := e.do(t, "POST", "/api/v1/teams", body, cookie(c)); r.status != 403 || r.problem(t).Code != "csrf" {
			t.Fatalf("POST without CSRF token: %d %s", r.status, r.body)
		}
		if r := e.do(t, "POST", "/api/v1/teams", body, cookie(c), header("X-CSRF-Token", csrf+"x")); r.status != 403 {
			t.Fatalf("POST with wrong CSRF token: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/teams", body, cookie(c), header("X-CSRF-Token", csrf), header("Origin", "https://evil.example")); r.status != 403 {
			t.Fatalf("cross-origin POST: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/teams", body, cookie(c), header("X-CSRF-Token", csrf), header("Sec-Fetch-Site", "same-origin")); r.status != 201 {
			t.Fatalf("POST with CSRF token: %d %s", r.status, r.body)
		}
		// Another company's admin with a session still gets 404 for our ids.
		cb, csrfB := e.login(t, "beta", "admin@beta.test", "admin password")
		if r := e.do(t, "GET", "/api/v1/tickets/"+itoa(e.a.mine.ID), nil, cookie(cb)); r.status != 404 {
			t.Fatalf("cross-company read: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/notes", map[string]string{"text": "x"}, cookie(cb), header("X-CSRF-Token", csrfB)); r.status != 404 {
			t.Fatalf("cross-company write: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/auth/logout", nil, cookie(c), header("X-CSRF-Token", csrf)); r.status != 204 {
			t.Fatalf("logout: %d", r.status)
		}
		if r := e.do(t, "GET", "/api/v1/me", nil, cookie(c)); r.status != 401 {
			t.Fatalf("after logout: %d", r.status)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginValidationAndLockout(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		if r := e.do(t, "POST", "/api/v1/auth/login", map[string]string{"email": "x"}); r.status != 422 || len(r.fields()) != 2 {
			t.Fatalf("login validation: %d %s", r.status, r.body)
		}
		if r := e.do(t, "POST", "/api/v1/auth/login", map[string]string{"company": "acme", "email": "admin@acme.test", "password": "admin password"},
			header("Origin", "https://evil.example")); r.status != 403 {
			t.Fatalf("cross-site login: %d", r.status)
		}
		bad := map[string]string{"company": "acme", "email": "agent@acme.test", "password": "wrong"}
		for i := 0; i < 3; i++ { // MaxAccountFailures is 3 in this env
			if r := e.do(t, "POST", "/api/v1/auth/login", bad); r.status != 401 || r.problem(t).Code != "invalid_credentials" {
				t.Fatalf("attempt %d: %d %s", i, r.status, r.body)
			}
		}
		r := e.do(t, "POST", "/api/v1/auth/login", map[string]string{"company": "acme", "email": "agent@acme.test", "password": "agent password"})
		if r.status != 429 || r.problem(t).Code != "locked" || r.header.Get("Retry-After") == "" {
			t.Fatalf("locked account: %d %s", r.status, r.body)
		}
		// Other accounts are not locked.
		e.login(t, "acme", "admin@acme.test", "admin password")
	})
}

// TestFirstRunSetup: on an empty database the setup endpoint creates the
// first company and admin once, and that admin can log in.
func TestFirstRunSetup(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			clk := testclock.New(t)
			st := openStore(t, d, clk)
			a := auth.New(st, clk, quietLog(), auth.Config{Params: fast})
			dir := directory.New(st, a.HashPassword, quietLog())
			srv := httptest.NewServer(api.Handler(api.Deps{Log: quietLog(), Store: st, Auth: &auth.HTTP{Svc: a}, Directory: dir,
				Tickets: ticket.New(st, nil, nil, nil, clk, quietLog())}))
			defer srv.Close()
			e := &env{srv: srv}
			if r := e.do(t, "GET", "/api/v1/setup", nil); string(r.body) != "{\"needs_setup\":true}\n" {
				t.Fatalf("before: %s", r.body)
			}
			in := map[string]any{"company": map[string]string{"slug": "acme", "name": "ACME"},
				"admin": map[string]string{"email": "ana@acme.test", "name": "Ana", "password": "a long password", "language": "en"}}
			if r := e.do(t, "POST", "/api/v1/setup", in, header("Origin", "https://evil.example")); r.status != 403 {
				t.Fatalf("cross-site setup: %d", r.status)
			}
			if r := e.do(t, "POST", "/api/v1/setup", in); r.status != 201 || !strings.Contains(string(r.body), `"role":"admin"`) {
				t.Fatalf("setup: %d %s", r.status, r.body)
			}
			if r := e.do(t, "POST", "/api/v1/setup", in); r.status != 409 || r.problem(t).Code != "setup_done" {
				t.Fatalf("second setup: %d %s", r.status, r.body)
			}
			c, _ := e.login(t, "acme", "ana@acme.test", "a long password")
			if r := e.do(t, "GET", "/api/v1/me", nil, cookie(c)); r.status != 200 || !strings.Contains(string(r.body), `"language":"en"`) {
				t.Fatalf("me: %d %s", r.status, r.body)
			}
		})
	}
}

func TestChangeOwnPassword(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		c, csrf := e.login(t, "acme", "agent@acme.test", "agent password")
		body := map[string]string{"password": "brand new password", "current_password": "agent password"}
		if r := e.do(t, "PATCH", "/api/v1/me", body, cookie(c)); r.status != 403 {
			t.Fatalf("without CSRF token: %d", r.status)
		}
		if r := e.do(t, "PATCH", "/api/v1/me", body, cookie(c), header("X-CSRF-Token", csrf)); r.status != 200 {
			t.Fatalf("change password: %d %s", r.status, r.body)
		}
		if r := e.do(t, "GET", "/api/v1/me", nil, cookie(c)); r.status != 401 {
			t.Fatalf("old session still valid: %d", r.status)
		}
		if r := e.do(t, "POST", "/api/v1/auth/login", map[string]string{"company": "acme", "email": "agent@acme.test", "password": "agent password"}); r.status != 401 {
			t.Fatalf("old password still works: %d", r.status)
		}
		e.login(t, "acme", "agent@acme.test", "brand new password")
	})
}
