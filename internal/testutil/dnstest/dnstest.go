// Package dnstest runs a real DNS server on loopback for tests
// (github.com/miekg/dns), with the records a test sets: tests that look up
// SPF, DKIM, DMARC, MX or a domain verification TXT record point Atende's
// resolver (package resolver, --dns-resolver) at it, so no query leaves the
// machine. It answers UDP and TCP, NXDOMAIN for names it has no record of,
// and can be slowed down or made to fail (SERVFAIL) to test timeouts.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server is an authoritative-looking DNS server for any name.
type Server struct {
	addr    string
	udp     *dns.Server
	tcp     *dns.Server
	mu      sync.Mutex
	records map[string][]dns.RR // lowercase fqdn → records
	delay   time.Duration
	fail    bool
	queries atomic.Int64
}

// Start runs a server on 127.0.0.1 (one port, UDP and TCP) until the test
// ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}}
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ; attempt++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: listen udp: %v", err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if attempt == 20 {
			t.Fatalf("dnstest: listen tcp: %v", err)
		}
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	started := make(chan struct{}, 2)
	s.udp.NotifyStartedFunc = func() { started <- struct{}{} }
	s.tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go func() { _ = s.udp.ActivateAndServe() }()
	go func() { _ = s.tcp.ActivateAndServe() }()
	<-started
	<-started
	t.Cleanup(func() {
		_ = s.udp.Shutdown()
		_ = s.tcp.Shutdown()
	})
	return s
}

// Addr is the server's "127.0.0.1:port", for resolver.New / --dns-resolver.
func (s *Server) Addr() string { return s.addr }

// Queries counts the questions answered so far.
func (s *Server) Queries() int64 { return s.queries.Load() }

// SetDelay holds every answer back for d (a slow resolver).
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// SetFail makes every answer SERVFAIL (a broken resolver) until reset.
func (s *Server) SetFail(fail bool) {
	s.mu.Lock()
	s.fail = fail
	s.mu.Unlock()
}

// SetTXT replaces name's TXT records; each value is one record (long ones
// are split into 255-byte strings as DNS requires). No values removes them.
func (s *Server) SetTXT(name string, values ...string) {
	var rrs []dns.RR
	for _, v := range values {
		rrs = append(rrs, &dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: split255(v)})
	}
	s.set(name, dns.TypeTXT, rrs)
}

// SetA replaces name's A and AAAA records.
func (s *Server) SetA(name string, ips ...string) {
	var a, aaaa []dns.RR
	for _, v := range ips {
		ip := net.ParseIP(v)
		if ip == nil {
			panic("dnstest: bad IP " + v)
		}
		if ip4 := ip.To4(); ip4 != nil {
			a = append(a, &dns.A{Hdr: hdr(name, dns.TypeA), A: ip4})
		} else {
			aaaa = append(aaaa, &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA), AAAA: ip})
		}
	}
	s.set(name, dns.TypeA, a)
	s.set(name, dns.TypeAAAA, aaaa)
}

// SetMX replaces name's MX records (hosts in preference order 10, 20, …).
func (s *Server) SetMX(name string, hosts ...string) {
	var rrs []dns.RR
	for i, h := range hosts {
		rrs = append(rrs, &dns.MX{Hdr: hdr(name, dns.TypeMX), Preference: uint16(10 * (i + 1)), Mx: dns.Fqdn(h)})
	}
	s.set(name, dns.TypeMX, rrs)
}

// SetCNAME points name at target.
func (s *Server) SetCNAME(name, target string) {
	s.set(name, dns.TypeCNAME, []dns.RR{&dns.CNAME{Hdr: hdr(name, dns.TypeCNAME), Target: dns.Fqdn(target)}})
}

func hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.Fqdn(strings.ToLower(name)), Rrtype: t, Class: dns.ClassINET, Ttl: 60}
}

func (s *Server) set(name string, t uint16, rrs []dns.RR) {
	key := dns.Fqdn(strings.ToLower(name))
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.records[key][:0:0]
	for _, rr := range s.records[key] {
		if rr.Header().Rrtype != t {
			kept = append(kept, rr)
		}
	}
	s.records[key] = append(kept, rrs...)
}

func split255(v string) []string {
	var out []string
	for len(v) > 255 {
		out, v = append(out, v[:255]), v[255:]
	}
	return append(out, v)
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	s.mu.Lock()
	delay, fail := s.delay, s.fail
	s.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if fail || len(req.Question) != 1 {
		m.Rcode = dns.RcodeServerFailure
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	rrs, known := s.records[name]
	for _, rr := range rrs {
		t := rr.Header().Rrtype
		if t == q.Qtype || (t == dns.TypeCNAME && q.Qtype != dns.TypeCNAME) {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	// Follow one CNAME inside our own zone, as a recursive resolver would.
	if len(m.Answer) == 1 && m.Answer[0].Header().Rrtype == dns.TypeCNAME && q.Qtype != dns.TypeCNAME {
		target := strings.ToLower(m.Answer[0].(*dns.CNAME).Target)
		for _, rr := range s.records[target] {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	s.mu.Unlock()
	if !known {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa()}
	} else if len(m.Answer) == 0 {
		m.Ns = []dns.RR{soa()} // NODATA
	}
	if w.LocalAddr().Network() == "udp" {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size) // sets TC: the client asks again over TCP
	}
	_ = w.WriteMsg(m)
}

func soa() dns.RR {
	return &dns.SOA{Hdr: dns.RR_Header{Name: ".", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
		Ns: "ns.dnstest.", Mbox: "hostmaster.dnstest.", Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60}
}
