package ingest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// BenchmarkSearchWhileIngesting: an agent's full-text search while two
// workers process a backlog of the mix. On SQLite a search first indexes
// the rows the writer left noted (ftsFresh), so it may wait for the
// writer; this measures what that costs. b.N searches, 20 ms apart:
//
//	go test -run '^$' -bench SearchWhileIngesting -benchtime 100x ./internal/ingest/
func BenchmarkSearchWhileIngesting(b *testing.B) {
	pool := mixMessages(false)
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d, 0)
			backlog := 3000
			defer busyWorkers(b, e, pool, backlog)()
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := e.st.SearchTickets(ctx, e.co.ID, store.TicketFilter{Query: "cliente", Limit: 50}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				time.Sleep(20 * time.Millisecond)
			}
			b.StopTimer()
			if n, _ := e.st.CountMessages(ctx, e.co.ID); n >= backlog {
				b.Logf("warning: the workers finished the backlog before the searches ended")
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
		})
	}
}
