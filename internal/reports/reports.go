package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// MaxDays bounds a report's range.
const MaxDays = 366

// ErrRange: the range is empty, reversed or longer than MaxDays.
var ErrRange = errors.New("reports: the range must run forward and span at most 366 days")

// Stats summarise durations.
type Stats struct {
	Count  int
	Median time.Duration
	P90    time.Duration
}

// Row is one day of one team (TeamID 0 in a Total row: every team).
type Row struct {
	Day            time.Time // midnight in the report's zone
	TeamID         int64     // 0: no team (or, in Totals, every team)
	Opened         int
	Resolved       int
	FirstResponse  Stats
	Resolution     Stats
	firstResponses []time.Duration
	resolutions    []time.Duration
}

// Report is a range's rows: Days has one row per day for every team
// together; ByTeam one row per day and team with any activity; Total
// sums the whole range.
type Report struct {
	From, To time.Time // first day, day after the last (midnight in Loc)
	Loc      *time.Location
	Days     []Row
	ByTeam   []Row
	Total    Row
}

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of ds,
// which it sorts; 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(math.Ceil(p / 100 * float64(len(ds))))
	rank = min(max(rank, 1), len(ds))
	return ds[rank-1]
}

func stats(ds []time.Duration) Stats {
	return Stats{Count: len(ds), Median: Percentile(ds, 50), P90: Percentile(ds, 90)}
}

// dayOf is the midnight of t's day in loc.
func dayOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// DayRange turns the first and last day (dates, any zone) into the
// instants [From, To) in loc, checking the range.
func DayRange(first, last time.Time, loc *time.Location) (from, to time.Time, err error) {
	from = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
	to = time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
	days := 0
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		days++
	}
	if days < 1 || days > MaxDays {
		return from, to, ErrRange
	}
	return from, to, nil
}

// Build aggregates tickets into a report of the days [from, to) in loc
// (from and to are midnights in loc, as DayRange gives).
func Build(tickets []store.ReportTicket, from, to time.Time, loc *time.Location) *Report {
	r := &Report{From: from, To: to, Loc: loc}
	index := map[time.Time]int{}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		index[d] = len(r.Days)
		r.Days = append(r.Days, Row{Day: d})
	}
	type key struct {
		day  time.Time
		team int64
	}
	teams := map[key]*Row{}
	team := func(day time.Time, id int64) *Row {
		k := key{day, id}
		if teams[k] == nil {
			teams[k] = &Row{Day: day, TeamID: id}
		}
		return teams[k]
	}
	in := func(t time.Time) bool { return !t.IsZero() && !t.Before(from) && t.Before(to) }
	for _, tk := range tickets {
		if in(tk.CreatedAt) {
			d := dayOf(tk.CreatedAt, loc)
			for _, row := range []*Row{&r.Days[index[d]], team(d, tk.TeamID), &r.Total} {
				row.Opened++
				if !tk.FirstResponseAt.IsZero() {
					row.firstResponses = append(row.firstResponses, max(0, tk.FirstResponseAt.Sub(tk.CreatedAt)))
				}
			}
		}
		if in(tk.ResolvedAt) {
			d := dayOf(tk.ResolvedAt, loc)
			for _, row := range []*Row{&r.Days[index[d]], team(d, tk.TeamID), &r.Total} {
				row.Resolved++
				row.resolutions = append(row.resolutions, max(0, tk.ResolvedAt.Sub(tk.CreatedAt)))
			}
		}
	}
	finish := func(row *Row) {
		row.FirstResponse, row.Resolution = stats(row.firstResponses), stats(row.resolutions)
	}
	for i := range r.Days {
		finish(&r.Days[i])
	}
	for _, row := range teams {
		finish(row)
		r.ByTeam = append(r.ByTeam, *row)
	}
	slices.SortFunc(r.ByTeam, func(a, b Row) int {
		if c := a.Day.Compare(b.Day); c != 0 {
			return c
		}
		return int(a.TeamID - b.TeamID)
	})
	finish(&r.Total)
	return r
}

// Source is the store part reports read.
type Source interface {
	ReportTickets(ctx context.Context, companyID int64, f store.ReportFilter) ([]store.ReportTicket, error)
}

// Run reads and builds the report of a company's days [from, to) in loc.
func Run(ctx context.Context, src Source, companyID, teamID int64, from, to time.Time, loc *time.Location) (*Report, error) {
	ts, err := src.ReportTickets(ctx, companyID, store.ReportFilter{From: from, To: to, TeamID: teamID})
	if err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	return Build(ts, from, to, loc), nil
}
