// Package resolver makes the one *net.Resolver every DNS lookup of Atende
// goes through: SPF, DKIM and DMARC of inbound mail, domain verification,
// the published DKIM/SPF records of a channel, and the host names of
// outbound connections.
//
// By default that is the system's resolver. With --dns-resolver (ATENDE_DNS_RESOLVER)
// every query goes to one DNS server instead: an admin's validating
// resolver in production, and in tests the loopback server of
// internal/testutil/dnstest, so the test suite never asks a DNS server off
// the machine.
package resolver

import (
	"context"
	"net"
	"time"
)

// New returns the resolver for server ("host:port"), or the system's
// resolver when server is "". Lookups through it use Go's own DNS client,
// over UDP with TCP for truncated answers, like the system resolver's
// files-then-DNS order would not: /etc/hosts is not consulted for a
// configured server.
func New(server string) *net.Resolver {
	if server == "" {
		return net.DefaultResolver
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &net.Resolver{
		PreferGo:     true,
		StrictErrors: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, server)
		},
	}
}
