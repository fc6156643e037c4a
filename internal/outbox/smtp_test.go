package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/testutil/smtprelay"
)

// relaySender adapts one smtpout.Sender (a relay) to outbox.Sender.
type relaySender struct{ s *smtpout.Sender }

func (r relaySender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	return r.s.Send(ctx, from, to, raw)
}

func relayTo(addr string) relaySender {
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	return relaySender{smtpout.New(smtpout.Config{Server: model.ServerConf{Host: host, Port: p, Encryption: "none"}, AllowInsecure: true},
		slog.New(slog.DiscardHandler))}
}

// The relay is down when the reply is queued: the message waits (with the
// error shown) and is delivered exactly once after the server returns.
func TestRelayDownThenBackDeliversExactlyOnce(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: relayTo(addr)})
	m := e.queue(t, 1)
	e.run(t)
	got := e.status(t, m.ID)
	if got.Status != model.MsgQueued || !strings.Contains(got.Error, "refused") {
		t.Fatalf("while the relay is down: %s %q", got.Status, got.Error)
	}
	k := smtprelay.StartAt(t, addr)
	for i := 0; i < 5; i++ {
		e.clk.Advance(time.Hour)
		e.run(t)
	}
	if got := e.status(t, m.ID); got.Status != model.MsgSent {
		t.Fatalf("after the relay returned: %s %q", got.Status, got.Error)
	}
	if n := k.Count(); n != 1 {
		t.Fatalf("%d deliveries of the one reply, want exactly 1", n)
	}
}

// BenchmarkOutboundToSmtpSink measures outbound messages/s through one
// reused connection to Postfix's smtp-sink (go-smtp's server when
// smtp-sink is missing) and the time from "queued" to "accepted by the
// relay", p50/p99.
func BenchmarkOutboundToSmtpSink(b *testing.B) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	if path, err := exec.LookPath("smtp-sink"); err == nil {
		args := []string{addr, "256"}
		if os.Geteuid() == 0 {
			args = append([]string{"-u", "nobody"}, args...) // smtp-sink refuses to run as root
		}
		cmd := exec.Command(path, args...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		for i := 0; i < 100; i++ {
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	} else {
		b.Skip("smtp-sink not installed (scripts/install-test-deps.sh installs postfix)")
	}
	e := newEnvB(b)
	var mu sync.Mutex
	accepted := map[int64]time.Time{}
	sender := relayTo(addr)
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: timedSender{sender, func(id string) {
		mu.Lock()
		var n int64
		fmt.Sscanf(id, "out-%d@", &n)
		accepted[n] = time.Now()
		mu.Unlock()
	}}, Poll: 5 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	queued := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		queued[i] = time.Now()
		e.queueB(b, i)
		e.svc.Wake()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n == b.N {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d messages accepted by the sink", n, b.N)
		}
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		lat = append(lat, accepted[int64(i)].Sub(queued[i]))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

type timedSender struct {
	s    relaySender
	done func(messageID string)
}

func (t timedSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	b, _ := io.ReadAll(raw)
	err := t.s.Send(ctx, ch, from, to, strings.NewReader(string(b)))
	if err == nil {
		i := strings.Index(string(b), "Message-Id: <")
		t.done(string(b[i+13 : i+40]))
	}
	return err
}
