package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func outboxTests() []Case {
	return []Case{{"Outbox sends and pauses", testOutbox}}
}

func testOutbox(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	day := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		must(t, s.RecordSend(ctx, a.co.ID, a.ch.ID, i, day.Add(time.Duration(i)*time.Hour)))
	}
	must(t, s.RecordSend(ctx, a.co.ID, a.ch.ID, 3, day.Add(5*time.Hour))) // idempotent per message
	must(t, s.RecordSend(ctx, a.co.ID, a.ch.ID, 9, day.Add(-time.Hour)))  // yesterday
	n, err := s.CountSends(ctx, a.co.ID, a.ch.ID, day)
	must(t, err)
	if n != 3 {
		t.Fatalf("sends today = %d, want 3", n)
	}
	if n, _ := s.CountSends(ctx, b.co.ID, a.ch.ID, day); n != 0 {
		t.Fatalf("company B sees A's sends: %d", n)
	}
	tk := a.ticket(t, s, "q")
	for i := 0; i < 2; i++ {
		must(t, s.CreateMessage(ctx, &model.Message{CompanyID: a.co.ID, TicketID: tk.ID, ChannelID: a.ch.ID, Direction: model.DirOut, Status: model.MsgQueued}))
	}
	if n, _ := s.CountQueued(ctx, a.co.ID, a.ch.ID); n != 2 {
		t.Fatalf("queued = %d", n)
	}
	until, _, err := s.ChannelPause(ctx, a.co.ID, a.ch.ID)
	must(t, err)
	if !until.IsZero() {
		t.Fatal("pause without one set")
	}
	must(t, s.PauseChannel(ctx, a.co.ID, a.ch.ID, day.Add(24*time.Hour), "550 5.4.5 Daily user sending limit exceeded"))
	must(t, s.PauseChannel(ctx, a.co.ID, a.ch.ID, day.Add(25*time.Hour), "again"))
	until, reason, err := s.ChannelPause(ctx, a.co.ID, a.ch.ID)
	must(t, err)
	if !until.Equal(day.Add(25*time.Hour)) || reason != "again" {
		t.Fatalf("pause = %v %q", until, reason)
	}
	wantErr(t, s.PauseChannel(ctx, b.co.ID, a.ch.ID, day, "x"), store.ErrNotFound)

	// Auto-reply window: one per contact and channel per window.
	window := 24 * time.Hour
	claim := func(at time.Time, addr string) bool {
		ok, err := s.ClaimAutoReply(ctx, a.co.ID, a.ch.ID, addr, at, at.Add(-window))
		must(t, err)
		return ok
	}
	if !claim(day, "Maria@Example.com") {
		t.Fatal("first auto-reply refused")
	}
	if claim(day.Add(time.Hour), "maria@example.com") {
		t.Fatal("second auto-reply inside the window allowed")
	}
	if !claim(day.Add(time.Hour), "joao@example.com") {
		t.Fatal("another contact refused")
	}
	if !claim(day.Add(25*time.Hour), "maria@example.com") {
		t.Fatal("auto-reply after the window refused")
	}
	if u, _, _ := s.ChannelPause(ctx, b.co.ID, a.ch.ID); !u.IsZero() {
		t.Fatal("company B sees A's pause")
	}
}
