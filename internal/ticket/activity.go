package ticket

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/routing"
	"github.com/atende-helpdesk/atende/internal/store"
)

// TimelineLimit bounds the activity entries a ticket view shows.
const TimelineLimit = 200

func i64(n int64) string { return strconv.FormatInt(n, 10) }

// record writes one timeline entry in q (the change's transaction).
func record(ctx context.Context, q store.Queries, companyID, ticketID, actorID int64, kind string, at time.Time, data map[string]string) error {
	if err := q.AddActivity(ctx, &store.Activity{CompanyID: companyID, TicketID: ticketID, Kind: kind, ActorID: actorID,
		Data: data, CreatedAt: at}); err != nil {
		return fmt.Errorf("ticket: record %s: %w", kind, err)
	}
	return nil
}

// RecordRouted records, in the transaction that created ticket t from a
// contact's mail, how the channel's rule routed it: the filter that
// matched (1-based, its kind and value) or the rule's default team, and
// the team and assignee it gave.
func RecordRouted(ctx context.Context, q store.Queries, t *model.Ticket, rule routing.Rule, dec routing.Decision) error {
	data := map[string]string{"team": i64(dec.TeamID), "assignee": i64(dec.AssigneeID), "channel": i64(t.ChannelID)}
	if dec.MatchedFilter >= 0 && dec.MatchedFilter < len(rule.Filters) {
		f := rule.Filters[dec.MatchedFilter]
		data["filter"] = strconv.Itoa(dec.MatchedFilter + 1)
		data["filter_kind"] = string(f.Kind)
		data["filter_value"] = f.Value
	}
	return record(ctx, q, t.CompanyID, t.ID, 0, store.ActivityRouted, t.CreatedAt, data)
}

// RecordReopened records that a contact's new mail opened a resolved or
// closed ticket again.
func RecordReopened(ctx context.Context, q store.Queries, t *model.Ticket, from model.TicketStatus, at time.Time) error {
	return record(ctx, q, t.CompanyID, t.ID, 0, store.ActivityStatus, at,
		map[string]string{"from": string(from), "to": string(t.Status), "reason": "customer_replied"})
}

// Timeline returns the newest TimelineLimit activity entries of a ticket
// the actor may work, oldest first.
func (s *Service) Timeline(ctx context.Context, a Actor, id int64) ([]store.Activity, error) {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return nil, err
	}
	acts, err := s.store.ListActivity(ctx, a.CompanyID, id, TimelineLimit)
	if err != nil {
		return nil, fmt.Errorf("ticket: timeline: %w", err)
	}
	return acts, nil
}

// recordAssign records the team and assignee changes from before to t.
func (s *Service) recordAssign(ctx context.Context, q store.Queries, a Actor, before, t *model.Ticket) error {
	now := s.clk.Now().UTC()
	if before.TeamID != t.TeamID {
		if err := record(ctx, q, a.CompanyID, t.ID, a.AgentID, store.ActivityTeam, now,
			map[string]string{"from": i64(before.TeamID), "to": i64(t.TeamID)}); err != nil {
			return err
		}
	}
	if before.AssigneeID != t.AssigneeID {
		return record(ctx, q, a.CompanyID, t.ID, a.AgentID, store.ActivityAssigned, now,
			map[string]string{"from": i64(before.AssigneeID), "to": i64(t.AssigneeID)})
	}
	return nil
}

// recordStatus records a status change (none when it stayed the same).
func (s *Service) recordStatus(ctx context.Context, q store.Queries, a Actor, t *model.Ticket, from model.TicketStatus) error {
	if from == t.Status {
		return nil
	}
	return record(ctx, q, a.CompanyID, t.ID, a.AgentID, store.ActivityStatus, s.clk.Now().UTC(),
		map[string]string{"from": string(from), "to": string(t.Status)})
}

// recordMerge records a merge on both tickets.
func (s *Service) recordMerge(ctx context.Context, q store.Queries, a Actor, sourceID, targetID int64) error {
	now := s.clk.Now().UTC()
	if err := record(ctx, q, a.CompanyID, sourceID, a.AgentID, store.ActivityMergedInto, now, map[string]string{"ticket": i64(targetID)}); err != nil {
		return err
	}
	return record(ctx, q, a.CompanyID, targetID, a.AgentID, store.ActivityMergedFrom, now, map[string]string{"ticket": i64(sourceID)})
}
