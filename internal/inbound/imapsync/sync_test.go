package imapsync

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
)

// TestIdleNewMailBecomesTicket: with history "none" the old message is
// left alone; a message arriving while IDLE becomes a ticket, and the
// server copy stays unread.
func TestIdleNewMailBecomesTicket(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ms.appendMsg(t, "ana", "INBOX", mail("Antiga", "old@x"), nil, e.clk.Now())
	ch := e.channel(t, ms.conf("ana"), "anapw", nil)
	f := e.folder(ch, "INBOX", nil, memCfg())
	runFolder(t, f)
	cp := waitCheckpoint(t, e, ch, "INBOX", func(cp *store.SyncCheckpoint) bool { return true })
	if cp.LastUID != 1 || !cp.ImportComplete {
		t.Fatalf("first checkpoint %+v, want LastUID 1 (history none)", cp)
	}
	waitFor(t, "IDLE", func() bool { return f.idles.Load() > 0 })
	c := ms.client(t, "ana")
	appendIMAP(t, c, "INBOX", mail("Pedido 123 atrasado", "new@x"))
	e.waitInbound(t, 1, 5*time.Second)
	e.drain(t)
	tickets, err := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tickets) != 1 || tickets[0].Subject != "Pedido 123 atrasado" || tickets[0].ChannelID != ch.ID {
		t.Fatalf("tickets = %+v", tickets)
	}
	in, err := e.st.GetInbound(ctx, e.co.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("imap:INBOX:%d:2", cp.UIDValidity); in.SourceKey != want {
		t.Fatalf("source key %q, want %q", in.SourceKey, want)
	}
	for uid, fl := range flagsOf(t, c, "INBOX") {
		if hasFlag(fl, imap.FlagSeen) {
			t.Errorf("uid %d got \\Seen: the sync must use BODY.PEEK", uid)
		}
	}
}

// TestReadElsewhereAndDeletedAfterImport: a message another client marked
// read before we fetched it is imported; deleting it on the server after
// import leaves the ticket message in place.
func TestReadElsewhereAndDeletedAfterImport(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.HistoryDays = -1 })
	ms.appendMsg(t, "ana", "INBOX", mail("Lido no webmail", "seen@x"), []imap.Flag{imap.FlagSeen}, e.clk.Now())
	f := e.folder(ch, "INBOX", nil, memCfg())
	runFolder(t, f)
	e.waitInbound(t, 1, 5*time.Second)
	e.drain(t)
	c := ms.client(t, "ana")
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	appendIMAP(t, c, "INBOX", mail("Outro", "other@x"))
	e.waitInbound(t, 2, 5*time.Second)
	e.drain(t)
	tickets, msgs := e.counts(t)
	if tickets != 2 || msgs != 2 {
		t.Fatalf("tickets %d messages %d, want 2/2", tickets, msgs)
	}
	list, _ := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
	found := false
	for _, tk := range list {
		found = found || tk.Subject == "Lido no webmail"
	}
	if !found {
		t.Fatal("the ticket of the message deleted on the server is gone")
	}
}

// TestInitialImportResumes: a big import that fails midway (store outage)
// and is restarted with a new loop finishes with every message exactly
// once, and the status shows the progress.
func TestInitialImportResumes(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	const total = 250
	for i := 1; i <= total; i++ {
		ms.appendMsg(t, "ana", "INBOX", mail(fmt.Sprintf("Pedido %d", i), fmt.Sprintf("m%d@x", i)), nil, e.clk.Now())
	}
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.HistoryDays = -1 })
	cfg := memCfg()
	cfg.BatchSize = 40
	acc := &flakyAcceptor{next: e.svc, failAt: map[int]string{105: "error"}}
	m := NewManager(e.st, acc, e.box, e.clk, e.log, cfg)
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	// The first loop stops right after the failure.
	go func() { defer close(done); m.Run(mctx) }()
	cp := waitCheckpoint(t, e, ch, "INBOX", func(cp *store.SyncCheckpoint) bool { return cp.LastUID >= 80 })
	waitFor(t, "failure", func() bool { acc.mu.Lock(); defer acc.mu.Unlock(); return acc.calls >= 105 })
	cancel()
	<-done
	cp, _ = e.st.GetSyncCheckpoint(ctx, e.co.ID, ch.ID, "INBOX")
	if cp.ImportTotal != total || cp.ImportUntil != total {
		t.Fatalf("plan %+v", cp)
	}
	// Restart: a new manager (as after a process restart).
	m2 := NewManager(e.st, e.svc, e.box, e.clk, e.log, cfg)
	runManager(t, m2)
	st := e.waitStatus(t, ch, 10*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle && s.Done == total })
	if st.Total != total {
		t.Fatalf("status %+v", st)
	}
	if n := e.inbound(t); n != total {
		t.Fatalf("inbound rows %d, want %d", n, total)
	}
	e.drain(t)
	if tickets, msgs := e.counts(t); tickets != total || msgs != total {
		t.Fatalf("tickets %d messages %d, want %d", tickets, msgs, total)
	}
	cp, _ = e.st.GetSyncCheckpoint(ctx, e.co.ID, ch.ID, "INBOX")
	if cp.LastUID != total || !cp.ImportComplete || cp.ImportDone != total {
		t.Fatalf("final checkpoint %+v", cp)
	}
	// The failed call was the 105th: the first loop had saved the batches
	// before it, so the second loop re-fetched at most one batch.
	if acc.calls > 105+cfg.BatchSize {
		t.Fatalf("first loop made %d accept calls", acc.calls)
	}
}

// TestUIDValidityChange: the mailbox is re-created (new UIDVALIDITY) with
// the same messages plus one new; the re-scan imports them again under new
// source keys, and ingest's content dedupe keeps one message each.
func TestUIDValidityChange(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.HistoryDays = -1; s.Folders = []string{"Vendas"} })
	u := ms.users["ana"]
	if err := u.Create("Vendas", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		ms.appendMsg(t, "ana", "Vendas", mail(fmt.Sprintf("Venda %d", i), fmt.Sprintf("v%d@x", i)), nil, e.clk.Now())
	}
	f := e.folder(ch, "Vendas", nil, memCfg())
	stop := runFolder(t, f)
	e.waitInbound(t, 5, 5*time.Second)
	first := waitCheckpoint(t, e, ch, "Vendas", func(cp *store.SyncCheckpoint) bool { return cp.LastUID == 5 })
	stop()
	e.drain(t)
	if err := u.Delete("Vendas"); err != nil {
		t.Fatal(err)
	}
	if err := u.Create("Vendas", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		ms.appendMsg(t, "ana", "Vendas", mail(fmt.Sprintf("Venda %d", i), fmt.Sprintf("v%d@x", i)), nil, e.clk.Now())
	}
	f2 := e.folder(ch, "Vendas", nil, memCfg())
	runFolder(t, f2)
	second := waitCheckpoint(t, e, ch, "Vendas", func(cp *store.SyncCheckpoint) bool { return cp.UIDValidity != first.UIDValidity && cp.LastUID == 6 })
	if !second.ImportComplete {
		t.Fatalf("checkpoint %+v", second)
	}
	if n := e.inbound(t); n != 11 {
		t.Fatalf("inbound rows %d, want 5 + 6 (re-scan)", n)
	}
	e.drain(t)
	if tickets, msgs := e.counts(t); tickets != 6 || msgs != 6 {
		t.Fatalf("tickets %d messages %d, want 6/6 (no duplicates)", tickets, msgs)
	}
}

// TestPollFallbackWithoutIdle: a server whose capabilities lack IDLE is
// polled; the client never sends IDLE.
func TestPollFallbackWithoutIdle(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{noIdle: true}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", nil)
	f := e.folder(ch, "INBOX", nil, memCfg())
	runFolder(t, f)
	waitFor(t, "poll", func() bool { return f.polls.Load() > 0 })
	ms.appendMsg(t, "ana", "INBOX", mail("Sem IDLE", "poll@x"), nil, e.clk.Now())
	e.waitInbound(t, 1, 5*time.Second)
	if n := ms.idleSeen.Load(); n != 0 {
		t.Fatalf("client sent IDLE %d times to a server without IDLE", n)
	}
	if f.idles.Load() != 0 {
		t.Fatal("loop used IDLE")
	}
}

// TestIdleRestart: IDLE is re-issued every IdleRestart and mail still
// arrives.
func TestIdleRestart(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", nil)
	cfg := memCfg()
	cfg.IdleRestart = 40 * time.Millisecond
	f := e.folder(ch, "INBOX", nil, cfg)
	runFolder(t, f)
	waitFor(t, "3 IDLE rounds", func() bool { return f.idles.Load() >= 3 })
	if f.sessions.Load() != 1 {
		t.Fatalf("sessions = %d: IDLE restart must not reconnect", f.sessions.Load())
	}
	ms.appendMsg(t, "ana", "INBOX", mail("Depois", "after@x"), nil, e.clk.Now())
	e.waitInbound(t, 1, 5*time.Second)
}

// TestHistoryLastDays imports only messages of the last N days.
func TestHistoryLastDays(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	now := e.clk.Now()
	ms.appendMsg(t, "ana", "INBOX", mail("Velho", "old@x"), nil, now.AddDate(0, 0, -30))
	ms.appendMsg(t, "ana", "INBOX", mail("Recente 1", "r1@x"), nil, now.AddDate(0, 0, -2))
	ms.appendMsg(t, "ana", "INBOX", mail("Recente 2", "r2@x"), nil, now)
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.HistoryDays = 7 })
	runFolder(t, e.folder(ch, "INBOX", nil, memCfg()))
	cp := waitCheckpoint(t, e, ch, "INBOX", func(cp *store.SyncCheckpoint) bool { return cp.ImportComplete })
	if cp.ImportTotal != 2 || cp.LastUID != 3 {
		t.Fatalf("checkpoint %+v", cp)
	}
	e.drain(t)
	list, _ := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
	if len(list) != 2 {
		t.Fatalf("tickets %+v", list)
	}
	for _, tk := range list {
		if tk.Subject == "Velho" {
			t.Fatal("message older than 7 days imported")
		}
	}
}

// TestAfterImportActions: mark_read sets \Seen; move uses MOVE, or COPY +
// \Deleted + UID EXPUNGE on servers without MOVE.
func TestAfterImportActions(t *testing.T) {
	cases := []struct {
		name   string
		action string
		noMove bool
	}{
		{"mark read", "mark_read", false},
		{"move", "move", false},
		{"move without MOVE", "move", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ms := startMem(t, memOpts{noMove: tc.noMove}, "ana")
			if err := ms.users["ana"].Create("Processados", nil); err != nil {
				t.Fatal(err)
			}
			ms.appendMsg(t, "ana", "INBOX", mail("Um", "a1@x"), nil, e.clk.Now())
			ms.appendMsg(t, "ana", "INBOX", mail("Dois", "a2@x"), nil, e.clk.Now())
			ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) {
				s.HistoryDays, s.AfterImport, s.MoveTo = -1, tc.action, "Processados"
			})
			f := e.folder(ch, "INBOX", nil, memCfg())
			runFolder(t, f)
			e.waitInbound(t, 2, 5*time.Second)
			c := ms.client(t, "ana")
			waitFor(t, "action applied", func() bool {
				inbox := flagsOf(t, c, "INBOX")
				if tc.action == "mark_read" {
					return len(inbox) == 2 && hasFlag(inbox[1], imap.FlagSeen) && hasFlag(inbox[2], imap.FlagSeen)
				}
				return len(inbox) == 0 && len(flagsOf(t, c, "Processados")) == 2
			})
			if f.sessions.Load() != 1 {
				t.Fatalf("sessions = %d (the action failed and reconnected)", f.sessions.Load())
			}
		})
	}
}

// TestWrongPasswordIsolated: one channel with a wrong password shows the
// auth problem; the other channels on the same server keep importing.
func TestWrongPasswordIsolated(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana", "bia", "caio")
	bad := e.channel(t, ms.conf("ana"), "errada", func(s *model.ChannelSettings) { s.Provider = "gmail" })
	good1 := e.channel(t, ms.conf("bia"), "biapw", nil)
	good2 := e.channel(t, ms.conf("caio"), "caiopw", nil)
	m := NewManager(e.st, e.svc, e.box, e.clk, e.log, memCfg())
	runManager(t, m)
	st := e.waitStatus(t, bad, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncReconnectNeeded })
	if st.LastErrorCode != string(providers.CodeAuthFailed) || !strings.Contains(st.LastError, "Falha na autenticação IMAP") ||
		!strings.Contains(st.LastError, "senha de app") || st.LastErrorAt.IsZero() {
		t.Fatalf("bad channel status %+v", st)
	}
	for _, ch := range []*model.Channel{good1, good2} {
		e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
	}
	ms.appendMsg(t, "bia", "INBOX", mail("Para Bia", "b@x"), nil, e.clk.Now())
	ms.appendMsg(t, "caio", "INBOX", mail("Para Caio", "c@x"), nil, e.clk.Now())
	e.waitInbound(t, 2, 5*time.Second)
	// Fixing the password restarts the loop (Reload sees the new secret).
	if err := e.box.PutChannelSecret(ctx, e.st, e.co.ID, bad.ID, "imap_password", "anapw"); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, bad, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
}

// TestManagerLifecycle: three mailboxes synced at once, each on its own
// connection; disabling a channel stops its loop; cancelling stops all
// loops and closes their goroutines.
func TestManagerLifecycle(t *testing.T) {
	e := newEnv(t)
	base := runtime.NumGoroutine()
	ms := startMem(t, memOpts{}, "ana", "bia", "caio")
	var chans []*model.Channel
	for _, u := range []string{"ana", "bia", "caio"} {
		chans = append(chans, e.channel(t, ms.conf(u), u+"pw", nil))
	}
	internal := &model.Channel{CompanyID: e.co.ID, Slug: "interno", Name: "Interno", Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: "tok-int"}
	if err := e.st.CreateChannel(ctx, internal); err != nil {
		t.Fatal(err)
	}
	m := NewManager(e.st, e.svc, e.box, e.clk, e.log, memCfg())
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); m.Run(mctx) }()
	for _, ch := range chans {
		e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
	}
	if n := len(m.Running()); n != 3 {
		t.Fatalf("running %d channels, want 3 (internal channel must be skipped)", n)
	}
	if ms.conns.Load() != 3 {
		t.Fatalf("connections %d, want one per mailbox", ms.conns.Load())
	}
	for i, u := range []string{"ana", "bia", "caio"} {
		ms.appendMsg(t, u, "INBOX", mail("Oi "+u, fmt.Sprintf("%d@x", i)), nil, e.clk.Now())
	}
	e.waitInbound(t, 3, 5*time.Second)
	// Disable one channel: its loop stops.
	chans[0].Enabled = false
	if err := e.st.UpdateChannel(ctx, chans[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "channel stopped", func() bool { return len(m.Running()) == 2 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Manager.Run did not return within 5 s of cancel")
	}
	waitFor(t, "goroutines gone", func() bool { return runtime.NumGoroutine() <= base+2 })
}

// TestPanicRecovered: a panic while accepting is recovered, the loop
// reconnects and the message is imported.
func TestPanicRecovered(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ms.appendMsg(t, "ana", "INBOX", mail("Boom", "boom@x"), nil, e.clk.Now())
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.HistoryDays = -1 })
	acc := &flakyAcceptor{next: e.svc, failAt: map[int]string{1: "panic"}}
	f := e.folder(ch, "INBOX", acc, memCfg())
	runFolder(t, f)
	e.waitInbound(t, 1, 5*time.Second)
	if f.sessions.Load() < 2 {
		t.Fatalf("sessions = %d, want a reconnect after the panic", f.sessions.Load())
	}
}

// TestFolderNotFound reports the missing folder on the status.
func TestFolderNotFound(t *testing.T) {
	e := newEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", func(s *model.ChannelSettings) { s.Folders = []string{"INBOX", "Nao Existe"} })
	m := NewManager(e.st, e.svc, e.box, e.clk, e.log, memCfg())
	runManager(t, m)
	st := e.waitStatus(t, ch, 5*time.Second, func(s *store.ChannelStatus) bool { return s.LastErrorCode == string(providers.CodeFolderNotFound) })
	if !strings.Contains(st.LastError, `"Nao Existe"`) || st.State != store.SyncError {
		t.Fatalf("status %+v", st)
	}
	// INBOX still works. Its loop must have taken its first checkpoint
	// (history "none": mail present at the first connect is not imported)
	// before the test mail arrives, or the test races it under load.
	waitCheckpoint(t, e, ch, "INBOX", func(*store.SyncCheckpoint) bool { return true })
	ms.appendMsg(t, "ana", "INBOX", mail("Ok", "ok@x"), nil, e.clk.Now())
	e.waitInbound(t, 1, 10*time.Second)
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitCheckpoint(t testing.TB, e *env, ch *model.Channel, folder string, ok func(*store.SyncCheckpoint) bool) *store.SyncCheckpoint {
	t.Helper()
	var cp *store.SyncCheckpoint
	waitFor(t, "checkpoint", func() bool {
		var err error
		cp, err = e.st.GetSyncCheckpoint(ctx, ch.CompanyID, ch.ID, folder)
		return err == nil && ok(cp)
	})
	return cp
}

func appendIMAP(t testing.TB, c *imapclient.Client, mailbox string, raw []byte) uint32 {
	t.Helper()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	return uint32(data.UID)
}
