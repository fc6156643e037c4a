package ingest_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
)

// BenchmarkIngestPhases splits end-to-end ingest of the mix into its two
// phases: accept-only (4 concurrent senders, workers stopped), then
// processing of that backlog by 2 workers. Diagnosis for BenchmarkIngestMix.
func BenchmarkIngestPhases(b *testing.B) {
	pool := mixMessages(false)
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d, 0)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for s := 0; s < 4; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= b.N {
							return
						}
						if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("bench:%d", i), first(unique(pool, i))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			acc := time.Since(start).Seconds()
			start = time.Now()
			wctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				_ = e.svc.Run(wctx, ingest.WorkerConfig{Workers: 2, Poll: 50 * time.Millisecond})
			}()
			for {
				n, _ := e.st.CountMessages(ctx, e.co.ID)
				if n >= b.N {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			proc := time.Since(start).Seconds()
			cancel()
			<-done
			b.ReportMetric(float64(b.N)/acc, "accept-msgs/s")
			b.ReportMetric(float64(b.N)/proc, "process-msgs/s")
		})
	}
}
