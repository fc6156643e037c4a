package sqlstore

import (
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/store"
)

// ownsChannel checks that channelID belongs to companyID (ErrNotFound if
// not), so an upsert can never attach a row to another company's channel.
func (s q) ownsChannel(ctx context.Context, what string, companyID, channelID int64) error {
	var one int
	err := s.wrow(ctx, "SELECT 1 FROM channels WHERE id = ? AND company_id = ?", channelID, companyID).Scan(&one)
	if err != nil {
		return notFound(err, what+": channel")
	}
	return nil
}

// PutSecret creates or replaces a sealed channel secret.
func (s q) PutSecret(ctx context.Context, sec *store.ChannelSecret) error {
	what := fmt.Sprintf("put secret %s of channel %d", sec.Name, sec.ChannelID)
	if err := s.ownsChannel(ctx, what, sec.CompanyID, sec.ChannelID); err != nil {
		return err
	}
	sec.UpdatedAt = s.stamp(sec.UpdatedAt)
	res, err := s.exec(ctx, `INSERT INTO channel_secrets (company_id, channel_id, name, ciphertext, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (channel_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
		WHERE channel_secrets.company_id = excluded.company_id`,
		sec.CompanyID, sec.ChannelID, sec.Name, sec.Ciphertext, sec.UpdatedAt)
	return affected(res, err, what)
}

// GetSecret returns one sealed secret.
func (s q) GetSecret(ctx context.Context, companyID, channelID int64, name string) (*store.ChannelSecret, error) {
	sec := store.ChannelSecret{CompanyID: companyID, ChannelID: channelID, Name: name}
	err := s.row(ctx, "SELECT ciphertext, updated_at FROM channel_secrets WHERE company_id = ? AND channel_id = ? AND name = ?",
		companyID, channelID, name).Scan(&sec.Ciphertext, tsv{&sec.UpdatedAt})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get secret %s of channel %d", name, channelID))
	}
	return &sec, nil
}

// DeleteSecret removes one secret.
func (s q) DeleteSecret(ctx context.Context, companyID, channelID int64, name string) error {
	res, err := s.exec(ctx, "DELETE FROM channel_secrets WHERE company_id = ? AND channel_id = ? AND name = ?",
		companyID, channelID, name)
	return affected(res, err, fmt.Sprintf("delete secret %s of channel %d", name, channelID))
}
