package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
)

func (s q) MarkTicketRead(ctx context.Context, companyID, agentID, ticketID int64) error {
	// The ticket must be the company's: no read marks on another tenant's ids.
	_, err := s.exec(ctx, `INSERT INTO ticket_reads (company_id, agent_id, ticket_id, read_at)
		SELECT company_id, ?, id, ? FROM tickets WHERE company_id = ? AND id = ?
		ON CONFLICT (agent_id, ticket_id) DO UPDATE SET read_at = excluded.read_at`,
		agentID, s.now(), companyID, ticketID)
	if err != nil {
		return fmt.Errorf("store: mark ticket %d read: %w", ticketID, err)
	}
	return nil
}

func (s q) TicketReads(ctx context.Context, companyID, agentID int64, ticketIDs []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(ticketIDs))
	if len(ticketIDs) == 0 {
		return out, nil
	}
	args := []any{companyID, agentID}
	for _, id := range ticketIDs {
		args = append(args, id)
	}
	rows, err := s.query(ctx, `SELECT ticket_id, read_at FROM ticket_reads
		WHERE company_id = ? AND agent_id = ? AND ticket_id IN (?`+strings.Repeat(", ?", len(ticketIDs)-1)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: ticket reads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var at time.Time
		if err := rows.Scan(&id, tsv{&at}); err != nil {
			return nil, fmt.Errorf("store: ticket reads: %w", err)
		}
		out[id] = at
	}
	return out, rows.Err()
}
