package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// syncTests are the conformance cases of the store.Sync group.
func syncTests() []Case {
	return []Case{
		{"Sync checkpoints", testSyncCheckpoints},
		{"Channel status", testChannelStatus},
		{"Sync company isolation", testSyncIsolation},
	}
}

func testSyncCheckpoints(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	_, err := s.GetSyncCheckpoint(ctx, f.co.ID, f.ch.ID, "INBOX")
	wantErr(t, err, store.ErrNotFound)
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cp := &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID, Folder: "INBOX", UIDValidity: 4294967295, LastUID: 4000000000,
		ImportUntil: 4000000100, ImportTotal: 10000, ImportDone: 2500, SyncedSince: since}
	must(t, s.PutSyncCheckpoint(ctx, cp))
	if cp.UpdatedAt.IsZero() {
		t.Fatal("UpdatedAt not set")
	}
	got, err := s.GetSyncCheckpoint(ctx, f.co.ID, f.ch.ID, "INBOX")
	must(t, err)
	if got.UIDValidity != 4294967295 || got.LastUID != 4000000000 || got.ImportUntil != 4000000100 || got.ImportTotal != 10000 ||
		got.ImportDone != 2500 || got.ImportComplete || !got.SyncedSince.Equal(since) || got.Folder != "INBOX" {
		t.Fatalf("got %+v", got)
	}
	cp.LastUID, cp.ImportDone, cp.ImportComplete, cp.SyncedSince = 4000000100, 10000, true, time.Time{}
	must(t, s.PutSyncCheckpoint(ctx, cp))
	must(t, s.PutSyncCheckpoint(ctx, &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID, Folder: "Arquivo/Vendas", UIDValidity: 7, LastUID: 1}))
	got, err = s.GetSyncCheckpoint(ctx, f.co.ID, f.ch.ID, "INBOX")
	must(t, err)
	if got.LastUID != 4000000100 || got.ImportDone != 10000 || !got.ImportComplete || !got.SyncedSince.IsZero() {
		t.Fatalf("after update %+v", got)
	}
	all, err := s.ListSyncCheckpoints(ctx, f.co.ID, f.ch.ID)
	must(t, err)
	if len(all) != 2 || all[0].Folder != "Arquivo/Vendas" || all[1].Folder != "INBOX" || all[0].UIDValidity != 7 {
		t.Fatalf("list = %+v", all)
	}
	// A missing channel is refused.
	wantErr(t, s.PutSyncCheckpoint(ctx, &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID + 999, Folder: "INBOX"}), store.ErrNotFound)
	must(t, s.DeleteSyncCheckpoints(ctx, f.co.ID, f.ch.ID))
	all, err = s.ListSyncCheckpoints(ctx, f.co.ID, f.ch.ID)
	must(t, err)
	if len(all) != 0 {
		t.Fatalf("after delete: %+v", all)
	}
	must(t, s.DeleteSyncCheckpoints(ctx, f.co.ID, f.ch.ID)) // nothing left: still fine
}

func testChannelStatus(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	ch2 := &model.Channel{CompanyID: f.co.ID, Slug: "vendas", Name: "Vendas", Enabled: true, Incoming: model.ConnExternal,
		Outgoing: model.ConnExternal, InboundToken: "tok-vendas"}
	must(t, s.CreateChannel(ctx, ch2))
	_, err := s.GetChannelStatus(ctx, f.co.ID, f.ch.ID)
	wantErr(t, err, store.ErrNotFound)
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	st := &store.ChannelStatus{CompanyID: f.co.ID, ChannelID: f.ch.ID, State: store.SyncSyncing, Done: 40, Total: 100, LastMessageAt: at}
	must(t, s.PutChannelStatus(ctx, st))
	got, err := s.GetChannelStatus(ctx, f.co.ID, f.ch.ID)
	must(t, err)
	if got.State != store.SyncSyncing || got.Done != 40 || got.Total != 100 || !got.LastMessageAt.Equal(at) ||
		!got.LastErrorAt.IsZero() || got.LastError != "" || got.UpdatedAt.IsZero() {
		t.Fatalf("got %+v", got)
	}
	st.State, st.LastError, st.LastErrorCode, st.LastErrorAt = store.SyncReconnectNeeded, "Falha na autenticação", "auth_failed", at.Add(time.Minute)
	must(t, s.PutChannelStatus(ctx, st))
	must(t, s.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: f.co.ID, ChannelID: ch2.ID, State: store.SyncIdle}))
	list, err := s.ListChannelStatus(ctx, f.co.ID)
	must(t, err)
	if len(list) != 2 || list[0].ChannelID != f.ch.ID || list[0].State != store.SyncReconnectNeeded || list[0].LastErrorCode != "auth_failed" ||
		list[0].LastError != "Falha na autenticação" || !list[0].LastErrorAt.Equal(at.Add(time.Minute)) || list[1].State != store.SyncIdle {
		t.Fatalf("list = %+v", list)
	}
	// Unknown states are rejected by the schema.
	if err := s.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: f.co.ID, ChannelID: ch2.ID, State: "bogus"}); err == nil {
		t.Fatal("state bogus accepted")
	}
}

func testSyncIsolation(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	must(t, s.PutSyncCheckpoint(ctx, &store.SyncCheckpoint{CompanyID: a.co.ID, ChannelID: a.ch.ID, Folder: "INBOX", UIDValidity: 1, LastUID: 10}))
	must(t, s.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: a.co.ID, ChannelID: a.ch.ID, State: store.SyncIdle}))
	B := b.co.ID
	_, err := s.GetSyncCheckpoint(ctx, B, a.ch.ID, "INBOX")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetChannelStatus(ctx, B, a.ch.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.PutSyncCheckpoint(ctx, &store.SyncCheckpoint{CompanyID: B, ChannelID: a.ch.ID, Folder: "INBOX", UIDValidity: 1, LastUID: 99}), store.ErrNotFound)
	wantErr(t, s.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: B, ChannelID: a.ch.ID, State: store.SyncError}), store.ErrNotFound)
	must(t, s.DeleteSyncCheckpoints(ctx, B, a.ch.ID))
	cps, err := s.ListSyncCheckpoints(ctx, B, a.ch.ID)
	must(t, err)
	sts, err := s.ListChannelStatus(ctx, B)
	must(t, err)
	if len(cps) != 0 || len(sts) != 0 {
		t.Fatalf("B sees A's sync rows: %+v %+v", cps, sts)
	}
	cp, err := s.GetSyncCheckpoint(ctx, a.co.ID, a.ch.ID, "INBOX")
	must(t, err)
	st, err := s.GetChannelStatus(ctx, a.co.ID, a.ch.ID)
	must(t, err)
	if cp.LastUID != 10 || st.State != store.SyncIdle {
		t.Fatalf("A's rows changed: %+v %+v", cp, st)
	}
}
