package smtpout

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Issue 15 item 14: Atende's relay (--relay, default --relay-encryption
// starttls) on a server without STARTTLS: the advice names the relay
// flags, not mailbox ports 993/465.
func TestRelayWithoutStartTLSAdvice(t *testing.T) {
	ts := startServer(t, "plain")
	ts.srv.TLSConfig = nil // no STARTTLS offered
	s := New(Config{Server: model.ServerConf{Host: "127.0.0.1", Port: ts.port, Encryption: "starttls"}, Provider: RelayProvider,
		DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}, nil)
	err := s.Send(ctx, "suporte@acme.test", []string{"c@example.com"}, strings.NewReader(msg(1)))
	var se *SendError
	if !errors.As(err, &se) || se.ConnProblem() == nil || se.ConnProblem().Code != providers.CodeStartTLSMissing {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(se.Message, "--relay-encryption none") || strings.Contains(se.Message, "993") {
		t.Fatalf("advice %q", se.Message)
	}
}
