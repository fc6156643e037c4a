package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
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
)

// LockedError says until when a login is refused.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string { return ErrLocked.Error() }
func (e *LockedError) Unwrap() error { return ErrLocked }

// Config tunes sessions and throttling; zero fields take the defaults.
type Config struct {
	SessionIdle     time.Duration // sliding expiry; default 7 days
	SessionAbsolute time.Duration // hard limit since login; default 30 days
	// Account lockout: MaxAccountFailures failed logins for one account
	// within Window lock it for Lockout. Defaults 5, 15 min, 15 min.
	MaxAccountFailures int
	// MaxIPFailures failed logins from one IP within Window lock that IP
	// (any account) for Lockout. Default 20.
	MaxIPFailures int
	Window        time.Duration
	Lockout       time.Duration
	Params        Params // password hashing; default DefaultParams
}

func (c *Config) defaults() {
	if c.SessionIdle <= 0 {
		c.SessionIdle = 7 * 24 * time.Hour
	}
	if c.SessionAbsolute <= 0 {
		c.SessionAbsolute = 30 * 24 * time.Hour
	}
	if c.MaxAccountFailures <= 0 {
		c.MaxAccountFailures = 5
	}
	if c.MaxIPFailures <= 0 {
		c.MaxIPFailures = 20
	}
	if c.Window <= 0 {
		c.Window = 15 * time.Minute
	}
	if c.Lockout <= 0 {
		c.Lockout = 15 * time.Minute
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
}

// New returns a Service. clk is the program's one clock (package clock).
func New(st store.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	return &Service{store: st, log: log, cfg: cfg, clk: clk}
}

// Now is the service's clock (lockout messages count down from it).
func (s *Service) Now() time.Time { return s.clk.Now() }

// Params are the password hashing parameters in use.
func (s *Service) Params() Params { return s.cfg.Params }

// HashPassword hashes with the service's parameters.
func (s *Service) HashPassword(pw string) (string, error) { return HashPassword(pw, s.cfg.Params) }

// LoginInput is what the login form sends.
type LoginInput struct {
	Company  string // company slug
	Email    string
	Password string
	IP       string // client address, for per-IP throttling
}

// Login checks credentials and opens a session. It returns the raw cookie
// token (shown to the browser only) and the session. Failed logins count
// against the account and the IP; a locked account or IP gets a
// *LockedError even with the right password.
func (s *Service) Login(ctx context.Context, in LoginInput) (string, *store.Session, *Principal, error) {
	now := s.Now().UTC()
	email := model.NormalizeEmail(in.Email)
	slug := strings.ToLower(strings.TrimSpace(in.Company))
	acctKey := "acct:" + slug + ":" + email
	ipKey := "ip:" + in.IP
	for _, k := range []string{acctKey, ipKey} {
		if in.IP == "" && k == ipKey {
			continue
		}
		th, err := s.store.GetLoginThrottle(ctx, k)
		if err == nil && now.Before(th.LockedUntil) {
			return "", nil, nil, &LockedError{Until: th.LockedUntil}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", nil, nil, fmt.Errorf("auth: login: %w", err)
		}
	}
	var agent *model.Agent
	co, err := s.store.GetCompanyBySlug(ctx, slug)
	if err == nil {
		agent, err = s.store.GetAgentByEmail(ctx, co.ID, email)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
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
		if err := s.recordFailure(ctx, now, acctKey, s.cfg.MaxAccountFailures); err != nil {
			return "", nil, nil, err
		}
		if in.IP != "" {
			if err := s.recordFailure(ctx, now, ipKey, s.cfg.MaxIPFailures); err != nil {
				return "", nil, nil, err
			}
		}
		s.log.Info("auth: login failed", "company", slug, "ip", in.IP)
		return "", nil, nil, ErrInvalidCredentials
	}
	if err := s.store.DeleteLoginThrottle(ctx, acctKey); err != nil {
		return "", nil, nil, fmt.Errorf("auth: login: %w", err)
	}
	if NeedsRehash(agent.PasswordHash, s.cfg.Params) {
		if h, err := s.HashPassword(in.Password); err == nil {
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

// recordFailure counts one failed login for key, locking it at max.
func (s *Service) recordFailure(ctx context.Context, now time.Time, key string, max int) error {
	return s.store.Tx(ctx, func(q store.Queries) error {
		th, err := q.GetLoginThrottle(ctx, key)
		if errors.Is(err, store.ErrNotFound) || (err == nil && now.Sub(th.WindowStart) >= s.cfg.Window && !now.Before(th.LockedUntil)) {
			th, err = &store.LoginThrottle{Key: key, WindowStart: now}, nil
		}
		if err != nil {
			return fmt.Errorf("auth: record failed login: %w", err)
		}
		th.Failures++
		if th.Failures >= max {
			th.LockedUntil = now.Add(s.cfg.Lockout)
			s.log.Warn("auth: login locked after repeated failures", "key_kind", strings.SplitN(key, ":", 2)[0], "until", th.LockedUntil)
		}
		if err := q.PutLoginThrottle(ctx, th); err != nil {
			return fmt.Errorf("auth: record failed login: %w", err)
		}
		return nil
	})
}

// principal loads what a request needs to know about agent.
func (s *Service) principal(ctx context.Context, a *model.Agent) (*Principal, error) {
	teams, err := s.store.AgentTeamIDs(ctx, a.CompanyID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("auth: load teams: %w", err)
	}
	return &Principal{CompanyID: a.CompanyID, AgentID: a.ID, Role: a.Role, Name: a.Name, Email: a.Email, TeamIDs: teams}, nil
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
	se, err := s.store.GetSessionByHash(ctx, HashToken(token))
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
	a, err := s.activeAgent(ctx, se.CompanyID, se.AgentID)
	if err != nil {
		return nil, err
	}
	if now.Sub(se.LastSeenAt) >= time.Minute {
		se.LastSeenAt, se.ExpiresAt = now, now.Add(s.cfg.SessionIdle)
		if err := s.store.TouchSession(ctx, se.ID, se.LastSeenAt, se.ExpiresAt); err != nil {
			s.log.Warn("auth: touch session", "err", err)
		}
	}
	p, err := s.principal(ctx, a)
	if err != nil {
		return nil, err
	}
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
	t, err := s.store.GetAPITokenByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("auth: bearer: %w", err)
	}
	if !t.RevokedAt.IsZero() {
		return nil, ErrUnauthenticated
	}
	a, err := s.activeAgent(ctx, t.CompanyID, t.AgentID)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	if now.Sub(t.LastUsedAt) >= time.Minute {
		if err := s.store.TouchAPIToken(ctx, t.ID, now); err != nil {
			s.log.Warn("auth: touch API token", "err", err)
		}
	}
	p, err := s.principal(ctx, a)
	if err != nil {
		return nil, err
	}
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

// PurgeExpired deletes expired sessions of every company; run it now and
// then (hourly) from the server.
func (s *Service) PurgeExpired(ctx context.Context) (int, error) {
	n, err := s.store.DeleteExpiredSessions(ctx, s.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	return n, nil
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
