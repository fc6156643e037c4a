package resolver_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
)

func TestResolverAsksTheConfiguredServer(t *testing.T) {
	ctx := context.Background()
	srv := dnstest.Start(t)
	long := "v=DKIM1; k=rsa; p=" + strings.Repeat("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A", 14) // over 255 bytes: several strings
	srv.SetTXT("atende202611._domainkey.acme.test", long)
	srv.SetTXT("acme.test", "v=spf1 ip4:192.0.2.10 -all", "atende-verification=abc123")
	srv.SetA("mail.acme.test", "192.0.2.10", "2001:db8::10")
	srv.SetMX("acme.test", "mail.acme.test")
	srv.SetCNAME("www.acme.test", "mail.acme.test")
	// Enough records that the UDP answer is truncated and retried over TCP.
	var many []string
	for i := 0; i < 40; i++ {
		many = append(many, "record-"+strings.Repeat("x", 60)+string(rune('a'+i%26)))
	}
	srv.SetTXT("big.acme.test", many...)
	r := resolver.New(srv.Addr())

	txt, err := r.LookupTXT(ctx, "atende202611._domainkey.acme.test")
	if err != nil || len(txt) != 1 || txt[0] != long {
		t.Fatalf("DKIM TXT = %q, %v", txt, err)
	}
	txt, err = r.LookupTXT(ctx, "ACME.test.")
	if err != nil || len(txt) != 2 {
		t.Fatalf("TXT = %q, %v", txt, err)
	}
	if got, err := r.LookupTXT(ctx, "big.acme.test"); err != nil || len(got) != 40 {
		t.Fatalf("big TXT over TCP: %d records, %v", len(got), err)
	}
	ips, err := r.LookupIPAddr(ctx, "www.acme.test")
	if err != nil || len(ips) != 2 {
		t.Fatalf("IPs through the CNAME = %v, %v", ips, err)
	}
	mx, err := r.LookupMX(ctx, "acme.test")
	if err != nil || len(mx) != 1 || mx[0].Host != "mail.acme.test." {
		t.Fatalf("MX = %v, %v", mx, err)
	}
	_, err = r.LookupTXT(ctx, "nothing.acme.test")
	var de *net.DNSError
	if !errors.As(err, &de) || !de.IsNotFound {
		t.Fatalf("unknown name: %v, want not found", err)
	}
	if srv.Queries() < 6 {
		t.Fatalf("the server saw %d queries", srv.Queries())
	}

	// A broken resolver is a temporary failure, not "no such record".
	srv.SetFail(true)
	_, err = r.LookupTXT(ctx, "acme.test")
	if !errors.As(err, &de) || de.IsNotFound {
		t.Fatalf("SERVFAIL: %v, want a temporary error", err)
	}
	srv.SetFail(false)

	// A slow one is bounded by the caller's context.
	srv.SetDelay(2 * time.Second)
	tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := r.LookupTXT(tctx, "acme.test"); err == nil {
		t.Fatal("slow lookup succeeded inside 200 ms")
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("slow lookup took %v despite a 200 ms context", el)
	}
}

func TestEmptyServerIsTheSystemResolver(t *testing.T) {
	if resolver.New("") != net.DefaultResolver {
		t.Fatal("no server configured must mean the system resolver")
	}
}
