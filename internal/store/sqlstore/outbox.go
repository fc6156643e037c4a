package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
)

// RecordSend logs one sent message (idempotent per message).
func (s q) RecordSend(ctx context.Context, companyID, channelID, messageID int64, at time.Time) error {
	_, err := s.exec(ctx, "INSERT INTO sends (company_id, channel_id, message_id, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		companyID, channelID, messageID, at.UTC())
	if err != nil {
		return fmt.Errorf("store: record send: %w", err)
	}
	return nil
}

// CountSends counts a channel's sends since a time.
func (s q) CountSends(ctx context.Context, companyID, channelID int64, since time.Time) (int, error) {
	var n int
	err := s.row(ctx, "SELECT COUNT(*) FROM sends WHERE company_id = ? AND channel_id = ? AND sent_at >= ?", companyID, channelID, since.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count sends: %w", err)
	}
	return n, nil
}

// CountQueued counts a channel's outbound messages waiting to be sent.
func (s q) CountQueued(ctx context.Context, companyID, channelID int64) (int, error) {
	var n int
	err := s.row(ctx, "SELECT COUNT(*) FROM messages WHERE company_id = ? AND channel_id = ? AND status = 'queued'", companyID, channelID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count queued: %w", err)
	}
	return n, nil
}

// PauseChannel sets (or replaces) a channel's sending pause.
func (s q) PauseChannel(ctx context.Context, companyID, channelID int64, until time.Time, reason string) error {
	if _, err := s.GetChannel(ctx, companyID, channelID); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO channel_pauses (company_id, channel_id, until, reason) VALUES (?, ?, ?, ?)
		ON CONFLICT (company_id, channel_id) DO UPDATE SET until = excluded.until, reason = excluded.reason`,
		companyID, channelID, until.UTC(), reason)
	if err != nil {
		return fmt.Errorf("store: pause channel: %w", err)
	}
	return nil
}

// ChannelPause returns the channel's pause; zero time when none.
func (s q) ChannelPause(ctx context.Context, companyID, channelID int64) (time.Time, string, error) {
	var until time.Time
	var reason string
	err := s.row(ctx, "SELECT until, reason FROM channel_pauses WHERE company_id = ? AND channel_id = ?", companyID, channelID).Scan(tsv{&until}, &reason)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, "", nil
		}
		return time.Time{}, "", fmt.Errorf("store: channel pause: %w", err)
	}
	return until, reason, nil
}

// ClaimAutoReply takes the contact's auto-reply slot for the window.
func (s q) ClaimAutoReply(ctx context.Context, companyID, channelID int64, address string, at, notBefore time.Time) (bool, error) {
	address = model.NormalizeEmail(address)
	res, err := s.exec(ctx, `INSERT INTO auto_replies (company_id, channel_id, address, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (company_id, channel_id, address) DO UPDATE SET sent_at = excluded.sent_at
		WHERE auto_replies.sent_at < ?`, companyID, channelID, address, at.UTC(), notBefore.UTC())
	if err != nil {
		return false, fmt.Errorf("store: claim auto-reply: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim auto-reply: %w", err)
	}
	return n == 1, nil
}
