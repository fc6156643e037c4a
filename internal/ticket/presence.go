package ticket

import (
	"context"
	"fmt"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// EventPresence tells live subscribers that who is viewing or typing in
// a ticket changed (not a webhook event: it is not in EventTypes). It
// travels between nodes like every event; the rows are in the database.
const EventPresence = "presence.changed"

// PresenceTTL is how long a presence lasts without renewal; pages renew
// it about three times as often.
const PresenceTTL = 30 * time.Second

// Presence states an agent's page reports.
const (
	PresenceViewing = "viewing"
	PresenceTyping  = "typing"
	PresenceGone    = "gone"
)

// Viewer is another agent in the same ticket.
type Viewer struct {
	AgentID int64  `json:"agent_id"`
	Name    string `json:"name"`
	Typing  bool   `json:"typing"`
}

// Presence records the actor's state in ticket id ("" only reads) and
// returns the other agents viewing or typing in it. A change (arriving,
// starting or stopping to type, leaving) is announced with EventPresence.
func (s *Service) Presence(ctx context.Context, a Actor, id int64, state string) ([]Viewer, error) {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return nil, err
	}
	now := s.clk.Now().UTC()
	changed := false
	var err error
	switch state {
	case "":
	case PresenceViewing, PresenceTyping:
		changed, err = s.store.TouchPresence(ctx, store.Presence{CompanyID: a.CompanyID, TicketID: id, AgentID: a.AgentID,
			Typing: state == PresenceTyping, ExpiresAt: now.Add(PresenceTTL)}, now)
	case PresenceGone:
		changed, err = s.store.DeletePresence(ctx, a.CompanyID, id, a.AgentID)
	default:
		return nil, directory.Invalid("state", "must be viewing, typing or gone")
	}
	if err != nil {
		return nil, fmt.Errorf("ticket: presence: %w", err)
	}
	if changed {
		s.publish(ctx, Event{Type: EventPresence, CompanyID: a.CompanyID, TicketID: id})
	}
	ps, err := s.store.ListPresence(ctx, a.CompanyID, id, now)
	if err != nil {
		return nil, fmt.Errorf("ticket: presence: %w", err)
	}
	out := []Viewer{}
	var names map[int64]string
	for _, p := range ps {
		if p.AgentID == a.AgentID {
			continue
		}
		if names == nil {
			if names, err = s.agentNames(ctx, a.CompanyID); err != nil {
				return nil, err
			}
		}
		out = append(out, Viewer{AgentID: p.AgentID, Name: names[p.AgentID], Typing: p.Typing})
	}
	return out, nil
}

func (s *Service) agentNames(ctx context.Context, companyID int64) (map[int64]string, error) {
	ags, err := s.store.ListAgents(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("ticket: agents: %w", err)
	}
	names := make(map[int64]string, len(ags))
	for _, ag := range ags {
		names[ag.ID] = ag.Name
	}
	return names, nil
}

// Collision is a reply another agent sent after the actor loaded the
// ticket.
type Collision struct {
	AgentID   int64
	Name      string
	MessageID int64
	At        time.Time
	Ago       time.Duration
}

// RepliedSince returns the newest reply another agent sent on ticket id
// after message seenID (the newest message the actor's page showed), or
// nil: the composer holds a send over it until the agent reviews it or
// sends anyway. seenID 0 (a client that does not say) never collides.
func (s *Service) RepliedSince(ctx context.Context, a Actor, id, seenID int64) (*Collision, error) {
	if seenID <= 0 {
		return nil, nil
	}
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return nil, err
	}
	msgs, err := s.store.ListMessages(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: replied since: %w", err)
	}
	var c *Collision
	for _, m := range msgs {
		if m.ID > seenID && m.Direction == model.DirOut && m.AuthorID != 0 && m.AuthorID != a.AgentID && (c == nil || m.ID > c.MessageID) {
			c = &Collision{AgentID: m.AuthorID, MessageID: m.ID, At: m.CreatedAt}
		}
	}
	if c == nil {
		return nil, nil
	}
	if ag, err := s.store.GetAgent(ctx, a.CompanyID, c.AgentID); err == nil {
		c.Name = ag.Name
	}
	c.Ago = max(s.clk.Now().Sub(c.At), 0)
	return c, nil
}
