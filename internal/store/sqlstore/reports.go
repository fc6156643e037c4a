package sqlstore

import (
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/store"
)

// ReportTickets lists the tickets created or resolved in [From, To) with
// their first agent reply. Aggregation (days in the company's zone,
// medians, percentiles) happens in Go so both databases give the same
// answers.
func (s q) ReportTickets(ctx context.Context, companyID int64, f store.ReportFilter) ([]store.ReportTicket, error) {
	from, to := f.From.UTC(), f.To.UTC()
	query := `SELECT t.id, t.team_id, t.created_at, t.resolved_at,
		(SELECT MIN(m.created_at) FROM messages m WHERE m.company_id = t.company_id AND m.ticket_id = t.id
			AND m.direction = 'out' AND m.author_id IS NOT NULL)
		FROM tickets t
		WHERE t.company_id = ? AND ((t.created_at >= ? AND t.created_at < ?) OR (t.resolved_at >= ? AND t.resolved_at < ?))`
	args := []any{companyID, from, to, from, to}
	if f.TeamID != 0 {
		query += " AND t.team_id = ?"
		args = append(args, f.TeamID)
	}
	rows, err := s.query(ctx, query+" ORDER BY t.id", args...)
	if err != nil {
		return nil, fmt.Errorf("store: report tickets: %w", err)
	}
	defer rows.Close()
	var out []store.ReportTicket
	for rows.Next() {
		var r store.ReportTicket
		if err := rows.Scan(&r.ID, idv{&r.TeamID}, tsv{&r.CreatedAt}, tsv{&r.ResolvedAt}, tsv{&r.FirstResponseAt}); err != nil {
			return nil, fmt.Errorf("store: report tickets: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: report tickets: %w", err)
	}
	return out, nil
}
