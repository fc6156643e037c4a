package secrets

import (
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/store"
)

// PutChannelSecret seals plaintext for (company, channel, name) and stores
// the ciphertext.
func (b *Box) PutChannelSecret(ctx context.Context, st store.Secrets, companyID, channelID int64, name, plaintext string) error {
	sealed, err := b.Seal([]byte(plaintext), AD(companyID, channelID, name))
	if err != nil {
		return fmt.Errorf("secrets: seal %s of channel %d: %w", name, channelID, err)
	}
	if err := st.PutSecret(ctx, &store.ChannelSecret{CompanyID: companyID, ChannelID: channelID, Name: name, Ciphertext: sealed}); err != nil {
		return fmt.Errorf("secrets: put %s of channel %d: %w", name, channelID, err)
	}
	return nil
}

// ChannelSecret loads and opens a channel's secret. A missing secret
// yields an error wrapping store.ErrNotFound; one that does not open
// (other key, copied from another row) wraps ErrOpen.
func (b *Box) ChannelSecret(ctx context.Context, st store.Secrets, companyID, channelID int64, name string) (string, error) {
	sec, err := st.GetSecret(ctx, companyID, channelID, name)
	if err != nil {
		return "", fmt.Errorf("secrets: get %s of channel %d: %w", name, channelID, err)
	}
	pt, err := b.Open(sec.Ciphertext, AD(companyID, channelID, name))
	if err != nil {
		return "", fmt.Errorf("secrets: open %s of channel %d: %w", name, channelID, err)
	}
	return string(pt), nil
}
