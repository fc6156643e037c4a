package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

func readTests() []Case {
	return []Case{{"Ticket reads per agent", testTicketReads}}
}

// Issue 16: "unread" is kept per agent on the server: each agent's own
// last-opened time per ticket, moved forward by opening again, never
// recorded on another company's ticket.
func testTicketReads(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	a, b := f.ticket(t, s, "a"), f.ticket(t, s, "b")
	foreign := other.ticket(t, s, "x")
	const ana, bruno = 101, 102

	must(t, s.MarkTicketRead(ctx, f.co.ID, ana, a.ID))
	first := clk.Now()
	clk.Advance(time.Hour)
	must(t, s.MarkTicketRead(ctx, f.co.ID, bruno, a.ID))
	must(t, s.MarkTicketRead(ctx, f.co.ID, ana, foreign.ID)) // another company's id: no mark
	got, err := s.TicketReads(ctx, f.co.ID, ana, []int64{a.ID, b.ID, foreign.ID})
	must(t, err)
	if len(got) != 1 || !got[a.ID].Equal(first) {
		t.Fatalf("ana's reads = %v, want only ticket a at %v", got, first)
	}
	if o, err := s.TicketReads(ctx, other.co.ID, ana, []int64{foreign.ID}); err != nil || len(o) != 0 {
		t.Fatalf("a mark on another company's ticket: %v %v", o, err)
	}
	must(t, s.MarkTicketRead(ctx, f.co.ID, ana, a.ID))
	got, err = s.TicketReads(ctx, f.co.ID, ana, []int64{a.ID})
	must(t, err)
	if !got[a.ID].Equal(clk.Now()) {
		t.Fatalf("second open: %v, want %v", got[a.ID], clk.Now())
	}
	br, err := s.TicketReads(ctx, f.co.ID, bruno, []int64{a.ID, b.ID})
	must(t, err)
	if len(br) != 1 || !br[a.ID].Equal(first.Add(time.Hour)) {
		t.Fatalf("bruno's reads = %v", br)
	}
	if none, err := s.TicketReads(ctx, f.co.ID, ana, nil); err != nil || len(none) != 0 {
		t.Fatalf("no ids: %v %v", none, err)
	}
}
