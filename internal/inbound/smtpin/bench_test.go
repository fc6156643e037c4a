package smtpin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
)

// benchMessage is a ~20 KB message made unique by n (so neither the blob
// store nor the inbound queue sees a duplicate).
func benchMessage(n int64) []byte {
	var body strings.Builder
	for body.Len() < 20<<10 {
		fmt.Fprintf(&body, "Linha %06d da mensagem %d: texto de exemplo para o benchmark de entrada.\r\n", body.Len(), n)
	}
	return buildMail("Cliente <cliente@customer.test>", "suporte@acme.test", "", fmt.Sprintf("Bench %d", n),
		fmt.Sprintf("bench-%d@customer.test", n), body.String())
}

// BenchmarkSMTPAccept: 10 concurrent SMTP sessions deliver 20 KB messages
// to a server backed by the real ingest.Service on SQLite (synchronous=FULL)
// and the filesystem blob store with fsync. Reports msg/s and the time
// from the end of DATA to the 250 reply (p50, p99).
func BenchmarkSMTPAccept(b *testing.B) {
	b.Run("ingest-sqlite-fsync", func(b *testing.B) { benchSMTP(b, false) })
	// The same traffic with a store that only reads the message: the cost
	// of the SMTP layer itself (spool, SPF/DKIM/DMARC, header filter).
	b.Run("discard-store", func(b *testing.B) { benchSMTP(b, true) })
}

// timedAcceptor records how long each AcceptContent took.
type timedAcceptor struct {
	inner Acceptor
	mu    sync.Mutex
	d     []time.Duration
}

func (a *timedAcceptor) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error) {
	t0 := time.Now()
	res, err := a.inner.AcceptContent(ctx, ch, raw)
	a.mu.Lock()
	a.d = append(a.d, time.Since(t0))
	a.mu.Unlock()
	return res, err
}

func pct(d []time.Duration, p int) float64 {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return float64(d[(len(d)*p)/100].Microseconds()) / 1000
}

type discardAcceptor struct{ n atomic.Int64 }

func (d *discardAcceptor) AcceptContent(_ context.Context, _ *model.Channel, raw io.Reader) (ingest.Result, error) {
	n, err := io.Copy(io.Discard, raw)
	d.n.Add(1)
	return ingest.Result{Size: n}, err
}

func benchSMTP(b *testing.B, discard bool) {
	const sessions = 10
	e := newStoreEnv(b)
	var acc Acceptor
	var disc *discardAcceptor
	timed := &timedAcceptor{inner: e.svc}
	acc = timed
	if discard {
		disc = &discardAcceptor{}
		acc = disc
	}
	e.start(b, Config{MaxConnsPerIP: -1, ConnsPerMinute: -1}, acc)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = benchMessage(int64(i))
	}
	var next atomic.Int64
	lat := make([][]time.Duration, sessions)
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	b.SetBytes(int64(len(msgs[0])))
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < sessions; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			c, err := smtp.Dial(e.saddr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if err := c.Hello("bench.client.test"); err != nil {
				errs <- err
				return
			}
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := c.Mail("cliente@customer.test", nil); err != nil {
					errs <- err
					return
				}
				if err := c.Rcpt(e.addr, nil); err != nil {
					errs <- err
					return
				}
				w, err := c.Data()
				if err != nil {
					errs <- err
					return
				}
				if _, err := w.Write(msgs[i]); err != nil {
					errs <- err
					return
				}
				t0 := time.Now()
				if err := w.Close(); err != nil { // sends <CRLF>.<CRLF>, waits for 250
					errs <- err
					return
				}
				lat[s] = append(lat[s], time.Since(t0))
			}
		}(s)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) != b.N {
		b.Fatalf("%d latencies for %d messages", len(all), b.N)
	}
	stored := int64(e.countInbound(b))
	if discard {
		stored = disc.n.Load()
	}
	if stored != int64(b.N) {
		b.Fatalf("stored = %d, want %d", stored, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msg/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[(len(all)*99)/100].Microseconds())/1000, "p99-ms")
	if !discard {
		// The part of end-of-DATA→250 spent inside ingest's AcceptContent.
		b.ReportMetric(pct(timed.d, 50), "ingest-p50-ms")
		b.ReportMetric(pct(timed.d, 99), "ingest-p99-ms")
	}
}

// BenchmarkAcceptParts splits the durable accept into its parts, on the
// same disk, to show where the time goes.
func BenchmarkAcceptParts(b *testing.B) {
	msg := benchMessage(1)
	b.Run("fsync-file-20KB", func(b *testing.B) {
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
			must(b, err)
			f.Write(msg)
			must(b, f.Sync())
			f.Close()
		}
	})
	b.Run("fsync-dir-after-rename", func(b *testing.B) {
		dir := b.TempDir()
		d, err := os.Open(dir)
		must(b, err)
		defer d.Close()
		for i := 0; i < b.N; i++ {
			p := filepath.Join(dir, fmt.Sprint(i))
			must(b, os.WriteFile(p+".tmp", msg, 0o600))
			must(b, os.Rename(p+".tmp", p))
			must(b, d.Sync())
		}
	})
	b.Run("blob.Put-fsync", func(b *testing.B) {
		e := newStoreEnv(b)
		for i := 0; i < b.N; i++ {
			_, _, err := e.bl.Put(bg, bytes.NewReader(benchMessage(int64(i))), 0)
			must(b, err)
		}
	})
	b.Run("InsertInbound-sqlite-commit", func(b *testing.B) {
		e := newStoreEnv(b)
		for i := 0; i < b.N; i++ {
			in := &model.Inbound{CompanyID: e.co.ID, ChannelID: e.ch.ID, SourceKey: fmt.Sprint("k", i), RawKey: "sha256/x", Size: 1, ReceivedAt: time.Now()}
			must(b, e.st.InsertInbound(bg, in))
		}
	})
	for _, par := range []int{1, 10} {
		b.Run(fmt.Sprintf("AcceptContent-%d-parallel", par), func(b *testing.B) {
			e := newStoreEnv(b)
			msgs := make([][]byte, b.N)
			for i := range msgs {
				msgs[i] = benchMessage(int64(i))
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < par; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						if _, err := e.svc.AcceptContent(bg, e.ch, bytes.NewReader(msgs[i])); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
		})
	}
}
