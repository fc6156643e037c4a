package ui_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

var ctx = context.Background()

// fast password hashing for tests.
var fast = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// authServID is the trusted Authentication-Results id of the test ingest.
const authServID = "mx.atende.test"

// env is the real UI and API on SQLite behind one httptest server.
type env struct {
	st      store.Store
	srv     *httptest.Server
	auth    *auth.Service
	dir     *directory.Service
	hub     *api.Hub
	tickets *ticket.Service
	ingest  *ingest.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, nil)
}

// newEnvWith is newEnv with the inbox's view counts kept in counts
// between changes, told of them by the hub (as the app does).
func newEnvWith(t testing.TB, counts *ui.ViewCounts) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clock.System{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	files, err := blob.NewFS(filepath.Join(dir, "blobs"))
	must(t, err)
	// As serve wires it: small raw messages are kept in the database and
	// every reader (the .eml download, the ticket service) reads through
	// ingest.Blobs.
	bl := ingest.Blobs(st, files)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{st: st}
	e.auth = auth.New(st, clock.System{}, log, auth.Config{Params: fast, MaxAccountFailures: 3})
	e.dir = directory.New(st, e.auth.HashPassword, log)
	e.hub = api.NewHub(st, clock.System{}, log)
	if counts != nil {
		e.hub.Observe(counts) // as the app wires it
	}
	e.tickets = ticket.New(st, bl, nil, e.hub, clock.System{}, log)
	e.ingest = ingest.New(st, bl, clock.System{}, log, ingest.Config{AuthServID: authServID, InlineMax: ingest.DefaultInlineMax})
	ah := &auth.HTTP{Svc: e.auth}
	apiH := api.Handler(api.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Hub: e.hub, Heartbeat: 200 * time.Millisecond})
	uiH := ui.New(ui.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Blobs: bl, ViewCounts: counts})
	e.srv = httptest.NewServer(ui.Combine(apiH, uiH))
	t.Cleanup(e.srv.Close)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// company sets up a company with an admin (password "senha-segura-1"),
// an agent and a channel, directly through the services.
type company struct {
	co           *model.Company
	admin, agent *model.Agent
	team         *model.Team
	ch           *model.Channel
}

const adminPassword = "senha-segura-1"

func (e *env) company(t testing.TB, slug, lang string) *company {
	t.Helper()
	c := &company{}
	var err error
	if need, _ := e.dir.NeedsSetup(ctx); need {
		c.co, c.admin, err = e.dir.Setup(ctx, directory.SetupInput{Company: directory.CompanyInput{Slug: slug, Name: strings.ToUpper(slug)},
			Admin: directory.AgentInput{Email: "admin@" + slug + ".test", Name: "Ana Admin", Password: adminPassword, Language: lang}})
	} else {
		c.co, err = e.dir.CreateCompany(ctx, directory.CompanyInput{Slug: slug, Name: strings.ToUpper(slug)})
		must(t, err)
		c.admin, err = e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "admin@" + slug + ".test", Name: "Ana Admin",
			Role: model.RoleAdmin, Password: adminPassword, Language: lang})
	}
	must(t, err)
	c.agent, err = e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "bruno@" + slug + ".test", Name: "Bruno Agente",
		Role: model.RoleAgent, Password: adminPassword, Language: lang})
	must(t, err)
	c.team, err = e.dir.CreateTeam(ctx, c.co.ID, directory.TeamInput{Name: "Financeiro"})
	must(t, err)
	c.ch = e.channel(t, c.co.ID, "suporte@"+slug+".test")
	return c
}

func (e *env) channel(t testing.TB, companyID int64, primary string) *model.Channel {
	t.Helper()
	ch, err := e.dir.CreateChannel(ctx, companyID, directory.ChannelInput{Slug: "suporte", Name: "Suporte", PrimaryEmail: primary})
	must(t, err)
	return ch
}

// deliver ingests raw through the durable pipeline and processes it,
// announcing the result to the hub like the production workers do.
func (e *env) deliver(t testing.TB, ch *model.Channel, raw []byte) {
	t.Helper()
	if _, err := e.ingest.AcceptContent(ctx, ch, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		n, err := e.ingest.ProcessPending(ctx, ingest.WorkerConfig{Batch: 16, Notifier: e.hub})
		must(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("ingest: still pending")
}

// plainMail is a small text message.
func plainMail(from, subject, msgID, body string) []byte {
	return []byte("From: " + from + "\r\nTo: Suporte <suporte@acme.test>\r\nSubject: " + subject + "\r\nDate: " +
		time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + msgID + ">\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

// client is a browser-like HTTP client with a cookie jar.
type client struct {
	t    testing.TB
	e    *env
	c    *http.Client
	lang string
}

func (e *env) client(t testing.TB, lang string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, e: e, lang: lang, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	must(c.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.c.Do(req)
	must(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(c.t, err)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) page { c.t.Helper(); return c.do("GET", path, nil) }

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf is the form token of a rendered page.
func (c *client) csrf(p page) string {
	c.t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		c.t.Fatalf("no csrf token in page:\n%s", p.body)
	}
	return m[1]
}

// post submits form (adding the csrf token of the page at from).
func (c *client) post(from, path string, form url.Values) page {
	c.t.Helper()
	form.Set("csrf_token", c.csrf(c.get(from)))
	return c.do("POST", path, form)
}

func (c *client) login(slug, email, password string) page {
	c.t.Helper()
	return c.post("/login", "/login", url.Values{"company": {slug}, "email": {email}, "password": {password}})
}

func wantStatus(t testing.TB, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", p.status, status, p.body)
	}
}

func wantRedirect(t testing.TB, p page, loc string) {
	t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), loc) {
		t.Fatalf("got %d Location %q, want 303 to %q; body:\n%s", p.status, p.header.Get("Location"), loc, p.body)
	}
}

func wantContains(t testing.TB, p page, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}
