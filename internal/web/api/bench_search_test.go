package api_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// BenchmarkSearch prints the issue-19 search table over benchTickets
// tickets (10 messages each; 1,000,000 messages by default) on SQLite and
// PostgreSQL: single-client p50/p99 of searches (a rare word, a common
// word, an accentless form of an accented word, a miss, a contact, a ticket
// number) through GET /api/v1/tickets, the web inbox page single-client,
// and 50 concurrent clients on the list-and-search mix. Opt-in and slow
// (seeding 1M messages takes minutes):
//
//	go test ./internal/web/api -run '^$' -bench Search -benchtime 1x -timeout 60m
//
// ATENDE_BENCH_DIALECT=sqlite|postgres runs one; ATENDE_BENCH_TICKETS
// changes the size; ATENDE_BENCH_WEB_ONLY=1 keeps only the API rare-word
// row and the web rows (no 50-client mix), for iterating on the web page.
func BenchmarkSearch(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		if only := os.Getenv("ATENDE_BENCH_DIALECT"); only != "" && only != dialect {
			continue
		}
		e := benchEnv(b, dialect)
		b.Run(dialect, func(b *testing.B) {
			for range b.N {
				searchTable(b, e, dialect)
			}
		})
	}
}

func pctMS(l []time.Duration, p float64) float64 {
	slices.Sort(l)
	return float64(l[min(len(l)-1, int(float64(len(l))*p))].Microseconds()) / 1000
}

func searchTable(b *testing.B, e *env, dialect string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	get := func(url, bearer, cookie string) (time.Duration, int) {
		req, _ := http.NewRequest("GET", url, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
		}
		t := time.Now()
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return time.Since(t), res.StatusCode
	}
	out := func(format string, args ...any) {
		fmt.Fprintf(os.Stdout, "search| %-8s "+format+"\n", append([]any{dialect}, args...)...)
	}
	single := []struct{ name, q string }{
		{"rare word (curitiba)", "curitiba"},
		{"common word (pedido)", "pedido"},
		{"accentless (cobranca)", "cobranca"},
		{"miss (xyzzyq)", "xyzzyq"},
		{"contact (cliente0042)", "cliente0042"},
		{"two words (nao chegou)", "nao+chegou"},
		{"open only (pedido, status=open)", "pedido&status=open"},
	}
	const n = 300
	webOnly := os.Getenv("ATENDE_BENCH_WEB_ONLY") != ""
	if webOnly {
		single = single[:1]
	}
	for _, s := range single {
		for _, tok := range []struct{ who, tok string }{{"admin", e.a.adminTok}, {"agent", e.a.agentTok}} {
			var lat []time.Duration
			for i := 0; i < n; i++ {
				d, code := get(e.srv.URL+"/api/v1/tickets?q="+s.q, tok.tok, "")
				if code != 200 {
					b.Fatalf("%s: HTTP %d", s.q, code)
				}
				lat = append(lat, d)
			}
			out("search %-31s %-5s single-client  p50 %6.2f ms  p99 %6.2f ms", s.name, tok.who, pctMS(lat, .5), pctMS(lat, .99))
		}
	}

	// The web inbox page, as the admin's browser gets it.
	log := slog.New(slog.DiscardHandler)
	bl, err := blob.NewFS(filepath.Join(b.TempDir(), "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	// The inbox's view counts are kept between changes, told of each by
	// the hub as in the app (ATENDE_BENCH_VIEWCOUNTS=0: counted per view).
	var counts *ui.ViewCounts
	if os.Getenv("ATENDE_BENCH_VIEWCOUNTS") != "0" {
		counts = ui.NewViewCounts(30 * time.Second)
		e.hub.Observe(counts)
	}
	web := httptest.NewServer(ui.New(ui.Deps{Log: log, Store: e.st, Auth: &auth.HTTP{Svc: e.auth}, Directory: e.dir,
		Tickets: ticket.New(e.st, bl, nil, e.hub, e.clk, log), Blobs: bl, ViewCounts: counts}))
	defer web.Close()
	raw, _, _, err := e.auth.Login(ctx, auth.LoginInput{Company: e.a.co.Slug, Email: e.a.admin.Email, Password: "admin password", IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{"/inbox", "/inbox?view=all&sort=newest", "/inbox?q=curitiba"} {
		var lat []time.Duration
		for i := 0; i < n; i++ {
			d, code := get(web.URL+p, "", raw)
			if code != 200 {
				b.Fatalf("%s: HTTP %d", p, code)
			}
			lat = append(lat, d)
		}
		out("web %-32s       single-client  p50 %6.2f ms  p99 %6.2f ms", p, pctMS(lat, .5), pctMS(lat, .99))
	}

	if webOnly {
		return
	}
	// 50 clients on the list-and-search mix.
	paths := []string{
		"/api/v1/tickets",
		"/api/v1/tickets?status=open",
		"/api/v1/tickets?team_id=" + fmt.Sprint(e.a.team.ID),
		"/api/v1/tickets?assignee_id=" + fmt.Sprint(e.a.agent.ID) + "&status=pending",
		"/api/v1/tickets?q=reembolso",
		"/api/v1/tickets?q=curitiba",
		"/api/v1/tickets?q=cobranca",
		"/api/v1/tickets?q=cliente0042",
		"/api/v1/tickets?limit=50&cursor=dDUwMDAw",
	}
	tokens := []string{e.a.adminTok, e.a.agentTok}
	const total = 6000
	lat := make([]time.Duration, total)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				d, code := get(e.srv.URL+paths[i%len(paths)], tokens[(i/len(paths))%2], "")
				lat[i] = d
				if code != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	rate := float64(total) / time.Since(start).Seconds()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d requests failed", f)
	}
	out("mix 50 clients (list + search, %d requests)   %6.0f req/s  p50 %6.2f ms  p99 %6.2f ms", total, rate, pctMS(lat, .5), pctMS(lat, .99))
	b.ReportMetric(rate, "mix-req/s")
	b.ReportMetric(pctMS(lat, .99), "mix-p99-ms")
}
