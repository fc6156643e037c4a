package reports

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// The period rules the reports page and GET /api/v1/reports share.

// Errors of ParsePeriod (with ErrRange).
var (
	ErrDate = errors.New("reports: from and to must be dates (yyyy-mm-dd)")
	ErrTeam = errors.New("reports: team must be one of the company's team ids")
)

// Period is a report's filters once read: the first and last day
// (yyyy-mm-dd), the team (0: every team), and the instants [Start, End)
// in Loc they cover.
type Period struct {
	From, To   string
	TeamID     int64
	Start, End time.Time
	Loc        *time.Location
}

// ParsePeriod reads the filters from (first day), to (last day) and team
// (an id; "" or 0 for every team): the days default to the last 7 up to
// today in loc (now's day there). teams are the company's team ids: a
// team outside them is ErrTeam. The Period is filled as far as it could
// be read even with an error (a form shows it again).
func ParsePeriod(from, to, team string, now time.Time, loc *time.Location, teams []int64) (Period, error) {
	today := now.In(loc)
	p := Period{From: from, To: to, Loc: loc}
	if p.To == "" {
		p.To = today.Format(time.DateOnly)
	}
	if p.From == "" {
		p.From = today.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	first, err1 := time.Parse(time.DateOnly, p.From)
	last, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil {
		return p, ErrDate
	}
	if team != "" {
		id, err := strconv.ParseInt(team, 10, 64)
		if err != nil || id < 0 {
			return p, ErrTeam
		}
		p.TeamID = id
	}
	var err error
	if p.Start, p.End, err = DayRange(first, last, loc); err != nil {
		return p, err
	}
	known := p.TeamID == 0
	for _, id := range teams {
		known = known || id == p.TeamID
	}
	if !known {
		return p, ErrTeam // another company's team, or none
	}
	return p, nil
}

// CSVLabels are the CSV's header cells and the team column's value for
// every team together, in the reader's language.
type CSVLabels struct {
	Header   [8]string // day, team, opened, resolved, fr median, fr p90, res median, res p90
	AllTeams string
}

// WriteCSV writes the report as CSV: one line per day (every team, or
// the one team filtered), then, for every team, one line per day and
// team with activity. Times are minutes with one decimal ("" when
// nothing was measured); names are teams' by id.
func WriteCSV(w io.Writer, rep *Report, teamID int64, names map[int64]string, l CSVLabels) error {
	cw := csv.NewWriter(w)
	cw.Write(l.Header[:])
	line := func(x Row, team string) {
		cw.Write([]string{x.Day.Format(time.DateOnly), csvCell(team), strconv.Itoa(x.Opened), strconv.Itoa(x.Resolved),
			minutes(x.FirstResponse.Median, x.FirstResponse.Count), minutes(x.FirstResponse.P90, x.FirstResponse.Count),
			minutes(x.Resolution.Median, x.Resolution.Count), minutes(x.Resolution.P90, x.Resolution.Count)})
	}
	all := l.AllTeams
	if teamID != 0 {
		all = names[teamID]
	}
	for _, d := range rep.Days {
		line(d, all)
	}
	if teamID == 0 {
		for _, d := range rep.ByTeam {
			line(d, names[d.TeamID])
		}
	}
	cw.Flush()
	return cw.Error()
}

// minutes is a duration in minutes for CSV ("" when nothing was
// measured: n is 0).
func minutes(d time.Duration, n int) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(d.Minutes(), 'f', 1, 64)
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
