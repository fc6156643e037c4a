package ticket

import (
	"context"
	"errors"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Bulk actions (the inbox's bulk bar and POST /api/v1/tickets/bulk): one
// action on many tickets, each through the same method as on its own
// page (Assign, SetStatus, Merge), with the same company and permission
// checks; the result says what changed and which tickets were left
// alone.

// MaxBulk bounds one bulk action.
const MaxBulk = 200

// Bulk actions.
const (
	BulkAssign = "assign" // AssigneeID (0 = nobody)
	BulkTeam   = "team"   // TeamID (0 = none)
	BulkStatus = "status" // Status
	BulkMerge  = "merge"  // TargetNumber: every other ticket is merged into it
)

// BulkInput is one bulk action.
type BulkInput struct {
	IDs          []int64            `json:"ids"`
	Action       string             `json:"action"`
	AssigneeID   *int64             `json:"assignee_id,omitempty"`
	TeamID       *int64             `json:"team_id,omitempty"`
	Status       model.TicketStatus `json:"status,omitempty"`
	TargetNumber int64              `json:"target_number,omitempty"`
}

// Bulk outcomes of one ticket.
const (
	BulkDone    = "done"    // changed
	BulkSkipped = "skipped" // left alone (not found, not the actor's, invalid for it)
	BulkTarget  = "target"  // the merge target itself, left as it is
)

// BulkOutcome is what happened to one ticket. Number is set only for a
// ticket of the actor's company (another company's id says nothing, as
// one that does not exist).
type BulkOutcome struct {
	TicketID int64  `json:"ticket_id"`
	Number   int64  `json:"number,omitempty"`
	Outcome  string `json:"outcome"`
}

// BulkResult sums a bulk action up: Done tickets changed, Skipped the
// numbers of the company's tickets left alone (in the order asked),
// Outcomes one per distinct id.
type BulkResult struct {
	Action string `json:"action"`
	Done   int    `json:"done"`
	// Target is the merge target's ticket number (merge only).
	Target   int64         `json:"target_number,omitempty"`
	Skipped  []int64       `json:"skipped"`
	Outcomes []BulkOutcome `json:"outcomes"`
}

// Bulk applies in.Action to in.IDs (duplicates once). Bad input (no ids,
// more than MaxBulk, an unknown action, a missing or negative argument,
// a merge target number that is not the company's) is a
// directory.ValidationError naming the field; per-ticket failures are
// outcomes, not errors.
func (s *Service) Bulk(ctx context.Context, a Actor, in BulkInput) (*BulkResult, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, id := range in.IDs {
		if id <= 0 {
			return nil, directory.Invalid("ids", "must be positive ticket ids")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, directory.Invalid("ids", "required: at least one ticket id")
	case len(ids) > MaxBulk:
		return nil, directory.Invalid("ids", fmt.Sprintf("at most %d tickets at once", MaxBulk))
	}
	res := &BulkResult{Action: in.Action, Skipped: []int64{}, Outcomes: []BulkOutcome{}}
	var apply func(id int64) error
	switch in.Action {
	case BulkAssign:
		if in.AssigneeID == nil || *in.AssigneeID < 0 {
			return nil, directory.Invalid("assignee_id", "required: an agent id, or 0 for nobody")
		}
		agent := *in.AssigneeID
		apply = func(id int64) error {
			_, err := s.Assign(ctx, a, id, AssignInput{AssigneeID: &agent})
			return err
		}
	case BulkTeam:
		if in.TeamID == nil || *in.TeamID < 0 {
			return nil, directory.Invalid("team_id", "required: a team id, or 0 for none")
		}
		team := *in.TeamID
		apply = func(id int64) error {
			_, err := s.Assign(ctx, a, id, AssignInput{TeamID: &team})
			return err
		}
	case BulkStatus:
		if !in.Status.Valid() {
			return nil, directory.Invalid("status", "must be open, pending, resolved or closed")
		}
		apply = func(id int64) error {
			_, err := s.SetStatus(ctx, a, id, in.Status)
			return err
		}
	case BulkMerge:
		if in.TargetNumber <= 0 {
			return nil, directory.Invalid("target_number", "required: the number of the ticket to merge into")
		}
		target, err := s.store.GetTicketByNumber(ctx, a.CompanyID, in.TargetNumber)
		if errors.Is(err, store.ErrNotFound) {
			return nil, directory.Invalid("target_number", "no such ticket")
		} else if err != nil {
			return nil, fmt.Errorf("ticket: bulk merge target: %w", err)
		}
		res.Target = target.Number
		apply = func(id int64) error {
			if id == target.ID {
				return errBulkTarget
			}
			_, err := s.Merge(ctx, a, id, target.ID)
			return err
		}
	default:
		return nil, directory.Invalid("action", "must be assign, team, status or merge")
	}
	for _, id := range ids {
		err := apply(id)
		o := BulkOutcome{TicketID: id, Outcome: BulkDone}
		switch {
		case err == nil:
			res.Done++
		case errors.Is(err, errBulkTarget):
			o.Outcome, o.Number = BulkTarget, res.Target
		default:
			// Not found, another company's, not the actor's, invalid for
			// this ticket: left alone and listed (by number when the
			// company's, else not at all: another company's id says nothing).
			o.Outcome = BulkSkipped
			if t, gerr := s.store.GetTicket(ctx, a.CompanyID, id); gerr == nil {
				o.Number = t.Number
				res.Skipped = append(res.Skipped, t.Number)
			}
			if !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
				s.log.Info("ticket: bulk action left a ticket alone", "action", in.Action, "ticket", id, "err", err)
			}
		}
		if o.Outcome == BulkDone {
			if t, gerr := s.store.GetTicket(ctx, a.CompanyID, id); gerr == nil {
				o.Number = t.Number
			}
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res, nil
}

var errBulkTarget = errors.New("ticket: the merge target itself")
