package model

import "time"

// InboundState is where a received raw message is in the ingest pipeline.
type InboundState string

// Inbound states.
const (
	InboundPending InboundState = "pending" // stored, not yet turned into a ticket message
	InboundDone    InboundState = "done"
	InboundFailed  InboundState = "failed" // gave up after retries; raw bytes kept
)

// Inbound is one raw message durably accepted from a source (IMAP UID,
// SMTP transaction, import file). SourceKey is unique per channel.
type Inbound struct {
	ID        int64
	CompanyID int64
	ChannelID int64
	SourceKey string
	RawKey    string
	// Raw, when set on insert, is the raw message itself (small ones):
	// the store keeps it under RawKey in the same transaction as the row
	// (store.InboundQueue.InsertInbound). Rows read back leave it nil.
	Raw         []byte
	Size        int64
	State       InboundState
	Attempts    int
	LastError   string
	MessageID   int64 // the ticket message it became (0 until done, or a duplicate's)
	ReceivedAt  time.Time
	ProcessedAt time.Time
	LeaseUntil  time.Time
}

// JobState is the state of a queued job.
type JobState string

// Job states.
const (
	JobPending JobState = "pending"
	JobDone    JobState = "done"
	JobFailed  JobState = "failed" // permanent failure
)

// Job is a durable unit of background work (outbound mail, webhooks,
// auto-replies). Kind selects the handler; Payload is JSON.
type Job struct {
	ID         int64
	CompanyID  int64
	Kind       string
	Payload    []byte
	State      JobState
	Attempts   int
	RunAt      time.Time
	LeaseUntil time.Time
	LastError  string
	// UniqueKey, when set, makes Enqueue idempotent per company and kind.
	UniqueKey string
	CreatedAt time.Time
	UpdatedAt time.Time
}
