package smtpin

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Defaults of Config.
const (
	DefaultAddr           = "127.0.0.1:2525"
	DefaultMaxMessageSize = 50 << 20
	DefaultMaxConnsPerIP  = 20
	DefaultConnsPerMinute = 600
	DefaultConnBurst      = 100
	DefaultReadTimeout    = 5 * time.Minute // RFC 5321 §4.5.3.2 minimums
	DefaultWriteTimeout   = 5 * time.Minute
	DefaultDataTimeout    = 2 * time.Minute // storing one message durably
	DefaultAuthTimeout    = 2 * time.Second // SPF+DKIM+DMARC lookups in all: then "temperror"
	DefaultShutdownGrace  = 30 * time.Second
	DefaultAddressTTL     = 30 * time.Second
	DefaultMaxRecipients  = 100
	defaultSpoolMemory    = 1 << 20
)

// Config configures a Server. Zero values take the defaults above.
type Config struct {
	Addr          string // listen address, default 127.0.0.1:2525
	Hostname      string // our name in the greeting and Received:; default os.Hostname()
	InboundDomain string // domain of inbound addresses (required)
	// AuthServID is the authserv-id of our Authentication-Results header;
	// default Hostname.
	AuthServID string
	// CertFile/KeyFile (PEM) or TLSConfig enable STARTTLS.
	CertFile, KeyFile string
	TLSConfig         *tls.Config
	// MaxMessageSize in bytes (DATA); larger messages get 552 5.3.4.
	MaxMessageSize int64
	MaxRecipients  int
	// Per client IP: concurrent connections, and new connections per
	// minute with a burst. Exceeding either answers 421 4.7.0. Negative
	// values disable the limit.
	MaxConnsPerIP  int
	ConnsPerMinute int
	ConnBurst      int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	// DataTimeout bounds authentication plus durable storage of one
	// message after the end of DATA.
	DataTimeout time.Duration
	AuthTimeout time.Duration
	// ShutdownGrace is how long Run waits, after its context ends, for
	// transactions in progress before cutting connections.
	ShutdownGrace time.Duration
	// AddressTTL is how long the primary/additional email table is cached.
	AddressTTL time.Duration
	// SpoolDir holds temporary files of messages over 1 MB; default os.TempDir().
	SpoolDir string
	// WrapListener, optional, wraps the TCP listener (metrics count
	// sessions and reply codes on the wire).
	WrapListener func(net.Listener) net.Listener
	// LowSpace, optional, reports that the data directory is short of
	// free space: MAIL gets 452 4.3.1 (before any DATA is sent) until it
	// is not.
	LowSpace func() bool
}

func (c *Config) setDefaults() error {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Hostname == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		c.Hostname = h
	}
	c.InboundDomain = normDomain(c.InboundDomain)
	if c.InboundDomain == "" {
		return errors.New("smtpin: config: InboundDomain is required")
	}
	if c.AuthServID == "" {
		c.AuthServID = c.Hostname
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = DefaultMaxRecipients
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxConnsPerIP, DefaultMaxConnsPerIP)
	def(&c.ConnsPerMinute, DefaultConnsPerMinute)
	def(&c.ConnBurst, DefaultConnBurst)
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defd(&c.ReadTimeout, DefaultReadTimeout)
	defd(&c.WriteTimeout, DefaultWriteTimeout)
	defd(&c.DataTimeout, DefaultDataTimeout)
	defd(&c.AuthTimeout, DefaultAuthTimeout)
	defd(&c.ShutdownGrace, DefaultShutdownGrace)
	defd(&c.AddressTTL, DefaultAddressTTL)
	if c.SpoolDir == "" {
		c.SpoolDir = os.TempDir()
	}
	if c.TLSConfig == nil && c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return fmt.Errorf("smtpin: config: load certificate: %w", err)
		}
		c.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return nil
}

// Acceptor stores one raw message durably for a channel; *ingest.Service
// satisfies it. SMTP answers 250 only after it returned nil.
type Acceptor interface {
	AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error)
}

var _ Acceptor = (*ingest.Service)(nil)

// Deps are the server's collaborators.
type Deps struct {
	Store  Directory  // a store.Store
	Ingest Acceptor   // an *ingest.Service
	Blobs  blob.Store // the blob store ingest writes to (re-read for extra channels, notices)
	// Resolver for SPF/DKIM/DMARC; nil = net.DefaultResolver.
	Resolver Resolver
	// Clock is the program's one clock (required).
	Clock clock.Clock
}

// Server is Atende's inbound SMTP server for forwarded mail.
type Server struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
	auth authenticator
	rcpt *rcptResolver
	srv  *smtp.Server
	lim  *ipLimiter

	// hardCtx ends when the server is closed for good: in-flight storage
	// gives up then (graceful shutdown lets it finish first).
	hardCtx    context.Context
	hardCancel context.CancelFunc

	mu       sync.Mutex
	ln       *limitListener
	running  bool
	closed   bool
	wg       sync.WaitGroup // rejection writers
	dataWG   sync.WaitGroup // Data calls in progress
	sessions sync.WaitGroup // sessions not yet logged out
}

var (
	_ smtp.Backend = (*Server)(nil)
	_ smtp.Session = (*session)(nil)
)

// New builds a Server; call Listen (optional) and Run.
func New(cfg Config, deps Deps, log *slog.Logger) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if deps.Store == nil || deps.Ingest == nil || deps.Blobs == nil || deps.Clock == nil {
		return nil, errors.New("smtpin: Store, Ingest, Blobs and Clock are required")
	}
	if deps.Resolver == nil {
		deps.Resolver = net.DefaultResolver
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, deps: deps, log: log, auth: authenticator{res: deps.Resolver}}
	s.rcpt = &rcptResolver{dir: deps.Store, domain: cfg.InboundDomain, ttl: cfg.AddressTTL, now: deps.Clock.Now, log: log}
	// Wall clock: the connection rate limit paces the network edge; it
	// decides nothing that is stored or scheduled.
	s.lim = newIPLimiter(cfg.MaxConnsPerIP, cfg.ConnsPerMinute, cfg.ConnBurst, time.Now)
	s.hardCtx, s.hardCancel = context.WithCancel(context.Background())
	srv := smtp.NewServer(s)
	srv.Addr = cfg.Addr
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageSize
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	srv.TLSConfig = cfg.TLSConfig
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = slogLogger{log}
	s.srv = srv
	return s, nil
}

// InboundDomain is the configured domain of inbound addresses.
func (s *Server) InboundDomain() string { return s.cfg.InboundDomain }

// InvalidateAddresses drops the cached primary/additional email table (call
// after a channel's addresses changed; otherwise it refreshes within AddressTTL).
func (s *Server) InvalidateAddresses() { s.rcpt.invalidate() }

// Listen binds the configured address (Run does it when not done yet).
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return smtp.ErrServerClosed
	}
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtpin: listen %s: %w", s.cfg.Addr, err)
	}
	if s.cfg.WrapListener != nil {
		ln = s.cfg.WrapListener(ln) // metrics
	}
	s.ln = &limitListener{Listener: ln, lim: s.lim, hostname: s.cfg.Hostname, wg: &s.wg,
		onReject: func(ip, reason string) { s.log.Warn("smtpin: connection refused", "ip", ip, "reason", reason) }}
	return nil
}

// Addr is the bound address (nil before Listen).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run serves until ctx ends, then shuts down gracefully: it stops
// accepting, lets transactions in progress finish for up to ShutdownGrace,
// then closes the remaining connections and waits for every goroutine it
// started. It returns nil after a shutdown caused by ctx.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("smtpin: Run called twice")
	}
	s.running = true
	ln := s.ln
	s.mu.Unlock()

	s.log.Info("smtpin: listening", "addr", ln.Addr().String(), "inbound_domain", s.cfg.InboundDomain,
		"starttls", s.cfg.TLSConfig != nil)
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.srv.Serve(ln) }()

	var err error
	select {
	case err = <-serveErr:
		// Serve stopped on its own (listener failure or Close).
		if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
			err = nil
		}
		s.shutdown(context.Background())
	case <-ctx.Done():
		grace, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
		s.drain(grace)
		s.shutdown(grace)
		cancel()
		<-serveErr
	}
	return err
}

// shutdown stops gracefully within ctx, then hard; it waits for all
// goroutines the server owns.
func (s *Server) shutdown(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		s.log.Warn("smtpin: graceful shutdown incomplete, closing connections", "err", err)
	}
	s.hardCancel()
	_ = s.srv.Close()
	s.ln.closeAll()
	s.dataWG.Wait()
	s.sessions.Wait()
	s.wg.Wait()
}

// Close stops the server at once: connections are cut and storage in
// progress is abandoned (those senders got no 250 and will retry). Run
// returns after Close.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	ln := s.ln
	running := s.running
	s.mu.Unlock()
	s.hardCancel()
	err := s.srv.Close()
	if ln != nil {
		ln.closeAll()
		if !running {
			err = ln.Close()
		}
	}
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.sessions.Add(1)
	}
	s.mu.Unlock()
	if closed {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Server shutting down, try again later"}
	}
	var ip net.IP
	if ta, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.IP
	}
	return &session{s: s, conn: c, ip: ip, helo: c.Hostname()}, nil
}

// session is one SMTP connection.
type session struct {
	s       *Server
	conn    *smtp.Conn
	ip      net.IP
	helo    string
	once    sync.Once
	from    string
	hasMail bool
	rcpts   []string        // envelope recipients accepted
	chans   []model.Channel // distinct channels, in RCPT order
}

func (se *session) Reset() {
	se.from, se.hasMail, se.rcpts, se.chans = "", false, nil, nil
}

func (se *session) Logout() error {
	se.once.Do(se.s.sessions.Done)
	return nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.Reset()
	if se.s.draining() {
		return errShuttingDown
	}
	if err := se.s.spaceCheck(); err != nil {
		return err
	}
	se.from, se.hasMail = from, true
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if se.s.draining() {
		return errShuttingDown
	}
	ctx, cancel := context.WithTimeout(se.s.hardCtx, 30*time.Second)
	defer cancel()
	ch, err := se.s.rcpt.resolve(ctx, to)
	if err != nil {
		var smtpErr *smtp.SMTPError
		if !errors.As(err, &smtpErr) {
			smtpErr = errLookupFailed
		}
		if smtpErr.Code/100 == 4 {
			se.s.log.Error("smtpin: recipient lookup failed", "rcpt", to, "err", err)
		} else {
			se.s.log.Info("smtpin: recipient refused", "rcpt", to, "ip", se.ip, "code", smtpErr.Code, "reason", smtpErr.Message)
		}
		return smtpErr
	}
	se.rcpts = append(se.rcpts, to)
	for _, c := range se.chans {
		if c.ID == ch.ID {
			return nil // several addresses of one channel: one copy
		}
	}
	se.chans = append(se.chans, *ch)
	return nil
}

// SMTP replies for DATA.
var (
	errTooLarge = func(limit int64) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
			Message: "Message too large: this server accepts messages up to " + ingest.HumanSize(limit)}
	}
	errStorage = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: "Temporary storage failure, message not accepted; try again later"}
	errEmpty = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "Empty message"}
)

func (se *session) Data(r io.Reader) error {
	s := se.s
	s.dataWG.Add(1)
	defer s.dataWG.Done()
	se.setBusy(true)
	defer se.setBusy(false)
	start := s.deps.Clock.Now()

	sp := newSpool(s.cfg.SpoolDir, defaultSpoolMemory)
	defer sp.Close()
	if _, err := io.Copy(sp, r); err != nil {
		if errors.Is(err, smtp.ErrDataTooLarge) {
			s.log.Info("smtpin: message too large", "ip", se.ip, "from", se.from, "limit", s.cfg.MaxMessageSize)
			return errTooLarge(s.cfg.MaxMessageSize)
		}
		s.log.Warn("smtpin: reading DATA", "ip", se.ip, "err", err)
		return errStorage
	}
	if sp.Size() == 0 {
		return errEmpty
	}

	ctx, cancel := context.WithTimeout(s.hardCtx, s.cfg.DataTimeout)
	defer cancel()
	id := newESMTPID()

	hdr, headerOK := se.readHeader(sp) // for From, ARC and confirmations only
	authCtx, authCancel := context.WithTimeout(ctx, s.cfg.AuthTimeout)
	in := AuthInput{IP: se.ip, Helo: se.helo, MailFrom: se.from}
	ar := s.auth.evaluate(authCtx, in, hdr, sp.Reader())
	authCancel()

	prefix := se.traceHeaders(id, ar, in)
	var removed atomic.Int64
	raw := func() io.Reader {
		return io.MultiReader(bytes.NewReader(prefix),
			newARFilter(sp.Reader(), s.cfg.AuthServID, func(n int) { removed.Store(int64(n)) }))
	}
	log := s.log.With("id", id, "ip", se.ip, "from", se.from, "size", sp.Size(), "channels", len(se.chans))
	defer func() {
		if n := removed.Load(); n > 0 {
			log.Warn("smtpin: removed forged Authentication-Results", "count", n, "authserv_id", s.cfg.AuthServID)
		}
	}()

	if headerOK && isConfirmationCandidate(hdr) {
		handled, err := se.storeConfirmation(ctx, log, raw, ar)
		if err != nil {
			return err
		}
		if handled {
			return nil
		}
	}

	// Stream into the first channel; the others get the stored blob back.
	var first ingest.Result
	for i := range se.chans {
		ch := &se.chans[i]
		var src io.Reader
		var rc io.ReadCloser
		var err error
		if i == 0 {
			src = raw()
		} else {
			rc, err = s.deps.Blobs.Open(ctx, first.RawKey)
			if err != nil {
				log.Error("smtpin: reopen stored message", "key", first.RawKey, "err", err)
				return errStorage
			}
			src = rc
		}
		res, err := s.deps.Ingest.AcceptContent(ctx, ch, src)
		if rc != nil {
			rc.Close()
		}
		if err != nil {
			switch {
			case errors.Is(err, ingest.ErrTooLarge):
				log.Info("smtpin: message too large for ingest", "err", err)
				return errTooLarge(s.cfg.MaxMessageSize)
			case errors.Is(err, ingest.ErrEmpty):
				return errEmpty
			}
			log.Error("smtpin: storing message failed; answering 451", "channel_id", ch.ID, "err", err)
			return errStorage
		}
		if i == 0 {
			first = res
		}
		log.Info("smtpin: accepted", "company_id", ch.CompanyID, "channel_id", ch.ID, "inbound_id", res.InboundID,
			"duplicate", res.Duplicate, "spf", ar.SPF, "dmarc", ar.DMARC, "ms", s.deps.Clock.Now().Sub(start).Milliseconds())
	}
	return nil
}

// readHeader parses the original header block (lenient: a malformed
// header yields ok=false and the message is stored as it came).
func (se *session) readHeader(sp *spool) (textproto.Header, bool) {
	br := bufio.NewReader(sp.Reader())
	hdr, err := textproto.ReadHeader(br)
	if err != nil {
		return textproto.Header{}, false
	}
	return hdr, true
}

// traceHeaders are the fields prepended to the stored message:
// Return-Path, Authentication-Results, X-Atende-ARC (when the message
// carries ARC sets) and Received.
func (se *session) traceHeaders(id string, ar AuthResult, in AuthInput) []byte {
	s := se.s
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", sanitizeHeader(se.from))
	fmt.Fprintf(&b, "Authentication-Results: %s\r\n", formatAuthResults(s.cfg.AuthServID, ar, in))
	if ar.ARC.Instances > 0 {
		fmt.Fprintf(&b, "X-Atende-ARC: sets=%d; sealer=%s; cv=%s; verified=no\r\n",
			ar.ARC.Instances, sanitizeHeader(orDash(ar.ARC.Sealer)), sanitizeHeader(orDash(ar.ARC.CV)))
	}
	proto := "ESMTP"
	if _, ok := se.conn.TLSConnectionState(); ok {
		proto = "ESMTPS"
	}
	ip := "unknown"
	if se.ip != nil {
		ip = se.ip.String()
	}
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (Atende) with %s id %s", sanitizeHeader(orDash(se.helo)), ip,
		s.cfg.Hostname, proto, id)
	if len(se.rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", sanitizeHeader(se.rcpts[0]))
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", s.deps.Clock.Now().UTC().Format(time.RFC1123Z))
	return b.Bytes()
}

// storeConfirmation turns a verified forwarding confirmation into one
// notice per channel. handled=false sends the mail down the normal path
// (not a confirmation, or not provably from Google).
func (se *session) storeConfirmation(ctx context.Context, log *slog.Logger, raw func() io.Reader, ar AuthResult) (handled bool, err error) {
	s := se.s
	conf, ok := parseConfirmation(raw())
	if !ok {
		return false, nil
	}
	if !dkimPassFor(ar, "google.com") {
		log.Warn("smtpin: forwarding confirmation without a valid google.com DKIM signature; treating as ordinary mail")
		return false, nil
	}
	key, _, err := s.deps.Blobs.Put(ctx, raw(), s.cfg.MaxMessageSize+64<<10)
	if err != nil {
		log.Error("smtpin: storing forwarding confirmation failed; answering 451", "err", err)
		return false, errStorage
	}
	for i := range se.chans {
		ch := &se.chans[i]
		title, body := conf.noticeText(ch.Name)
		msgKey, params := conf.noticeMessage(ch.Name)
		n := &store.Notice{CompanyID: ch.CompanyID, ChannelID: ch.ID, Kind: store.NoticeForwardingConfirmation,
			Key: msgKey, Params: params, Title: title, Body: body, Code: conf.Code, Link: conf.Link, RawKey: key, CreatedAt: s.deps.Clock.Now()}
		err := s.deps.Store.CreateNotice(ctx, n)
		if err != nil && !errors.Is(err, store.ErrConflict) {
			log.Error("smtpin: creating notice failed; answering 451", "channel_id", ch.ID, "err", err)
			return false, errStorage
		}
		log.Info("smtpin: forwarding confirmation stored as a notice", "channel_id", ch.ID, "notice_id", n.ID,
			"requester", conf.Requester, "duplicate", err != nil)
	}
	return true, nil
}

func dkimPassFor(ar AuthResult, domain string) bool {
	for _, sig := range ar.DKIM {
		if sig.Result == "pass" && orgDomain(sig.Domain) == domain {
			return true
		}
	}
	return false
}

func newESMTPID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// sanitizeHeader keeps client-supplied text from breaking our header lines.
func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// slogLogger adapts slog to go-smtp's Logger.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) {
	l.log.Warn("smtpin: smtp", "msg", fmt.Sprintf(format, v...))
}
func (l slogLogger) Println(v ...any) { l.log.Warn("smtpin: smtp", "msg", fmt.Sprint(v...)) }
