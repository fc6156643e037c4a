package smtpin

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var bg = context.Background()

const testDomain = "in.atende.test"

// fakeDNS is a map-backed Resolver: names not in the maps are NXDOMAIN.
type fakeDNS struct {
	mu  sync.Mutex
	txt map[string][]string
	ips map[string][]net.IPAddr
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{txt: map[string][]string{}, ips: map[string][]net.IPAddr{}}
}

func (f *fakeDNS) SetTXT(name string, v ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txt[strings.ToLower(strings.TrimSuffix(name, "."))] = v
}

func notFound(name string) error {
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.txt[strings.ToLower(strings.TrimSuffix(name, "."))]; ok {
		return v, nil
	}
	return nil, notFound(name)
}

func (f *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, notFound(name)
}

func (f *fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.ips[strings.ToLower(host)]; ok {
		return v, nil
	}
	return nil, notFound(host)
}

func (f *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, notFound(addr)
}

// dkimKey is a signing key published in a fakeDNS.
type dkimKey struct {
	domain, selector string
	signer           crypto.Signer
}

func newDKIMKey(t testing.TB, dns *fakeDNS, domain, selector string) *dkimKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns.SetTXT(selector+"._domainkey."+domain, "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	return &dkimKey{domain: domain, selector: selector, signer: priv}
}

func (k *dkimKey) sign(t testing.TB, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{Domain: k.domain, Selector: k.selector, Signer: k.signer,
		HeaderKeys: []string{"From", "To", "Cc", "Subject", "Date", "Message-ID", "Content-Type"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// env is a store + blob + ingest service on SQLite, one company "acme"
// with an internal channel, and a server.
type env struct {
	st    store.Store
	bl    *blob.FS
	svc   *ingest.Service
	dns   *fakeDNS
	co    *model.Company
	ch    *model.Channel
	addr  string // the channel's inbound address
	srv   *Server
	saddr string // server listen address
	logs  *syncBuffer
	seen  map[int64]bool // inbound rows already returned by pendingRaw
	clk   *clock.Fake    // the clock of the store, ingest and server
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newStoreEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	clk := testclock.New(t)
	st, err := sqlite.Open(bg, filepath.Join(dir, "atende.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, bl: bl, clk: clk, dns: newFakeDNS(), logs: &syncBuffer{}, seen: map[int64]bool{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.svc = ingest.New(st, bl, clk, log, ingest.Config{MaxSize: DefaultMaxMessageSize + 64<<10, AuthServID: "atende.test"})
	e.co = &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(bg, e.co))
	e.ch = e.addChannel(t, e.co, "suporte", func(c *model.Channel) { c.Settings.PrimaryEmail = "suporte@acme.test" })
	e.addr = InboundAddress(e.co.Slug, e.ch.InboundToken, testDomain)
	return e
}

func (e *env) addChannel(t testing.TB, co *model.Company, slug string, mod func(*model.Channel)) *model.Channel {
	t.Helper()
	ch := &model.Channel{CompanyID: co.ID, Slug: slug, Name: "Canal " + slug, Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: NewInboundToken()}
	if mod != nil {
		mod(ch)
	}
	must(t, e.st.CreateChannel(bg, ch))
	return ch
}

// start runs a server for the env on 127.0.0.1:0 (or cfg.Addr) and stops
// it at cleanup, failing if Run does not return.
func (e *env) start(t testing.TB, cfg Config, acc Acceptor) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.InboundDomain == "" {
		cfg.InboundDomain = testDomain
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "mx.atende.test"
	}
	if acc == nil {
		acc = e.svc
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(cfg, Deps{Store: e.st, Ingest: acc, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, log)
	if err != nil {
		t.Fatal(err)
	}
	must(t, srv.Listen())
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	e.srv, e.saddr = srv, srv.Addr().String()
	return srv
}

// send delivers raw over one SMTP transaction; rcptErrs has one entry per
// recipient (nil when accepted); dataErr is DATA's answer.
func send(t testing.TB, addr, from string, rcpts []string, raw []byte) (rcptErrs []error, dataErr error) {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(from, nil); err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, r := range rcpts {
		err := c.Rcpt(r, nil)
		rcptErrs = append(rcptErrs, err)
		if err == nil {
			ok++
		}
	}
	if ok == 0 {
		_ = c.Quit()
		return rcptErrs, nil
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(raw); err != nil {
		return rcptErrs, err
	}
	dataErr = w.Close()
	_ = c.Quit()
	return rcptErrs, dataErr
}

// wantCode checks an SMTP error's code and enhanced code.
func wantCode(t testing.TB, err error, code int, enh smtp.EnhancedCode) *smtp.SMTPError {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want SMTP %d %v", err, code, enh)
	}
	if se.Code != code || se.EnhancedCode != enh {
		t.Fatalf("reply = %d %v %q, want %d %v", se.Code, se.EnhancedCode, se.Message, code, enh)
	}
	return se
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// buildMail builds a small message.
func buildMail(from, to, cc, subject, msgID, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", from, to)
	if cc != "" {
		fmt.Fprintf(&b, "Cc: %s\r\n", cc)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: Thu, 19 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s>\r\n", subject, msgID)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
	return b.Bytes()
}

// pendingRaw returns the raw messages of inbound rows stored since the
// last call, by channel (read through the pending queue without
// processing them; the short lease lets the worker claim them later).
func (e *env) pendingRaw(t testing.TB) map[int64][][]byte {
	t.Helper()
	rows, err := e.st.ClaimInbound(bg, 0, 1000)
	must(t, err)
	out := map[int64][][]byte{}
	for _, in := range rows {
		if e.seen[in.ID] {
			continue
		}
		e.seen[in.ID] = true
		rc, err := e.bl.Open(bg, in.RawKey)
		must(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		must(t, err)
		out[in.ChannelID] = append(out[in.ChannelID], b)
	}
	// Let the worker claim them again at once.
	time.Sleep(2 * time.Millisecond)
	return out
}

func (e *env) countInbound(t testing.TB) int {
	t.Helper()
	n := 0
	for _, s := range []model.InboundState{model.InboundPending, model.InboundDone, model.InboundFailed} {
		c, err := e.st.CountInbound(bg, s)
		must(t, err)
		n += c
	}
	return n
}

func (e *env) drain(t testing.TB) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, err := e.svc.ProcessPending(bg, ingest.WorkerConfig{Batch: 64})
		must(t, err)
		if n == 0 {
			return
		}
	}
	t.Fatal("drain: still pending")
}

// headerValues returns the unfolded values of a field in raw's header block.
func headerValues(raw []byte, name string) []string {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	var out []string
	var cur string
	in := false
	for _, line := range strings.Split(string(head), "\r\n") {
		if line != "" && (line[0] == ' ' || line[0] == '\t') {
			if in {
				cur += " " + strings.TrimSpace(line)
			}
			continue
		}
		if in {
			out = append(out, cur)
		}
		k, v, _ := strings.Cut(line, ":")
		in = strings.EqualFold(strings.TrimSpace(k), name)
		cur = strings.TrimSpace(v)
	}
	if in {
		out = append(out, cur)
	}
	return out
}

// parseAR parses our A-R field with authres.Parse and returns the results by method.
func parseAR(t testing.TB, v string) (id string, res map[string][]authres.Result) {
	t.Helper()
	id, results, err := authres.Parse(v)
	if err != nil {
		t.Fatalf("authres.Parse(%q): %v", v, err)
	}
	res = map[string][]authres.Result{}
	for _, r := range results {
		switch r.(type) {
		case *authres.SPFResult:
			res["spf"] = append(res["spf"], r)
		case *authres.DKIMResult:
			res["dkim"] = append(res["dkim"], r)
		case *authres.DMARCResult:
			res["dmarc"] = append(res["dmarc"], r)
		}
	}
	return id, res
}

// failingAcceptor fails the first n calls, then delegates.
type failingAcceptor struct {
	inner Acceptor
	fails atomic.Int64
	calls atomic.Int64
}

func (f *failingAcceptor) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error) {
	f.calls.Add(1)
	if f.fails.Add(-1) >= 0 {
		_, _ = io.Copy(io.Discard, raw)
		return ingest.Result{}, errors.New("injected: disk full")
	}
	return f.inner.AcceptContent(ctx, ch, raw)
}
