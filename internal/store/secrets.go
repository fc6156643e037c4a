package store

import (
	"context"
	"time"
)

// ChannelSecret is one sealed secret of a channel (see internal/secrets):
// the store never sees the plaintext.
type ChannelSecret struct {
	CompanyID  int64
	ChannelID  int64
	Name       string // e.g. "imap_password", "smtp_password", "oauth_token"
	Ciphertext []byte
	UpdatedAt  time.Time
}

// Secrets stores encrypted channel secrets (passwords, OAuth tokens).
type Secrets interface {
	// PutSecret creates or replaces the secret name of a channel. It
	// returns ErrNotFound when the channel is not the company's.
	PutSecret(ctx context.Context, s *ChannelSecret) error
	// GetSecret returns a channel's secret or ErrNotFound.
	GetSecret(ctx context.Context, companyID, channelID int64, name string) (*ChannelSecret, error)
	// DeleteSecret removes a secret; ErrNotFound when there was none.
	DeleteSecret(ctx context.Context, companyID, channelID int64, name string) error
}
