// Package netguard is the dialer for every connection Atende opens on a
// company's behalf: webhook deliveries, and the IMAP and SMTP servers of
// external channels (their connection tests included). Such hosts are
// typed by a company admin (or by whoever holds an admin's API token), so
// without a guard they reach what the server can reach and the internet
// cannot: the cloud metadata service at 169.254.169.254, databases on
// 10.0.0.0/8, the admin panel of a router on 192.168.0.1, Atende's own
// ports on 127.0.0.1.
//
// Guard.DialContext resolves the host through the program's resolver
// (--dns-resolver) and checks the address it is about to connect to, in
// the dialer's Control hook, after resolution: a name that resolves to an
// internal address is refused exactly like the literal address, and a
// name that answers a public address to a check and an internal one to
// the connection (DNS rebinding) is refused too, because the check is on
// the connection itself. Refused is everything that is not a public
// unicast address: loopback, RFC 1918 and unique-local (fc00::/7),
// link-local, carrier-grade NAT (100.64.0.0/10), unspecified, multicast,
// broadcast and reserved ranges, documentation and benchmark ranges, and
// IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo) —
// the embedded address decides.
//
// An installation whose mail server really is on its own network lists it
// with --allow-private-hosts (ATENDE_ALLOW_PRIVATE_HOSTS): comma-separated
// addresses or CIDR prefixes, e.g. "10.0.0.25,192.168.10.0/24". The tests
// allow 127.0.0.0/8 and ::1 that way. Nothing else opens the guard:
// not a host name, not a port.
//
// A refused connection fails before any packet is sent, with the same
// error for every port, so the connection test cannot be used to scan
// the internal network (open, closed and filtered ports look alike).
// HTTPClient is the webhook client: guarded dialer, no proxy from the
// environment, and no redirects (a redirect would resend the body and its
// signature to a host nobody checked).
package netguard
