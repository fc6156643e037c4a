package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

const passwordResetCols = "id, company_id, agent_id, token_hash, created_at, expires_at, used_at"

func scanPasswordReset(sc interface{ Scan(...any) error }) (*store.PasswordReset, error) {
	var r store.PasswordReset
	err := sc.Scan(&r.ID, &r.CompanyID, &r.AgentID, &r.TokenHash, tsv{&r.CreatedAt}, tsv{&r.ExpiresAt}, tsv{&r.UsedAt})
	return &r, err
}

// CreatePasswordReset inserts a link; a duplicate token hash is ErrConflict.
func (s q) CreatePasswordReset(ctx context.Context, r *store.PasswordReset) error {
	r.CreatedAt = s.stamp(r.CreatedAt)
	id, err := s.insertReturningID(ctx, "create password reset",
		`INSERT INTO password_resets (company_id, agent_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		r.CompanyID, r.AgentID, r.TokenHash, r.CreatedAt, r.ExpiresAt.UTC())
	r.ID = id
	return err
}

// GetPasswordResetByHash resolves a token hash (crosses companies).
func (s q) GetPasswordResetByHash(ctx context.Context, tokenHash string) (*store.PasswordReset, error) {
	r, err := scanPasswordReset(s.row(ctx, "SELECT "+passwordResetCols+" FROM password_resets WHERE token_hash = ?", tokenHash))
	if err != nil {
		return nil, notFound(err, "get password reset")
	}
	return r, nil
}

// UsePasswordReset marks a valid link used, and the agent's other links.
// The conditional UPDATE is the claim: of concurrent calls one matches.
func (s q) UsePasswordReset(ctx context.Context, tokenHash string, at time.Time) (*store.PasswordReset, error) {
	at = at.UTC()
	r, err := scanPasswordReset(s.wrow(ctx, `UPDATE password_resets SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING `+passwordResetCols, at, tokenHash, at))
	if err != nil {
		return nil, notFound(err, "use password reset")
	}
	if _, err := s.exec(ctx, "UPDATE password_resets SET used_at = ? WHERE company_id = ? AND agent_id = ? AND used_at IS NULL",
		at, r.CompanyID, r.AgentID); err != nil {
		return nil, fmt.Errorf("store: use password reset: other links: %w", err)
	}
	return r, nil
}

// DeletePasswordResetsBefore removes links expired before t.
func (s q) DeletePasswordResetsBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, "DELETE FROM password_resets WHERE expires_at < ?", t.UTC())
	return count(res, err, "delete old password resets")
}
