package ui_test

import (
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/store/storetest"
)

// reportEnv is a company with the seeded report tickets (see
// storetest.SeedReports for the expected numbers) and a logged-in admin.
func reportEnv(t *testing.T, lang string) (*env, *company, storetest.ReportSeed, string) {
	t.Helper()
	e, clk, _ := newResetEnv(t)
	c := e.company(t, "acme", lang)
	if c.co.TimeZone != "America/Sao_Paulo" {
		t.Fatalf("company zone %q", c.co.TimeZone)
	}
	ct, err := e.st.UpsertContact(ctx, c.co.ID, "cliente@example.com", "Cliente")
	must(t, err)
	seed := storetest.SeedReports(t, e.st, clk, c.co, c.ch.ID, ct.ID, c.agent.ID)
	clk.Set(seed.Base.AddDate(0, 0, 3))
	q := fmt.Sprintf("from=%s&to=%s", seed.Base.Format(time.DateOnly), seed.Base.AddDate(0, 0, 1).Format(time.DateOnly))
	return e, c, seed, q
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// rowText is a table row's cells joined by "|".
func rowText(html string) string {
	cells := regexp.MustCompile(`</t[dh]>\s*<t[dh][^>]*>`).ReplaceAllString(html, "|")
	return strings.TrimSpace(tagRE.ReplaceAllString(cells, ""))
}

func tableRows(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no table %s:\n%s", id, body)
	}
	tbl := body[i : i+strings.Index(body[i:], "</table>")]
	var out []string
	for _, m := range regexp.MustCompile(`(?s)<tr[^>]*>(.*?)</tr>`).FindAllStringSubmatch(tbl, -1)[1:] {
		out = append(out, rowText(m[1]))
	}
	return out
}

// The reports page's numbers match the seeded tickets with known times:
// the table per day, the totals, per team, the team filter, the CSV;
// admins only; bad filters refused.
func TestReportsPage(t *testing.T) {
	e, c, seed, q := reportEnv(t, "en")
	u := e.client(t, "en")
	wantRedirect(t, u.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := u.get("/reports?" + q)
	wantStatus(t, p, 200)
	d0 := seed.Base.Format("Mon, Jan 2 2006")
	d1 := seed.Base.AddDate(0, 0, 1).Format("Mon, Jan 2 2006")
	want := []string{
		d0 + "|4|3|30 min|1 h 30 min|2 h 00 min|15 h 00 min",
		d1 + "|1|2|4 h 00 min|4 h 00 min|6 h 00 min|1 d 0 h",
		"Whole range|5|5|30 min|4 h 00 min|6 h 00 min|1 d 0 h",
	}
	if got := tableRows(t, p.body, "report-days"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("per day:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	teams := strings.Join(tableRows(t, p.body, "report-teams"), "\n")
	for _, w := range []string{d0 + "|Suporte A|2|2|30 min|1 h 30 min|2 h 00 min|15 h 00 min", d0 + "|No team|1|1|—|—|1 h 00 min|1 h 00 min",
		d0 + "|Suporte B|1|0|10 min|10 min|—|—", d1 + "|Suporte B|1|1|4 h 00 min|4 h 00 min|6 h 00 min|6 h 00 min",
		d1 + "|Suporte A|0|1|—|—|1 d 0 h|1 d 0 h"} {
		if !strings.Contains(teams, w) {
			t.Fatalf("per team lacks %q:\n%s", w, teams)
		}
	}
	wantContains(t, p, `<svg id="report-chart"`, `class="bar-opened"`, `data-value="4"`, "Days in the company&#39;s time zone: America/Sao_Paulo")

	// One team.
	p = u.get(fmt.Sprintf("/reports?%s&team=%d", q, seed.TeamB))
	wantStatus(t, p, 200)
	if got := tableRows(t, p.body, "report-days"); got[0] != d0+"|1|0|10 min|10 min|—|—" || got[1] != d1+"|1|1|4 h 00 min|4 h 00 min|6 h 00 min|6 h 00 min" {
		t.Fatalf("team B: %q", got)
	}

	// CSV.
	p = u.get("/reports.csv?" + q)
	wantStatus(t, p, 200)
	if ct := p.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" || !strings.Contains(p.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV headers %q %q", ct, p.header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	must(t, err)
	day0 := seed.Base.Format(time.DateOnly)
	if strings.Join(recs[0], ",") != "day,team,opened,resolved,first_response_median_min,first_response_p90_min,resolution_median_min,resolution_p90_min" ||
		strings.Join(recs[1], ",") != day0+",All teams,4,3,30.0,90.0,120.0,900.0" {
		t.Fatalf("CSV:\n%s", p.body)
	}
	if !strings.Contains(p.body, day0+",Suporte B,1,0,10.0,10.0,,\n") {
		t.Fatalf("CSV per team:\n%s", p.body)
	}

	// Bad filters; another company's team; agents may not.
	wantStatus(t, u.get("/reports?from=2026-13-01&to=x"), 422)
	wantStatus(t, u.get("/reports?from=2026-02-01&to=2026-01-01"), 422)
	wantStatus(t, u.get("/reports?from=2024-01-01&to=2026-01-01"), 422)
	o := e.company(t, "other", "en")
	wantStatus(t, u.get(fmt.Sprintf("/reports?%s&team=%d", q, o.team.ID)), 422)
	a := e.client(t, "en")
	wantRedirect(t, a.login("acme", c.agent.Email, adminPassword), "/inbox")
	wantStatus(t, a.get("/reports?"+q), 403)
	wantStatus(t, a.get("/reports.csv?"+q), 403)
}

// TestBrowserReports in Chromium, pt-BR and English: the page shows the
// table and the inline SVG chart, with the seeded numbers.
func TestBrowserReports(t *testing.T) {
	for _, tc := range []struct{ lang, accept, nav, total string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Relatórios", "Período inteiro"},
		{"en", "en-US,en;q=0.9", "Reports", "Whole range"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e, c, seed, q := reportEnv(t, tc.lang)
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"), chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/reports"]`)))
			if got := text(t, bctx, `a[href="/reports"]`); got != tc.nav {
				t.Fatalf("nav %q", got)
			}
			run(t, bctx, "reports", chromedp.Navigate(e.srv.URL+"/reports?"+q), chromedp.WaitVisible(chromedp.ID("report-chart")))
			if got := text(t, bctx, "#report-total th"); got != tc.total {
				t.Fatalf("total row %q", got)
			}
			if got := text(t, bctx, "#report-total td"); got != "5" {
				t.Fatalf("opened total %q", got)
			}
			// The chart is drawn: 2 days × 2 bars, the day-0 opened bar the tallest.
			bars := eval[int](t, bctx, `document.querySelectorAll("#report-chart rect[data-value]").length`)
			h := eval[[]float64](t, bctx, `Array.from(document.querySelectorAll("#report-chart rect[data-value]")).map(function(r){return r.getBoundingClientRect().height})`)
			if bars != 4 || h[0] <= h[1] || h[0] <= h[2] || h[0] < 50 {
				t.Fatalf("bars %d heights %v", bars, h)
			}
			if !eval[bool](t, bctx, `document.querySelector("#report-chart").getBoundingClientRect().width > 400`) {
				t.Fatal("the chart is not shown")
			}
			_ = seed
			screenshot(t, bctx, "reports-"+tc.lang)
		})
	}
}
