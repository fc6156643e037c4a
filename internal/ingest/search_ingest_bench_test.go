package ingest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
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
			for i := 0; i < 3000; i++ {
				if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("backlog:%d", i), first(unique(pool, i))); err != nil {
					b.Fatal(err)
				}
			}
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = e.svc.Run(wctx, ingest.WorkerConfig{Workers: 2, Poll: 50 * time.Millisecond})
			}()
			defer func() { cancel(); <-done }()
			time.Sleep(300 * time.Millisecond)
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
			if n, _ := e.st.CountMessages(ctx, e.co.ID); n >= 3000 {
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
