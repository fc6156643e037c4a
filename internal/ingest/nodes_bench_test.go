package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

// BenchmarkNodesOnePostgres measures ingest throughput with 1, 2 and 3
// nodes on one PostgreSQL: each node has its own connection pool and
// ingest service (4 workers), like one `atende serve` process; they share
// the database and the blob directory. Every node accepts its share of
// 900 messages (the benchmark mix) and all nodes' workers turn them into
// tickets; msgs/s is accepted-and-processed per second of wall time.
// pg_cpu_s and app_cpu_s split the CPU spent between the PostgreSQL
// server processes and the Atende side (this process) to show where it
// saturates.
func BenchmarkNodesOnePostgres(b *testing.B) {
	const total = 900
	msgs := make([][]byte, total)
	for i := range msgs {
		msgs[i] = benchMix(i)
	}
	type variant struct {
		nodes  int
		nosync bool // diagnosis only: no fsync of blobs, synchronous_commit off
	}
	for _, v := range []variant{{1, false}, {2, false}, {3, false}, {1, true}, {3, true}} {
		nodes := v.nodes
		name := fmt.Sprintf("nodes=%d", nodes)
		if v.nosync {
			name += "/fsync=off"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				url := pgtest.NewDatabase(b)
				if v.nosync {
					url += "&synchronous_commit=off"
					if !strings.Contains(url, "?") {
						url = strings.Replace(url, "&", "?", 1)
					}
				}
				dir := b.TempDir()
				var svcs []*ingest.Service
				var closers []func()
				var ch *model.Channel
				for n := 0; n < nodes; n++ {
					st, err := postgres.Open(context.Background(), url, clock.System{})
					if err != nil {
						b.Fatal(err)
					}
					closers = append(closers, func() { st.Close() })
					if n == 0 {
						co := &model.Company{Slug: "acme", Name: "ACME"}
						if err := st.CreateCompany(context.Background(), co); err != nil {
							b.Fatal(err)
						}
						ch = &model.Channel{CompanyID: co.ID, Slug: "c", Name: "C", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "nodes"}
						if err := st.CreateChannel(context.Background(), ch); err != nil {
							b.Fatal(err)
						}
					}
					bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
					if err != nil {
						b.Fatal(err)
					}
					bl.NoSync = v.nosync
					svcs = append(svcs, ingest.New(st, bl, clock.System{}, slog.New(slog.DiscardHandler), ingest.Config{}))
				}
				probe, _ := postgres.Open(context.Background(), url, clock.System{})
				pg0, app0 := pgCPU(), selfCPU()
				b.StartTimer()
				start := time.Now()
				ctx, cancel := context.WithCancel(context.Background())
				var wg sync.WaitGroup
				for _, s := range svcs {
					wg.Add(1)
					go func() { defer wg.Done(); s.Run(ctx, ingest.WorkerConfig{Workers: 4, Poll: 20 * time.Millisecond}) }()
				}
				var acc sync.WaitGroup
				for n, s := range svcs {
					acc.Add(1)
					go func() {
						defer acc.Done()
						// each node accepts its share, 4 sources at once
						var src sync.WaitGroup
						for k := 0; k < 4; k++ {
							src.Add(1)
							go func() {
								defer src.Done()
								for i := n*4 + k; i < total; i += nodes * 4 {
									if _, err := s.Accept(ctx, ch, "b:"+strconv.Itoa(i), bytes.NewReader(msgs[i])); err != nil {
										b.Error(err)
										return
									}
								}
							}()
						}
						src.Wait()
					}()
				}
				acc.Wait()
				for {
					done, err := probe.CountInbound(context.Background(), model.InboundDone)
					if err != nil {
						b.Fatal(err)
					}
					if done >= total {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				el := time.Since(start)
				b.StopTimer()
				cancel()
				wg.Wait()
				b.ReportMetric(float64(total)/el.Seconds(), "msgs/s")
				b.ReportMetric(pgCPU()-pg0, "pg_cpu_s")
				b.ReportMetric(selfCPU()-app0, "app_cpu_s")
				probe.Close()
				for _, c := range closers {
					c()
				}
			}
		})
	}
}

// selfCPU is this process's user+system CPU seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// pgCPU adds up the CPU seconds of every postgres process on the machine.
func pgCPU() float64 {
	ents, _ := os.ReadDir("/proc")
	tick := 100.0 // USER_HZ
	sum := 0.0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open || !strings.HasPrefix(s[open+1:close], "postgres") {
			continue
		}
		f := strings.Fields(s[close+2:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		st, _ := strconv.ParseFloat(f[12], 64)
		sum += (u + st) / tick
	}
	return sum
}
