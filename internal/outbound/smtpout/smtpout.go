package smtpout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Auth is an SMTP authentication method. It is asked for a fresh SASL
// client on every connection, so token-based methods can refresh.
type Auth interface {
	// Client returns the SASL client to use given the mechanisms the
	// server advertises (AUTH extension, space separated).
	Client(ctx context.Context, serverMechs []string) (sasl.Client, error)
}

// ErrNoMechanism: the server offers no mechanism the Auth can use.
var ErrNoMechanism = errors.New("smtpout: no common authentication mechanism")

type passwordAuth struct{ user, pass string }

// PasswordAuth authenticates with a user name and password: PLAIN when
// the server offers it, else LOGIN.
func PasswordAuth(user, password string) Auth { return passwordAuth{user, password} }

func (a passwordAuth) Client(_ context.Context, mechs []string) (sasl.Client, error) {
	has := func(m string) bool {
		for _, x := range mechs {
			if strings.EqualFold(x, m) {
				return true
			}
		}
		return false
	}
	switch {
	case has(sasl.Plain):
		return sasl.NewPlainClient("", a.user, a.pass), nil
	case has(sasl.Login):
		return sasl.NewLoginClient(a.user, a.pass), nil
	}
	return nil, fmt.Errorf("%w (server offers %v; we support PLAIN, LOGIN)", ErrNoMechanism, mechs)
}

// Config describes one mailbox's SMTP server.
type Config struct {
	Server   model.ServerConf
	Auth     Auth        // nil: no AUTH
	TLS      *tls.Config // base config (RootCAs in tests); verification stays on
	Provider string      // preset ID, for hints in problems
	// AllowInsecure permits Encryption "none".
	AllowInsecure bool
	// Dial opens the TCP connection (netguard.Guard.DialContext for a
	// channel's own SMTP server); nil dials directly (the relay).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// LocalName is the EHLO name (default "localhost").
	LocalName string
	// DialTimeout (30 s) covers connect, TLS, greeting, EHLO and AUTH;
	// CommandTimeout (2 min) each command; SubmitTimeout (10 min) the
	// reply after the final dot.
	DialTimeout, CommandTimeout, SubmitTimeout time.Duration
	// MaxIdle closes a reused connection idle longer than this (60 s),
	// before servers time it out.
	MaxIdle time.Duration
}

// SendError is a failed send.
type SendError struct {
	Code      int    // SMTP reply code; 0 for network errors
	Enhanced  string // "5.1.1"; "" when the server gave none
	Message   string // the server's text, or the network error
	Temporary bool   // retry later (4xx, network); false: permanent (5xx)
	// Problem is set for failures of the connection itself (auth, TLS,
	// DNS), for the channel status.
	Problem *providers.Problem
	Err     error
}

func (e *SendError) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "smtpout: %s failure", kind)
	if e.Code != 0 {
		fmt.Fprintf(&b, ": %d", e.Code)
		if e.Enhanced != "" {
			b.WriteString(" " + e.Enhanced)
		}
	}
	if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	return b.String()
}

func (e *SendError) Unwrap() error { return e.Err }

// RelayProvider is Config.Provider of the sender for Atende's own relay
// (--relay): its error advice names Atende's flags.
const RelayProvider = "relay"

// ConnProblem is the connection problem behind the failure, nil when the
// server answered (outbox.ConnProblem).
func (e *SendError) ConnProblem() *providers.Problem { return e.Problem }

// Sender sends through one SMTP server, reusing its connection. It is
// safe for concurrent use; sends are serialised on the connection.
type Sender struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	c        *smtp.Client
	conn     net.Conn
	lastUsed time.Time
	dials    int // connections made (tests, metrics)
}

// New makes a Sender; it connects lazily on the first Send.
func New(cfg Config, log *slog.Logger) *Sender {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.DialTimeout, 30*time.Second)
	def(&cfg.CommandTimeout, 2*time.Minute)
	def(&cfg.SubmitTimeout, 10*time.Minute)
	def(&cfg.MaxIdle, 60*time.Second)
	if cfg.LocalName == "" {
		cfg.LocalName = "localhost"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg, log: log}
}

func (s *Sender) addr() string {
	return net.JoinHostPort(s.cfg.Server.Host, strconv.Itoa(s.cfg.Server.Port))
}

// Dials reports how many connections the Sender has opened.
func (s *Sender) Dials() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials
}

// Check connects and authenticates without sending anything (the
// connection test). The connection is kept for the next Send.
func (s *Sender) Check(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ensure(ctx)
}

// Send transmits raw (a complete RFC 5322 message) from the envelope
// sender to the recipients. A non-nil error is a *SendError.
func (s *Sender) Send(ctx context.Context, from string, to []string, raw io.Reader) error {
	if len(to) == 0 {
		return &SendError{Message: "no recipients", Err: errors.New("smtpout: no recipients")}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensure(ctx); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { s.conn.SetDeadline(time.Now()) })
	defer stop()
	err := s.transaction(from, to, raw)
	if err != nil {
		var se *SendError
		if errors.As(err, &se) && se.Code != 0 {
			// The server refused this message but the session is fine:
			// reset it for the next one.
			if rerr := s.c.Reset(); rerr != nil {
				s.drop()
			}
		} else {
			s.drop()
		}
		if ctx.Err() != nil {
			return &SendError{Message: ctx.Err().Error(), Temporary: true, Err: ctx.Err()}
		}
		return err
	}
	s.lastUsed = time.Now()
	return nil
}

func (s *Sender) transaction(from string, to []string, raw io.Reader) error {
	if err := s.c.Mail(from, nil); err != nil {
		return toSendError("MAIL FROM", err)
	}
	for _, rcpt := range to {
		if err := s.c.Rcpt(rcpt, nil); err != nil {
			return toSendError("RCPT TO "+rcpt, err)
		}
	}
	w, err := s.c.Data()
	if err != nil {
		return toSendError("DATA", err)
	}
	if _, err := io.Copy(w, raw); err != nil {
		w.Close()
		return toSendError("DATA body", err)
	}
	if err := w.Close(); err != nil {
		return toSendError("end of DATA", err)
	}
	return nil
}

// toSendError maps an SMTP or network error.
func toSendError(stage string, err error) *SendError {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		out := &SendError{Code: se.Code, Message: se.Message, Temporary: se.Code/100 == 4, Err: fmt.Errorf("smtpout: %s: %w", stage, err)}
		if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
			out.Enhanced = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return out
	}
	return &SendError{Message: err.Error(), Temporary: true, Err: fmt.Errorf("smtpout: %s: %w", stage, err)}
}

// ensure makes sure s.c is a live, authenticated session.
func (s *Sender) ensure(ctx context.Context) error {
	if s.c != nil {
		if time.Since(s.lastUsed) < s.cfg.MaxIdle {
			s.conn.SetDeadline(time.Now().Add(s.cfg.CommandTimeout))
			err := s.c.Reset()
			s.conn.SetDeadline(time.Time{})
			if err == nil {
				return nil
			}
			s.log.Debug("smtpout: reused connection is dead; reconnecting", "err", err)
		}
		s.drop()
	}
	c, conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	s.c, s.conn, s.lastUsed = c, conn, time.Now()
	s.dials++
	return nil
}

func (s *Sender) drop() {
	if s.c != nil {
		s.conn.SetDeadline(time.Now().Add(time.Second))
		_ = s.c.Quit()
		s.c.Close()
		s.c, s.conn = nil, nil
	}
}

// Close ends the session politely.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drop()
	return nil
}

func (s *Sender) problem(err error) *SendError {
	p := providers.NetProblem("smtp", s.addr(), s.cfg.Provider, err)
	return &SendError{Message: p.Message("en"), Temporary: true, Problem: p, Err: err}
}

// dial connects and authenticates. When the server refuses an Auth that
// is a Retrier (an expired OAuth token), it connects once more with
// Retry's fresh credentials: a new connection, because go-smtp answers a
// final 535 with "*", which Postfix takes as a non-SMTP command and hangs up.
func (s *Sender) dial(ctx context.Context) (*smtp.Client, net.Conn, error) {
	c, conn, err := s.dialOnce(ctx, false)
	var se *SendError
	if _, ok := s.cfg.Auth.(Retrier); ok && errors.As(err, &se) && se.Code == 535 {
		s.log.Info("smtpout: authentication refused; retrying with fresh credentials", "server", s.addr())
		return s.dialOnce(ctx, true)
	}
	return c, conn, err
}

func (s *Sender) dialOnce(ctx context.Context, retry bool) (*smtp.Client, net.Conn, error) {
	sc := s.cfg.Server
	addr := s.addr()
	if err := providers.ValidateServer("smtp", sc, s.cfg.AllowInsecure); err != nil {
		code := providers.CodeInvalidSettings
		if sc.Encryption == providers.None {
			code = providers.CodeInsecureRefused
		}
		p := providers.New(code, "smtp", addr, s.cfg.Provider, err)
		return nil, nil, &SendError{Message: p.Message("en"), Problem: p, Err: err}
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
	defer cancel()
	dial := s.cfg.Dial
	if dial == nil {
		d := net.Dialer{KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	raw, err := dial(dctx, "tcp", addr)
	if err != nil {
		return nil, nil, s.problem(err)
	}
	raw.SetDeadline(time.Now().Add(s.cfg.DialTimeout))
	stop := context.AfterFunc(dctx, func() { raw.SetDeadline(time.Now()) })
	defer stop()
	tlsCfg := s.cfg.TLS.Clone()
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = sc.Host
	}
	var c *smtp.Client
	switch sc.Encryption {
	case providers.TLS:
		tc := tls.Client(raw, tlsCfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			raw.Close()
			return nil, nil, s.problem(err)
		}
		c = smtp.NewClient(tc)
	case providers.StartTLS:
		c, err = smtp.NewClientStartTLS(raw, tlsCfg)
		if err != nil {
			raw.Close()
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				p := providers.New(providers.CodeStartTLSMissing, "smtp", addr, s.cfg.Provider, err)
				msg := p.Message("en")
				if s.cfg.Provider == RelayProvider {
					// Not a mailbox: the advice is Atende's own flag.
					msg = fmt.Sprintf("The relay %s does not offer STARTTLS. Start Atende with --relay-encryption none "+
						"(only for a relay on this machine or a private network) or --relay-encryption tls (port 465).", addr)
				}
				return nil, nil, &SendError{Message: msg, Temporary: true, Problem: p, Err: err}
			}
			return nil, nil, s.problem(err)
		}
	default:
		c = smtp.NewClient(raw)
	}
	c.CommandTimeout, c.SubmissionTimeout = s.cfg.CommandTimeout, s.cfg.SubmitTimeout
	if err := c.Hello(s.cfg.LocalName); err != nil {
		c.Close()
		return nil, nil, s.problem(err)
	}
	if s.cfg.Auth != nil {
		ok, mechs := c.Extension("AUTH")
		var sc sasl.Client
		var aerr error
		if ok && retry {
			sc, aerr = s.cfg.Auth.(Retrier).Retry(ctx, strings.Fields(mechs))
		} else if ok {
			sc, aerr = s.cfg.Auth.Client(ctx, strings.Fields(mechs))
		} else {
			aerr = fmt.Errorf("%w (server offers no AUTH)", ErrNoMechanism)
		}
		if aerr != nil {
			c.Close()
			return nil, nil, s.authError(aerr)
		}
		if err := c.Auth(sc); err != nil {
			c.Close()
			var smtpErr *smtp.SMTPError
			if errors.As(err, &smtpErr) {
				se := toSendError("AUTH", err)
				se.Temporary = smtpErr.Code/100 == 4
				se.Problem = providers.New(providers.CodeSMTPAuthFailed, "smtp", addr, s.cfg.Provider, err)
				return nil, nil, se
			}
			return nil, nil, s.problem(err)
		}
	}
	raw.SetDeadline(time.Time{})
	return c, raw, nil
}
