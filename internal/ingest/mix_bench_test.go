package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

// mixPool is the distinct messages a mix benchmark cycles through; each
// use gets its own Message-ID, so every accepted message is a new one.
const mixPool = 100

func mixMessages(text bool) [][]byte {
	out := make([][]byte, mixPool)
	for i := range out {
		if text {
			out[i] = mailmix.TextMessage(i)
		} else {
			out[i] = mailmix.Message(i)
		}
	}
	return out
}

// unique gives pool message i%mixPool the Message-ID of use i, as a
// reader over the pool's bytes (no copy: the harness's own work stays out
// of the measured CPU) and its length.
func unique(pool [][]byte, i int) (io.Reader, int) {
	m := pool[i%len(pool)]
	old := fmt.Sprintf("<mix-%d.", i%len(pool))
	at := bytes.Index(m, []byte(old))
	if at < 0 {
		panic("mix message without its Message-ID")
	}
	id := fmt.Sprintf("<mix-%d-%d.", i%len(pool), i)
	return io.MultiReader(bytes.NewReader(m[:at]), strings.NewReader(id), bytes.NewReader(m[at+len(old):])), len(m) - len(old) + len(id)
}

// storedCounter is the workers' notifier in a benchmark: it counts the
// messages stored and closes all once it has counted n.
type storedCounter struct {
	n, want int64
	all     chan struct{}
}

func (c *storedCounter) MessageStored(context.Context, ingest.Event) {
	if atomic.AddInt64(&c.n, 1) == c.want {
		close(c.all)
	}
}

// benchSenders is how many senders accept concurrently in runServe: 10,
// like the SMTP accept benchmark's sessions (and AcceptSaturated). With 4
// closed-loop senders the 5 KB text run measured the accept round trip
// (4 / ~2.8 ms), not ingest: base code gave 1,223-1,335 msg/s with 4,
// 1,661-1,716 with 8 and 1,767-1,858 with 16 in the same minutes; the mix,
// bound by the workers' CPU, gave the same with 4 and 10.
const benchSenders = 10

// runServe accepts b.N messages of pool (from benchSenders concurrent
// senders, like SMTP sessions) while the service's workers run as `serve`
// runs them, and returns when every message is a ticket message. The workers' notifier
// says when the last one is stored (a count query every few milliseconds
// took PostgreSQL CPU from the work measured).
func runServe(b *testing.B, e *env, pool [][]byte, workers int) {
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	stored := &storedCounter{want: int64(b.N), all: make(chan struct{})}
	go func() {
		defer close(done)
		_ = e.svc.Run(wctx, ingest.WorkerConfig{Workers: workers, Poll: 50 * time.Millisecond, Notifier: stored})
	}()
	defer func() { cancel(); <-done }()
	var next atomic.Int64
	var bytesIn atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0, srv0 := cpuTime(), postgresCPU()
	start := time.Now()
	for s := 0; s < benchSenders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				raw, n := unique(pool, i)
				bytesIn.Add(int64(n))
				if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("bench:%d", i), raw); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-stored.all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d messages stored after 5 minutes", atomic.LoadInt64(&stored.n), b.N)
	}
	el := time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el, "msgs/s")
	b.ReportMetric(float64(bytesIn.Load())/el/(1<<20), "MB/s")
	// CPU of this process per message: comparable between runs even when
	// other work on the machine slows the wall clock.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/msg")
	if e.dialect == "postgres" {
		// The database server's CPU (all its processes: the backends,
		// the WAL writer, the checkpointer) per message.
		b.ReportMetric(float64(postgresCPU()-srv0)/float64(time.Millisecond)/float64(b.N), "server-cpu-ms/msg")
	}
	if n, err := e.st.CountMessages(ctx, e.co.ID); err != nil || n != b.N {
		b.Fatalf("%d messages stored (%v), want %d", n, err, b.N)
	}
}

// cpuTime is the user+system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the user+system CPU used so far by this machine's
// processes named "postgres" (read from /proc; 0 where there is none).
// Other databases' backends on the same server count too: the benchmarks
// run alone.
func postgresCPU() time.Duration {
	ents, _ := os.ReadDir("/proc")
	var ticks int64
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime is field 14, stime 15.
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open || string(b[open+1:end]) != "postgres" {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		sy, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + sy
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// BenchmarkIngestMix is end-to-end ingest of the realistic mix
// (internal/testutil/mailmix: 70% 5 KB text, 25% 50 KB HTML, 5% 2 MB
// attachment) as `serve` runs it: senders accept durably while 1 or 2
// workers parse, thread and store. msgs/s is accepted-and-stored messages
// per second of wall time.
func BenchmarkIngestMix(b *testing.B) {
	pool := mixMessages(false)
	for _, d := range []string{"sqlite", "postgres"} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", d, w), func(b *testing.B) {
				runServe(b, newEnv(b, d, 0), pool, w)
			})
		}
	}
}

// BenchmarkIngestText is end-to-end ingest of 5 KB text-only mail with 2
// workers.
func BenchmarkIngestText(b *testing.B) {
	pool := mixMessages(true)
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d+"/workers=2", func(b *testing.B) {
			runServe(b, newEnv(b, d, 0), pool, 2)
		})
	}
}

// BenchmarkIngestSignatures is end-to-end ingest (SQLite, 2 workers) of
// replies in Outlook's mould: a short text with a 6 KB signature logo
// (cid) and a 20 KB attached receipt, the small attachments most business
// mail carries.
func BenchmarkIngestSignatures(b *testing.B) {
	pool := make([][]byte, mixPool)
	for i := range pool {
		pool[i] = attachmentMail(fmt.Sprintf("mix-%d.sig@cliente.test", i), randomBytes(uint64(i), 6<<10),
			map[string][]byte{"comprovante.pdf": randomBytes(uint64(i)+1000, 20<<10)}, []string{"comprovante.pdf"})
	}
	runServe(b, newEnv(b, "sqlite", 0), pool, 2)
}

// BenchmarkAcceptSaturated measures the latency callers wait on before
// acknowledging (Accept of a 20 KB message, 10 concurrent senders) while 2
// workers are busy with a backlog of the mix: p50/p99 in ms. b.N is the
// number of measured accepts.
func BenchmarkAcceptSaturated(b *testing.B) {
	pool := mixMessages(false)
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d, 0)
			// The backlog: enough that the workers stay busy throughout.
			backlog := 1500
			defer busyWorkers(b, e, pool, backlog)()
			raw := mail("c@example.com", "S", "sat@x", "", strings.Repeat("texto do cliente ", 20<<10/17))
			var mu sync.Mutex
			var lat []time.Duration
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for s := 0; s < 10; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := rand.New(rand.NewPCG(uint64(s), 1))
					for next.Add(1) <= int64(b.N) {
						msg := append([]byte(fmt.Sprintf("X-Seq: %d\r\n", r.Uint64())), raw...)
						t0 := time.Now()
						if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("sat:%d", r.Uint64()), bytes.NewReader(msg)); err != nil {
							b.Error(err)
							return
						}
						d := time.Since(t0)
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
						time.Sleep(time.Duration(r.IntN(10)) * time.Millisecond)
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			pending, _ := e.st.CountMessages(ctx, e.co.ID)
			if pending >= backlog {
				b.Logf("warning: the workers finished the backlog (%d stored) before the accepts ended", pending)
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}

// busyWorkers accepts a backlog of n mix messages, starts two workers on
// it and returns once they are in full swing; stop stops them.
func busyWorkers(b *testing.B, e *env, pool [][]byte, n int) (stop func()) {
	b.Helper()
	for i := 0; i < n; i++ {
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
	time.Sleep(200 * time.Millisecond)
	return func() { cancel(); <-done }
}

// first is its first argument (unique's reader without the length).
func first(r io.Reader, _ int) io.Reader { return r }
