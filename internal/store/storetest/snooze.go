package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// snoozeTests are the conformance cases of store.Snoozes (snoozed tickets
// reopening once when two nodes race: ticket.TestSnoozeWakesOnceAcrossNodes).
func snoozeTests() []Case {
	return []Case{{"Snooze", testSnooze}}
}

func testSnooze(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "other")
	tk := f.ticket(t, s, "a")
	now := clk.Now().UTC().Truncate(time.Second)
	until := now.Add(2 * time.Hour)
	wantErr(t, s.SnoozeTicket(ctx, g.co.ID, tk.ID, until, now), store.ErrNotFound)
	must(t, s.SnoozeTicket(ctx, f.co.ID, tk.ID, until, now))
	got, err := s.TicketSnoozedUntil(ctx, f.co.ID, tk.ID)
	must(t, err)
	if !got.Equal(until) {
		t.Fatalf("snoozed until %v, want %v", got, until)
	}
	if tt, _ := s.GetTicket(ctx, f.co.ID, tk.ID); tt.Status != model.StatusPending {
		t.Fatalf("status %s", tt.Status)
	}
	// Another company, another time: nothing.
	for _, c := range []struct {
		co int64
		at time.Time
	}{{g.co.ID, until}, {f.co.ID, until.Add(time.Second)}} {
		if ok, err := s.WakeSnoozedTicket(ctx, c.co, tk.ID, c.at, now); err != nil || ok {
			t.Fatalf("woke %v %v", ok, err)
		}
	}
	ok, err := s.WakeSnoozedTicket(ctx, f.co.ID, tk.ID, until, until)
	must(t, err)
	tt, _ := s.GetTicket(ctx, f.co.ID, tk.ID)
	if !ok || tt.Status != model.StatusOpen {
		t.Fatalf("not woken: %v %s", ok, tt.Status)
	}
	if ok, _ := s.WakeSnoozedTicket(ctx, f.co.ID, tk.ID, until, until); ok {
		t.Fatal("woken twice")
	}
	// A status change away from pending clears the snooze (any code path).
	must(t, s.SnoozeTicket(ctx, f.co.ID, tk.ID, until, now))
	tt, _ = s.GetTicket(ctx, f.co.ID, tk.ID)
	tt.Status = model.StatusResolved
	must(t, s.UpdateTicket(ctx, tt))
	if got, _ := s.TicketSnoozedUntil(ctx, f.co.ID, tk.ID); !got.IsZero() {
		t.Fatalf("snooze kept after resolving: %v", got)
	}
	tt.Status = model.StatusPending
	must(t, s.UpdateTicket(ctx, tt))
	if ok, _ := s.WakeSnoozedTicket(ctx, f.co.ID, tk.ID, until, until); ok {
		t.Fatal("a cleared snooze woke the ticket")
	}
}
