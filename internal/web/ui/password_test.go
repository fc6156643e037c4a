package ui_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// sentMail is one mail handed to the UI's SystemMail.
type sentMail struct {
	companyID         int64
	to, subject, text string
}

// mailbox records SystemMail calls.
type mailbox struct {
	mu   sync.Mutex
	mail []sentMail
}

func (m *mailbox) send(_ context.Context, companyID int64, to, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mail = append(m.mail, sentMail{companyID, to, subject, text})
	return nil
}

func (m *mailbox) all() []sentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentMail(nil), m.mail...)
}

var linkRE = regexp.MustCompile(`https?://\S+/password/reset/[A-Za-z0-9_-]+`)

// link is the reset link in the last mail to "to".
func (m *mailbox) link(t testing.TB, to string) string {
	t.Helper()
	all := m.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].to == to {
			l := linkRE.FindString(all[i].text)
			if l == "" {
				t.Fatalf("no link in mail:\n%s", all[i].text)
			}
			return l
		}
	}
	t.Fatalf("no mail to %s (mail: %+v)", to, all)
	return ""
}

// newResetEnv is newEnv on a fake clock with a recording SystemMail.
func newResetEnv(t testing.TB) (*env, *clock.Fake, *mailbox) {
	t.Helper()
	dir := t.TempDir()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clk)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{st: st}
	e.auth = auth.New(st, clk, log, auth.Config{Params: fast, MaxAccountFailures: 3})
	e.dir = directory.New(st, e.auth.HashPassword, log)
	e.hub = api.NewHub(st, clk, log)
	e.tickets = ticket.New(st, bl, nil, e.hub, clk, log)
	e.ingest = ingest.New(st, bl, clk, log, ingest.Config{AuthServID: authServID})
	mb := &mailbox{}
	ah := &auth.HTTP{Svc: e.auth}
	apiH := api.Handler(api.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Hub: e.hub, Heartbeat: 200 * time.Millisecond})
	uiH := ui.New(ui.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Blobs: bl, Clock: clk, SystemMail: mb.send})
	e.srv = httptest.NewServer(ui.Combine(apiH, uiH))
	t.Cleanup(e.srv.Close)
	return e, clk, mb
}

// "Esqueci minha senha" over HTTP: the same answer whether or not the
// address exists (a mail only for the real one), the link works once,
// ends the agent's other sessions, is refused after an hour (fake
// clock), and requests are throttled.
func TestPasswordReset(t *testing.T) {
	e, clk, mb := newResetEnv(t)
	c := e.company(t, "acme", "pt-BR")
	other := e.client(t, "pt-BR")
	wantRedirect(t, other.login("acme", c.agent.Email, adminPassword), "/inbox")
	wantStatus(t, other.get("/inbox"), 200)

	u := e.client(t, "pt-BR")
	login := u.get("/login")
	wantContains(t, login, `href="/password/forgot"`, "Esqueci minha senha")
	wantContains(t, u.get("/login?company=acme"), `href="/password/forgot?company=acme"`)
	forgot := func(email string) page {
		return u.post("/password/forgot", "/password/forgot", url.Values{"company": {"acme"}, "email": {email}})
	}
	known, unknown := forgot(strings.ToUpper(c.agent.Email)), forgot("ninguem@acme.test")
	wantStatus(t, known, 200)
	wantStatus(t, unknown, 200)
	if known.body != unknown.body {
		t.Fatalf("the answer differs for an unknown address:\n%s\n---\n%s", known.body, unknown.body)
	}
	wantContains(t, known, "Se houver um agente com esse e-mail")
	if n := len(mb.all()); n != 1 {
		t.Fatalf("%d mails, want 1 (only the real agent gets one)", n)
	}
	m := mb.all()[0]
	if m.to != c.agent.Email || m.companyID != c.co.ID || m.subject != "Redefinir sua senha do Atende" || !strings.Contains(m.text, "60 minutos") {
		t.Fatalf("mail = %+v", m)
	}
	link := mb.link(t, c.agent.Email)
	path := strings.TrimPrefix(link, e.srv.URL)
	// The token is stored hashed only.
	token := path[strings.LastIndex(path, "/")+1:]
	if _, err := e.st.GetPasswordResetByHash(ctx, token); err == nil {
		t.Fatal("the raw token is stored")
	}
	if _, err := e.st.GetPasswordResetByHash(ctx, auth.HashToken(token)); err != nil {
		t.Fatalf("the token's hash is not stored: %v", err)
	}

	wantContains(t, u.get(path), `name="password2"`, c.agent.Email)
	// Too short, or two different passwords: refused, and the link still works.
	wantStatus(t, u.post(path, path, url.Values{"password": {"curta"}, "password2": {"curta"}}), 422)
	wantStatus(t, u.post(path, path, url.Values{"password": {"nova-senha-longa"}, "password2": {"outra-senha-longa"}}), 422)
	wantRedirect(t, u.post(path, path, url.Values{"password": {"nova-senha-longa"}, "password2": {"nova-senha-longa"}}), "/login?reset=done")
	// Once only.
	wantStatus(t, u.get(path), 410)
	gone := u.do("POST", path, url.Values{"csrf_token": {u.csrf(u.get("/login"))}, "password": {"terceira-senha"}, "password2": {"terceira-senha"}})
	wantStatus(t, gone, 410)
	wantContains(t, gone, "Este link não funciona mais")
	// The other browser's session ended; the new password works, the old one not.
	wantRedirect(t, other.get("/inbox"), "/login")
	wantStatus(t, e.client(t, "pt-BR").login("acme", c.agent.Email, adminPassword), 401)
	wantRedirect(t, e.client(t, "pt-BR").login("acme", c.agent.Email, "nova-senha-longa"), "/inbox")

	// A link is refused an hour after it was made (and works just before).
	wantStatus(t, forgot(c.admin.Email), 200)
	late := strings.TrimPrefix(mb.link(t, c.admin.Email), e.srv.URL)
	clk.Advance(time.Hour - time.Second)
	wantStatus(t, u.get(late), 200)
	clk.Advance(time.Second)
	wantStatus(t, u.get(late), 410)
	wantStatus(t, u.do("POST", late, url.Values{"csrf_token": {u.csrf(u.get("/login"))}, "password": {"nova-senha-longa"}, "password2": {"nova-senha-longa"}}), 410)
	wantRedirect(t, e.client(t, "pt-BR").login("acme", c.admin.Email, adminPassword), "/inbox")

	// Throttled like logins (MaxAccountFailures 3 here): the 4th request
	// for one address within the window waits, known address or not.
	for _, email := range []string{c.admin.Email, "ninguem@acme.test"} {
		clk.Advance(2 * time.Hour) // a fresh window
		for i := 0; i < 3; i++ {
			wantStatus(t, forgot(email), 200)
		}
		p := forgot(email)
		wantStatus(t, p, 429)
		wantContains(t, p, "Muitos pedidos seguidos")
	}
}

// TestBrowserPasswordReset in Chromium, pt-BR and English: "Esqueci
// minha senha" from the login page, the mailed link, the new password,
// and a login with it.
func TestBrowserPasswordReset(t *testing.T) {
	for _, tc := range []struct{ lang, accept, link, sent, done, subject string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Esqueci minha senha", "Se houver um agente", "Senha alterada", "Redefinir sua senha do Atende"},
		{"en", "en-US,en;q=0.9", "Forgot your password?", "If an agent with that email exists", "Password changed", "Reset your Atende password"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e, _, mb := newResetEnv(t)
			c := e.company(t, "acme", tc.lang)
			bctx := browser(t, tc.accept)
			run(t, bctx, "login page", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("forgot-link")))
			if got := text(t, bctx, "#forgot-link"); got != tc.link {
				t.Fatalf("link text %q, want %q", got, tc.link)
			}
			run(t, bctx, "forgot form", chromedp.Click(chromedp.ID("forgot-link")), chromedp.WaitVisible(chromedp.ID("forgot-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"), chromedp.SendKeys(chromedp.ID("email"), c.agent.Email))
			screenshot(t, bctx, "password-forgot-"+tc.lang)
			run(t, bctx, "ask for a link", chromedp.Click(chromedp.ID("forgot-submit")), chromedp.WaitVisible(chromedp.ID("forgot-sent")))
			if got := text(t, bctx, "#forgot-sent"); !strings.Contains(got, tc.sent) {
				t.Fatalf("answer %q", got)
			}
			screenshot(t, bctx, "password-forgot-sent-"+tc.lang)
			m := mb.all()
			if len(m) != 1 || m[0].subject != tc.subject {
				t.Fatalf("mail %+v", m)
			}
			run(t, bctx, "open the link", chromedp.Navigate(mb.link(t, c.agent.Email)), chromedp.WaitVisible(chromedp.ID("reset-submit")),
				chromedp.SendKeys(chromedp.ID("password"), "nova-senha-longa"), chromedp.SendKeys(chromedp.ID("password2"), "nova-senha-longa"))
			screenshot(t, bctx, "password-reset-"+tc.lang)
			run(t, bctx, "save", chromedp.Click(chromedp.ID("reset-submit")), chromedp.WaitVisible(chromedp.ID("login-submit")))
			if got := text(t, bctx, ".flash"); !strings.Contains(got, tc.done) {
				t.Fatalf("flash %q", got)
			}
			run(t, bctx, "log in with the new password", chromedp.SendKeys(chromedp.ID("password"), "nova-senha-longa"),
				chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
		})
	}
}
