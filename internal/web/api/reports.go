package api

import (
	"errors"
	"fmt"
	"github.com/atende-helpdesk/atende/internal/directory"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/reports"
)

// Reports (admins), as the UI's /reports: per day and team, tickets
// opened and resolved, first-response and resolution median and p90, in
// the company's time zone, with the same period rules
// (reports.ParsePeriod: from/to yyyy-mm-dd, default the last 7 days up to
// today; team an id, 0 or absent for every team). JSON, or CSV with
// format=csv or Accept: text/csv.

type statsView struct {
	Count         int     `json:"count"`
	MedianSeconds float64 `json:"median_seconds"`
	P90Seconds    float64 `json:"p90_seconds"`
}

type reportRowView struct {
	Day           string    `json:"day"` // yyyy-mm-dd
	TeamID        int64     `json:"team_id"`
	Opened        int       `json:"opened"`
	Resolved      int       `json:"resolved"`
	FirstResponse statsView `json:"first_response"`
	Resolution    statsView `json:"resolution"`
}

type reportView struct {
	From   string          `json:"from"`
	To     string          `json:"to"`
	TeamID int64           `json:"team_id"`
	Zone   string          `json:"zone"`
	Days   []reportRowView `json:"days"`
	ByTeam []reportRowView `json:"by_team"`
	Total  reportRowView   `json:"total"`
}

func viewStats(s reports.Stats) statsView {
	return statsView{Count: s.Count, MedianSeconds: s.Median.Seconds(), P90Seconds: s.P90.Seconds()}
}

func viewReportRow(x reports.Row) reportRowView {
	return reportRowView{Day: x.Day.Format(time.DateOnly), TeamID: x.TeamID, Opened: x.Opened, Resolved: x.Resolved,
		FirstResponse: viewStats(x.FirstResponse), Resolution: viewStats(x.Resolution)}
}

// csvLabels are the API's CSV header and "every team" label: those of
// the UI's English CSV (/reports.csv), so both files read the same.
var csvLabels = reports.CSVLabels{AllTeams: "All teams", Header: [8]string{"day", "team", "opened", "resolved",
	"first_response_median_min", "first_response_p90_min", "resolution_median_min", "resolution_p90_min"}}

// wantsCSV: format=csv, or an Accept preferring text/csv (format=json
// wins over Accept).
func wantsCSV(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
	default:
		return false, directory.Invalid("format", "must be json or csv")
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/csv":
			return true, nil
		case "application/json", "*/*":
			return false, nil
		}
	}
	return false, nil
}

func (d Deps) report(w http.ResponseWriter, r *http.Request) {
	asCSV, err := wantsCSV(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	co, err := d.Store.GetCompany(r.Context(), p.CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	loc := co.Location()
	teams, err := d.Directory.ListTeams(r.Context(), p.CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	names := map[int64]string{0: "No team"}
	var ids []int64
	for _, t := range teams {
		names[t.ID] = t.Name
		ids = append(ids, t.ID)
	}
	q := r.URL.Query()
	per, err := reports.ParsePeriod(q.Get("from"), q.Get("to"), q.Get("team"), d.Auth.Svc.Now(), loc, ids)
	switch {
	case errors.Is(err, reports.ErrDate):
		d.fail(w, r, directory.Invalid("from", "from and to must be dates (yyyy-mm-dd)"))
		return
	case errors.Is(err, reports.ErrTeam):
		d.fail(w, r, directory.Invalid("team", "must be one of the company's team ids (0 or absent: every team)"))
		return
	case errors.Is(err, reports.ErrRange):
		d.fail(w, r, directory.Invalid("to", fmt.Sprintf("the range must run forward and span at most %d days", reports.MaxDays)))
		return
	case err != nil:
		d.fail(w, r, err)
		return
	}
	rep, err := reports.Run(r.Context(), d.Store, p.CompanyID, per.TeamID, per.Start, per.End, loc)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if asCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="atende-report-%s-%s.csv"`, per.From, per.To))
		if err := reports.WriteCSV(w, rep, per.TeamID, names, csvLabels); err != nil {
			d.Log.Warn("api: reports CSV", "err", err)
		}
		return
	}
	out := reportView{From: per.From, To: per.To, TeamID: per.TeamID, Zone: loc.String(), Days: []reportRowView{}, ByTeam: []reportRowView{},
		Total: viewReportRow(rep.Total)}
	out.Total.Day = ""
	for _, x := range rep.Days {
		out.Days = append(out.Days, viewReportRow(x))
	}
	for _, x := range rep.ByTeam {
		out.ByTeam = append(out.ByTeam, viewReportRow(x))
	}
	reply(w, http.StatusOK, out)
}

// queryInt reads an optional integer query parameter in [lo, hi] ("" is lo).
func queryInt(s, name string, lo, hi int) (int, error) {
	if s == "" {
		return lo, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, directory.Invalid(name, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
