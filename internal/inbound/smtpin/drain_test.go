package smtpin

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// A graceful stop answers 421 to idle sessions, to commands and to new
// connections at once, lets a DATA transfer in progress finish with 250,
// and returns without waiting for the grace period.
func TestDrainAnswers421(t *testing.T) {
	e := newStoreEnv(t)
	gate := &gateAcceptor{inner: e.svc, entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain, ShutdownGrace: 20 * time.Second},
		Deps{Store: e.st, Ingest: gate, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, nil)
	must(t, err)
	must(t, srv.Listen())
	addr := srv.Addr().String()
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()

	// An idle session after EHLO, and one in the middle of a transaction.
	idle, err := net.Dial("tcp", addr)
	must(t, err)
	defer idle.Close()
	ir := bufio.NewReader(idle)
	readReply(t, ir) // 220
	idle.Write([]byte("EHLO idle.example\r\n"))
	readReply(t, ir)
	mid, err := smtp.Dial(addr)
	must(t, err)
	defer mid.Close()
	must(t, mid.Hello("mid.example"))
	must(t, mid.Mail("c@customer.test", nil))

	// A transfer in progress when the stop begins.
	res := make(chan error, 1)
	go func() {
		_, dataErr := send(t, addr, "c@customer.test", []string{e.addr},
			buildMail("c@customer.test", "suporte@acme.test", "", "Drain", "drain@customer.test", "x"))
		res <- dataErr
	}()
	<-gate.entered
	start := time.Now()
	cancel()

	// The idle session is told 421 and closed, without sending anything.
	idle.SetReadDeadline(time.Now().Add(3 * time.Second))
	if line := readReply(t, ir); !strings.HasPrefix(line, "421 4.3.2") {
		t.Fatalf("idle session got %q, want 421 4.3.2", line)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("idle session told after %v", time.Since(start))
	}
	// The next command of the half-done transaction gets 421.
	err = mid.Rcpt(e.addr, nil)
	var se *smtp.SMTPError
	if err == nil || !errorsAs(err, &se) || se.Code != 421 {
		t.Fatalf("RCPT during drain = %v, want 421", err)
	}
	// A new connection is greeted with 421.
	c2, line := dialGreeting(t, addr)
	c2.Close()
	if !strings.HasPrefix(line, "421") {
		t.Fatalf("new connection during drain: %q", line)
	}
	// The transfer in progress completes with 250 and is stored.
	close(gate.release)
	if err := <-res; err != nil {
		t.Fatalf("message in progress: %v, want 250", err)
	}
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the drain")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("stop took %v with a 20 s grace; want no waiting once sessions are told", d)
	}
	if n := e.countInbound(t); n != 1 {
		t.Fatalf("inbound = %d, want 1", n)
	}
}

// Below the free-space threshold MAIL gets 452 4.3.1, before any DATA.
func TestLowSpace452(t *testing.T) {
	e := newStoreEnv(t)
	low := true
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain, LowSpace: func() bool { return low }},
		Deps{Store: e.st, Ingest: e.svc, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, nil)
	must(t, err)
	must(t, srv.Listen())
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go srv.Run(ctx)
	c, err := smtp.Dial(srv.Addr().String())
	must(t, err)
	defer c.Close()
	err = c.Mail("c@customer.test", nil)
	var se *smtp.SMTPError
	if !errorsAs(err, &se) || se.Code != 452 || se.EnhancedCode != (smtp.EnhancedCode{4, 3, 1}) {
		t.Fatalf("MAIL with low space = %v, want 452 4.3.1", err)
	}
	low = false
	must(t, c.Reset())
	must(t, c.Mail("c@customer.test", nil))
}

func readReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read reply: %v (got %q)", err, line)
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func errorsAs(err error, target **smtp.SMTPError) bool { return errors.As(err, target) }
