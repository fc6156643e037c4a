package store

import (
	"context"
	"time"
)

// CannedReply is a canned reply (resposta pronta): the company's when
// AgentID is 0, else one agent's own. Body is Markdown with {{variables}}.
type CannedReply struct {
	ID          int64
	CompanyID   int64
	AgentID     int64
	Title       string
	Body        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Attachments []CannedAttachment // filled by GetCannedReply only
}

// CannedAttachment is a file sent with a canned reply (bytes in the blob store).
type CannedAttachment struct {
	ID          int64
	CompanyID   int64
	CannedID    int64
	BlobKey     string
	Filename    string
	ContentType string
	Size        int64
}

// Draft is an agent's unsent reply on a ticket.
type Draft struct {
	CompanyID int64
	TicketID  int64
	AgentID   int64
	Body      string
	UpdatedAt time.Time
}

// DraftFile is a file of an agent's unsent reply on a ticket, kept on the
// server with the draft (bytes in the blob store): attached in the
// composer, or of a reply taken back ("Desfazer") or refused.
type DraftFile struct {
	ID          int64
	CompanyID   int64
	TicketID    int64
	AgentID     int64
	BlobKey     string
	Filename    string
	ContentType string
	Size        int64
	CreatedAt   time.Time
}

// DefaultUndoSeconds is the undo-send delay of a company that set none.
const DefaultUndoSeconds = 10

// Compose is what the agent's composer keeps: canned replies, drafts,
// the undo-send delay and taking back a reply still waiting to be sent.
type Compose interface {
	// CreateCannedReply inserts c with its Attachments.
	CreateCannedReply(ctx context.Context, c *CannedReply) error
	// GetCannedReply by ID within a company, with its attachments.
	GetCannedReply(ctx context.Context, companyID, id int64) (*CannedReply, error)
	// ListCannedReplies are the company's (agent 0) and, when agentID is
	// not 0, that agent's own; by title. Attachments are not filled.
	ListCannedReplies(ctx context.Context, companyID, agentID int64) ([]CannedReply, error)
	// UpdateCannedReply writes title and body (owner unchanged).
	UpdateCannedReply(ctx context.Context, c *CannedReply) error
	// AddCannedAttachment adds a file to an existing canned reply.
	AddCannedAttachment(ctx context.Context, a *CannedAttachment) error
	// DeleteCannedAttachment removes one file of canned reply cannedID.
	DeleteCannedAttachment(ctx context.Context, companyID, cannedID, id int64) error
	// DeleteCannedReply removes one and its attachments.
	DeleteCannedReply(ctx context.Context, companyID, id int64) error

	// SaveDraft inserts or replaces the agent's draft on a ticket.
	SaveDraft(ctx context.Context, d *Draft) error
	// GetDraft is ErrNotFound when there is none.
	GetDraft(ctx context.Context, companyID, ticketID, agentID int64) (*Draft, error)
	// DeleteDraft removes it (no error when there is none).
	DeleteDraft(ctx context.Context, companyID, ticketID, agentID int64) error

	// AddDraftFile keeps a file with the agent's draft on a ticket.
	AddDraftFile(ctx context.Context, f *DraftFile) error
	// ListDraftFiles are the agent's draft files on a ticket, oldest first.
	ListDraftFiles(ctx context.Context, companyID, ticketID, agentID int64) ([]DraftFile, error)
	// DeleteDraftFiles removes the agent's draft files on a ticket with
	// these IDs, or all of them when ids is nil; it reports how many.
	DeleteDraftFiles(ctx context.Context, companyID, ticketID, agentID int64, ids []int64) (int, error)

	// UndoSeconds is the company's undo-send delay (DefaultUndoSeconds
	// when never set; 0 = disabled).
	UndoSeconds(ctx context.Context, companyID int64) (int, error)
	SetUndoSeconds(ctx context.Context, companyID int64, seconds int) error

	// CancelSend takes back an outbound message whose send job
	// (jobKind, uniqueKey) has not been claimed by a worker yet: the
	// job, the message and its attachment rows are deleted. It reports
	// false, and changes nothing, when a worker claimed it already (or
	// it is done, or there is no such job).
	CancelSend(ctx context.Context, companyID, messageID int64, jobKind, uniqueKey string) (bool, error)
}
