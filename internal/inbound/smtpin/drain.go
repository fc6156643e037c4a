package smtpin

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// A graceful stop (Run's context ends) drains the server:
//
//   - new connections get "421 4.3.2 … shutting down" and are closed;
//   - a session waiting for its next command gets the same 421 at once and
//     is closed (its read deadline is moved to the past; the timeout is
//     turned into the 421 and an EOF here, or, inside TLS, into go-smtp's
//     own 421);
//   - MAIL and RCPT arriving during the drain get 421;
//   - a DATA transfer in progress (the session is busy) finishes: the
//     message is stored and gets its 250 (or a 451), then the session is
//     closed the same way.
//
// So every mail a client was told 250 about is stored, and no client waits
// for a grace period to end.

// errShuttingDown answers commands during a drain.
var errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2},
	Message: "Server shutting down, try again later"}

func byeLine(hostname string) string {
	return "421 4.3.2 " + hostname + " Server shutting down, try again later\r\n"
}

// pastDeadline ends a blocked read at once.
var pastDeadline = time.Unix(1, 0)

func (c *limitedConn) drainingIdle() bool {
	return c.l != nil && c.l.draining.Load() && !c.busy.Load()
}

// SetReadDeadline keeps an idle session's deadline in the past once a
// drain began (go-smtp sets a fresh one before every command).
func (c *limitedConn) SetReadDeadline(t time.Time) error {
	if c.drainingIdle() {
		t = pastDeadline
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && p[0] == 0x16 {
		c.sawTLS.Store(true) // a TLS handshake record: never an SMTP command
	}
	if err != nil && n == 0 && c.drainingIdle() && !c.sawTLS.Load() {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.byeOnce.Do(func() {
				_ = c.Conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
				_, _ = c.Conn.Write([]byte(byeLine(c.l.hostname)))
			})
			return 0, io.EOF
		}
	}
	return n, err
}

// setBusy marks the session's connection as inside DATA (or not).
func (se *session) setBusy(b bool) {
	nc := se.conn.Conn()
	if tc, ok := nc.(interface{ NetConn() net.Conn }); ok {
		nc = tc.NetConn()
	}
	if lc, ok := nc.(*limitedConn); ok {
		lc.busy.Store(b)
		if b {
			// A drain may have moved the deadline just before.
			_ = lc.Conn.SetReadDeadline(time.Now().Add(se.s.cfg.ReadTimeout))
		} else if lc.drainingIdle() {
			_ = lc.Conn.SetReadDeadline(pastDeadline)
		}
	}
}

func (s *Server) draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln != nil && s.ln.draining.Load()
}

// drain answers 421 to idle sessions and new connections and waits, within
// ctx, for the sessions to end (DATA in progress finishes first).
func (s *Server) drain(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return
	}
	ln.draining.Store(true)
	done := make(chan struct{})
	go func() {
		s.dataWG.Wait()
		s.sessions.Wait()
		close(done)
	}()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		// Again every tick: a session may have set a fresh deadline
		// just before the flag was seen.
		ln.mu.Lock()
		for c := range ln.conns {
			if !c.busy.Load() {
				_ = c.Conn.SetReadDeadline(pastDeadline)
			}
		}
		open := len(ln.conns)
		ln.mu.Unlock()
		if open == 0 {
			return
		}
		select {
		case <-done:
			return
		case <-ctx.Done():
			s.log.Warn("smtpin: drain incomplete, closing connections", "open", open)
			return
		case <-t.C:
		}
	}
}

// errLowSpace answers MAIL while the data directory is short of space
// (RFC 5321 §4.5.3.1.10: 452 insufficient system storage).
var errLowSpace = &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1},
	Message: "Insufficient system storage, try again later"}

func (s *Server) spaceCheck() error {
	if s.cfg.LowSpace != nil && s.cfg.LowSpace() {
		return errLowSpace
	}
	return nil
}
