package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Errors callers map to responses.
var (
	ErrInvalidCredentials = errors.New("auth: invalid email or password")
	ErrLocked             = errors.New("auth: too many failed logins; try again later")
	ErrUnauthenticated    = errors.New("auth: not authenticated")
	ErrForbidden          = errors.New("auth: not allowed")
	// ErrBusy: every password-hashing slot stayed taken for HashWait; the
	// caller answers 429 and the client tries again in a moment.
	ErrBusy = errors.New("auth: too many logins at once; try again in a moment")
)

// LockedError says until when a login from this client is refused.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return ErrLocked.Error() }
func (e *LockedError) Unwrap() error { return ErrLocked }

// Config tunes sessions and throttling; zero fields take the defaults.
type Config struct {
	SessionIdle     time.Duration // sliding expiry; default 7 days
	SessionAbsolute time.Duration // hard limit since login; default 30 days
	// Throttling per account and client address: MaxAccountFailures
	// failed logins (default 5) are free; after that each attempt from
	// that address to that account waits BaseDelay (30 s), doubled with
	// every further failure, up to Lockout (15 min). Nobody else is held
	// back: not the account from another address, not another account.
	MaxAccountFailures int
	// Throttling per client address across accounts (password spraying):
	// MaxIPFailures failures (default 30) are free, then the same doubling
	// up to IPMaxDelay (5 min). Behind a reverse proxy without
	// --trust-proxy every client has the proxy's address: the server logs
	// a warning when that key starts delaying.
	MaxIPFailures int
	BaseDelay     time.Duration
	Lockout       time.Duration
	IPMaxDelay    time.Duration
	// Window: a counter starts over after this long without a failure
	// (default 1 h).
	Window time.Duration
	// MaxConcurrentHashes bounds password hashing (argon2id takes 19 MiB
	// and a CPU core each): default 2. A login waits up to HashWait (5 s)
	// for a slot, then gets ErrBusy.
	MaxConcurrentHashes int
	HashWait            time.Duration
	Params              Params // password hashing; default DefaultParams
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SessionIdle, 7*24*time.Hour)
	def(&c.SessionAbsolute, 30*24*time.Hour)
	def(&c.BaseDelay, 30*time.Second)
	def(&c.Lockout, 15*time.Minute)
	def(&c.IPMaxDelay, 5*time.Minute)
	def(&c.Window, time.Hour)
	def(&c.HashWait, 5*time.Second)
	if c.MaxAccountFailures <= 0 {
		c.MaxAccountFailures = 5
	}
	if c.MaxIPFailures <= 0 {
		c.MaxIPFailures = 30
	}
	if c.MaxConcurrentHashes <= 0 {
		c.MaxConcurrentHashes = 2
	}
	if c.Params.Memory == 0 {
		c.Params = DefaultParams
	}
}

// Principal is who a request runs as.
type Principal struct {
	CompanyID int64
	AgentID   int64
	Role      model.Role
	Name      string
	Email     string
	TeamIDs   []int64
	// Session is set for cookie logins (CSRF applies); TokenID for bearer tokens.
	Session *store.Session
	TokenID int64
}

// IsAdmin reports whether p has the admin role.
func (p *Principal) IsAdmin() bool { return p != nil && p.Role == model.RoleAdmin }

// InTeam reports whether p is a member of team id.
func (p *Principal) InTeam(id int64) bool {
	for _, t := range p.TeamIDs {
		if t == id && id != 0 {
			return true
		}
	}
	return false
}

// Service authenticates agents.
type Service struct {
	store store.Store
	log   *slog.Logger
	cfg   Config
	clk   clock.Clock
	// slots bounds concurrent password hashing.
	slots chan struct{}
	// hashes counts password checks and hashes (Stats).
	hashes, peak, inFlight atomic.Int64
}

// New returns a Service. clk is the program's one clock (package clock).
func New(st store.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	return &Service{store: st, log: log, cfg: cfg, clk: clk, slots: make(chan struct{}, cfg.MaxConcurrentHashes)}
}

// Now is the service's clock (lockout messages count down from it).
func (s *Service) Now() time.Time { return s.clk.Now() }

// Params are the password hashing parameters in use.
func (s *Service) Params() Params { return s.cfg.Params }

// Stats are the password hashes computed so far and the most that ran at
// once (tests; a metric).
type Stats struct {
	Hashes      int64
	PeakHashing int64
}

// Stats reports hashing counters.
func (s *Service) Stats() Stats { return Stats{s.hashes.Load(), s.peak.Load()} }

// slot takes a hashing slot, waiting up to HashWait; the caller must
// call the returned release.
func (s *Service) slot(ctx context.Context) (release func(), err error) {
	t := time.NewTimer(s.cfg.HashWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.hashes.Add(1)
	n := s.inFlight.Add(1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return func() {
		s.inFlight.Add(-1)
		<-s.slots
		// Each argon2id hash leaves Memory KiB (19 MiB) of garbage; under a
		// burst the collector's default pacing (the heap may double before
		// a cycle) would let it pile up to twice the live hashes. Collect
		// now: a few milliseconds for a heap this size, and the server's
		// memory stays near MaxConcurrentHashes × 19 MiB above its base.
		runtime.GC()
	}, nil
}

// HashPassword hashes with the service's parameters, inside a hashing
// slot (ErrBusy when none frees up within HashWait).
func (s *Service) HashPassword(pw string) (string, error) {
	release, err := s.slot(context.Background())
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw, s.cfg.Params)
}

// LoginInput is what the login form sends.
type LoginInput struct {
	Company  string // company slug
	Email    string
	Password string
	// IP is the client address (auth.HTTP.ClientIP: the connection's
	// address, or X-Forwarded-For only with --trust-proxy).
	IP string
}

// throttleKeys are the counters a login attempt is counted against, in
// lock order: the account from this address, then the address.
func throttleKeys(slug, email, ip string) []string {
	acct := "acct:" + slug + ":" + email
	if ip == "" {
		return []string{acct}
	}
	ipKey := "ip:" + clientKey(ip)
	return []string{acct + "|" + ipKey, ipKey}
}

// clientKey is an address for throttling: IPv4 as is, IPv6 by its /64
// (one subscriber gets a whole /64).
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// delay is how long the next attempt waits after failures failures.
func delay(failures, free int, base, max time.Duration) time.Duration {
	if failures < free {
		return 0
	}
	d := base << min(failures-free, 20)
	if d <= 0 || d > max {
		d = max
	}
	return d
}

func (s *Service) limits(key string) (free int, max time.Duration) {
	if strings.HasPrefix(key, "ip:") {
		return s.cfg.MaxIPFailures, s.cfg.IPMaxDelay
	}
	return s.cfg.MaxAccountFailures, s.cfg.Lockout
}

// admit counts the attempt against every key before any hashing, in one
// transaction, so concurrent attempts are counted one after the other:
// the first MaxAccountFailures of a burst are checked, the rest wait. A
// key that is holding attempts back refuses this one (not counted).
func (s *Service) admit(ctx context.Context, now time.Time, keys []string) error {
	var until time.Time
	err := s.store.Tx(ctx, func(q store.Queries) error {
		var ths []*store.LoginThrottle
		for _, k := range keys {
			th, err := q.LockLoginThrottle(ctx, k, now)
			if err != nil {
				return err
			}
			if now.Before(th.LockedUntil) {
				if th.LockedUntil.After(until) {
					until = th.LockedUntil
				}
				continue
			}
			if now.Sub(th.WindowStart) >= s.cfg.Window {
				th.Failures = 0
			}
			ths = append(ths, th)
		}
		if !until.IsZero() {
			return ErrLocked // rolls back: nothing counted
		}
		for _, th := range ths {
			th.Failures++
			th.WindowStart = now
			free, max := s.limits(th.Key)
			th.LockedUntil = time.Time{}
			if d := delay(th.Failures, free, s.cfg.BaseDelay, max); d > 0 {
				th.LockedUntil = now.Add(d)
				if strings.HasPrefix(th.Key, "ip:") && th.Failures == free {
					s.log.Warn("auth: many failed logins from one address; delaying it (behind a reverse proxy, set --trust-proxy so clients are told apart)",
						"failures", th.Failures)
				}
			}
			if err := q.PutLoginThrottle(ctx, th); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrLocked) {
		return &LockedError{Until: until}
	}
	if err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	return nil
}

// refund takes back the attempt admit counted: after a success (the
// account's counter for this address is forgotten), or when the password
// was never checked (busy).
func (s *Service) refund(ctx context.Context, keys []string, success bool) {
	err := s.store.Tx(context.WithoutCancel(ctx), func(q store.Queries) error {
		for _, k := range keys {
			if success && !strings.HasPrefix(k, "ip:") {
				if err := q.DeleteLoginThrottle(ctx, k); err != nil {
					return err
				}
				continue
			}
			th, err := q.LockLoginThrottle(ctx, k, s.Now().UTC())
			if err != nil {
				return err
			}
			th.Failures = max(0, th.Failures-1)
			free, mx := s.limits(k)
			th.LockedUntil = time.Time{}
			if d := delay(th.Failures, free, s.cfg.BaseDelay, mx); d > 0 {
				th.LockedUntil = th.WindowStart.Add(d)
			}
			if err := q.PutLoginThrottle(ctx, th); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.log.Warn("auth: login throttle refund", "err", err)
	}
}

// Login checks credentials and opens a session. It returns the raw cookie
// token (shown to the browser only) and the session. Every attempt is
// counted against the account from this address and against the address
// before the password is hashed; a held-back client gets a *LockedError
// even with the right password, and at most MaxConcurrentHashes passwords
// are hashed at once (ErrBusy beyond HashWait).
func (s *Service) Login(ctx context.Context, in LoginInput) (string, *store.Session, *Principal, error) {
	now := s.Now().UTC()
	email := model.NormalizeEmail(in.Email)
	slug := strings.ToLower(strings.TrimSpace(in.Company))
	keys := throttleKeys(slug, email, in.IP)
	if err := s.admit(ctx, now, keys); err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			s.log.Info("auth: login held back", "company", slug, "ip", in.IP, "until", le.Until)
		}
		return "", nil, nil, err
	}
	release, err := s.slot(ctx)
	if err != nil {
		s.refund(ctx, keys, false)
		if errors.Is(err, ErrBusy) {
			s.log.Warn("auth: every password hashing slot is busy; login refused", "ip", in.IP)
		}
		return "", nil, nil, err
	}
	defer release()
	var agent *model.Agent
	co, err := s.store.GetCompanyBySlug(ctx, slug)
	if err == nil {
		agent, err = s.store.GetAgentByEmail(ctx, co.ID, email)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.refund(ctx, keys, false)
		return "", nil, nil, fmt.Errorf("auth: login: %w", err)
	}
	ok := false
	if agent != nil && !agent.Disabled && agent.PasswordHash != "" {
		ok, err = VerifyPassword(agent.PasswordHash, in.Password)
		if err != nil {
			s.log.Error("auth: stored password hash unreadable", "agent", agent.ID, "err", err)
		}
	} else {
		_, _ = VerifyPassword(dummyHash(), in.Password) // same time as a real check
	}
	if !ok {
		s.log.Info("auth: login failed", "company", slug, "ip", in.IP)
		return "", nil, nil, ErrInvalidCredentials
	}
	s.refund(ctx, keys, true)
	if NeedsRehash(agent.PasswordHash, s.cfg.Params) {
		if h, err := HashPassword(in.Password, s.cfg.Params); err == nil {
			agent.PasswordHash = h
			if err := s.store.UpdateAgent(ctx, agent); err != nil {
				s.log.Warn("auth: rehash password", "agent", agent.ID, "err", err)
			}
		}
	}
	token := newSecret()
	se := &store.Session{CompanyID: agent.CompanyID, AgentID: agent.ID, TokenHash: HashToken(token), CSRFToken: newSecret(),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionIdle)}
	if err := s.store.CreateSession(ctx, se); err != nil {
		return "", nil, nil, fmt.Errorf("auth: create session: %w", err)
	}
	p, err := s.principal(ctx, agent)
	if err != nil {
		return "", nil, nil, err
	}
	p.Session = se
	return token, se, p, nil
}

// principal loads what a request needs to know about agent.
func (s *Service) principal(ctx context.Context, a *model.Agent) (*Principal, error) {
	teams, err := s.store.AgentTeamIDs(ctx, a.CompanyID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("auth: load teams: %w", err)
	}
	return principalOf(a, teams), nil
}

// principalOf is the principal acting as agent a, member of teams.
func principalOf(a *model.Agent, teams []int64) *Principal {
	return &Principal{CompanyID: a.CompanyID, AgentID: a.ID, Role: a.Role, Name: a.Name, Email: a.Email, TeamIDs: teams}
}

// activeAgent loads an agent that may act (exists, not disabled).
func (s *Service) activeAgent(ctx context.Context, companyID, agentID int64) (*model.Agent, error) {
	a, err := s.store.GetAgent(ctx, companyID, agentID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load agent: %w", err)
	}
	if a.Disabled {
		return nil, ErrUnauthenticated
	}
	return a, nil
}

// Session resolves a cookie token. Expired sessions (idle or absolute)
// are ErrUnauthenticated. Activity slides the idle expiry, written at
// most once a minute.
func (s *Service) Session(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrUnauthenticated
	}
	// One query: the session, its agent and the agent's teams.
	se, a, teams, err := s.store.GetSessionAuth(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	now := s.Now().UTC()
	if !now.Before(se.ExpiresAt) || now.Sub(se.CreatedAt) >= s.cfg.SessionAbsolute {
		_ = s.store.DeleteSession(ctx, se.TokenHash)
		return nil, ErrUnauthenticated
	}
	if a.Disabled {
		return nil, ErrUnauthenticated
	}
	if now.Sub(se.LastSeenAt) >= time.Minute {
		se.LastSeenAt, se.ExpiresAt = now, now.Add(s.cfg.SessionIdle)
		if err := s.store.TouchSession(ctx, se.ID, se.LastSeenAt, se.ExpiresAt); err != nil {
			s.log.Warn("auth: touch session", "err", err)
		}
	}
	p := principalOf(a, teams)
	p.Session = se
	return p, nil
}

// SessionEnd is when a session ends at the latest (its absolute limit):
// the lifetime of its cookie. Idle expiry slides on the server.
func (s *Service) SessionEnd(se *store.Session) time.Time {
	return se.CreatedAt.Add(s.cfg.SessionAbsolute)
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	err := s.store.DeleteSession(ctx, HashToken(token))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("auth: logout: %w", err)
	}
	return nil
}

// Bearer resolves an API token. Unknown and revoked tokens, and tokens
// whose agent is gone or disabled, are ErrUnauthenticated.
func (s *Service) Bearer(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, APITokenPrefix) {
		return nil, ErrUnauthenticated
	}
	// One query: the token, its agent and the agent's teams.
	t, a, teams, err := s.store.GetAPITokenAuth(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: bearer: %w", err)
	}
	if !t.RevokedAt.IsZero() || a.Disabled {
		return nil, ErrUnauthenticated
	}
	now := s.Now().UTC()
	if now.Sub(t.LastUsedAt) >= time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.log.Warn("auth: touch API token", "err", err)
		}
	}
	p := principalOf(a, teams)
	p.TokenID = t.ID
	return p, nil
}

// CreateAPIToken makes a token acting as p's agent. The raw token is
// returned once and never stored.
func (s *Service) CreateAPIToken(ctx context.Context, p *Principal, name string) (string, *store.APIToken, error) {
	raw := APITokenPrefix + newSecret()
	t := &store.APIToken{CompanyID: p.CompanyID, AgentID: p.AgentID, Name: strings.TrimSpace(name), TokenHash: HashToken(raw), CreatedAt: s.Now().UTC()}
	if err := s.store.CreateAPIToken(ctx, t); err != nil {
		return "", nil, fmt.Errorf("auth: create API token: %w", err)
	}
	return raw, t, nil
}

// RevokeAPIToken revokes a token of the company (ErrNotFound otherwise).
func (s *Service) RevokeAPIToken(ctx context.Context, companyID, id int64) error {
	if err := s.store.RevokeAPIToken(ctx, companyID, id, s.Now().UTC()); err != nil {
		return fmt.Errorf("auth: revoke API token: %w", err)
	}
	return nil
}

// ListAPITokens of a company.
func (s *Service) ListAPITokens(ctx context.Context, companyID int64) ([]store.APIToken, error) {
	return s.store.ListAPITokens(ctx, companyID)
}

// PurgeExpired deletes expired sessions of every company, and login
// counters idle for a day that hold nothing back; run it now and then
// (hourly) from the server.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	n, err := s.store.DeleteExpiredSessions(ctx, now)
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	m, err := s.store.DeleteLoginThrottlesBefore(ctx, now.Add(-max(24*time.Hour, s.cfg.Window)))
	if err != nil {
		return n, fmt.Errorf("auth: purge login counters: %w", err)
	}
	k, err := s.store.DeletePasswordResetsBefore(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return n + m, fmt.Errorf("auth: purge password reset links: %w", err)
	}
	return n + m + k, nil
}

// RunPurge calls PurgeExpired every interval until ctx ends.
func (s *Service) RunPurge(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("auth: purge expired sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
