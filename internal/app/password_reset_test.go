package app

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// captureBackend is an in-process SMTP relay keeping every message.
type captureBackend struct {
	mu   sync.Mutex
	msgs []capturedMail
	got  chan struct{}
}

type capturedMail struct {
	from string
	to   []string
	data string
}

func (b *captureBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &captureSession{b: b}, nil
}

type captureSession struct {
	b *captureBackend
	m capturedMail
}

func (s *captureSession) Mail(from string, _ *smtp.MailOptions) error { s.m.from = from; return nil }
func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *captureSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.m)
	s.b.mu.Unlock()
	s.b.got <- struct{}{}
	return nil
}
func (s *captureSession) Reset()        {}
func (s *captureSession) Logout() error { return nil }

// TestPasswordResetMailThroughRelay is issue 16's acceptance for
// "Esqueci minha senha" on the real server: the reset mail arrives at the
// relay (an in-process SMTP server), its link works once, and a second
// link no longer works an hour later (the server runs on a fake clock).
func TestPasswordResetMailThroughRelay(t *testing.T) {
	be := &captureBackend{got: make(chan struct{}, 16)}
	srv := smtp.NewServer(be)
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	defer srv.Close()

	clk := testclock.New(t)
	data := t.TempDir()
	addr := freePort(t)
	base := "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--data", data, "--http", addr, "--smtp", "", "--relay", ln.Addr().String(),
			"--relay-encryption", "none", "--base-url", base, "--inbound-domain", "inbound.acme.test"},
			IO{Out: io.Discard, Err: &errb, Getenv: func(string) string { return "" }, Clock: clk})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	waitFor(t, 10*time.Second, "server up", func() bool {
		r, err := http.Get(base + "/healthz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil
	})
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRE := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	post := func(from, path string, form url.Values) (int, string) {
		t.Helper()
		r, err := c.Get(base + from)
		must(t, err)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		m := csrfRE.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("no form token at %s: %s", from, b)
		}
		form.Set("csrf_token", m[1])
		r, err = c.PostForm(base+path, form)
		must(t, err)
		b, _ = io.ReadAll(r.Body)
		r.Body.Close()
		return r.StatusCode, r.Header.Get("Location") + string(b)
	}
	get := func(path string) int {
		r, err := c.Get(base + path)
		must(t, err)
		r.Body.Close()
		return r.StatusCode
	}
	if code, body := post("/setup", "/setup", url.Values{"company_name": {"ACME"}, "company_slug": {"acme"}, "admin_name": {"Ana"},
		"admin_email": {"ana@acme.test"}, "admin_password": {"senha-segura-1"}}); code != 303 {
		t.Fatalf("setup: %d %s\n%s", code, body, errb.String())
	}
	mail := func() capturedMail {
		t.Helper()
		select {
		case <-be.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("no mail at the relay\n%s", errb.String())
		}
		be.mu.Lock()
		defer be.mu.Unlock()
		return be.msgs[len(be.msgs)-1]
	}
	linkRE := regexp.MustCompile(regexp.QuoteMeta(base) + `/password/reset/[A-Za-z0-9_-]+`)
	link := func(m capturedMail) string {
		t.Helper()
		body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(m.data[strings.Index(m.data, "\r\n\r\n")+4:])))
		must(t, err)
		l := linkRE.FindString(string(body))
		if l == "" {
			t.Fatalf("no link in the mail:\n%s", m.data)
		}
		return strings.TrimPrefix(l, base)
	}

	if code, _ := post("/password/forgot", "/password/forgot", url.Values{"company": {"acme"}, "email": {"ana@acme.test"}}); code != 200 {
		t.Fatalf("forgot: %d", code)
	}
	m := mail()
	if m.from != "no-reply@inbound.acme.test" || len(m.to) != 1 || m.to[0] != "ana@acme.test" ||
		!strings.Contains(m.data, "Subject: Redefinir sua senha do Atende") || !strings.Contains(m.data, "Auto-Submitted: auto-generated") {
		t.Fatalf("mail from %s to %v:\n%s", m.from, m.to, m.data)
	}
	path := link(m)
	if code := get(path); code != 200 {
		t.Fatalf("GET link: %d", code)
	}
	if code, loc := post(path, path, url.Values{"password": {"outra-senha-boa"}, "password2": {"outra-senha-boa"}}); code != 303 ||
		!strings.HasPrefix(loc, "/login?reset=done") {
		t.Fatalf("reset: %d %s", code, loc)
	}
	if code := get(path); code != 410 {
		t.Fatalf("link used twice: %d", code)
	}
	if code, loc := post("/login", "/login", url.Values{"company": {"acme"}, "email": {"ana@acme.test"}, "password": {"outra-senha-boa"}}); code != 303 ||
		!strings.HasPrefix(loc, "/inbox") {
		t.Fatalf("login with the new password: %d %s", code, loc)
	}

	// A second link, an hour later.
	if code, _ := post("/password/forgot", "/password/forgot", url.Values{"company": {"acme"}, "email": {"ana@acme.test"}}); code != 200 {
		t.Fatalf("forgot: %d", code)
	}
	path = link(mail())
	clk.Advance(time.Hour)
	if code := get(path); code != 410 {
		t.Fatalf("link after an hour: %d", code)
	}
	// An unknown address: same answer, no mail.
	if code, _ := post("/password/forgot", "/password/forgot", url.Values{"company": {"acme"}, "email": {"ninguem@acme.test"}}); code != 200 {
		t.Fatalf("forgot unknown: %d", code)
	}
	select {
	case <-be.got:
		t.Fatal("a mail for an unknown address")
	case <-time.After(500 * time.Millisecond):
	}
}
