package store

import (
	"context"
	"slices"

	"github.com/atende-helpdesk/atende/internal/model"
)

// TicketGroup is the number of a company's open or pending tickets that
// share a status, an assignee and a team (0: none).
type TicketGroup struct {
	Status             model.TicketStatus
	AssigneeID, TeamID int64
	N                  int
}

// TicketGroups counts the open and pending tickets by status, assignee
// and team: one answer for every agent of the company, from which
// ViewCounts derives each agent's inbox counts (the web inbox caches it
// per company).
type TicketGroups interface {
	CountOpenTicketGroups(ctx context.Context, companyID int64) ([]TicketGroup, error)
}

// ViewCounts is what CountTicketViews(companyID, me, admin) returns,
// computed from the company's groups.
func ViewCounts(groups []TicketGroup, me TicketScope, admin bool) TicketCounts {
	var c TicketCounts
	for _, g := range groups {
		if g.Status != model.StatusOpen && g.Status != model.StatusPending {
			continue
		}
		inTeam := g.TeamID != 0 && slices.Contains(me.TeamIDs, g.TeamID)
		mine := g.AssigneeID != 0 && g.AssigneeID == me.AssigneeID
		if !admin && !mine && !(g.TeamID == 0 && g.AssigneeID == 0) && !inTeam {
			continue // not visible to the agent (visibleWhere)
		}
		if mine {
			c.Mine += g.N
		}
		if g.AssigneeID == 0 {
			c.Unassigned += g.N
		}
		if inTeam {
			c.Teams += g.N
		}
		c.Open += g.N
		if g.Status == model.StatusPending {
			c.Pending += g.N
		}
	}
	return c
}
