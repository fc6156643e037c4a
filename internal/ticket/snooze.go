package ticket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Snooze ("pendente até uma data"): the ticket is pending until a time,
// then opens again by itself with a note saying so. The reopening is a
// "ticket.snooze" job in the durable job queue, due at that time by the
// store's clock: any node may claim it (FOR UPDATE SKIP LOCKED on
// PostgreSQL), and a node that dies holding it loses it when the lease
// ends. A status change in between (a reply reopens it, an agent
// resolves it) clears the snooze in the database, and the job then
// changes nothing.

// JobSnooze is the job kind that reopens a snoozed ticket.
const JobSnooze = "ticket.snooze"

// MaxSnooze bounds how far ahead a ticket may be snoozed.
const MaxSnooze = 366 * 24 * time.Hour

type snoozePayload struct {
	TicketID int64     `json:"ticket_id"`
	Until    time.Time `json:"until"`
}

// Snooze sets the ticket pending until "until" (whole seconds), notes it
// in the ticket and queues its reopening.
func (s *Service) Snooze(ctx context.Context, a Actor, id int64, until time.Time) (*model.Ticket, error) {
	now := s.clk.Now().UTC()
	until = until.UTC().Truncate(time.Second)
	if !until.After(now) || until.Sub(now) > MaxSnooze {
		return nil, directory.Invalid("until", "must be in the future, within a year")
	}
	var t *model.Ticket
	var note *model.Message
	err := s.store.Tx(ctx, func(q store.Queries) error {
		var err error
		if t, err = s.load(ctx, q, a, id); err != nil {
			return err
		}
		if err := q.SnoozeTicket(ctx, a.CompanyID, t.ID, until, now); err != nil {
			return err
		}
		t.Status = model.StatusPending
		payload, _ := json.Marshal(snoozePayload{TicketID: t.ID, Until: until})
		j := &model.Job{CompanyID: a.CompanyID, Kind: JobSnooze, Payload: payload, RunAt: until,
			UniqueKey: strconv.FormatInt(t.ID, 10) + "@" + strconv.FormatInt(until.Unix(), 10)}
		if err := q.EnqueueJob(ctx, j); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		note = &model.Message{CompanyID: a.CompanyID, TicketID: t.ID, ChannelID: t.ChannelID, Direction: model.DirNote,
			Status: model.MsgStored, AuthorID: a.AgentID, CreatedAt: now,
			Meta: map[string]string{"event": "snoozed", "until": until.Format(time.RFC3339)}}
		note.Text = snoozeText(ctx, q, a.CompanyID, true, until)
		return q.CreateMessage(ctx, note)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: snooze: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id, MessageID: note.ID})
	return t, nil
}

// snoozeText is the note, in the company's language and time zone.
func snoozeText(ctx context.Context, q store.Queries, companyID int64, snoozed bool, until time.Time) string {
	lang, loc := "pt-BR", time.UTC
	if co, err := q.GetCompany(ctx, companyID); err == nil {
		lang, loc = co.Language, co.Location()
	}
	at := until.In(loc)
	if lang == "en" {
		if snoozed {
			return "Snoozed: pending until " + at.Format("Jan 2 2006, 15:04 MST") + ", then it opens again by itself."
		}
		return "Opened again: the snooze ended (" + at.Format("Jan 2 2006, 15:04 MST") + ")."
	}
	if snoozed {
		return "Adiado: pendente até " + at.Format("02/01/2006 15:04 MST") + "; depois reabre sozinho."
	}
	return "Reaberto: o adiamento terminou (" + at.Format("02/01/2006 15:04 MST") + ")."
}

// SnoozedUntil is the ticket's snooze (zero: none).
func (s *Service) SnoozedUntil(ctx context.Context, a Actor, id int64) (time.Time, error) {
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return time.Time{}, err
	}
	return s.store.TicketSnoozedUntil(ctx, a.CompanyID, t.ID)
}

// Unsnooze ends a ticket's snooze now: a snoozed ticket opens again (the
// status change clears the snooze in the database, and its job then
// changes nothing); a ticket that is not snoozed is left as it is.
func (s *Service) Unsnooze(ctx context.Context, a Actor, id int64) (*model.Ticket, error) {
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: unsnooze: %w", err)
	}
	until, err := s.store.TicketSnoozedUntil(ctx, a.CompanyID, t.ID)
	if err != nil {
		return nil, fmt.Errorf("ticket: unsnooze: %w", err)
	}
	if until.IsZero() || t.Status != model.StatusPending {
		return t, nil
	}
	return s.SetStatus(ctx, a, id, model.StatusOpen)
}

// WakeSnoozed claims due snooze jobs (up to limit) and reopens their
// tickets; it returns how many jobs it finished.
func (s *Service) WakeSnoozed(ctx context.Context, limit int) (int, error) {
	jobs, err := s.store.ClaimJobs(ctx, []string{JobSnooze}, time.Minute, limit)
	if err != nil {
		return 0, fmt.Errorf("ticket: claim snoozes: %w", err)
	}
	done := 0
	for _, j := range jobs {
		var p snoozePayload
		if err := json.Unmarshal(j.Payload, &p); err != nil {
			s.log.Error("ticket: bad snooze job", "job", j.ID, "err", err)
			_ = s.store.RetryJob(ctx, j.ID, "bad payload: "+err.Error(), j.RunAt, true)
			continue
		}
		var woke bool
		var note *model.Message
		err := s.store.Tx(ctx, func(q store.Queries) error {
			now := s.clk.Now().UTC()
			t, err := q.GetTicket(ctx, j.CompanyID, p.TicketID)
			if errors.Is(err, store.ErrNotFound) {
				return q.CompleteJob(ctx, j.ID)
			} else if err != nil {
				return err
			}
			if woke, err = q.WakeSnoozedTicket(ctx, j.CompanyID, t.ID, p.Until, now); err != nil {
				return err
			}
			if woke {
				note = &model.Message{CompanyID: j.CompanyID, TicketID: t.ID, ChannelID: t.ChannelID, Direction: model.DirNote,
					Status: model.MsgStored, CreatedAt: now, Text: snoozeText(ctx, q, j.CompanyID, false, p.Until),
					Meta: map[string]string{"event": "snooze_ended"}}
				if err := q.CreateMessage(ctx, note); err != nil {
					return err
				}
				if err := q.TouchTicket(ctx, j.CompanyID, t.ID, now); err != nil {
					return err
				}
			}
			return q.CompleteJob(ctx, j.ID)
		})
		if err != nil {
			s.log.Warn("ticket: reopen snoozed ticket", "job", j.ID, "ticket", p.TicketID, "err", err)
			_ = s.store.RetryJob(ctx, j.ID, err.Error(), s.clk.Now().Add(30*time.Second), j.Attempts >= 10)
			continue
		}
		done++
		if woke {
			s.log.Info("ticket: snooze ended, ticket open again", "company", j.CompanyID, "ticket", p.TicketID)
			s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: j.CompanyID, TicketID: p.TicketID, MessageID: note.ID})
		}
	}
	return done, nil
}

// RunSnoozes reopens snoozed tickets when they are due, looking every
// interval, until ctx ends.
func (s *Service) RunSnoozes(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.WakeSnoozed(ctx, 50)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("ticket: snoozes", "err", err)
			}
			if n < 50 {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
