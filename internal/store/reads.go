package store

import (
	"context"
	"time"
)

// Reads keep, per agent, when each ticket was last opened: a ticket is
// unread for an agent when the customer wrote (Ticket.ActivityAt) after
// that, the same on every device the agent uses.
type Reads interface {
	// MarkTicketRead records that the agent opened the ticket now (the
	// store's clock); a later call moves the time forward.
	MarkTicketRead(ctx context.Context, companyID, agentID, ticketID int64) error
	// TicketReads returns when the agent last opened each of ticketIDs
	// (tickets never opened are absent), in one query.
	TicketReads(ctx context.Context, companyID, agentID int64, ticketIDs []int64) (map[int64]time.Time, error)
}
