package ui

import (
	"context"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// groupStore counts CountOpenTicketGroups calls; during may announce a
// change while the count runs.
type groupStore struct {
	store.Store
	calls  int
	during func()
}

func (g *groupStore) CountOpenTicketGroups(ctx context.Context, companyID int64) ([]store.TicketGroup, error) {
	g.calls++
	if g.during != nil {
		g.during()
	}
	return []store.TicketGroup{{Status: "open", N: g.calls}}, nil
}

// TestViewCountsGenerations: an answer counted while a change was
// announced is not kept (it may predate the change); Changed and
// ChangedAll forget kept answers; companies are kept apart.
func TestViewCountsGenerations(t *testing.T) {
	bg := context.Background()
	now := time.Unix(1_000_000, 0)
	c := NewViewCounts(0)
	st := &groupStore{}
	get := func(co int64) int {
		t.Helper()
		g, err := c.groups(bg, st, co, now)
		if err != nil {
			t.Fatal(err)
		}
		return g[0].N
	}
	st.during = func() { c.Changed(1) }
	if get(1) != 1 || get(1) != 2 {
		t.Fatal("an answer counted during a change was kept")
	}
	st.during = nil
	if get(1) != 3 || get(1) != 3 {
		t.Fatal("answer not kept")
	}
	if get(2) != 4 || get(2) != 4 {
		t.Fatal("company 2 not kept apart")
	}
	c.Changed(1)
	if get(1) != 5 || get(2) != 4 {
		t.Fatal("Changed(1) did not forget company 1 only")
	}
	st.during = func() { c.ChangedAll() }
	c.ChangedAll()
	if get(1) != 6 || get(1) != 7 {
		t.Fatal("an answer counted during ChangedAll was kept")
	}
	st.during = nil
	c.MaxAge = time.Minute
	if get(2) != 8 || get(2) != 8 {
		t.Fatal("not kept after ChangedAll")
	}
	now = now.Add(time.Minute)
	if get(2) != 9 {
		t.Fatal("kept past MaxAge")
	}
}
