package smtpin

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
)

// A resolver that answers after 4 s does not hold intake: SPF, DKIM and
// DMARC share a 2 s budget, then say temperror, and the mail is stored.
func TestSlowDNSTemperrorWithinBudget(t *testing.T) {
	e := newStoreEnv(t)
	dns := dnstest.Start(t)
	dns.SetTXT("customer.test", "v=spf1 ip4:127.0.0.1 -all")
	dns.SetTXT("_dmarc.customer.test", "v=DMARC1; p=reject")
	dns.SetDelay(4 * time.Second)
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain},
		Deps{Store: e.st, Ingest: e.svc, Blobs: e.bl, Resolver: resolver.New(dns.Addr()), Clock: e.clk}, slog.New(slog.DiscardHandler))
	must(t, err)
	must(t, srv.Listen())
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()
	start := time.Now()
	_, dataErr := send(t, srv.Addr().String(), "c@customer.test", []string{e.addr},
		buildMail("c@customer.test", "suporte@acme.test", "", "DNS lento", "slow@customer.test", "x"))
	took := time.Since(start)
	must(t, dataErr)
	if took > 4*time.Second {
		t.Fatalf("one message took %v with a slow resolver; want within the 2 s budget", took)
	}
	raw := string(e.pendingRaw(t)[e.ch.ID][0])
	for _, want := range []string{"spf=temperror", "dmarc=temperror"} {
		if !strings.Contains(raw, want) {
			t.Fatalf("Authentication-Results without %s:\n%s", want, raw[:min(len(raw), 600)])
		}
	}
	t.Logf("one message with a resolver answering after 4 s: %v", took.Round(time.Millisecond))
}
