package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/reports"
)

// The reports page (admins): per day and per team, tickets opened and
// resolved, first-response and resolution times, as a table, an inline
// SVG chart drawn here (no script, no chart library) and CSV. Days are
// the company's, in its time zone.
func (h *handler) reportRoutes(mux *http.ServeMux, funcs template.FuncMap) {
	h.pages["reports"] = template.Must(template.New("reports").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/reports.html"))
	mux.HandleFunc("GET /reports", h.adminOnly(h.reportsPage))
	mux.HandleFunc("GET /reports.csv", h.adminOnly(h.reportsCSV))
}

// reportsView is the page's data.
type reportsView struct {
	From, To string // yyyy-mm-dd, the first and last day
	TeamID   int64
	Teams    []model.Team
	Zone     string
	Report   *reports.Report
	Days     []reportRow
	ByTeam   []reportRow
	Total    reportRow
	Chart    template.HTML
	CSV      string // the CSV link with the same filters
}

// reportRow is a reports.Row ready to show.
type reportRow struct {
	Day, Team                       string
	Opened, Resolved                int
	FRMedian, FRP90, ResMed, ResP90 string
}

// loadReport reads the filters (reports.ParsePeriod: from/to, default
// the last 7 days up to today in the company's zone; team, 0 for every
// team) and runs the report; on bad filters it renders the page with the
// error and reports false.
func (h *handler) loadReport(w http.ResponseWriter, r *http.Request, s *session) (*reportsView, map[int64]string, bool) {
	loc := time.UTC
	if co, err := h.Store.GetCompany(r.Context(), s.P.CompanyID); err == nil {
		loc = co.Location()
	}
	teams, err := h.Directory.ListTeams(r.Context(), s.P.CompanyID)
	if err != nil {
		h.Log.Error("ui: reports: teams", "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
		return nil, nil, false
	}
	names := map[int64]string{0: s.L.T("reports.no_team")}
	var ids []int64
	for _, t := range teams {
		names[t.ID] = t.Name
		ids = append(ids, t.ID)
	}
	q := r.URL.Query()
	per, err := reports.ParsePeriod(q.Get("from"), q.Get("to"), q.Get("team"), s.Now(), loc, ids)
	v := &reportsView{From: per.From, To: per.To, TeamID: per.TeamID, Teams: teams, Zone: loc.String()}
	if err != nil {
		errKey := "reports.err_date"
		switch {
		case errors.Is(err, reports.ErrTeam):
			errKey = "reports.err_team"
		case errors.Is(err, reports.ErrRange):
			errKey = "reports.err_range"
		}
		page := s.view(s.L.T("reports.title"))
		page.Error = s.L.T(errKey)
		page.Page = v
		h.render(w, r, http.StatusUnprocessableEntity, "reports", "layout", page)
		return nil, nil, false
	}
	rep, err := reports.Run(r.Context(), h.Store, s.P.CompanyID, v.TeamID, per.Start, per.End, loc)
	if err != nil {
		h.Log.Error("ui: reports", "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
		return nil, nil, false
	}
	v.Report = rep
	return v, names, true
}

func (h *handler) reportsPage(w http.ResponseWriter, r *http.Request, s *session) {
	v, names, ok := h.loadReport(w, r, s)
	if !ok {
		return
	}
	row := func(x reports.Row, team string) reportRow {
		return reportRow{Day: x.Day.Format(s.L.T("reports.date_format")), Team: team, Opened: x.Opened, Resolved: x.Resolved,
			FRMedian: fmtDur(x.FirstResponse.Median, x.FirstResponse.Count), FRP90: fmtDur(x.FirstResponse.P90, x.FirstResponse.Count),
			ResMed: fmtDur(x.Resolution.Median, x.Resolution.Count), ResP90: fmtDur(x.Resolution.P90, x.Resolution.Count)}
	}
	for _, d := range v.Report.Days {
		v.Days = append(v.Days, row(d, ""))
	}
	for _, d := range v.Report.ByTeam {
		v.ByTeam = append(v.ByTeam, row(d, names[d.TeamID]))
	}
	v.Total = row(v.Report.Total, "")
	v.Chart = reportChart(s.L, v.Report)
	q := url.Values{"from": {v.From}, "to": {v.To}}
	if v.TeamID != 0 {
		q.Set("team", strconv.FormatInt(v.TeamID, 10))
	}
	v.CSV = "/reports.csv?" + q.Encode()
	page := s.view(s.L.T("reports.title"))
	page.Page = v
	h.render(w, r, http.StatusOK, "reports", "layout", page)
}

// fmtDur is a duration for people: "45 min", "3 h 05 min", "2 d 4 h";
// "—" when nothing was measured.
func fmtDur(d time.Duration, n int) string {
	if n == 0 {
		return "—"
	}
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	case m < 60:
		return strconv.Itoa(m) + " min"
	case m < 24*60:
		return fmt.Sprintf("%d h %02d min", m/60, m%60)
	default:
		return fmt.Sprintf("%d d %d h", m/(24*60), m%(24*60)/60)
	}
}

func (h *handler) reportsCSV(w http.ResponseWriter, r *http.Request, s *session) {
	v, names, ok := h.loadReport(w, r, s)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="atende-report-%s-%s.csv"`, v.From, v.To))
	l := reports.CSVLabels{AllTeams: s.L.T("reports.all_teams")}
	for i, k := range []string{"day", "team", "opened", "resolved", "fr_median", "fr_p90", "res_median", "res_p90"} {
		l.Header[i] = s.L.T("reports.csv." + k)
	}
	if err := reports.WriteCSV(w, v.Report, v.TeamID, names, l); err != nil {
		h.Log.Warn("ui: reports CSV", "err", err)
	}
}

// reportChart draws opened and resolved tickets per day as grouped bars:
// an inline SVG with a title and description for screen readers and a
// <title> per bar (the exact number on hover).
func reportChart(l Localizer, rep *reports.Report) template.HTML {
	const width, height, left, bottom, top = 720, 230, 36, 28, 24
	n := len(rep.Days)
	peak := 1
	for _, d := range rep.Days {
		peak = max(peak, d.Opened, d.Resolved)
	}
	// A round top for the axis: 1, 2, 5, 10, 20, 50 …
	scaleTop := 1
	for i := 0; scaleTop < peak; i++ {
		scaleTop = []int{1, 2, 5}[i%3] * pow10(i/3)
	}
	plotW, plotH := float64(width-left-8), float64(height-bottom-top)
	slot := plotW / float64(max(n, 1))
	bar := min(slot*0.38, 28)
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="report-chart" class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">`, width, height)
	fmt.Fprintf(&b, `<title id="chart-title">%s</title><desc id="chart-desc">%s</desc>`, esc(l.T("reports.chart_title")), esc(l.T("reports.chart_desc")))
	y := func(v int) float64 { return top + plotH - plotH*float64(v)/float64(scaleTop) }
	for _, v := range []int{0, scaleTop / 2, scaleTop} {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#d0d7de" stroke-width="1"/>`, left, width-8, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" font-size="11" text-anchor="end" fill="#57606a">%d</text>`, left-6, y(v)+4, v)
	}
	every := max(1, (n+13)/14) // at most ~14 date labels
	for i, d := range rep.Days {
		x := float64(left) + slot*float64(i) + slot/2
		label := d.Day.Format(l.T("reports.date_short"))
		for j, s := range []struct {
			v            int
			color, title string
		}{{d.Opened, "#1f4fc9", l.T("reports.chart_opened_n", label, d.Opened)}, {d.Resolved, "#2e9e5b", l.T("reports.chart_resolved_n", label, d.Resolved)}} {
			bx := x - bar + float64(j)*bar
			fmt.Fprintf(&b, `<rect class="bar-%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" data-value="%d"><title>%s</title></rect>`,
				[]string{"opened", "resolved"}[j], bx, y(s.v), bar-1, y(0)-y(s.v), s.color, s.v, esc(s.title))
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#57606a">%s</text>`, x, height-10, esc(label))
		}
	}
	fmt.Fprintf(&b, `<rect x="%d" y="2" width="10" height="10" fill="#1f4fc9"/><text x="%d" y="11" font-size="11" fill="#24292f">%s</text>`,
		left, left+14, esc(l.T("reports.opened")))
	fmt.Fprintf(&b, `<rect x="%d" y="2" width="10" height="10" fill="#2e9e5b"/><text x="%d" y="11" font-size="11" fill="#24292f">%s</text>`,
		left+110, left+124, esc(l.T("reports.resolved")))
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func pow10(n int) int {
	p := 1
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}
