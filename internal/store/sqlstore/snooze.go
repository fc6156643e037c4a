package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// SnoozeTicket sets a ticket pending until "until".
func (s q) SnoozeTicket(ctx context.Context, companyID, ticketID int64, until, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE tickets SET status = 'pending', snoozed_until = ?, updated_at = ? WHERE company_id = ? AND id = ?",
		until.UTC(), at.UTC(), companyID, ticketID)
	return affected(res, err, fmt.Sprintf("snooze ticket %d", ticketID))
}

// TicketSnoozedUntil reads the snooze (zero: none).
func (s q) TicketSnoozedUntil(ctx context.Context, companyID, ticketID int64) (time.Time, error) {
	var t time.Time
	if err := s.row(ctx, "SELECT snoozed_until FROM tickets WHERE company_id = ? AND id = ?", companyID, ticketID).Scan(tsv{&t}); err != nil {
		return t, notFound(err, fmt.Sprintf("ticket %d snooze", ticketID))
	}
	return t, nil
}

// WakeSnoozedTicket opens a ticket still snoozed until "until".
func (s q) WakeSnoozedTicket(ctx context.Context, companyID, ticketID int64, until, at time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE tickets SET status = 'open', snoozed_until = NULL, updated_at = ?
		WHERE company_id = ? AND id = ? AND status = 'pending' AND snoozed_until = ?`, at.UTC(), companyID, ticketID, until.UTC())
	n, err := count(res, err, fmt.Sprintf("wake ticket %d", ticketID))
	return n == 1, err
}
