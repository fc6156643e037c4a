package store

import (
	"context"
	"time"
)

// PasswordReset is one mailed "Esqueci minha senha" link. Only the
// SHA-256 of the link's token is stored.
type PasswordReset struct {
	ID        int64
	CompanyID int64
	AgentID   int64
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero: not used yet
}

// PasswordResets keeps password reset links.
type PasswordResets interface {
	CreatePasswordReset(ctx context.Context, r *PasswordReset) error
	// GetPasswordResetByHash crosses companies: it resolves a link's
	// token hash (used and expired ones included; the caller checks).
	GetPasswordResetByHash(ctx context.Context, tokenHash string) (*PasswordReset, error)
	// UsePasswordReset marks the link used at "at" when it is unused and
	// not expired at "at", and every other unused link of the same agent
	// used too; ErrNotFound when the link is unknown, used or expired.
	// Of concurrent calls for one link exactly one succeeds.
	UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (*PasswordReset, error)
	// DeletePasswordResetsBefore crosses companies: removes links that
	// expired before t.
	DeletePasswordResetsBefore(ctx context.Context, t time.Time) (int, error)
}
