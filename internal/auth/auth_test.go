package auth_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
)

var ctx = context.Background()

// fast parameters keep the tests quick; DefaultParams are tested once.
var fast = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func dialects(t *testing.T, fn func(t *testing.T, st store.Store, c *clock.Fake)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			c := testclock.New(t)
			fn(t, teststore.Open(t, d, c), c)
		})
	}
}

func setup(t *testing.T, st store.Store, c *clock.Fake, cfg auth.Config) (*auth.Service, *clock.Fake, *model.Agent) {
	t.Helper()
	cfg.Params = fast
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	h, err := auth.HashPassword("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	a := &model.Agent{CompanyID: co.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAdmin, PasswordHash: h, Language: "pt-BR"}
	if err := st.CreateAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	svc := auth.New(st, c, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	return svc, c, a
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("senha secreta", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("PHC string = %q", h)
	}
	h2, _ := auth.HashPassword("senha secreta", auth.DefaultParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	cases := []struct {
		name, hash, pw string
		ok             bool
		err            error
	}{
		{"right", h, "senha secreta", true, nil},
		{"wrong", h, "senha secreto", false, nil},
		{"empty hash never matches", "", "", false, nil},
		{"bcrypt is malformed", "$2a$10$abcdefghijklmnopqrstuv", "x", false, auth.ErrBadHash},
		{"truncated", h[:len(h)-20] + "$", "senha secreta", false, auth.ErrBadHash},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := auth.VerifyPassword(tc.hash, tc.pw)
			if ok != tc.ok || !errors.Is(err, tc.err) {
				t.Fatalf("got %v, %v; want %v, %v", ok, err, tc.ok, tc.err)
			}
		})
	}
	if auth.NeedsRehash(h, auth.DefaultParams) {
		t.Fatal("fresh hash needs rehash")
	}
	weak, _ := auth.HashPassword("x", fast)
	if !auth.NeedsRehash(weak, auth.DefaultParams) {
		t.Fatal("weak hash does not need rehash")
	}
}

func TestLoginAndSession(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, c *clock.Fake) {
		svc, c, a := setup(t, st, c, auth.Config{SessionIdle: time.Hour, SessionAbsolute: 3 * time.Hour})
		tok, se, p, err := svc.Login(ctx, auth.LoginInput{Company: "ACME", Email: " Ana@acme.test", Password: "correct horse", IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if p.AgentID != a.ID || !p.IsAdmin() || se.CSRFToken == "" || len(tok) < 40 {
			t.Fatalf("principal %+v session %+v", p, se)
		}
		stored, err := st.GetSessionByHash(ctx, auth.HashToken(tok))
		if err != nil || stored.ID != se.ID {
			t.Fatalf("session not stored by hash: %v", err)
		}
		if _, err := st.GetSessionByHash(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("raw token stored")
		}
		for i := 0; i < 3; i++ { // sliding expiry keeps it alive
			c.Advance(50 * time.Minute)
			if _, err := svc.Session(ctx, tok); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		c.Advance(50 * time.Minute) // past the 3 h absolute limit
		if _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("absolute expiry: %v", err)
		}
		tok, _, _, err = svc.Login(ctx, auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(61 * time.Minute) // idle
		if _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("idle expiry: %v", err)
		}
		tok, _, _, _ = svc.Login(ctx, auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "correct horse"})
		a.Disabled = true
		if err := st.UpdateAgent(ctx, a); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("disabled agent: %v", err)
		}
		a.Disabled = false
		st.UpdateAgent(ctx, a)
		if _, err := svc.Session(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if err := svc.Logout(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("after logout: %v", err)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, c *clock.Fake) {
		cfg := auth.Config{MaxAccountFailures: 3, MaxIPFailures: 10, BaseDelay: 30 * time.Second, Lockout: 15 * time.Minute,
			IPMaxDelay: 5 * time.Minute, Window: time.Hour}
		svc, c, _ := setup(t, st, c, cfg)
		good := auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "correct horse", IP: "192.0.2.7"}
		bad := good
		bad.Password = "guess"
		for i := 0; i < 3; i++ {
			if _, _, _, err := svc.Login(ctx, bad); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		// The third failure holds this address back from this account for 30 s.
		_, _, _, err := svc.Login(ctx, good)
		var le *auth.LockedError
		if !errors.As(err, &le) || !le.Until.Equal(c.Now().Add(30*time.Second)) {
			t.Fatalf("right password while held back: %v", err)
		}
		// Issue #13, item 7 (failed before: five failures locked the
		// account for everyone): the same account from another address is
		// not held back, nor is another account from this address.
		other := good
		other.IP = "203.0.113.50"
		if _, _, _, err := svc.Login(ctx, other); err != nil {
			t.Fatalf("the account from another address: %v", err)
		}
		// The hold survives a restart: a new service over the same store.
		svc2 := auth.New(st, c, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
		if _, _, _, err := svc2.Login(ctx, good); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("after restart: %v", err)
		}
		// Increasing delays: each further failure doubles the wait.
		for _, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			c.Advance(15 * time.Minute)
			if _, _, _, err := svc.Login(ctx, bad); !errors.Is(err, auth.ErrInvalidCredentials) {
				t.Fatalf("attempt after the delay: %v", err)
			}
			_, _, _, err := svc.Login(ctx, bad)
			if !errors.As(err, &le) || !le.Until.Equal(c.Now().Add(want)) {
				t.Fatalf("delay after the next failure %v, want %v", err, want)
			}
		}
		c.Advance(15 * time.Minute)
		if _, _, _, err := svc.Login(ctx, good); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
		// Success forgets the account's count for this address.
		if _, _, _, err := svc.Login(ctx, bad); !errors.Is(err, auth.ErrInvalidCredentials) {
			t.Fatalf("after success: %v", err)
		}
		// Per address: failures spread over unknown accounts hold the
		// address back (any account), not other addresses.
		for i := 0; i < 10; i++ {
			spray := auth.LoginInput{Company: "acme", Email: "nobody" + string(rune('a'+i)) + "@acme.test", Password: "x", IP: "198.51.100.9"}
			svc.Login(ctx, spray)
		}
		fromIP := good
		fromIP.IP = "198.51.100.9"
		if _, _, _, err := svc.Login(ctx, fromIP); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("address hold: %v", err)
		}
		if _, _, _, err := svc.Login(ctx, good); err != nil {
			t.Fatalf("other address refused: %v", err)
		}
		// IPv6 clients are counted by their /64.
		for i := 0; i < 10; i++ {
			v6 := auth.LoginInput{Company: "acme", Email: fmt.Sprintf("x%d@acme.test", i), Password: "x", IP: fmt.Sprintf("2001:db8:1:2::%x", i+1)}
			svc.Login(ctx, v6)
		}
		v6 := good
		v6.IP = "2001:db8:1:2:ffff::1"
		if _, _, _, err := svc.Login(ctx, v6); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("another address of the same /64: %v", err)
		}
		// Failures more than Window apart start a new count.
		for i := 0; i < 2; i++ {
			svc.Login(ctx, bad)
		}
		c.Advance(61 * time.Minute)
		svc.Login(ctx, bad)
		if _, _, _, err := svc.Login(ctx, good); err != nil {
			t.Fatalf("window did not reset: %v", err)
		}
		// Idle counters are purged.
		c.Advance(25 * time.Hour)
		if _, err := svc.PurgeExpired(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetLoginThrottle(ctx, "ip:198.51.100.9"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old counter not purged: %v", err)
		}
	})
}

// Issue #13, item 2 (failed before the fix: all 30 parallel guesses were
// hashed and the right one, sent last, logged in): a burst of concurrent
// wrong guesses on one account from one address is counted before any
// hashing; at most MaxAccountFailures passwords are checked, and the right
// password afterwards, inside the delay, is refused.
func TestLoginThrottleHoldsUnderConcurrency(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, c *clock.Fake) {
		svc, c, _ := setup(t, st, c, auth.Config{MaxAccountFailures: 5})
		bad := auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "guess", IP: "192.0.2.7"}
		var wg sync.WaitGroup
		var checked, held atomic.Int64
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, _, err := svc.Login(ctx, bad)
				switch {
				case errors.Is(err, auth.ErrInvalidCredentials):
					checked.Add(1)
				case errors.Is(err, auth.ErrLocked):
					held.Add(1)
				default:
					t.Errorf("attempt: %v", err)
				}
			}()
		}
		wg.Wait()
		if checked.Load() > 5 || checked.Load()+held.Load() != 100 || svc.Stats().Hashes > 5 {
			t.Fatalf("%d checked, %d held back, %d hashes: want at most 5 checked", checked.Load(), held.Load(), svc.Stats().Hashes)
		}
		good := bad
		good.Password = "correct horse"
		if _, _, _, err := svc.Login(ctx, good); !errors.Is(err, auth.ErrLocked) {
			t.Fatalf("right password inside the delay: %v", err)
		}
	})
}

// At most MaxConcurrentHashes passwords are hashed at once, whatever the
// number of accounts and addresses; the rest wait, or get ErrBusy after
// HashWait.
func TestLoginHashingIsBounded(t *testing.T) {
	c := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), c)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Real cost parameters: each check takes long enough to overlap.
	svc, _, _ := setup(t, st, c, auth.Config{MaxConcurrentHashes: 2, HashWait: 200 * time.Millisecond})
	svc = auth.New(st, c, slog.New(slog.NewTextHandler(io.Discard, nil)), auth.Config{MaxConcurrentHashes: 2, HashWait: 200 * time.Millisecond})
	var wg sync.WaitGroup
	var busy, checked atomic.Int64
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := auth.LoginInput{Company: "acme", Email: fmt.Sprintf("u%d@acme.test", i), Password: "x", IP: fmt.Sprintf("192.0.2.%d", i+1)}
			_, _, _, err := svc.Login(ctx, in)
			switch {
			case errors.Is(err, auth.ErrBusy):
				busy.Add(1)
			case errors.Is(err, auth.ErrInvalidCredentials):
				checked.Add(1)
			default:
				t.Errorf("login: %v", err)
			}
		}()
	}
	wg.Wait()
	st2 := svc.Stats()
	if st2.PeakHashing > 2 || busy.Load() == 0 || checked.Load() == 0 {
		t.Fatalf("peak %d hashing at once, %d busy, %d checked", st2.PeakHashing, busy.Load(), checked.Load())
	}
	// A busy refusal is not a failed attempt: it counts against nobody.
	th, err := st.GetLoginThrottle(ctx, "ip:192.0.2.1")
	if err == nil && th.Failures > 1 {
		t.Fatalf("counter %+v", th)
	}
}

func TestAPITokens(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, c *clock.Fake) {
		svc, c, a := setup(t, st, c, auth.Config{})
		p := &auth.Principal{CompanyID: a.CompanyID, AgentID: a.ID, Role: a.Role}
		raw, tok, err := svc.CreateAPIToken(ctx, p, " CI ")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, auth.APITokenPrefix) || tok.Name != "CI" || tok.TokenHash != auth.HashToken(raw) {
			t.Fatalf("token %q %+v", raw, tok)
		}
		got, err := svc.Bearer(ctx, raw)
		if err != nil || got.AgentID != a.ID || got.TokenID != tok.ID || got.Session != nil {
			t.Fatalf("bearer: %+v %v", got, err)
		}
		stored, _ := st.GetAPIToken(ctx, a.CompanyID, tok.ID)
		if !stored.LastUsedAt.Equal(c.Now()) {
			t.Fatalf("last used = %v", stored.LastUsedAt)
		}
		if _, err := svc.Bearer(ctx, raw+"x"); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("wrong token: %v", err)
		}
		if err := svc.RevokeAPIToken(ctx, a.CompanyID+1, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke from other company: %v", err)
		}
		if err := svc.RevokeAPIToken(ctx, a.CompanyID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Bearer(ctx, raw); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Fatalf("revoked token: %v", err)
		}
	})
}

func TestCSRFAndCookies(t *testing.T) {
	se := &store.Session{CSRFToken: "tok123"}
	cookie := &auth.Principal{Session: se}
	bearer := &auth.Principal{TokenID: 1}
	cases := []struct {
		name    string
		method  string
		p       *auth.Principal
		headers map[string]string
		form    string
		want    error
	}{
		{"GET needs no token", "GET", cookie, nil, "", nil},
		{"POST without token", "POST", cookie, nil, "", auth.ErrCSRF},
		{"POST wrong token", "POST", cookie, map[string]string{"X-CSRF-Token": "nope"}, "", auth.ErrCSRF},
		{"POST header token", "POST", cookie, map[string]string{"X-CSRF-Token": "tok123"}, "", nil},
		{"POST form token", "POST", cookie, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "csrf_token=tok123", nil},
		{"cross-site fetch", "POST", cookie, map[string]string{"X-CSRF-Token": "tok123", "Sec-Fetch-Site": "cross-site"}, "", auth.ErrCSRF},
		{"foreign origin", "DELETE", cookie, map[string]string{"X-CSRF-Token": "tok123", "Origin": "https://evil.test"}, "", auth.ErrCSRF},
		{"same origin", "PATCH", cookie, map[string]string{"X-CSRF-Token": "tok123", "Origin": "http://atende.test", "Sec-Fetch-Site": "same-origin"}, "", nil},
		{"bearer is exempt", "POST", bearer, nil, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://atende.test/api/v1/x", strings.NewReader(tc.form))
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			if err := auth.CheckCSRF(r, tc.p); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}

	clk := testclock.New(t)
	h := &auth.HTTP{Svc: auth.New(nil, clk, nil, auth.Config{})}
	for _, tc := range []struct {
		name   string
		tls    bool
		xfp    string
		trust  bool
		secure bool
	}{
		{"plain http", false, "", false, false},
		{"tls", true, "", false, true},
		{"proxy https trusted", false, "https", true, true},
		{"proxy https untrusted", false, "https", false, false},
	} {
		t.Run("cookie "+tc.name, func(t *testing.T) {
			h.TrustProxy = tc.trust
			r := httptest.NewRequest("POST", "http://atende.test/login", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tc.xfp != "" {
				r.Header.Set("X-Forwarded-Proto", tc.xfp)
			}
			w := httptest.NewRecorder()
			h.SetSessionCookie(w, r, "secret", clk.Now().Add(time.Hour))
			c := w.Result().Cookies()[0]
			// A lifetime, not a date: the browser's clock is not the server's.
			if c.Name != auth.CookieName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tc.secure ||
				c.MaxAge != 3600 || !c.Expires.IsZero() {
				t.Fatalf("cookie %+v", c)
			}
		})
	}
}

func TestPurgeExpired(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, c *clock.Fake) {
		svc, c, _ := setup(t, st, c, auth.Config{SessionIdle: time.Hour})
		old, _, _, err := svc.Login(ctx, auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		c.Advance(2 * time.Hour)
		fresh, _, _, err := svc.Login(ctx, auth.LoginInput{Company: "acme", Email: "ana@acme.test", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- svc.RunPurge(rctx, time.Hour) }()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := st.GetSessionByHash(ctx, auth.HashToken(old)); errors.Is(err, store.ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("expired session not purged")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("RunPurge returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("RunPurge did not stop")
		}
		if _, err := st.GetSessionByHash(ctx, auth.HashToken(fresh)); err != nil {
			t.Fatalf("live session purged: %v", err)
		}
	})
}
