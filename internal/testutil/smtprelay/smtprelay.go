// Package smtprelay is a real SMTP server (go-smtp on loopback) that keeps
// every message it is given: the relay or mailbox server of tests that
// check what Atende sends.
package smtprelay

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/model"
)

// Relay is a running server; Start makes one.
type Relay struct {
	port int
	mu   sync.Mutex
	msgs [][]byte
}

// Start listens on 127.0.0.1 (any free port) until the test ends. It
// takes any sender and recipient and needs no authentication or TLS.
func Start(t testing.TB) *Relay {
	t.Helper()
	return StartAt(t, "127.0.0.1:0")
}

// StartAt is Start on a given address (a test that saw the relay down
// there starts it again).
func StartAt(t testing.TB, addr string) *Relay {
	t.Helper()
	r := &Relay{}
	srv := smtp.NewServer(r)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	r.port = l.Addr().(*net.TCPAddr).Port
	return r
}

// Server is where to send: plain SMTP on loopback (smtpout needs
// AllowInsecure for it).
func (r *Relay) Server() model.ServerConf {
	return model.ServerConf{Host: "127.0.0.1", Port: r.port, Encryption: "none"}
}

// Count is how many messages arrived.
func (r *Relay) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// Messages are the raw messages that arrived, in order.
func (r *Relay) Messages() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.msgs...)
}

// Delivered counts the messages whose text holds <messageID>.
func (r *Relay) Delivered(messageID string) int {
	n := 0
	for _, m := range r.Messages() {
		if strings.Contains(string(m), "<"+messageID+">") {
			n++
		}
	}
	return n
}

// NewSession implements smtp.Backend.
func (r *Relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{r: r}, nil }

type session struct{ r *Relay }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *session) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, b)
	s.r.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
