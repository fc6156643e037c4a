package storetest

import (
	"fmt"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func ticketGroupTests() []Case {
	return []Case{
		{"Open ticket groups give the view counts", testTicketGroups},
	}
}

// testTicketGroups: store.ViewCounts over CountOpenTicketGroups equals
// CountTicketViews for agents in no team, one team and two, and admins,
// over every mix of status, assignee and team; other companies' tickets
// are not counted.
func testTicketGroups(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "beta")
	t1 := &model.Team{CompanyID: f.co.ID, Name: "N1"}
	t2 := &model.Team{CompanyID: f.co.ID, Name: "N2"}
	t3 := &model.Team{CompanyID: f.co.ID, Name: "N3"}
	for _, tm := range []*model.Team{t1, t2, t3} {
		must(t, s.CreateTeam(ctx, tm))
	}
	ana := agentOf(t, s, f, "ana@acme.test")
	bia := agentOf(t, s, f, "bia@acme.test")
	statuses := []model.TicketStatus{model.StatusOpen, model.StatusPending, model.StatusResolved, model.StatusClosed}
	i := 0
	for _, st := range statuses {
		for _, team := range []int64{0, t1.ID, t2.ID, t3.ID} {
			for _, as := range []int64{0, ana.ID, bia.ID} {
				for range 1 + i%3 {
					tk := f.ticket(t, s, fmt.Sprintf("t%d", i))
					tk.Status, tk.TeamID, tk.AssigneeID = st, team, as
					must(t, s.UpdateTicket(ctx, tk))
					i++
				}
			}
		}
	}
	other.ticket(t, s, "elsewhere")
	groups, err := s.CountOpenTicketGroups(ctx, f.co.ID)
	must(t, err)
	total := 0
	for _, g := range groups {
		if g.Status != model.StatusOpen && g.Status != model.StatusPending {
			t.Fatalf("group of status %q", g.Status)
		}
		total += g.N
	}
	if total == 0 {
		t.Fatal("no groups")
	}
	for _, me := range []store.TicketScope{
		{AssigneeID: ana.ID},
		{AssigneeID: ana.ID, TeamIDs: []int64{t1.ID}},
		{AssigneeID: bia.ID, TeamIDs: []int64{t1.ID, t3.ID}},
		{AssigneeID: 0, TeamIDs: []int64{t2.ID}},
	} {
		for _, admin := range []bool{false, true} {
			want, err := s.CountTicketViews(ctx, f.co.ID, me, admin)
			must(t, err)
			if got := store.ViewCounts(groups, me, admin); got != *want {
				t.Errorf("%+v admin=%v: groups give %+v, CountTicketViews %+v", me, admin, got, *want)
			}
		}
	}
	if g, err := s.CountOpenTicketGroups(ctx, other.co.ID); err != nil || len(g) != 1 || g[0].N != 1 {
		t.Fatalf("other company: %+v, %v", g, err)
	}
}
