package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// ResetTTL is how long a password reset link works.
const ResetTTL = time.Hour

// ErrResetInvalid: the reset link is unknown, used, expired, or its agent
// is disabled. The page says only that the link no longer works.
var ErrResetInvalid = errors.New("auth: password reset link is invalid or expired")

// ResetRequest is what the "Esqueci minha senha" form sends.
type ResetRequest struct {
	Company string // slug
	Email   string
	IP      string // client address, as for logins
}

// ResetLink is a new reset link: the raw token (mailed, never stored)
// for the agent of the company.
type ResetLink struct {
	Token   string
	Agent   *model.Agent
	Company *model.Company
	Expires time.Time
}

// resetThrottleKeys count reset requests per account (from any address:
// nobody gets a mailbox flooded) and per client address (shared with
// logins: one address cannot probe many accounts either way).
func resetThrottleKeys(slug, email, ip string) []string {
	keys := []string{"reset:" + slug + ":" + email}
	if ip != "" {
		keys = append(keys, "ip:"+clientKey(ip))
	}
	return keys
}

// RequestPasswordReset makes a reset link for the agent with this email
// in the company, valid for ResetTTL. It returns nil (and no error) when
// there is no such active agent: the caller answers the same either way.
// Every request counts against the login throttle (the account's reset
// counter and the client address), never refunded: past
// MaxAccountFailures requests an hour a *LockedError says when to try
// again, whether or not the address exists.
func (s *Service) RequestPasswordReset(ctx context.Context, in ResetRequest) (*ResetLink, error) {
	now := s.Now().UTC()
	email := model.NormalizeEmail(in.Email)
	slug := strings.ToLower(strings.TrimSpace(in.Company))
	if err := s.admit(ctx, now, resetThrottleKeys(slug, email, in.IP)); err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			s.log.Info("auth: password reset held back", "company", slug, "ip", in.IP, "until", le.Until)
		}
		return nil, err
	}
	co, err := s.store.GetCompanyBySlug(ctx, slug)
	var agent *model.Agent
	if err == nil {
		agent, err = s.store.GetAgentByEmail(ctx, co.ID, email)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && agent.Disabled) {
		s.log.Info("auth: password reset for no active agent", "company", slug, "ip", in.IP)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: password reset: %w", err)
	}
	token := newSecret()
	r := &store.PasswordReset{CompanyID: co.ID, AgentID: agent.ID, TokenHash: HashToken(token), CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}
	if err := s.store.CreatePasswordReset(ctx, r); err != nil {
		return nil, fmt.Errorf("auth: password reset: %w", err)
	}
	s.log.Info("auth: password reset link made", "company", co.ID, "agent", agent.ID)
	return &ResetLink{Token: token, Agent: agent, Company: co, Expires: r.ExpiresAt}, nil
}

// CheckPasswordReset returns the link of token and its agent while the
// link works (unused, unexpired, agent active); ErrResetInvalid otherwise.
func (s *Service) CheckPasswordReset(ctx context.Context, token string) (*store.PasswordReset, *model.Agent, error) {
	if token == "" {
		return nil, nil, ErrResetInvalid
	}
	r, err := s.store.GetPasswordResetByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, ErrResetInvalid
	}
	if err != nil {
		return nil, nil, fmt.Errorf("auth: check password reset: %w", err)
	}
	if !r.UsedAt.IsZero() || !s.Now().Before(r.ExpiresAt) {
		return nil, nil, ErrResetInvalid
	}
	a, err := s.activeAgent(ctx, r.CompanyID, r.AgentID)
	if errors.Is(err, ErrUnauthenticated) {
		return nil, nil, ErrResetInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	return r, a, nil
}

// UsePasswordReset spends the link of token (and the agent's other
// links): it works once, within ResetTTL. Of concurrent uses one wins;
// the others get ErrResetInvalid. The caller then sets the password,
// which ends the agent's sessions (directory.Service.UpdateAgent).
func (s *Service) UsePasswordReset(ctx context.Context, token string) (*store.PasswordReset, error) {
	if token == "" {
		return nil, ErrResetInvalid
	}
	r, err := s.store.UsePasswordReset(ctx, HashToken(token), s.Now().UTC())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrResetInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("auth: use password reset: %w", err)
	}
	s.log.Info("auth: password reset link used", "company", r.CompanyID, "agent", r.AgentID)
	return r, nil
}
