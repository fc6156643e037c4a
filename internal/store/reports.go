package store

import (
	"context"
	"time"
)

// ReportFilter selects the tickets a report counts.
type ReportFilter struct {
	// From and To bound the report, [From, To): a ticket is read when it
	// was created or resolved inside.
	From, To time.Time
	// TeamID keeps one team's tickets (0: every team).
	TeamID int64
}

// ReportTicket is what reports read of one ticket.
type ReportTicket struct {
	ID        int64
	TeamID    int64 // 0: no team
	CreatedAt time.Time
	// FirstResponseAt is the first reply an agent wrote (zero: none yet);
	// notes and automatic replies do not count.
	FirstResponseAt time.Time
	// ResolvedAt is when the ticket last became resolved or closed (zero
	// while open or pending).
	ResolvedAt time.Time
}

// Reports reads tickets for the reports page.
type Reports interface {
	// ReportTickets lists a company's tickets created or resolved in
	// [f.From, f.To), in ID order.
	ReportTickets(ctx context.Context, companyID int64, f ReportFilter) ([]ReportTicket, error)
}
