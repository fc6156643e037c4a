package api_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// imapWithUser runs an in-memory IMAP server on loopback with one user,
// and counts the logins it sees (and with which password).
func imapWithUser(t *testing.T, user, pass string) (host string, port int, logins *atomic.Int64, lastPass *atomic.Value) {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, pass)
	must(t, u.Create("INBOX", nil))
	mem.AddUser(u)
	logins, lastPass = &atomic.Int64{}, &atomic.Value{}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &countingSession{Session: mem.NewSession(), logins: logins, last: lastPass}, nil, nil
		},
		InsecureAuth: true,
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		Logger:       nopIMAPLog{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	a := ln.Addr().(*net.TCPAddr)
	return "127.0.0.1", a.Port, logins, lastPass
}

type countingSession struct {
	imapserver.Session
	logins *atomic.Int64
	last   *atomic.Value
}

func (s *countingSession) Login(user, pass string) error {
	s.logins.Add(1)
	s.last.Store(pass)
	return s.Session.Login(user, pass)
}

// Issue #13, item 4 (failed before: with channel_id and no password, the
// stored password went to whatever host the request named, even with
// encryption none). The stored secret is used only with the saved host,
// port, user and encryption; changing the host on save forgets it; and
// encryption none is only for loopback.
func TestStoredSecretsStayWithTheirServer(t *testing.T) {
	e := newEnv(t, "sqlite")
	tn, adm := e.a, e.a.adminTok
	host, port, logins, last := imapWithUser(t, "suporte@acme.test", "the stored secret")
	// The attacker's "server": a listener that records whatever it is sent.
	trap, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer trap.Close()
	var caught atomic.Int64
	go func() {
		for {
			c, err := trap.Accept()
			if err != nil {
				return
			}
			caught.Add(1)
			io.WriteString(c, "* OK IMAP4rev1 ready\r\n")
			b := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, _ := c.Read(b)
			if strings.Contains(string(b[:n]), "the stored secret") {
				caught.Add(1000)
			}
			c.Close()
		}
	}()
	trapPort := trap.Addr().(*net.TCPAddr).Port

	imapConf := map[string]any{"host": host, "port": port, "encryption": "none", "username": "suporte@acme.test"}
	r := e.do(t, "PATCH", "/api/v1/channels/"+itoa(tn.ch.ID), map[string]any{"incoming": "external", "imap": imapConf, "allow_insecure": true}, bearer(adm))
	if r.status != 200 {
		t.Fatalf("make it external: %d %s", r.status, r.body)
	}
	if r := e.do(t, "PUT", "/api/v1/channels/"+itoa(tn.ch.ID)+"/credentials", map[string]any{"imap_password": "the stored secret"}, bearer(adm)); r.status != 204 {
		t.Fatalf("credentials: %d", r.status)
	}
	test := func(imap map[string]any) resp {
		return e.do(t, "POST", "/api/v1/channels/test-connection", map[string]any{"channel_id": tn.ch.ID, "imap": imap, "allow_insecure": true}, bearer(adm))
	}
	// The saved server gets it.
	if r := test(imapConf); r.status != 200 || !strings.Contains(string(r.body), `"imap_ok":true`) || logins.Load() != 1 || last.Load() != "the stored secret" {
		t.Fatalf("test against the saved server: %d %s (%d logins)", r.status, r.body, logins.Load())
	}
	// Another host, port, user or encryption does not.
	for name, imap := range map[string]map[string]any{
		"other port": {"host": host, "port": trapPort, "encryption": "none", "username": "suporte@acme.test"},
		"other user": {"host": host, "port": port, "encryption": "none", "username": "outro@acme.test"},
		"other host": {"host": "localhost", "port": port, "encryption": "none", "username": "suporte@acme.test"},
		"other enc":  {"host": host, "port": port, "encryption": "starttls", "username": "suporte@acme.test"},
	} {
		r := test(imap)
		if r.status != 422 || r.fields()["imap_password"] != api.MsgSecretElsewhere {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	if caught.Load() != 0 || logins.Load() != 1 {
		t.Fatalf("the secret left for another server: trap saw %d, server %d logins", caught.Load(), logins.Load())
	}
	// Encryption none to a host that is not this machine is refused on save.
	r = e.do(t, "PATCH", "/api/v1/channels/"+itoa(tn.ch.ID), map[string]any{"imap": map[string]any{"host": "imap.acme.test", "port": 143,
		"encryption": "none", "username": "suporte@acme.test"}, "allow_insecure": true}, bearer(adm))
	if r.status != 422 || r.fields()["imap.encryption"] != directory.MsgInsecureRemote {
		t.Fatalf("none to a remote host: %d %s", r.status, r.body)
	}
	// Saving another host forgets the stored password.
	r = e.do(t, "PATCH", "/api/v1/channels/"+itoa(tn.ch.ID), map[string]any{"imap": map[string]any{"host": "localhost", "port": port,
		"encryption": "none", "username": "suporte@acme.test"}, "allow_insecure": true}, bearer(adm))
	if r.status != 200 {
		t.Fatalf("move to another host: %d %s", r.status, r.body)
	}
	if _, err := e.st.GetSecret(ctx, tn.co.ID, tn.ch.ID, secrets.IMAPPassword); err == nil {
		t.Fatal("the password survived a change of host")
	}
	if r := test(map[string]any{"host": "localhost", "port": port, "encryption": "none", "username": "suporte@acme.test"}); r.status != 422 ||
		!strings.Contains(r.fields()["imap_password"], "no password is saved") {
		t.Fatalf("after the move: %d %s", r.status, r.body)
	}
}

// Issue #13, item 3 (failed before: any company could set from_email to
// another company's domain and the relay signed it): with the server's
// policies, a relay From the company has not verified is a field error.
func TestRelayFromMustBeVerified(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.dir.SetPolicies(directory.Policies{Senders: e.ids})
	adm := e.a.adminTok
	verify := func(tn *tenant, domain string) { // the fixture claimed <slug>.test
		i, err := e.st.GetIdentity(ctx, tn.co.ID, tn.identityID)
		must(t, err)
		if i.Value != domain {
			t.Fatalf("fixture claims %s", i.Value)
		}
		i.VerifiedAt = e.clk.Now()
		must(t, e.st.UpdateIdentity(ctx, i))
	}
	verify(e.b, "beta.test")
	r := e.do(t, "PATCH", "/api/v1/channels/"+itoa(e.a.ch.ID), map[string]any{"from_email": "financeiro@beta.test"}, bearer(adm))
	if r.status != 422 || r.fields()["from_email"] != directory.MsgUnverifiedSender {
		t.Fatalf("another company's domain as From: %d %s", r.status, r.body)
	}
	r = e.do(t, "POST", "/api/v1/channels", map[string]any{"slug": "novo", "name": "Novo", "primary_email": "contato@nobody.test"}, bearer(adm))
	if r.status != 422 || r.fields()["primary_email"] != directory.MsgUnverifiedSender {
		t.Fatalf("unverified primary as relay From: %d %s", r.status, r.body)
	}
	// The same address for an external channel (its own SMTP) is fine.
	r = e.do(t, "POST", "/api/v1/channels", map[string]any{"slug": "ext", "name": "Ext", "primary_email": "contato@nobody.test", "incoming": "external",
		"outgoing": "external", "provider": "gmail", "imap": map[string]any{"username": "contato@nobody.test"}}, bearer(adm))
	if r.status != 201 {
		t.Fatalf("external channel: %d %s", r.status, r.body)
	}
	verify(e.a, "acme.test")
	r = e.do(t, "PATCH", "/api/v1/channels/"+itoa(e.a.ch.ID), map[string]any{"from_email": "noreply@acme.test", "name": "Suporte ACME"}, bearer(adm))
	if r.status != 200 || !strings.Contains(string(r.body), `"noreply@acme.test":"verified"`) {
		t.Fatalf("own domain: %d %s", r.status, r.body)
	}
}

// Issue #13, item 5 (failed before: webhook URLs to 169.254.169.254,
// private networks and names resolving to them were accepted; deliveries
// followed redirects with the body and signature; the URL with its
// credentials went to the log).
func TestWebhookSSRF(t *testing.T) {
	e := newEnv(t, "sqlite")
	adm := e.a.adminTok
	e.dns.SetA("hooks.evil.test", "192.168.0.10")
	e.dns.SetA("meta.evil.test", "169.254.169.254")
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.1.2.3/h", "https://[fd00::1]/h",
		"http://hooks.evil.test/h", "http://meta.evil.test:8080/h", "http://192.168.1.1/"} {
		r := e.do(t, "POST", "/api/v1/webhooks", map[string]any{"url": u, "events": []string{"ticket.created"}}, bearer(adm))
		if r.status != 422 || r.fields()["url"] != directory.MsgInternalHost {
			t.Fatalf("%s: %d %s", u, r.status, r.body)
		}
	}
	// A receiver that redirects to another one: nothing reaches the second.
	var stolen atomic.Int64
	second := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	defer second.Close()
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/collect", http.StatusTemporaryRedirect)
	}))
	defer first.Close()
	withCreds := strings.Replace(first.URL, "http://", "http://hookuser:hook-password-9@", 1) + "/h?token=query-secret-7"
	r := e.do(t, "POST", "/api/v1/webhooks", map[string]any{"url": withCreds, "events": []string{"ticket.updated"}}, bearer(adm))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var logs lockedBuffer
	w := &api.WebhookWorker{Store: e.st, Log: newLogger(&logs), Clock: e.clk, Box: e.box}
	if r := e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/notes", map[string]string{"text": "x"}, bearer(adm)); r.status != 201 {
		t.Fatalf("note: %d", r.status)
	}
	if n, err := w.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("delivered %d: %v", n, err)
	}
	if stolen.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
	jobs, _ := e.st.ClaimJobs(ctx, []string{api.JobKindWebhook}, time.Minute, 10)
	_ = jobs
	out := logs.String()
	for _, secret := range []string{"hook-password-9", "query-secret-7", "hookuser"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "do not follow redirects") {
		t.Fatalf("log does not say why:\n%s", out)
	}
}

// Issue #13, item 14: the webhook signing secret is sealed at rest (rows
// from before are sealed at start), still signs deliveries, and API
// responses are never sniffed.
func TestWebhookSecretSealedAndNosniff(t *testing.T) {
	e := newEnv(t, "sqlite")
	r := e.do(t, "POST", "/api/v1/webhooks", map[string]any{"url": "https://hooks.example.com/a", "events": []string{"ticket.created"}}, bearer(e.a.adminTok))
	if r.status != 201 || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("create: %d %v", r.status, r.header)
	}
	var v struct {
		ID     int64
		Secret string
	}
	r.json(t, &v)
	h, err := e.st.GetWebhook(ctx, e.a.co.ID, v.ID)
	must(t, err)
	if strings.Contains(h.Secret, v.Secret) || !strings.HasPrefix(h.Secret, "sealed:v1:") {
		t.Fatalf("stored secret %q", h.Secret)
	}
	if got, err := api.OpenWebhookSecret(e.box, h); err != nil || got != v.Secret {
		t.Fatalf("open: %q %v", got, err)
	}
	// A row from before (plaintext) is sealed by the start-up pass.
	old := &store.Webhook{CompanyID: e.b.co.ID, URL: "https://x.example/h", Secret: "whsec_legacy", Events: []string{"ticket.created"}, Enabled: true}
	must(t, e.st.CreateWebhook(ctx, old))
	n, err := api.SealWebhookSecrets(ctx, e.st, e.box)
	must(t, err)
	if n != 3 { // the two fixtures' and the legacy one (the new one was sealed)
		t.Fatalf("sealed %d", n)
	}
	h, _ = e.st.GetWebhook(ctx, e.b.co.ID, old.ID)
	if got, _ := api.OpenWebhookSecret(e.box, h); !strings.HasPrefix(h.Secret, "sealed:v1:") || got != "whsec_legacy" {
		t.Fatalf("legacy row %q", h.Secret)
	}
}

// sseLines opens the event stream with opts and sends its lines to a
// channel that closes when the server ends the stream.
func sseLines(t *testing.T, e *env, opts ...reqOpt) (<-chan string, context.CancelFunc) {
	t.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(cctx, "GET", e.srv.URL+"/api/v1/events", nil)
	for _, o := range opts {
		o(req)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	if res.StatusCode != 200 {
		t.Fatalf("events: %d", res.StatusCode)
	}
	out := make(chan string, 64)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return out, cancel
}

// Issue #13, item 11 (failed before: a stream kept delivering after the
// session was logged out and after the agent was disabled).
func TestEventStreamEndsWithItsSession(t *testing.T) {
	e := newEnv(t, "sqlite")
	waitEnd := func(lines <-chan string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					return
				}
				if strings.HasPrefix(l, "data: ") && strings.Contains(l, "ticket_id") {
					t.Fatalf("event delivered after the session ended: %s", l)
				}
			case <-deadline:
				t.Fatal("the stream did not end")
			}
		}
	}
	// A browser session, then logout.
	c, csrf := e.login(t, "acme", "admin@acme.test", "admin password")
	lines, stop := sseLines(t, e, cookie(c))
	defer stop()
	<-lines // ": connected"
	if r := e.do(t, "POST", "/api/v1/auth/logout", nil, cookie(c), header("X-CSRF-Token", csrf)); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/notes", map[string]string{"text": "after logout"}, bearer(e.a.adminTok))
	waitEnd(lines)

	// A token whose agent gets disabled.
	lines2, stop2 := sseLines(t, e, bearer(e.a.agentTok))
	defer stop2()
	<-lines2
	_, err := e.dir.UpdateAgent(ctx, e.a.co.ID, e.a.agent.ID, directory.AgentPatch{Disabled: ptr(true)})
	must(t, err)
	e.do(t, "POST", "/api/v1/tickets/"+itoa(e.a.mine.ID)+"/notes", map[string]string{"text": "after disable"}, bearer(e.a.adminTok))
	waitEnd(lines2)
}

func ptr[T any](v T) *T { return &v }

// Issue #13, item 14: "not yours" and "does not exist" are the same 404,
// here for ids of every kind the API takes in a body or a path.
func TestForeignAndMissingIDsLookAlike(t *testing.T) {
	e := newEnv(t, "sqlite")
	adm := e.a.adminTok
	missing := int64(999999)
	for _, path := range []string{"/api/v1/channels/%d", "/api/v1/identities/%d", "/api/v1/tickets/%d", "/api/v1/agents/%d", "/api/v1/teams/%d"} {
		kind := strings.Split(path, "/")[3]
		foreign := map[string]int64{"channels": e.b.ch.ID, "identities": e.b.identityID, "tickets": e.b.mine.ID, "agents": e.b.agent.ID, "teams": e.b.team.ID}[kind]
		a := e.do(t, "GET", strings.Replace(path, "%d", strconv.FormatInt(foreign, 10), 1), nil, bearer(adm))
		b := e.do(t, "GET", strings.Replace(path, "%d", strconv.FormatInt(missing, 10), 1), nil, bearer(adm))
		if a.status != 404 || b.status != 404 || string(a.body) != string(b.body) {
			t.Fatalf("%s: foreign %d %s, missing %d %s", kind, a.status, a.body, b.status, b.body)
		}
	}
	// An agent asking for a ticket of the company outside their teams
	// gets the same answer as for a ticket that does not exist.
	a := e.do(t, "GET", "/api/v1/tickets/"+itoa(e.a.other.ID), nil, bearer(e.a.agentTok))
	b := e.do(t, "GET", "/api/v1/tickets/"+itoa(missing), nil, bearer(e.a.agentTok))
	if a.status != b.status || string(a.body) != string(b.body) {
		t.Fatalf("not my team %d %s, missing %d %s", a.status, a.body, b.status, b.body)
	}
	_ = model.RoleAdmin
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
