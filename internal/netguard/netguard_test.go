package netguard_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
)

func TestInternal(t *testing.T) {
	internal := []string{"127.0.0.1", "127.8.9.10", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"169.254.169.254", "fe80::1", "fd00::1", "fc00::5", "100.64.0.1", "0.0.0.0", "::", "224.0.0.1", "255.255.255.255",
		"::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a00:1" /* NAT64 of 10.0.0.1 */, "2002:a00:1::1", /* 6to4 of 10.0.0.1 */
		"2001::1", "198.18.0.1", "192.0.2.10", "2001:db8::1", "240.1.2.3"}
	public := []string{"8.8.8.8", "200.147.67.142", "2800:3f0:4001:80b::200e", "64:ff9b::808:808" /* NAT64 of 8.8.8.8 */, "172.32.0.1", "100.128.0.1"}
	for _, s := range internal {
		if !netguard.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s not internal", s)
		}
	}
	for _, s := range public {
		if netguard.Internal(netip.MustParseAddr(s)) {
			t.Errorf("%s internal", s)
		}
	}
}

func TestParseAllowList(t *testing.T) {
	p, err := netguard.ParseAllowList("10.0.0.25, 192.168.10.7/24 ::1")
	if err != nil || len(p) != 3 || p[1].String() != "192.168.10.0/24" || p[2].String() != "::1/128" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{"mail.local", "10.0.0.0/33", "1.2.3"} {
		if _, err := netguard.ParseAllowList(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if p, err := netguard.ParseAllowList(""); err != nil || len(p) != 0 {
		t.Fatal(p, err)
	}
}

// A listener on loopback that counts connections.
func listen(t *testing.T) (addr string, conns *atomic.Int64) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns = &atomic.Int64{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			c.Close()
		}
	}()
	return ln.Addr().String(), conns
}

func TestDialRefusesInternalAfterResolution(t *testing.T) {
	ctx := context.Background()
	dns := dnstest.Start(t)
	dns.SetA("metadata.evil.test", "169.254.169.254")
	dns.SetA("loop.evil.test", "127.0.0.1")
	dns.SetA("mixed.evil.test", "8.8.8.8", "10.0.0.1")
	res := resolver.New(dns.Addr())
	addr, conns := listen(t)
	_, port, _ := net.SplitHostPort(addr)
	g := netguard.New(res, nil)

	for _, target := range []string{addr, "loop.evil.test:" + port, "[::ffff:127.0.0.1]:" + port, "localhost:" + port} {
		_, err := g.DialContext(ctx, "tcp", target)
		var be *netguard.BlockedError
		if !errors.As(err, &be) {
			t.Fatalf("%s: %v, want a BlockedError", target, err)
		}
		if !strings.Contains(err.Error(), "--allow-private-hosts") {
			t.Fatalf("error does not say how to allow it: %v", err)
		}
	}
	if conns.Load() != 0 {
		t.Fatalf("the guard let %d connections through to loopback", conns.Load())
	}
	// Save-time check: the name, its address, and a name with one internal address.
	for _, h := range []string{"metadata.evil.test", "169.254.169.254", "mixed.evil.test", "[fd00::1]", "localhost"} {
		if err := g.CheckHost(ctx, h); err == nil {
			t.Errorf("CheckHost(%s) passed", h)
		}
	}
	if err := g.CheckHost(ctx, "nxdomain.evil.test"); err != nil {
		t.Fatalf("an unresolvable name is not the guard's business: %v", err)
	}

	// The allowlist opens loopback (what the tests and a self-hosted
	// server use) and nothing else.
	allow, _ := netguard.ParseAllowList("127.0.0.0/8")
	g = netguard.New(res, allow)
	c, err := g.DialContext(ctx, "tcp", "loop.evil.test:"+port)
	if err != nil {
		t.Fatalf("allowlisted loopback: %v", err)
	}
	c.Close()
	if err := g.CheckHost(ctx, "metadata.evil.test"); err == nil {
		t.Fatal("the loopback allowlist let 169.254.169.254 through")
	}
}

// Closed, open and filtered ports of an internal host give one answer.
func TestRefusalHidesPortState(t *testing.T) {
	ctx := context.Background()
	g := netguard.New(nil, nil)
	open, _ := listen(t)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	var msgs []string
	for _, a := range []string{open, closed} {
		_, err := g.DialContext(ctx, "tcp", a)
		_, port, _ := net.SplitHostPort(a)
		msgs = append(msgs, strings.ReplaceAll(err.Error(), port, "PORT"))
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("open and closed ports answer differently:\n%s\n%s", msgs[0], msgs[1])
	}
}

// DNS rebinding: the name answers a public address first (the save-time
// check) and loopback for the connection; the dialer checks the address
// it connects to.
func TestDialDefeatsRebinding(t *testing.T) {
	ctx := context.Background()
	dns := dnstest.Start(t)
	dns.SetA("rebind.evil.test", "8.8.8.8")
	res := resolver.New(dns.Addr())
	g := netguard.New(res, nil)
	if err := g.CheckHost(ctx, "rebind.evil.test"); err != nil {
		t.Fatal(err)
	}
	addr, conns := listen(t)
	_, port, _ := net.SplitHostPort(addr)
	dns.SetA("rebind.evil.test", "127.0.0.1")
	_, err := g.DialContext(ctx, "tcp", "rebind.evil.test:"+port)
	var be *netguard.BlockedError
	if !errors.As(err, &be) || be.Host != "rebind.evil.test" {
		t.Fatalf("rebound name: %v", err)
	}
	if conns.Load() != 0 {
		t.Fatal("connected to the rebound address")
	}
}

func TestHTTPClientNoRedirectsNoInternal(t *testing.T) {
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/stolen", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()

	// Without an allowlist loopback is refused outright.
	c := netguard.New(nil, nil).HTTPClient(5 * time.Second)
	if _, err := c.Post(redirect.URL, "application/json", strings.NewReader("{}")); err == nil {
		t.Fatal("POST to loopback went through")
	}
	allow, _ := netguard.ParseAllowList("127.0.0.1")
	c = netguard.New(nil, allow).HTTPClient(5 * time.Second)
	resp, err := c.Post(redirect.URL, "application/json", strings.NewReader(`{"secret":1}`))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || hits.Load() != 0 {
		t.Fatalf("status %d, target hit %d times: the redirect was followed", resp.StatusCode, hits.Load())
	}
}
