package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// PutDKIMKey inserts a key for a domain (sealed private key kept as base64 text).
func (s q) PutDKIMKey(ctx context.Context, k *store.DKIMKey) error {
	k.CreatedAt = s.stamp(k.CreatedAt)
	k.Domain = model.NormalizeEmail(k.Domain)
	var one int
	err := s.wrow(ctx, `INSERT INTO dkim_keys (company_id, domain, selector, private_key, public_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1`,
		k.CompanyID, k.Domain, k.Selector, base64.StdEncoding.EncodeToString(k.PrivateKey), k.PublicKey, k.CreatedAt).Scan(&one)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: put dkim key for %s: %w", k.Domain, store.ErrConflict)
		}
		return fmt.Errorf("store: put dkim key: %w", err)
	}
	return nil
}

// GetDKIMKey returns a company's key for a domain.
func (s q) GetDKIMKey(ctx context.Context, companyID int64, domain string) (*store.DKIMKey, error) {
	k := &store.DKIMKey{}
	var priv string
	err := s.row(ctx, "SELECT company_id, domain, selector, private_key, public_key, created_at FROM dkim_keys WHERE company_id = ? AND domain = ?",
		companyID, model.NormalizeEmail(domain)).Scan(&k.CompanyID, &k.Domain, &k.Selector, &priv, &k.PublicKey, tsv{&k.CreatedAt})
	if err != nil {
		return nil, notFound(err, "get dkim key for "+domain)
	}
	if k.PrivateKey, err = base64.StdEncoding.DecodeString(priv); err != nil {
		return nil, fmt.Errorf("store: dkim key for %s: %w", domain, err)
	}
	return k, nil
}
