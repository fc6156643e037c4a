package mailstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

var msgSeq atomic.Int64

// loadEML reads testdata/name and gives it a fresh, unique Message-ID, returned too.
func loadEML(t *testing.T, name string) (raw []byte, messageID string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	messageID = fmt.Sprintf("<%d.%d.%s@mailstack.test>", time.Now().UnixNano(), msgSeq.Add(1),
		regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	re := regexp.MustCompile(`(?m)^Message-ID: <[^>]*>`)
	if !re.Match(data) {
		t.Fatalf("testdata/%s has no Message-ID header", name)
	}
	return re.ReplaceAll(data, []byte("Message-ID: "+messageID)), messageID
}

// relayed is one message received by the test's stand-in for Atende's inbound SMTP server.
type relayed struct {
	From string
	To   []string
	Data []byte
}

// sinkBackend is a go-smtp backend that hands every received message to a channel.
type sinkBackend struct{ got chan relayed }

func (b *sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &sinkSession{b: b}, nil
}

type sinkSession struct {
	b    *sinkBackend
	from string
	to   []string
}

func (s *sinkSession) Reset()        { s.from, s.to = "", nil }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.got <- relayed{From: s.from, To: s.to, Data: data}
	return nil
}

// startSink runs a go-smtp server on addr (the stack's RelayTarget) until the test ends.
func startSink(t *testing.T, addr string) chan relayed {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on relay target %s: %v", addr, err)
	}
	be := &sinkBackend{got: make(chan relayed, 16)}
	srv := smtp.NewServer(be)
	srv.Domain = "inbound.atende.test"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return be.got
}

// waitRelayed waits for one message whose body contains needle.
func waitRelayed(t *testing.T, got chan relayed, needle string, timeout time.Duration) relayed {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-got:
			if bytes.Contains(m.Data, []byte(needle)) {
				return m
			}
			t.Logf("relay sink: skipping unrelated message from %s to %v", m.From, m.To)
		case <-deadline:
			t.Fatalf("no message containing %q reached the relay target within %v", needle, timeout)
		}
	}
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// findByMessageID returns the message with that Message-ID, or nil.
func findByMessageID(msgs []Message, id string) *Message {
	for i := range msgs {
		if msgs[i].Header != nil && strings.TrimSpace(msgs[i].Header.Get("Message-ID")) == id {
			return &msgs[i]
		}
	}
	return nil
}

// procGone reports whether pid no longer runs (missing or a zombie waiting for PID 1).
func procGone(pid string) bool {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true
	}
	_, rest, ok := strings.Cut(string(stat), ") ")
	return ok && strings.HasPrefix(rest, "Z")
}

func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
