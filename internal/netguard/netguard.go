package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// BlockedError is a connection (or a host at save time) refused because
// the address is internal and not on the allowlist.
type BlockedError struct {
	Host string     // as given ("" when only the address is known)
	Addr netip.Addr // the internal address
}

func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("netguard: %s resolves to the internal address %s, which this server does not connect to (an admin can allow it with --allow-private-hosts)", e.Host, e.Addr)
	}
	return fmt.Sprintf("netguard: %s is an internal address, which this server does not connect to (an admin can allow it with --allow-private-hosts)", e.Addr)
}

// HostNotAllowed marks the error for callers that classify errors
// without importing this package (providers.NetProblem).
func (e *BlockedError) HostNotAllowed() bool { return true }

// Guard dials only public addresses, plus the allowlist.
type Guard struct {
	resolver *net.Resolver
	allow    []netip.Prefix
}

// New returns a Guard resolving through res (nil: the system resolver)
// and letting the allow prefixes through.
func New(res *net.Resolver, allow []netip.Prefix) *Guard {
	if res == nil {
		res = net.DefaultResolver
	}
	return &Guard{resolver: res, allow: allow}
}

// ParseAllowList reads "10.0.0.25, 192.168.10.0/24, ::1": addresses and
// CIDR prefixes separated by commas or spaces.
func ParseAllowList(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR prefix (e.g. 10.0.0.25 or 192.168.10.0/24)", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR prefix (e.g. 10.0.0.25 or 192.168.10.0/24)", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// special are ranges that are not public unicast, beyond what netip's
// predicates cover.
var special = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // TEST-NET-1
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // TEST-NET-2
		"203.0.113.0/24",  // TEST-NET-3
		"240.0.0.0/4",     // reserved, and 255.255.255.255
		"100::/64",        // discard-only
		"2001:db8::/32",   // documentation
		"2001:2::/48",     // benchmarking
		"fec0::/10",       // site-local (deprecated)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	teredo     = netip.MustParsePrefix("2001::/32")
)

// Internal reports whether a is not a public unicast address.
func Internal(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap()
	if a.Zone() != "" {
		return true // scoped: link-local by definition
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsMulticast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range special {
		if p.Contains(a) {
			return true
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Internal(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case nat64Local.Contains(a), teredo.Contains(a):
			return true // local-use translation; Teredo hides its IPv4 server
		case sixToFour.Contains(a):
			return Internal(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		}
	}
	return false
}

// Allowed reports whether the guard lets a connection to a through.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(a) {
			return true
		}
	}
	return !Internal(a)
}

// CheckHost resolves host and returns a *BlockedError when it is, or
// resolves to, an internal address that is not allowed. A name that does
// not resolve is not this check's business (nil): the connection will
// report it. Use it to refuse a webhook URL or a mailbox server when it is
// saved; the dialer checks again on every connection.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "" {
		return nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(a) {
			return &BlockedError{Host: host, Addr: a.Unmap()}
		}
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		a := netip.MustParseAddr("127.0.0.1") // RFC 6761: always loopback
		if !g.Allowed(a) {
			return &BlockedError{Host: host, Addr: a}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return &BlockedError{Host: host, Addr: a.Unmap()}
		}
	}
	return nil
}

// Dialer returns a net.Dialer that resolves through the guard's resolver
// and refuses internal addresses in its Control hook.
func (g *Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout:   timeout,
		KeepAlive: 30 * time.Second,
		Resolver:  g.resolver,
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netguard: unexpected address %q: %w", address, err)
			}
			if !g.Allowed(ap.Addr()) {
				return &BlockedError{Addr: ap.Addr().Unmap().WithZone("")}
			}
			return nil
		},
	}
}

// DialContext dials addr ("host:port") if it resolves to allowed
// addresses only; the error of a refused address is a *BlockedError
// naming the host.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	c, err := g.Dialer(0).DialContext(ctx, network, addr)
	if err != nil {
		var be *BlockedError
		if errors.As(err, &be) {
			return nil, &BlockedError{Host: host, Addr: be.Addr}
		}
		return nil, err
	}
	return c, nil
}

// ErrRedirect is the error of a webhook receiver that answered a redirect.
var ErrRedirect = errors.New("netguard: redirects are not followed")

// HTTPClient is an HTTP client for requests to company-supplied URLs: the
// guarded dialer, no proxy taken from the environment, TLS verification
// on, and redirects returned as the response (never followed).
func (g *Guard) HTTPClient(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: NoRedirects}
}

// NoRedirects is an http.Client CheckRedirect that never follows.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
