package metrics

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
)

// Acceptor is ingest.Service's accepting side, as the protocol adapters
// and the importer use it.
type Acceptor interface {
	Accept(ctx context.Context, ch *model.Channel, sourceKey string, raw io.Reader) (ingest.Result, error)
	AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error)
}

// CountingAcceptor counts what acc accepts, labelled with source.
type CountingAcceptor struct {
	Acceptor
	M      *Metrics
	Source string
}

// Accept counts a keyed accept.
func (a CountingAcceptor) Accept(ctx context.Context, ch *model.Channel, key string, raw io.Reader) (ingest.Result, error) {
	res, err := a.Acceptor.Accept(ctx, ch, key, raw)
	if err == nil {
		a.M.Accepted(a.Source, ch.ID, res.Duplicate)
	}
	return res, err
}

// AcceptContent counts a content-keyed accept.
func (a CountingAcceptor) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error) {
	res, err := a.Acceptor.AcceptContent(ctx, ch, raw)
	if err == nil {
		a.M.Accepted(a.Source, ch.ID, res.Duplicate)
	}
	return res, err
}

// Notifier counts processed messages and passes events on.
type Notifier struct {
	Next ingest.Notifier
	M    *Metrics
}

// MessageStored implements ingest.Notifier.
func (n Notifier) MessageStored(ctx context.Context, ev ingest.Event) {
	n.M.Processed(ev.ChannelID)
	if n.Next != nil {
		n.Next.MessageStored(ctx, ev)
	}
}

// Sender is outbox.Sender.
type Sender interface {
	Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error
}

// CountingSender counts delivery attempts.
type CountingSender struct {
	Sender
	M *Metrics
}

// Send counts one attempt.
func (s CountingSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	err := s.Sender.Send(ctx, ch, from, to, raw)
	s.M.Delivery(err)
	return err
}

// HTTP wraps a handler with the latency histogram. The route label is the
// ServeMux pattern that matched (bounded cardinality), "other" without one.
func (m *Metrics) HTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rw, r)
		route := r.Pattern
		if route == "" {
			route = "other"
		}
		m.httpLatency.WithLabelValues(r.Method, route, strconv.Itoa(rw.code)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines (SSE).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes through for streaming responses.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// SMTPListener counts the inbound SMTP server's sessions and the final
// reply codes it writes (read off the wire: "250 ...", not "250-...").
func (m *Metrics) SMTPListener(ln net.Listener) net.Listener {
	return &smtpListener{Listener: ln, m: m}
}

type smtpListener struct {
	net.Listener
	m *Metrics
}

func (l *smtpListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	l.m.smtpSessions.Inc()
	l.m.smtpActive.Inc()
	return &smtpConn{Conn: c, m: l.m}, nil
}

type smtpConn struct {
	net.Conn
	m    *Metrics
	once sync.Once
	head []byte // the first bytes of the reply line being written
	seen bool   // its code was looked at
}

func (c *smtpConn) Write(b []byte) (int, error) {
	c.scan(b)
	return c.Conn.Write(b)
}

// scan looks at the first four bytes of every line the server writes and
// counts "NNN " (a final reply; "NNN-" continues a multi-line one).
func (c *smtpConn) scan(b []byte) {
	for _, ch := range b {
		if ch == '\n' {
			c.head, c.seen = c.head[:0], false
			continue
		}
		if c.seen {
			continue
		}
		c.head = append(c.head, ch)
		if len(c.head) == 4 {
			c.seen = true
			h := c.head
			if h[0] >= '2' && h[0] <= '5' && isDigit(h[1]) && isDigit(h[2]) && h[3] == ' ' {
				c.m.smtpReplies.WithLabelValues(string(h[:3])).Inc()
			}
		}
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func (c *smtpConn) Close() error {
	c.once.Do(func() { c.m.smtpActive.Dec() })
	return c.Conn.Close()
}
