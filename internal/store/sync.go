package store

import (
	"context"
	"time"
)

// SyncState is what a channel's mailbox sync is doing.
type SyncState string

// Sync states shown on the channel list.
const (
	SyncConnected       SyncState = "connected"        // logged in, about to sync
	SyncSyncing         SyncState = "syncing"          // importing (see Done/Total)
	SyncIdle            SyncState = "idle"             // caught up, waiting for new mail
	SyncError           SyncState = "error"            // failing, retrying with backoff
	SyncReconnectNeeded SyncState = "reconnect_needed" // credentials rejected: needs the admin
)

// SyncCheckpoint is the IMAP position of one folder of a channel.
type SyncCheckpoint struct {
	CompanyID   int64
	ChannelID   int64
	Folder      string
	UIDValidity uint32
	// LastUID is the highest UID whose message ingest accepted; the next
	// sync fetches UIDs above it.
	LastUID uint32
	// Initial import: ImportUntil is the highest UID that existed when the
	// import started; ImportDone of ImportTotal are accepted; the resume
	// point is LastUID. ImportComplete is set once LastUID >= ImportUntil.
	ImportUntil    uint32
	ImportTotal    int64
	ImportDone     int64
	ImportComplete bool
	// SyncedSince is the earliest date this folder was synced from (zero:
	// everything); a UIDVALIDITY change re-scans from there.
	SyncedSince time.Time
	UpdatedAt   time.Time
}

// ChannelStatus is a channel's sync health, shown in the UI.
type ChannelStatus struct {
	CompanyID     int64
	ChannelID     int64
	State         SyncState
	Done, Total   int64  // initial import progress ("syncing n/m")
	LastError     string // user-facing message
	LastErrorCode string // machine code (internal/providers)
	LastErrorAt   time.Time
	LastMessageAt time.Time
	UpdatedAt     time.Time
}

// Sync keeps IMAP checkpoints and channel status.
type Sync interface {
	// GetSyncCheckpoint returns a folder's checkpoint or ErrNotFound.
	GetSyncCheckpoint(ctx context.Context, companyID, channelID int64, folder string) (*SyncCheckpoint, error)
	// PutSyncCheckpoint creates or replaces a folder's checkpoint;
	// ErrNotFound when the channel is not the company's.
	PutSyncCheckpoint(ctx context.Context, cp *SyncCheckpoint) error
	// ListSyncCheckpoints lists a channel's folders, by folder name.
	ListSyncCheckpoints(ctx context.Context, companyID, channelID int64) ([]SyncCheckpoint, error)
	// DeleteSyncCheckpoints forgets a channel's checkpoints (the mailbox
	// changed); it is not an error when there were none.
	DeleteSyncCheckpoints(ctx context.Context, companyID, channelID int64) error
	// PutChannelStatus creates or replaces a channel's status;
	// ErrNotFound when the channel is not the company's.
	PutChannelStatus(ctx context.Context, st *ChannelStatus) error
	// GetChannelStatus returns a channel's status or ErrNotFound.
	GetChannelStatus(ctx context.Context, companyID, channelID int64) (*ChannelStatus, error)
	// ListChannelStatus lists the statuses of a company's channels, by channel ID.
	ListChannelStatus(ctx context.Context, companyID int64) ([]ChannelStatus, error)
}
