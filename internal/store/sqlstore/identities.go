package sqlstore

import (
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

const identityCols = "id, company_id, kind, value, token, code_hash, code_expires_at, code_attempts, sends, sends_since, last_sent_at, " +
	"verified_at, checked_at, check_result, created_at"

func scanIdentity(sc interface{ Scan(...any) error }) (*store.Identity, error) {
	var i store.Identity
	err := sc.Scan(&i.ID, &i.CompanyID, &i.Kind, &i.Value, &i.Token, &i.CodeHash, tsv{&i.CodeExpiresAt}, &i.CodeAttempts, &i.Sends,
		tsv{&i.SendsSince}, tsv{&i.LastSentAt}, tsv{&i.VerifiedAt}, tsv{&i.CheckedAt}, &i.CheckResult, tsv{&i.CreatedAt})
	return &i, err
}

// CreateIdentity inserts i (value lowercased).
func (s q) CreateIdentity(ctx context.Context, i *store.Identity) error {
	i.CreatedAt = s.stamp(i.CreatedAt)
	i.Value = model.NormalizeEmail(i.Value)
	id, err := s.insertReturningID(ctx, "create identity "+i.Value,
		`INSERT INTO identities (company_id, kind, value, token, code_hash, code_expires_at, code_attempts, sends, sends_since, last_sent_at,
		 verified_at, checked_at, check_result, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.CompanyID, i.Kind, i.Value, i.Token, i.CodeHash, nullTime(i.CodeExpiresAt), i.CodeAttempts, i.Sends, nullTime(i.SendsSince),
		nullTime(i.LastSentAt), nullTime(i.VerifiedAt), nullTime(i.CheckedAt), i.CheckResult, i.CreatedAt)
	i.ID = id
	return err
}

// GetIdentity by ID within a company.
func (s q) GetIdentity(ctx context.Context, companyID, id int64) (*store.Identity, error) {
	i, err := scanIdentity(s.row(ctx, "SELECT "+identityCols+" FROM identities WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get identity %d", id))
	}
	return i, nil
}

// ListIdentities of a company: domains first, then by value.
func (s q) ListIdentities(ctx context.Context, companyID int64) ([]store.Identity, error) {
	return list(ctx, s, "list identities", scanIdentity,
		"SELECT "+identityCols+" FROM identities WHERE company_id = ? ORDER BY CASE kind WHEN 'domain' THEN 0 ELSE 1 END, value", companyID)
}

// UpdateIdentity writes the mutable fields.
func (s q) UpdateIdentity(ctx context.Context, i *store.Identity) error {
	res, err := s.exec(ctx, `UPDATE identities SET token = ?, code_hash = ?, code_expires_at = ?, code_attempts = ?, sends = ?, sends_since = ?,
		last_sent_at = ?, verified_at = ?, checked_at = ?, check_result = ? WHERE company_id = ? AND id = ?`,
		i.Token, i.CodeHash, nullTime(i.CodeExpiresAt), i.CodeAttempts, i.Sends, nullTime(i.SendsSince), nullTime(i.LastSentAt),
		nullTime(i.VerifiedAt), nullTime(i.CheckedAt), i.CheckResult, i.CompanyID, i.ID)
	return s.updated(res, err, fmt.Sprintf("update identity %d", i.ID))
}

// DeleteIdentity removes one.
func (s q) DeleteIdentity(ctx context.Context, companyID, id int64) error {
	res, err := s.exec(ctx, "DELETE FROM identities WHERE company_id = ? AND id = ?", companyID, id)
	return affected(res, err, fmt.Sprintf("delete identity %d", id))
}

// VerifiedIdentity finds the verified identity of kind and value.
func (s q) VerifiedIdentity(ctx context.Context, kind, value string) (*store.Identity, error) {
	i, err := scanIdentity(s.row(ctx, "SELECT "+identityCols+" FROM identities WHERE kind = ? AND value = ? AND verified_at IS NOT NULL",
		kind, model.NormalizeEmail(value)))
	if err != nil {
		return nil, notFound(err, "verified identity "+value)
	}
	return i, nil
}

// ListVerifiedIdentities of every company.
func (s q) ListVerifiedIdentities(ctx context.Context) ([]store.Identity, error) {
	return list(ctx, s, "list verified identities", scanIdentity,
		"SELECT "+identityCols+" FROM identities WHERE verified_at IS NOT NULL ORDER BY id")
}
