package sqlstore

import (
	"context"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// CountOpenTicketGroups counts the company's open and pending tickets by
// status, assignee and team. It walks the covering index
// tickets_company_status_counts like CountTicketViews does, without the
// per-row CASE expressions (about half its time), and its answer serves
// every agent of the company (store.ViewCounts).
func (s q) CountOpenTicketGroups(ctx context.Context, companyID int64) ([]store.TicketGroup, error) {
	return list(ctx, s, "count open ticket groups", func(r interface{ Scan(...any) error }) (*store.TicketGroup, error) {
		var g store.TicketGroup
		var status string
		if err := r.Scan(&status, idv{&g.AssigneeID}, idv{&g.TeamID}, &g.N); err != nil {
			return nil, err
		}
		g.Status = model.TicketStatus(status)
		return &g, nil
	}, `SELECT status, assignee_id, team_id, COUNT(*) FROM tickets
		WHERE company_id = ? AND status IN ('open', 'pending')
		GROUP BY status, assignee_id, team_id`, companyID)
}
