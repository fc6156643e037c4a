package imapsync

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// The benchmarks run real servers for minutes, so they are tests gated by
// ATENDE_BENCH=1 (go test -run Bench -v ./internal/inbound/imapsync/).
// Sizes can be lowered with ATENDE_BENCH_N (latency rounds, default 200),
// ATENDE_BENCH_IMPORT (default 10000) and ATENDE_BENCH_MAILBOXES (500).
func benchGate(t *testing.T) {
	if os.Getenv("ATENDE_BENCH") != "1" {
		t.Skip("set ATENDE_BENCH=1 to run the sync benchmarks")
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// procStatus reads a kB field of /proc/self/status (VmRSS, VmHWM).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), field+":") {
			n, _ := strconv.ParseInt(strings.Fields(sc.Text())[1], 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

// latency measures APPEND → message in the store (ingest workers running)
// over n rounds.
func latency(t *testing.T, e *env, appendOne func(i int)) []time.Duration {
	d, acc := latencySplit(t, e, appendOne)
	t.Logf("BENCH   of which APPEND → accepted by ingest (inbound row): p50 %v p99 %v", pct(acc, .5), pct(acc, .99))
	return d
}

func latencySplit(t *testing.T, e *env, appendOne func(i int)) (toMessage, toInbound []time.Duration) {
	n := envInt("ATENDE_BENCH_N", 200)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go e.svc.Run(wctx, ingest.WorkerConfig{Workers: 1, Poll: 5 * time.Millisecond})
	var out, acc []time.Duration
	for i := 0; i < n; i++ {
		t0 := time.Now()
		appendOne(i)
		inboundSeen := false
		for {
			if !inboundSeen && e.inbound(t) >= i+1 {
				inboundSeen = true
				acc = append(acc, time.Since(t0))
			}
			m, err := e.st.CountMessages(ctx, e.co.ID)
			if err != nil {
				t.Fatal(err)
			}
			if m >= i+1 {
				break
			}
			if time.Since(t0) > 10*time.Second {
				t.Fatalf("round %d: message not in store after 10 s (inbound rows %d)", i, e.inbound(t))
			}
			time.Sleep(200 * time.Microsecond)
		}
		out = append(out, time.Since(t0))
		if !inboundSeen {
			acc = append(acc, time.Since(t0))
		}
	}
	return out, acc
}

func TestBenchLatencyMem(t *testing.T) {
	benchGate(t)
	e := newWallEnv(t)
	ms := startMem(t, memOpts{}, "ana")
	ch := e.channel(t, ms.conf("ana"), "anapw", nil)
	f := e.folder(ch, "INBOX", nil, memCfg())
	runFolder(t, f)
	waitFor(t, "IDLE", func() bool { return f.idles.Load() > 0 })
	c := ms.client(t, "ana")
	d := latency(t, e, func(i int) { appendIMAP(t, c, "INBOX", mail(fmt.Sprintf("Lat %d", i), fmt.Sprintf("lat%d@x", i))) })
	t.Logf("BENCH in-memory server: APPEND → message in store over %d: p50 %v p99 %v max %v", len(d), pct(d, .5), pct(d, .99), pct(d, 1))
}

func TestBenchLatencyDovecot(t *testing.T) {
	benchGate(t)
	st := mailstack.StartT(t, mailstack.Options{NoPostfix: true})
	e := newWallEnv(t)
	ch := e.channel(t, dovecotConf(st, "bob"), "bobpw", nil)
	f := e.folder(ch, "INBOX", nil, dovecotCfg(st))
	runFolder(t, f)
	waitFor(t, "IDLE", func() bool { return f.idles.Load() > 0 })
	c := dovecotLogin(t, st, "alice")
	_ = c
	cb := dovecotLogin(t, st, "bob")
	d := latency(t, e, func(i int) { appendIMAP(t, cb, "INBOX", mail(fmt.Sprintf("Lat %d", i), fmt.Sprintf("lat%d@x", i))) })
	t.Logf("BENCH Dovecot: APPEND → message in store over %d: p50 %v p99 %v max %v (Dovecot adds ~500 ms per IDLE notification)",
		len(d), pct(d, .5), pct(d, .99), pct(d, 1))
}

func TestBenchImportDovecot(t *testing.T) {
	benchGate(t)
	n := envInt("ATENDE_BENCH_IMPORT", 10000)
	st := mailstack.StartT(t, mailstack.Options{NoPostfix: true})
	e := newWallEnv(t)
	c := dovecotLogin(t, st, "carol")
	body := strings.Repeat("Linha de texto do corpo da mensagem, com alguma variedade. ", 40) // ~2.4 KB
	t0 := time.Now()
	for i := 0; i < n; i++ {
		raw := mail(fmt.Sprintf("Importado %d", i), fmt.Sprintf("imp%d@x", i))
		raw = append(raw, body...)
		appendIMAP(t, c, "INBOX", raw)
	}
	t.Logf("seeded %d messages in %v", n, time.Since(t0))
	ch := e.channel(t, dovecotConf(st, "carol"), "carolpw", func(s *model.ChannelSettings) { s.HistoryDays = -1 })
	runtime.GC()
	rss0 := procStatus("VmRSS")
	resetPeakRSS()
	var heapMax uint64
	stopSample := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stopSample:
				return
			case <-time.After(100 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				heapMax = max(heapMax, ms.HeapInuse)
			}
		}
	}()
	start := time.Now()
	runFolder(t, e.folder(ch, "INBOX", nil, dovecotCfg(st)))
	waitCheckpointLong(t, e, ch, "INBOX", 30*time.Minute, func(cp *store.SyncCheckpoint) bool { return cp.ImportComplete })
	el := time.Since(start)
	close(stopSample)
	if got := e.inbound(t); got != n {
		t.Fatalf("inbound %d, want %d", got, n)
	}
	t.Logf("BENCH initial import of %d messages from Dovecot: %v, %.0f msg/s; RSS before %d kB, peak %d kB; peak Go heap in use %d kB",
		n, el, float64(n)/el.Seconds(), rss0, procStatus("VmHWM"), heapMax/1024)
}

func TestBenchIdleMailboxes(t *testing.T) {
	benchGate(t)
	n := envInt("ATENDE_BENCH_MAILBOXES", 500)
	users := map[string]string{}
	for i := 0; i < 10; i++ {
		users[fmt.Sprintf("u%d", i)] = fmt.Sprintf("u%dpw", i)
	}
	st := mailstack.StartT(t, mailstack.Options{NoPostfix: true, Users: users})
	e := newWallEnv(t)
	var chans []*model.Channel
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("u%d", i%10)
		chans = append(chans, e.channel(t, dovecotConf(st, u), users[u], nil))
	}
	runtime.GC()
	rss0 := procStatus("VmRSS")
	g0 := runtime.NumGoroutine()
	cfg := dovecotCfg(st)
	cfg.ReloadInterval = time.Hour
	m := NewManager(e.st, e.svc, e.box, e.clk, e.log, cfg)
	t0 := time.Now()
	runManager(t, m)
	for _, ch := range chans {
		e.waitStatus(t, ch, 2*time.Minute, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
	}
	t.Logf("%d mailboxes connected and idle after %v", n, time.Since(t0))
	time.Sleep(2 * time.Second)
	runtime.GC()
	rss1 := procStatus("VmRSS")
	g1 := runtime.NumGoroutine()
	c0 := cpuTime()
	w0 := time.Now()
	time.Sleep(10 * time.Second)
	cpu := cpuTime() - c0
	wall := time.Since(w0)
	t.Logf("BENCH %d idle mailboxes on Dovecot: RSS %d → %d kB (%.1f kB per mailbox), goroutines +%d (%.1f per mailbox), CPU while idle %v over %v (%.2f%% of one core)",
		n, rss0, rss1, float64(rss1-rss0)/float64(n), g1-g0, float64(g1-g0)/float64(n), cpu, wall.Round(time.Millisecond), 100*cpu.Seconds()/wall.Seconds())
	// And mail still arrives on one of them.
	if _, err := st.Append(ctx, "u3", "u3pw", "INBOX", mail("Ainda vivo", "alive@x")); err != nil {
		t.Fatal(err)
	}
	e.waitInbound(t, 10, 10*time.Second) // u3 is read by n/10 channels
}

var _ = imapclient.Options{}
