package smtpout

import (
	"crypto/tls"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Issue 13 item 5 (sending side): a mailbox SMTP host on an internal
// address is refused before any connection, with the host_not_allowed
// problem; the same server is reached once an admin allows its network.
func TestSendRefusesInternalHostThroughGuard(t *testing.T) {
	ts := startServer(t, "starttls")
	conf := model.ServerConf{Host: "127.0.0.1", Port: ts.port, Encryption: "starttls"}
	tlsConf := &tls.Config{RootCAs: ts.pool}

	guard := netguard.New(nil, nil) // no --allow-private-hosts
	s := New(Config{Server: conf, Provider: "yahoo", Dial: guard.DialContext, TLS: tlsConf, Auth: PasswordAuth("ana@acme.test", "certa"),
		DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}, nil)
	err := s.Send(ctx, "ana@acme.test", []string{"cliente@example.com"}, strings.NewReader(msg(1)))
	var se *SendError
	if !errors.As(err, &se) || se.ConnProblem() == nil || se.ConnProblem().Code != providers.CodeHostNotAllowed {
		t.Fatalf("send to an internal host: err = %v, want the host_not_allowed problem", err)
	}
	ts.be.mu.Lock()
	conns := ts.be.conns
	ts.be.mu.Unlock()
	if conns != 0 {
		t.Fatalf("the server saw %d connections; the guard must refuse before connecting", conns)
	}

	allowed := netguard.New(nil, []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")})
	s = New(Config{Server: conf, Provider: "yahoo", Dial: allowed.DialContext, TLS: tlsConf, Auth: PasswordAuth("ana@acme.test", "certa"),
		DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}, nil)
	if err := s.Send(ctx, "ana@acme.test", []string{"cliente@example.com"}, strings.NewReader(msg(2))); err != nil {
		t.Fatalf("allowed network: %v", err)
	}
}
