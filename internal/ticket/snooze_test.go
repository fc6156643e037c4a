package ticket_test

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// TestSnoozeWakesOnceAcrossNodes: two nodes' ticket services (one
// database) race for the due snooze jobs; every snoozed ticket reopens
// once, with one "snooze ended" note. On SQLite and PostgreSQL (it was a
// case of the store conformance suite, which should not import this
// package).
func TestSnoozeWakesOnceAcrossNodes(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		testSnoozeAcrossNodes(t, e)
	})
}

func testSnoozeAcrossNodes(t *testing.T, e *env) {
	s, clk := e.st, e.clk
	log := slog.New(slog.DiscardHandler)
	nodes := []*ticket.Service{ticket.New(s, nil, nil, nil, clk, log), ticket.New(s, nil, nil, nil, clk, log)}
	actor := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, Admin: true}
	var tks []*model.Ticket
	for i := 0; i < 6; i++ {
		tk := e.ticket(t, "snooze"+string(rune('a'+i)), 0)
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
		got, _ := s.GetTicket(ctx, e.co.ID, tk.ID)
		msgs, err := s.ListMessages(ctx, e.co.ID, tk.ID)
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
