package store

import (
	"context"
	"errors"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
)

// Sentinel errors; callers test them with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict") // a unique value already exists
)

// Store is the whole persistence API: Queries plus transactions and lifecycle.
type Store interface {
	Queries
	// Tx runs fn in one transaction; fn's error (or a panic) rolls it back.
	Tx(ctx context.Context, fn func(q Queries) error) error
	Ping(ctx context.Context) error
	// SchemaVersion is the highest migration applied.
	SchemaVersion(ctx context.Context) (int, error)
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	Close() error
}

// Savepointer is implemented by the Queries a Tx hands to its function
// (sqlstore): Savepoint runs fn inside a savepoint of that transaction, so
// fn's error rolls back fn's writes only and the transaction goes on.
// Ingest uses it to store many messages in one commit, each on its own.
type Savepointer interface {
	Savepoint(ctx context.Context, fn func(q Queries) error) error
}

// Queries is every read and write, usable inside or outside a transaction.
type Queries interface {
	Companies
	Agents
	Teams
	Channels
	Contacts
	Tickets
	Messages
	InboundQueue
	Jobs
	// Feature groups, each declared in its own file (store/<area>.go) with
	// its SQL in sqlstore/<area>.go, its migration and its conformance
	// tests in storetest/<area>.go.
	Secrets
	Sync
	Auth
	Notices
	Outbox
	DKIM
	Cluster
	Identities
	PasswordResets
	Reports
	Snoozes
	Activities
	Presences
	ContactEdits
	Compose
	Reads
	TicketGroups
}

// Companies are tenants.
type Companies interface {
	CreateCompany(ctx context.Context, c *model.Company) error
	GetCompany(ctx context.Context, id int64) (*model.Company, error)
	GetCompanyBySlug(ctx context.Context, slug string) (*model.Company, error)
	ListCompanies(ctx context.Context) ([]model.Company, error)
	// UpdateCompany saves the name, language and time zone.
	UpdateCompany(ctx context.Context, c *model.Company) error
}

// Agents are support people of one company.
type Agents interface {
	CreateAgent(ctx context.Context, a *model.Agent) error
	GetAgent(ctx context.Context, companyID, id int64) (*model.Agent, error)
	GetAgentByEmail(ctx context.Context, companyID int64, email string) (*model.Agent, error)
	ListAgents(ctx context.Context, companyID int64) ([]model.Agent, error)
	UpdateAgent(ctx context.Context, a *model.Agent) error
}

// Teams group agents.
type Teams interface {
	CreateTeam(ctx context.Context, t *model.Team) error
	GetTeam(ctx context.Context, companyID, id int64) (*model.Team, error)
	ListTeams(ctx context.Context, companyID int64) ([]model.Team, error)
	AddTeamMember(ctx context.Context, companyID, teamID, agentID int64) error
	RemoveTeamMember(ctx context.Context, companyID, teamID, agentID int64) error
	ListTeamMembers(ctx context.Context, companyID, teamID int64) ([]model.Agent, error)
}

// Channels are connected mailboxes.
type Channels interface {
	CreateChannel(ctx context.Context, c *model.Channel) error
	GetChannel(ctx context.Context, companyID, id int64) (*model.Channel, error)
	GetChannelBySlug(ctx context.Context, companyID int64, slug string) (*model.Channel, error)
	ListChannels(ctx context.Context, companyID int64) ([]model.Channel, error)
	UpdateChannel(ctx context.Context, c *model.Channel) error
	// GetChannelByInboundToken crosses companies: it resolves the token of
	// an inbound address to its channel.
	GetChannelByInboundToken(ctx context.Context, token string) (*model.Channel, error)
	// ListEnabledChannels crosses companies: every enabled channel, for the
	// sync supervisors.
	ListEnabledChannels(ctx context.Context) ([]model.Channel, error)
}

// Contacts are customers.
type Contacts interface {
	// UpsertContact returns the contact with this email, creating it (with
	// name) when missing; an existing contact without a name gets this one.
	UpsertContact(ctx context.Context, companyID int64, email, name string) (*model.Contact, error)
	GetContact(ctx context.Context, companyID, id int64) (*model.Contact, error)
	// GetContacts returns the company's contacts with these IDs (one
	// query for a page of tickets; unknown IDs are left out).
	GetContacts(ctx context.Context, companyID int64, ids []int64) ([]model.Contact, error)
	ListContacts(ctx context.Context, companyID int64) ([]model.Contact, error)
	// SearchContacts lists, by ID, up to limit of the company's contacts
	// after the first offset, those whose name or address has every word
	// of query (accents and case folded; a word may be the start of one:
	// "ang" finds Ângela); an empty query lists them all.
	SearchContacts(ctx context.Context, companyID int64, query string, offset, limit int) ([]model.Contact, error)
}

// TicketFilter narrows ListTickets. Zero values mean "any".
type TicketFilter struct {
	Status model.TicketStatus
	// Statuses, when set, keeps tickets in any of these statuses (with
	// Status, both apply).
	Statuses []model.TicketStatus
	TeamID   int64
	// TeamIDs, when not nil, keeps tickets of these teams (none if empty).
	TeamIDs    []int64
	AssigneeID int64
	// Unassigned keeps tickets no agent is assigned to.
	Unassigned bool
	ChannelID  int64
	ContactID  int64
	// Priority keeps tickets of this priority (low, normal, high, urgent).
	Priority string
	// Tag keeps tickets carrying this tag (as ticket.NormalizeTags wrote it).
	Tag string
	// Query is a full-text search over the subject, the bodies, the
	// sender's and the contact's name and address and the ticket number,
	// folding case and accents; every word must match (as a prefix).
	// Results are ranked by relevance then recency (Sort and the cursors
	// are ignored; page with Offset).
	Query string
	// Visible, when set, keeps only tickets of these teams, assigned to
	// this agent, or routed to nobody (no team and no assignee: every
	// agent sees those, so no ticket is invisible).
	Visible *TicketScope
	// Sort orders the list; "" is SortActivity.
	Sort TicketSort
	// After is a keyset cursor: the last ticket of the previous page, in
	// Sort's order.
	After *TicketCursor
	// Before is the legacy cursor: only tickets with ID < Before (implies
	// SortNewest).
	Before int64
	// Offset skips this many search results (only with Query).
	Offset int
	Limit  int // default 50, max 500
}

// TicketSort is an inbox order.
type TicketSort string

// The inbox orders. Every order ends with the ID so that keyset pages
// neither skip nor repeat a ticket.
const (
	// SortActivity: last customer activity first (a new customer
	// message or a reopening brings a ticket to the top).
	SortActivity TicketSort = "activity"
	SortNewest   TicketSort = "newest"
	SortOldest   TicketSort = "oldest"
	// SortPriority: urgent first, then high, normal, low; last activity
	// first within a priority.
	SortPriority TicketSort = "priority"
)

// Valid reports whether s is a known order ("" counts as the default).
func (s TicketSort) Valid() bool {
	switch s {
	case "", SortActivity, SortNewest, SortOldest, SortPriority:
		return true
	}
	return false
}

// PriorityRank orders priorities: urgent 3, high 2, normal 1, other 0.
func PriorityRank(p string) int {
	switch p {
	case "urgent":
		return 3
	case "high":
		return 2
	case "normal":
		return 1
	}
	return 0
}

// TicketCursor is the position after the last ticket of a page.
type TicketCursor struct {
	ID         int64
	ActivityAt time.Time
	Priority   int // PriorityRank of the ticket's priority
}

// CursorOf is the cursor just after t.
func CursorOf(t *model.Ticket) *TicketCursor {
	return &TicketCursor{ID: t.ID, ActivityAt: t.ActivityAt, Priority: PriorityRank(t.Priority)}
}

// TicketScope is the set of tickets an agent works: those of TeamIDs,
// those assigned to AssigneeID and those routed to nobody.
type TicketScope struct {
	TeamIDs    []int64
	AssigneeID int64
}

// TicketHit is one search result: the ticket, the message that matched
// best (0 when the ticket matched by number or contact) and an excerpt of
// that message's text around the first match, with each match between
// MarkStart and MarkEnd (the text is plain, not HTML: escape it).
type TicketHit struct {
	Ticket    model.Ticket
	MessageID int64
	Snippet   string
}

// Snippet match markers (control characters never kept in message text).
const (
	MarkStart = "\x02"
	MarkEnd   = "\x03"
)

// TicketCounts are the number of tickets in each inbox view an agent has.
// Every count is of open and pending tickets (Pending: pending only).
type TicketCounts struct {
	Mine, Unassigned, Teams, Open, Pending int
}

// Tickets are conversations.
type Tickets interface {
	// CreateTicket assigns the next per-company Number.
	CreateTicket(ctx context.Context, t *model.Ticket) error
	GetTicket(ctx context.Context, companyID, id int64) (*model.Ticket, error)
	GetTicketByNumber(ctx context.Context, companyID, number int64) (*model.Ticket, error)
	GetTicketByReplyToken(ctx context.Context, companyID int64, token string) (*model.Ticket, error)
	ListTickets(ctx context.Context, companyID int64, f TicketFilter) ([]model.Ticket, error)
	// SearchTickets is ListTickets for a filter with a Query, with each
	// ticket's best match and snippet.
	SearchTickets(ctx context.Context, companyID int64, f TicketFilter) ([]TicketHit, error)
	// CountTicketViews counts the tickets of each inbox view of the agent
	// me describes (open and pending ones): Mine assigned to
	// me.AssigneeID, Unassigned with no assignee, Teams of me.TeamIDs.
	// Unless admin, only what me may see is counted.
	CountTicketViews(ctx context.Context, companyID int64, me TicketScope, admin bool) (*TicketCounts, error)
	UpdateTicket(ctx context.Context, t *model.Ticket) error
	// TouchTicket sets LastMessageAt/UpdatedAt to at (never backwards).
	TouchTicket(ctx context.Context, companyID, id int64, at time.Time) error
	CountTickets(ctx context.Context, companyID int64) (int, error)
	// MergeTickets moves every message of source to target, records the
	// merge and closes source. Both must be the company's (else
	// ErrNotFound); merging a ticket into itself, or one already merged,
	// is ErrConflict. Call it inside Tx.
	MergeTickets(ctx context.Context, companyID, sourceID, targetID int64, at time.Time) error
	// MergedInto returns the ticket source was merged into, or ErrNotFound.
	MergedInto(ctx context.Context, companyID, sourceID int64) (int64, error)
}

// Messages are emails and notes on tickets.
type Messages interface {
	// CreateMessage inserts m. When m.DedupeKey is set and a message with
	// that key exists in the company, it returns ErrConflict and sets m.ID
	// to the existing message's ID.
	CreateMessage(ctx context.Context, m *model.Message) error
	// PrecomputeSearch does, outside any transaction, the full-text work
	// m's insert would do (PostgreSQL: the tsvector of its subject, sender
	// and text, search.TSVector, in Go) and keeps it in m.Search, so the
	// writing transaction, on ingest the single committer's, does less.
	// Nothing to do on SQLite (its index is written at the commit).
	// CreateMessage uses m.Search only while those fields are unchanged.
	PrecomputeSearch(ctx context.Context, m *model.Message) error
	GetMessage(ctx context.Context, companyID, id int64) (*model.Message, error)
	ListMessages(ctx context.Context, companyID, ticketID int64) ([]model.Message, error)
	// TicketsByMessageIDs maps each given Message-ID header value that a
	// message of this company carries to that message's ticket ID.
	TicketsByMessageIDs(ctx context.Context, companyID int64, messageIDs []string) (map[string]int64, error)
	// Participants lists the lowercased addresses on a ticket's messages.
	Participants(ctx context.Context, companyID, ticketID int64) ([]string, error)
	UpdateMessageStatus(ctx context.Context, companyID, id int64, status model.MessageStatus, errText string) error
	CountMessages(ctx context.Context, companyID int64) (int, error)

	CreateAttachment(ctx context.Context, a *model.Attachment) error
	ListAttachments(ctx context.Context, companyID, messageID int64) ([]model.Attachment, error)
	// ListTicketAttachments lists the attachments of all of a ticket's
	// messages (ordered by message, then ID) in one query.
	ListTicketAttachments(ctx context.Context, companyID, ticketID int64) ([]model.Attachment, error)
	GetAttachment(ctx context.Context, companyID, id int64) (*model.Attachment, error)
}

// InboundQueue is the durable first step of ingest.
type InboundQueue interface {
	// InsertInbound stores a new inbound row. If a row with the same
	// channel and source key exists it returns ErrConflict and fills in
	// the existing row (and stores nothing). When in.Raw is set, the raw
	// bytes are kept in the database under in.RawKey, in the same
	// transaction (GetInlineBlob); the same key stored before is kept.
	InsertInbound(ctx context.Context, in *model.Inbound) error
	// InsertInbounds is InsertInbound for several rows at once (ingest's
	// accepts that wait together), inserted in order: dup[i] says ins[i]
	// was a duplicate (of an existing row or of an earlier one of ins),
	// filled in from that row, with nothing stored for it. An error
	// (other than duplicates) leaves the transaction to be rolled back.
	InsertInbounds(ctx context.Context, ins []*model.Inbound) (dup []bool, err error)
	// GetInlineBlob returns the bytes InsertInbound kept under key, or
	// ErrNotFound (the blob is in the blob store, or nowhere).
	GetInlineBlob(ctx context.Context, key string) ([]byte, error)
	// PutInlineBlob keeps data under key in the database, like
	// InsertInbound's Raw (ingest keeps small attachments so, in the
	// message's transaction); a key already kept is left as it is.
	PutInlineBlob(ctx context.Context, key string, data []byte) error
	GetInbound(ctx context.Context, companyID, id int64) (*model.Inbound, error)
	// ClaimInbound leases, for lease, up to limit pending rows whose lease
	// expired by the store's clock (crosses companies: the ingest worker
	// serves all of them).
	ClaimInbound(ctx context.Context, lease time.Duration, limit int) ([]model.Inbound, error)
	// FinishInbound marks a row done (messageID is the message it became).
	FinishInbound(ctx context.Context, companyID, id, messageID int64, at time.Time) error
	// FinishInbounds is FinishInbound for several rows; ErrNotFound when
	// any of them is missing (the caller's transaction is then to be
	// rolled back: some may be marked).
	FinishInbounds(ctx context.Context, done []InboundDone) error
	// RetryInbound records an error; the row is retried after retryAt, or
	// marked failed when failed is true.
	RetryInbound(ctx context.Context, companyID, id int64, errText string, retryAt time.Time, failed bool) error
	CountInbound(ctx context.Context, state model.InboundState) (int, error)
}

// Jobs is a durable job queue for background work.
type Jobs interface {
	// EnqueueJob inserts j. With a UniqueKey already queued for the same
	// company and kind, it returns ErrConflict and fills in j.ID.
	EnqueueJob(ctx context.Context, j *model.Job) error
	// ClaimJobs leases, for lease, up to limit pending jobs of these kinds
	// that are due by the store's clock.
	ClaimJobs(ctx context.Context, kinds []string, lease time.Duration, limit int) ([]model.Job, error)
	CompleteJob(ctx context.Context, id int64) error
	// RetryJob records an error and reschedules (or fails) the job.
	RetryJob(ctx context.Context, id int64, errText string, runAt time.Time, failed bool) error
	// PostponeJob reschedules a claimed job that could not run yet (a
	// quota or a pause), giving back the attempt its claim counted.
	PostponeJob(ctx context.Context, id int64, runAt time.Time) error
	GetJob(ctx context.Context, companyID, id int64) (*model.Job, error)
	// RestartJob puts a failed job of the company back in the queue, due
	// at runAt with no attempts; false (and no change) when it is not failed.
	RestartJob(ctx context.Context, companyID, id int64, runAt time.Time) (bool, error)
}

// SearchUpkeep is the search index's background work after an upgrade
// (sqlstore: rewriting the PostgreSQL vectors made before migration 0028).
// Like ClaimInbound, it crosses companies: it is the store's own upkeep,
// and rows keep their company.
type SearchUpkeep interface {
	// RevectorSearch does one batch, in a transaction of its own; done
	// says nothing is left.
	RevectorSearch(ctx context.Context) (n int, done bool, err error)
}

// InboundDone is one row for FinishInbounds.
type InboundDone struct {
	CompanyID, ID, MessageID int64
	At                       time.Time
}
