package reports

import (
	"errors"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func TestPercentile(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", []time.Duration{7 * m}, 90, 7 * m},
		{"median of two is the lower", []time.Duration{9 * m, 1 * m}, 50, 1 * m},
		{"median of three", []time.Duration{3 * m, 1 * m, 2 * m}, 50, 2 * m},
		{"p90 of ten is the ninth", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{"p90 of eleven is the tenth", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10},
		{"p100 is the max", []time.Duration{5, 1, 3}, 100, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDayRange(t *testing.T) {
	loc := model.LoadLocation("America/Sao_Paulo")
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	from, to, err := DayRange(d, d.AddDate(0, 0, 6), loc)
	if err != nil || !from.Equal(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)) || !to.Equal(time.Date(2026, 3, 8, 3, 0, 0, 0, time.UTC)) {
		t.Fatalf("range %v – %v (%v)", from, to, err)
	}
	if _, _, err := DayRange(d, d.AddDate(0, 0, -1), loc); !errors.Is(err, ErrRange) {
		t.Fatalf("reversed: %v", err)
	}
	if _, _, err := DayRange(d, d.AddDate(0, 0, MaxDays), loc); !errors.Is(err, ErrRange) {
		t.Fatalf("too long: %v", err)
	}
	if _, _, err := DayRange(d, d.AddDate(0, 0, MaxDays-1), loc); err != nil {
		t.Fatalf("longest: %v", err)
	}
}

// A day is the company's: a ticket at 01:00 UTC belongs to the previous
// day in São Paulo (UTC-3), and one outside the range is not counted.
func TestBuildDaysInZone(t *testing.T) {
	loc := model.LoadLocation("America/Sao_Paulo")
	d := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	from, to, _ := DayRange(d, d.AddDate(0, 0, 1), loc)
	r := Build([]store.ReportTicket{
		{ID: 1, CreatedAt: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)},                                                                      // 1 Mar 22:00 local
		{ID: 2, CreatedAt: time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2026, 3, 3, 4, 0, 0, 0, time.UTC)},             // resolved after the range
		{ID: 3, CreatedAt: time.Date(2026, 2, 20, 4, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), TeamID: 7}, // resolved at the first instant
	}, from, to, loc)
	if r.Days[0].Opened != 1 || r.Days[1].Opened != 1 || r.Days[0].Resolved != 1 || r.Days[1].Resolved != 0 || r.Total.Resolved != 1 {
		t.Fatalf("days %+v %+v", r.Days[0], r.Days[1])
	}
	if r.Days[0].Resolution.Median != 8*24*time.Hour+23*time.Hour {
		t.Fatalf("resolution %v", r.Days[0].Resolution.Median)
	}
	if len(r.ByTeam) != 3 || r.ByTeam[0].TeamID != 0 || r.ByTeam[1].TeamID != 7 {
		t.Fatalf("by team %+v", r.ByTeam)
	}
}

func TestParsePeriod(t *testing.T) {
	loc := time.FixedZone("BRT", -3*3600)
	now := time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC) // Dec 5 22:30 in loc
	for _, tc := range []struct {
		name, from, to, team string
		teams                []int64
		wantFrom, wantTo     string
		wantTeam             int64
		err                  error
	}{
		{"defaults: the last 7 days up to today in loc", "", "", "", nil, "2026-11-29", "2026-12-05", 0, nil},
		{"one team", "2026-12-01", "2026-12-02", "7", []int64{7}, "2026-12-01", "2026-12-02", 7, nil},
		{"team 0 is every team", "2026-12-01", "2026-12-01", "0", nil, "2026-12-01", "2026-12-01", 0, nil},
		{"bad date", "2026-13-01", "", "", nil, "2026-13-01", "2026-12-05", 0, ErrDate},
		{"reversed", "2026-12-02", "2026-12-01", "", nil, "", "", 0, ErrRange},
		{"too long", "2024-01-01", "2026-01-01", "", nil, "", "", 0, ErrRange},
		{"another company's team", "", "", "9", []int64{7}, "", "", 9, ErrTeam},
		{"not a team id", "", "", "-1", []int64{7}, "", "", 0, ErrTeam},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePeriod(tc.from, tc.to, tc.team, now, loc, tc.teams)
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if tc.wantFrom != "" && (p.From != tc.wantFrom || p.To != tc.wantTo) {
				t.Fatalf("period %s..%s", p.From, p.To)
			}
			if p.TeamID != tc.wantTeam {
				t.Fatalf("team %d", p.TeamID)
			}
			if tc.err == nil && (!p.Start.Equal(time.Date(p.Start.Year(), p.Start.Month(), p.Start.Day(), 0, 0, 0, 0, loc)) || p.Start.Format(time.DateOnly) != p.From) {
				t.Fatalf("start %v", p.Start)
			}
		})
	}
}
