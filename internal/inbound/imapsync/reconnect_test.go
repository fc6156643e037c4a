package imapsync

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/tcpproxy"
)

// A mailbox that worked and whose server goes away for a while: the
// status says "server unreachable" (not a set-up mistake), the loop
// retries every few seconds at most (not minutes), reconnects within the
// short cap once the server is back, logs the reconnect, and clears the
// stale error.
func TestReconnectFastAfterHealthy(t *testing.T) {
	e := newWallEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	px, err := tcpproxy.Start(ms.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Close)
	conf := ms.conf("ana")
	host, port, _ := net.SplitHostPort(px.Addr())
	conf.Host = host
	conf.Port, _ = strconv.Atoi(port)
	ch := e.channel(t, conf, "anapw", nil)

	var logs syncLog
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// A long BackoffMax: without the healthy cap, a 3 s outage would
	// grow the delay to 3.2 s (0.1, 0.2, … 3.2).
	cfg := Config{AllowInsecure: true, BackoffMin: 100 * time.Millisecond, BackoffMax: 5 * time.Minute,
		BackoffHealthyMax: 400 * time.Millisecond, ReloadInterval: time.Hour, CommandTimeout: 10 * time.Second}
	m := NewManager(e.st, e.svc, e.box, e.clk, log, cfg)
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(mctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })

	px.Down()
	st := e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncError && s.LastErrorCode != "" })
	time.Sleep(3 * time.Second)
	st = e.status(t, ch)
	if st.LastErrorCode != string(providers.CodeServerUnreachable) || strings.Contains(st.LastError, "Confira") {
		t.Fatalf("status during the outage = %q %q; want server_unreachable, not blaming the set-up", st.LastErrorCode, st.LastError)
	}
	ms.appendMsg(t, "ana", "INBOX", mail("Durante a queda", "down@x"), nil, time.Now())
	if err := px.Up(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
	recovery := time.Since(back)
	t.Logf("reconnected %v after the server was back", recovery)
	if recovery > 1500*time.Millisecond {
		t.Fatalf("reconnected %v after the server was back; want within the 400 ms healthy cap (plus a session)", recovery)
	}
	e.waitInbound(t, 1, 5*time.Second)
	st = e.status(t, ch)
	if st.LastError != "" || st.LastErrorCode != "" || st.LastErrorAt.IsZero() {
		t.Fatalf("status after recovery: error %q code %q at %v; want the error cleared (its time kept)", st.LastError, st.LastErrorCode, st.LastErrorAt)
	}
	if !strings.Contains(logs.String(), "imapsync: reconnected") {
		t.Fatalf("no reconnect log line:\n%s", logs.String())
	}
}

// A mailbox that never worked keeps the set-up diagnosis (connection
// refused: check the port).
func TestNeverWorkedKeepsDiagnosis(t *testing.T) {
	e := newWallEnv(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	conf := startMem(t, memOpts{}, "ana").conf("ana")
	conf.Port = addr.Port
	ch := e.channel(t, conf, "anapw", nil)
	m := NewManager(e.st, e.svc, e.box, e.clk, e.log, memCfg())
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(mctx) }()
	t.Cleanup(func() { cancel(); <-done })
	st := e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.LastErrorCode != "" })
	if st.LastErrorCode != string(providers.CodeConnectionRefused) {
		t.Fatalf("code = %q, want connection_refused", st.LastErrorCode)
	}
}

// syncLog is a goroutine-safe log buffer.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncLog) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
