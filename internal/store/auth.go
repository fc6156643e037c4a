package store

import (
	"context"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
)

// Session is one logged-in browser. Only the SHA-256 hash of the cookie
// token is stored; CSRFToken is the synchronizer token bound to it.
type Session struct {
	ID         int64
	CompanyID  int64
	AgentID    int64
	TokenHash  string
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// APIToken is a named bearer token of a company. It acts as the agent
// who created it (with that agent's current role). Only its hash is kept.
type APIToken struct {
	ID         int64
	CompanyID  int64
	AgentID    int64
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: active
}

// LoginThrottle counts failed logins for one key (an account and client
// address, or a client address) and when the next attempt is allowed.
type LoginThrottle struct {
	Key         string
	Failures    int
	WindowStart time.Time // the last counted attempt
	LockedUntil time.Time // next attempt allowed at; zero: now
}

// Webhook is a company's HTTP endpoint for events.
type Webhook struct {
	ID        int64
	CompanyID int64
	URL       string
	Secret    string // HMAC-SHA256 key, shown to the admin once
	Events    []string
	Enabled   bool
	CreatedAt time.Time
}

// Auth keeps sessions, API tokens, login throttling, the agent-team
// lookups permissions need, and webhook endpoints.
type Auth interface {
	CreateSession(ctx context.Context, s *Session) error
	// GetSessionByHash crosses companies: it resolves a cookie token's
	// hash to its session (expired ones included; the caller checks).
	GetSessionByHash(ctx context.Context, tokenHash string) (*Session, error)
	// GetSessionAuth crosses companies: the session of a token hash with
	// its agent and the agent's team IDs (ascending), in one query, for
	// resolving every request. ErrNotFound without the session or agent.
	GetSessionAuth(ctx context.Context, tokenHash string) (*Session, *model.Agent, []int64, error)
	TouchSession(ctx context.Context, id int64, lastSeen, expiresAt time.Time) error
	// DeleteSession removes one session by its token hash (logout).
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteAgentSessions logs an agent out everywhere; returns how many.
	DeleteAgentSessions(ctx context.Context, companyID, agentID int64) (int, error)
	// DeleteExpiredSessions crosses companies: removes sessions expired before now.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)

	CreateAPIToken(ctx context.Context, t *APIToken) error
	// GetAPITokenByHash crosses companies: it resolves a bearer token's hash.
	GetAPITokenByHash(ctx context.Context, tokenHash string) (*APIToken, error)
	// GetAPITokenAuth is GetAPITokenByHash with the token's agent and the
	// agent's team IDs (ascending), in one query. ErrNotFound without the
	// token or agent.
	GetAPITokenAuth(ctx context.Context, tokenHash string) (*APIToken, *model.Agent, []int64, error)
	GetAPIToken(ctx context.Context, companyID, id int64) (*APIToken, error)
	ListAPITokens(ctx context.Context, companyID int64) ([]APIToken, error)
	// RevokeAPIToken sets RevokedAt once; ErrNotFound for another company's token.
	RevokeAPIToken(ctx context.Context, companyID, id int64, at time.Time) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error

	// GetLoginThrottle returns the counter for key or ErrNotFound.
	GetLoginThrottle(ctx context.Context, key string) (*LoginThrottle, error)
	// PutLoginThrottle creates or replaces the counter for t.Key.
	PutLoginThrottle(ctx context.Context, t *LoginThrottle) error
	// LockLoginThrottle, inside Tx, returns the counter for key (a new
	// one, with no failures and WindowStart at, when there is none) and
	// holds it until the transaction ends: concurrent logins for one key
	// read and update it one after the other.
	LockLoginThrottle(ctx context.Context, key string, at time.Time) (*LoginThrottle, error)
	DeleteLoginThrottle(ctx context.Context, key string) error

	// AgentTeamIDs lists the teams an agent belongs to, in ID order.
	AgentTeamIDs(ctx context.Context, companyID, agentID int64) ([]int64, error)

	CreateWebhook(ctx context.Context, w *Webhook) error
	GetWebhook(ctx context.Context, companyID, id int64) (*Webhook, error)
	ListWebhooks(ctx context.Context, companyID int64) ([]Webhook, error)
	DeleteWebhook(ctx context.Context, companyID, id int64) error
	// UpdateWebhookSecret replaces the stored (sealed) signing secret;
	// ErrNotFound for another company's webhook.
	UpdateWebhookSecret(ctx context.Context, companyID, id int64, secret string) error
	// DeleteLoginThrottlesBefore crosses companies: it removes counters
	// whose last failure is before t and that hold back nothing after t.
	DeleteLoginThrottlesBefore(ctx context.Context, t time.Time) (int, error)
}
