package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost: the caller no longer holds the lease it wrote under (it
// expired by the database's clock, or a later owner took it); nothing was
// written.
var ErrLeaseLost = errors.New("lease lost")

// Node is one `atende serve` process sharing the database. Times are read
// from the database's clock (see doc.go): HeartbeatAge is how long ago,
// by that clock, the node last heartbeated.
type Node struct {
	ID       string
	HTTPAddr string
	SMTPAddr string
	Version  string
	// Instance is random per process: it tells a restarted process from
	// a second one running with the same ID.
	Instance     string
	Stopped      bool // it shut down cleanly (and released its leases)
	StartedAt    time.Time
	HeartbeatAt  time.Time
	HeartbeatAge time.Duration
}

// MailboxLease is a node's claim on a channel's IMAP connection. Token is
// the fencing token: every new owner of a channel gets a larger one.
// ExpiresIn is measured on the database's clock; <= 0 means expired (or
// released: NodeID "").
type MailboxLease struct {
	ChannelID  int64
	CompanyID  int64
	NodeID     string
	Token      int64
	AcquiredAt time.Time
	ExpiresAt  time.Time
	ExpiresIn  time.Duration
}

// Cluster coordinates several nodes on one database: node heartbeats and
// mailbox leases. Unlike every other group, it decides with the
// database's clock (PostgreSQL's clock_timestamp(), SQLite's
// julianday('now')), never the program's: nodes whose clocks drift apart
// still agree on who holds a lease. These methods cross companies.
type Cluster interface {
	// HeartbeatNode creates or refreshes n's row (StartedAt is set when
	// the row is new or the node had stopped) and clears Stopped. When
	// another Instance heartbeated the same ID less than takeOver ago
	// (and did not stop), it changes nothing and returns ErrConflict: two
	// live processes must not share a node ID.
	HeartbeatNode(ctx context.Context, n *Node, takeOver time.Duration) error
	// StopNode marks the node stopped and releases its mailbox leases.
	StopNode(ctx context.Context, nodeID string) error
	// ListNodes lists every node ever seen, by ID.
	ListNodes(ctx context.Context) ([]Node, error)
	// AcquireMailboxLease gives nodeID the channel's lease for ttl when
	// nobody holds it or its holder's lease expired, with a token larger
	// than any before; ErrConflict when another node (or this node under
	// another token) holds it unexpired, ErrNotFound when the channel is
	// not the company's.
	AcquireMailboxLease(ctx context.Context, companyID, channelID int64, nodeID string, ttl time.Duration) (*MailboxLease, error)
	// RenewMailboxLeases extends, to ttl from now, those of the given
	// leases (channel ID → token) that nodeID still holds unexpired, and
	// returns their channel IDs; the others are lost.
	RenewMailboxLeases(ctx context.Context, nodeID string, leases map[int64]int64, ttl time.Duration) ([]int64, error)
	// ReleaseMailboxLease gives up a lease held under token (keeping the
	// token, so the next owner's is larger); not an error when it was
	// already lost.
	ReleaseMailboxLease(ctx context.Context, channelID int64, nodeID string, token int64) error
	// ListMailboxLeases lists every lease row (expired and released ones
	// too), by channel ID.
	ListMailboxLeases(ctx context.Context) ([]MailboxLease, error)
	// PutSyncCheckpointFenced is PutSyncCheckpoint for the owner of the
	// channel's lease: it replaces an existing checkpoint only while
	// nodeID holds the lease under token, unexpired, and no later token
	// wrote it; otherwise it writes nothing and returns ErrLeaseLost. cp
	// records token as its fence.
	PutSyncCheckpointFenced(ctx context.Context, cp *SyncCheckpoint, nodeID string, token int64) error
	// QueueStats counts the inbound rows and jobs that are not done, per
	// queue and state, for monitoring.
	QueueStats(ctx context.Context) ([]QueueStats, error)
}

// QueueStats is one queue's depth for monitoring (crosses companies).
type QueueStats struct {
	Queue   string // "inbound" or the job kind
	State   string // pending, failed (done rows are not counted)
	Count   int
	Oldest  time.Time // the oldest row's received/created time, by the program's clock
	Running int       // pending rows claimed right now (leased by a worker)
}
