package store

import (
	"context"
	"time"
)

// Outbox keeps what the outbound queue needs beyond the job queue: a log
// of sends for daily quotas and per-channel pauses (a provider's own
// sending limit).
type Outbox interface {
	RecordSend(ctx context.Context, companyID, channelID, messageID int64, at time.Time) error
	// CountSends counts sends of a channel at or after since.
	CountSends(ctx context.Context, companyID, channelID int64, since time.Time) (int, error)
	// CountQueued counts a channel's outbound messages still queued.
	CountQueued(ctx context.Context, companyID, channelID int64) (int, error)
	// PauseChannel stops a channel's sending until the given time.
	PauseChannel(ctx context.Context, companyID, channelID int64, until time.Time, reason string) error
	// ChannelPause returns the pause in force (zero time when none).
	ChannelPause(ctx context.Context, companyID, channelID int64) (until time.Time, reason string, err error)
	// ClaimAutoReply records an automatic reply to address at "at" unless
	// one was recorded after notBefore; it reports whether the caller may
	// send (at most one per contact and channel in the window).
	ClaimAutoReply(ctx context.Context, companyID, channelID int64, address string, at, notBefore time.Time) (bool, error)
}
