package store

import (
	"context"
	"time"
)

// Snoozes keep "pending until a date": the ticket's snoozed_until. A
// status change away from pending clears it (in the database, whatever
// code changed the status).
type Snoozes interface {
	// SnoozeTicket sets the ticket pending until "until", stamping
	// updated_at with at; ErrNotFound for another company's ticket.
	SnoozeTicket(ctx context.Context, companyID, ticketID int64, until, at time.Time) error
	// TicketSnoozedUntil is the ticket's snooze (zero: none).
	TicketSnoozedUntil(ctx context.Context, companyID, ticketID int64) (time.Time, error)
	// WakeSnoozedTicket opens the ticket when it is still pending and
	// snoozed until exactly "until"; it reports whether it did.
	WakeSnoozedTicket(ctx context.Context, companyID, ticketID int64, until, at time.Time) (bool, error)
}
