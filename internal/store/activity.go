package store

import (
	"context"
	"time"
)

// Activity kinds of a ticket's timeline.
const (
	ActivityCreated        = "created"         // Data: channel
	ActivityRouted         = "routed"          // Data: team, assignee, filter (1-based, "" = default team), filter_kind, filter_value
	ActivityStatus         = "status"          // Data: from, to
	ActivityAssigned       = "assigned"        // Data: from, to (agent IDs, "0" = nobody)
	ActivityTeam           = "team"            // Data: from, to (team IDs, "0" = none)
	ActivityMergedInto     = "merged_into"     // Data: ticket (ID of the target)
	ActivityMergedFrom     = "merged_from"     // Data: ticket (ID of the source)
	ActivityAutoReply      = "auto_reply"      // Data: message
	ActivityDeliveryFailed = "delivery_failed" // Data: message, reason (failure kind)
	ActivityDeliveryRetry  = "delivery_retry"  // Data: message, attempt; actor set when an agent asked
)

// What an ID in an activity's Data refers to.
const (
	RefAgent   = "agent"
	RefTeam    = "team"
	RefChannel = "channel"
	RefTicket  = "ticket"
)

// ActivityRefs says, for each kind, which keys of Data hold an ID and of
// what (the rest are plain values), for those that show the timeline.
var ActivityRefs = map[string]map[string]string{
	ActivityCreated:    {"channel": RefChannel},
	ActivityRouted:     {"team": RefTeam, "assignee": RefAgent},
	ActivityAssigned:   {"from": RefAgent, "to": RefAgent},
	ActivityTeam:       {"from": RefTeam, "to": RefTeam},
	ActivityMergedInto: {"ticket": RefTicket},
	ActivityMergedFrom: {"ticket": RefTicket},
}

// Activity is one entry of a ticket's timeline besides its messages.
type Activity struct {
	ID        int64
	CompanyID int64
	TicketID  int64
	Kind      string
	ActorID   int64             // the agent; 0 = Atende itself
	Data      map[string]string // small facts, see the kinds
	CreatedAt time.Time
}

// Activities are tickets' timelines (written in the transaction of the
// change they record).
type Activities interface {
	// AddActivity inserts a and sets its ID (CreatedAt zero = now by the
	// store's clock).
	AddActivity(ctx context.Context, a *Activity) error
	// AddActivities inserts several entries, in order, setting their IDs.
	AddActivities(ctx context.Context, as []*Activity) error
	// ListActivity returns the newest limit (default 100, max 500)
	// entries of a ticket of the company, oldest first.
	ListActivity(ctx context.Context, companyID, ticketID int64, limit int) ([]Activity, error)
}

// Presence says that an agent has a ticket open (and is typing in it)
// until ExpiresAt.
type Presence struct {
	CompanyID int64
	TicketID  int64
	AgentID   int64
	Typing    bool
	ExpiresAt time.Time
}

// Presences are who is viewing or typing in which ticket; rows live in
// the database so every node sees the same.
type Presences interface {
	// TouchPresence saves p (and drops the agent's rows that expired by
	// now); changed is true when the agent was not present in the ticket
	// at now or the typing state differs.
	TouchPresence(ctx context.Context, p Presence, now time.Time) (changed bool, err error)
	// ListPresence returns who is in a ticket at now, by agent ID.
	ListPresence(ctx context.Context, companyID, ticketID int64, now time.Time) ([]Presence, error)
	// DeletePresence removes the agent from the ticket; false when the
	// agent was not there.
	DeletePresence(ctx context.Context, companyID, ticketID, agentID int64) (bool, error)
}

// ContactEdits change a contact's details.
type ContactEdits interface {
	// UpdateContactName sets the name of a contact of the company
	// (ErrNotFound when there is none).
	UpdateContactName(ctx context.Context, companyID, id int64, name string) error
	// CountContactsByDomain counts the company's contacts whose address
	// ends in "@"+domain.
	CountContactsByDomain(ctx context.Context, companyID int64, domain string) (int, error)
}
