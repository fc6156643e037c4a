package storetest

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// snoozeTests are the conformance cases of store.Snoozes, and of snoozed
// tickets reopening once when two nodes' workers race for the job.
func snoozeTests() []Case {
	return []Case{{"Snooze", testSnooze}, {"Snooze wakes once across nodes", testSnoozeAcrossNodes}}
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

func testSnoozeAcrossNodes(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := agentOf(t, s, f, "ana@acme.test")
	log := slog.New(slog.DiscardHandler)
	nodes := []*ticket.Service{ticket.New(s, nil, nil, nil, clk, log), ticket.New(s, nil, nil, nil, clk, log)}
	actor := ticket.Actor{CompanyID: f.co.ID, AgentID: a.ID, Admin: true}
	var tks []*model.Ticket
	for i := 0; i < 6; i++ {
		tk := f.ticket(t, s, "snooze"+string(rune('a'+i)))
		if _, err := nodes[i%2].Snooze(ctx, actor, tk.ID, clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		tks = append(tks, tk)
	}
	if n, err := nodes[0].WakeSnoozed(ctx, 50); err != nil || n != 0 {
		t.Fatalf("woke %d before the time (%v)", n, err)
	}
	clk.Advance(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				k, err := n.WakeSnoozed(ctx, 2)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += k
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if total != len(tks) {
		t.Fatalf("%d jobs done, want %d", total, len(tks))
	}
	for _, tk := range tks {
		got, _ := s.GetTicket(ctx, f.co.ID, tk.ID)
		msgs, err := s.ListMessages(ctx, f.co.ID, tk.ID)
		must(t, err)
		ended := 0
		for _, m := range msgs {
			if m.Meta["event"] == "snooze_ended" {
				ended++
			}
		}
		if got.Status != model.StatusOpen || ended != 1 {
			t.Fatalf("ticket %d: %s, %d reopening notes", tk.ID, got.Status, ended)
		}
	}
}
