package reports_test

import (
	"context"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/reports"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
)

var ctx = context.Background()

// TestRunOnSeededTickets checks the report's numbers against the seeded
// tickets of storetest.SeedReports (known times, two days in São Paulo,
// two teams) on SQLite and PostgreSQL; another company's identical
// tickets never count.
func TestRunOnSeededTickets(t *testing.T) {
	for _, d := range teststore.Dialects {
		t.Run(d, func(t *testing.T) {
			clk := testclock.New(t)
			testReports(t, teststore.Open(t, d, clk), clk)
		})
	}
}

// company is a company with a channel, a contact and an agent.
func company(t *testing.T, s store.Store, slug string) (*model.Company, *model.Channel, *model.Contact, *model.Agent) {
	t.Helper()
	co, ch, ct := storetest.Company(t, s, slug)
	a := &model.Agent{CompanyID: co.ID, Email: "ana@" + slug + ".test", Name: "Ana", Role: model.RoleAgent, Language: "en"}
	must(t, s.CreateAgent(ctx, a))
	return co, ch, ct, a
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testReports(t *testing.T, s store.Store, clk *clock.Fake) {
	co, ch, ct, a := company(t, s, "acme")
	seed := storetest.SeedReports(t, s, clk, co, ch.ID, ct.ID, a.ID)
	// Another company's tickets never count.
	gco, gch, gct, b := company(t, s, "other")
	clk.Set(seed.Base)
	storetest.SeedReports(t, s, clk, gco, gch.ID, gct.ID, b.ID)

	from, to, err := reports.DayRange(seed.Base, seed.Base.AddDate(0, 0, 1), seed.Loc)
	must(t, err)
	r, err := reports.Run(ctx, s, co.ID, 0, from, to, seed.Loc)
	must(t, err)
	type want struct {
		opened, resolved         int
		frMed, frP90, resMed, rp time.Duration
	}
	check := func(name string, row reports.Row, w want) {
		t.Helper()
		got := want{row.Opened, row.Resolved, row.FirstResponse.Median, row.FirstResponse.P90, row.Resolution.Median, row.Resolution.P90}
		if got != w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
	}
	if len(r.Days) != 2 {
		t.Fatalf("%d days, want 2", len(r.Days))
	}
	check("day 0", r.Days[0], want{4, 3, 30 * time.Minute, 90 * time.Minute, 2 * time.Hour, 15 * time.Hour})
	check("day 1", r.Days[1], want{1, 2, 4 * time.Hour, 4 * time.Hour, 6 * time.Hour, 24 * time.Hour})
	check("total", r.Total, want{5, 5, 30 * time.Minute, 4 * time.Hour, 6 * time.Hour, 24 * time.Hour})
	if !r.Days[1].Day.Equal(seed.Base.AddDate(0, 0, 1)) {
		t.Errorf("day 1 is %v", r.Days[1].Day)
	}
	byTeam := map[[2]int64]reports.Row{}
	for _, row := range r.ByTeam {
		byTeam[[2]int64{row.Day.Unix(), row.TeamID}] = row
	}
	d0, d1 := seed.Base.Unix(), seed.Base.AddDate(0, 0, 1).Unix()
	check("day 0 team A", byTeam[[2]int64{d0, seed.TeamA}], want{2, 2, 30 * time.Minute, 90 * time.Minute, 2 * time.Hour, 15 * time.Hour})
	check("day 0 no team", byTeam[[2]int64{d0, 0}], want{1, 1, 0, 0, time.Hour, time.Hour})
	check("day 1 team B", byTeam[[2]int64{d1, seed.TeamB}], want{1, 1, 4 * time.Hour, 4 * time.Hour, 6 * time.Hour, 6 * time.Hour})

	rb, err := reports.Run(ctx, s, co.ID, seed.TeamB, from, to, seed.Loc)
	must(t, err)
	check("team B day 0", rb.Days[0], want{1, 0, 10 * time.Minute, 10 * time.Minute, 0, 0})
	check("team B day 1", rb.Days[1], want{1, 1, 4 * time.Hour, 4 * time.Hour, 6 * time.Hour, 6 * time.Hour})
}
