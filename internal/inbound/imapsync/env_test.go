package imapsync

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var ctx = context.Background()

// env is a real store + blob store + ingest service with one company.
type env struct {
	st  store.Store
	svc *ingest.Service
	box *secrets.Box
	co  *model.Company
	log *slog.Logger
	n   int
	clk clock.Clock // of the store, ingest and every folder loop
}

// newEnv is the environment of tests against go-imap's in-memory server,
// on a fake clock (the server dates mail with whatever the test says).
func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testclock.New(t))
}

// newWallEnv is on the wall clock, for tests against Dovecot, which dates
// mail by the real time.
func newWallEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, clock.System{})
}

func newEnvOn(t testing.TB, clk clock.Clock) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &env{st: st, svc: ingest.New(st, bl, clk, log, ingest.Config{}), box: box, co: co, log: log, clk: clk}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// channel creates an enabled external channel reading conf with password.
func (e *env) channel(t testing.TB, conf model.ServerConf, password string, mod func(*model.ChannelSettings)) *model.Channel {
	t.Helper()
	e.n++
	slug := fmt.Sprintf("ch%d", e.n)
	ch := &model.Channel{CompanyID: e.co.ID, Slug: slug, Name: slug, Enabled: true, Incoming: model.ConnExternal,
		Outgoing: model.ConnExternal, InboundToken: "tok-" + slug,
		Settings: model.ChannelSettings{PrimaryEmail: conf.Username, IMAP: conf}}
	if mod != nil {
		mod(&ch.Settings)
	}
	if err := e.st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := e.box.PutChannelSecret(ctx, e.st, e.co.ID, ch.ID, secrets.IMAPPassword, password); err != nil {
		t.Fatal(err)
	}
	return ch
}

func (e *env) folder(ch *model.Channel, name string, acc Acceptor, cfg Config) *Folder {
	if acc == nil {
		acc = e.svc
	}
	pw := func(ctx context.Context) (string, error) {
		return e.box.ChannelSecret(ctx, e.st, ch.CompanyID, ch.ID, secrets.IMAPPassword)
	}
	cfg.Clock = e.clk
	return NewFolder(ch, name, pw, acc, e.st, cfg, e.log, nil)
}

// inbound counts inbound rows of a channel (all states).
func (e *env) inbound(t testing.TB) int {
	t.Helper()
	n := 0
	for _, s := range []model.InboundState{model.InboundPending, model.InboundDone, model.InboundFailed} {
		c, err := e.st.CountInbound(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}

// waitInbound waits until at least n inbound rows exist.
func (e *env) waitInbound(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := e.inbound(t)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inbound rows = %d after %v, want %d", got, timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) drain(t testing.TB) {
	t.Helper()
	for i := 0; i < 10000; i++ {
		n, err := e.svc.ProcessPending(ctx, ingest.WorkerConfig{Batch: 64})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("drain: still pending")
}

func (e *env) counts(t testing.TB) (tickets, messages int) {
	t.Helper()
	var err error
	if tickets, err = e.st.CountTickets(ctx, e.co.ID); err != nil {
		t.Fatal(err)
	}
	if messages, err = e.st.CountMessages(ctx, e.co.ID); err != nil {
		t.Fatal(err)
	}
	return
}

func (e *env) status(t testing.TB, ch *model.Channel) *store.ChannelStatus {
	t.Helper()
	st, err := e.st.GetChannelStatus(ctx, ch.CompanyID, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// waitStatus waits until the channel status satisfies ok.
func (e *env) waitStatus(t testing.TB, ch *model.Channel, timeout time.Duration, ok func(*store.ChannelStatus) bool) *store.ChannelStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, err := e.st.GetChannelStatus(ctx, ch.CompanyID, ch.ID)
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel %d status not reached after %v: %+v (err %v)", ch.ID, timeout, st, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mail builds a small RFC 5322 message.
func mail(subject, msgID string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Cliente <cliente@example.com>\r\nTo: Suporte <suporte@acme.test>\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n",
		subject, time.Date(2026, 6, 5, 10, 0, 0, 0, time.UTC).Format(time.RFC1123Z), msgID)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOlá, preciso de ajuda com o pedido %s.\r\n", msgID)
	return b.Bytes()
}

// memServer is go-imap's in-memory server on 127.0.0.1 (no TLS: the
// channels use Encryption "none" with AllowInsecure).
type memServer struct {
	addr  string
	mem   *imapmemserver.Server
	users map[string]*imapmemserver.User
	// With noIdle, IDLE is removed from every CAPABILITY the server
	// sends (imapserver always advertises it for IMAP4rev1), and idleSeen
	// counts IDLE commands clients sent anyway.
	idleSeen atomic.Int64
	conns    atomic.Int64
}

type memOpts struct {
	noIdle bool
	noMove bool
}

func startMem(t testing.TB, o memOpts, users ...string) *memServer {
	t.Helper()
	ms := &memServer{mem: imapmemserver.New(), users: map[string]*imapmemserver.User{}}
	for _, u := range users {
		user := imapmemserver.NewUser(u, u+"pw")
		if err := user.Create("INBOX", nil); err != nil {
			t.Fatal(err)
		}
		ms.mem.AddUser(user)
		ms.users[u] = user
	}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapLiteralPlus: {}, imap.CapMove: {}}
	if o.noMove {
		delete(caps, imap.CapMove)
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleFlushSession{ms.mem.NewSession().(imapserver.SessionIMAP4rev2)}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       nopLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	var l net.Listener = &countListener{Listener: ln, ms: ms}
	if o.noIdle {
		l = &noIdleListener{Listener: l, ms: ms}
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return ms
}

// idleFlushSession works around a race in imapmemserver (beta.8): its
// SessionTracker.Idle only writes updates queued *after* IDLE started, so
// a message appended between the client's last command and IDLE is not
// announced until the next change. Real servers (Dovecot) report pending
// changes when IDLE starts; this wrapper makes the in-memory server do the
// same by polling first. (A much smaller window remains between that poll
// and the tracker registering for updates.)
type idleFlushSession struct {
	imapserver.SessionIMAP4rev2
}

func (s idleFlushSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	if err := s.Poll(w, true); err != nil {
		return err
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

type countListener struct {
	net.Listener
	ms *memServer
}

func (l *countListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.ms.conns.Add(1)
	}
	return c, err
}

// noIdleListener hides IDLE: it rewrites capability lists on the way
// out and records IDLE commands on the way in. Lines are rewritten per
// Write; imapserver writes whole responses per flush.
type noIdleListener struct {
	net.Listener
	ms *memServer
}

func (l *noIdleListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &noIdleConn{Conn: c, ms: l.ms}, nil
}

type noIdleConn struct {
	net.Conn
	ms *memServer
}

func (c *noIdleConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("CAPABILITY")) {
		q := bytes.ReplaceAll(p, []byte(" IDLE"), nil)
		if _, err := c.Conn.Write(q); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *noIdleConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for _, line := range strings.Split(string(p[:n]), "\r\n") {
		if f := strings.Fields(line); len(f) == 2 && strings.EqualFold(f[1], "IDLE") {
			c.ms.idleSeen.Add(1)
		}
	}
	return n, err
}

func (ms *memServer) conf(user string) model.ServerConf {
	host, port, _ := net.SplitHostPort(ms.addr)
	p, _ := strconv.Atoi(port)
	return model.ServerConf{Host: host, Port: p, Encryption: "none", Username: user, Auth: "password"}
}

// client logs in as user (a second client, like the customer's webmail).
func (ms *memServer) client(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(ms.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, user+"pw").Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// appendMsg appends raw to user's mailbox directly in the backend.
func (ms *memServer) appendMsg(t testing.TB, user, mailbox string, raw []byte, flags []imap.Flag, at time.Time) {
	t.Helper()
	if _, err := ms.users[user].Append(mailbox, literal{bytes.NewReader(raw), int64(len(raw))}, &imap.AppendOptions{Flags: flags, Time: at}); err != nil {
		t.Fatal(err)
	}
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

// memCfg is a fast config for the in-memory server.
func memCfg() Config {
	return Config{AllowInsecure: true, PollInterval: 50 * time.Millisecond, BackoffMin: 20 * time.Millisecond,
		BackoffMax: 200 * time.Millisecond, ReloadInterval: 50 * time.Millisecond, CommandTimeout: 10 * time.Second}
}

// flakyAcceptor fails (or panics) on chosen calls, then delegates.
type flakyAcceptor struct {
	next   Acceptor
	mu     sync.Mutex
	calls  int
	keys   []string
	failAt map[int]string // call number → "error" or "panic"
}

func (a *flakyAcceptor) Accept(ctx context.Context, ch *model.Channel, key string, raw io.Reader) (ingest.Result, error) {
	a.mu.Lock()
	a.calls++
	n := a.calls
	a.keys = append(a.keys, key)
	mode := a.failAt[n]
	a.mu.Unlock()
	switch mode {
	case "error":
		return ingest.Result{}, fmt.Errorf("simulated store outage at call %d", n)
	case "panic":
		panic(fmt.Sprintf("simulated bug at call %d", n))
	}
	return a.next.Accept(ctx, ch, key, raw)
}

// runFolder runs f in the background; the returned stop cancels it and
// waits for Run to return (failing the test if it takes over 5 s).
func runFolder(t testing.TB, f *Folder) (stop func()) {
	t.Helper()
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(cctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("folder loop did not stop within 5 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func flagsOf(t testing.TB, c *imapclient.Client, mailbox string) map[uint32][]imap.Flag {
	t.Helper()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.Fetch(imap.SeqSet{imap.SeqRange{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32][]imap.Flag{}
	for _, m := range msgs {
		out[uint32(m.UID)] = m.Flags
	}
	return out
}

func hasFlag(fl []imap.Flag, f imap.Flag) bool {
	for _, x := range fl {
		if strings.EqualFold(string(x), string(f)) {
			return true
		}
	}
	return false
}

var _ = tls.Config{}

// runManager runs m until the test ends; the cleanup cancels it and waits
// for every loop to stop (before the temp dirs are removed).
func runManager(t testing.TB, m *Manager) (stop func()) {
	t.Helper()
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(mctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Errorf("Manager.Run did not return within 5 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
