package ui

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// ViewCounts keeps, per company, the open and pending ticket groups the
// inbox's left-column counts are derived from (store.CountOpenTicketGroups,
// the same for every agent of the company), so that a page view does not
// count every open ticket again: at 100,000 tickets that count was most
// of the inbox page's time (issue 19).
//
// It is right only if Changed is called after every committed change to
// a company's tickets, on every node: the app calls it from the event hub
// (every local event, every event delivered from another node, ChangedAll
// when the link to the other nodes is re-established). MaxAge bounds how
// long a change that published no event can go unseen. A nil *ViewCounts
// (Deps.ViewCounts unset) counts on every page view.
type ViewCounts struct {
	// MaxAge: an answer older than this is counted again (0: kept until
	// the next change).
	MaxAge time.Duration

	mu      sync.Mutex
	gen     map[int64]uint64 // company → changes seen
	all     uint64           // ChangedAll calls
	entries map[int64]countsEntry
}

type countsEntry struct {
	groups []store.TicketGroup
	at     time.Time
}

// NewViewCounts returns an empty cache whose answers live at most maxAge.
func NewViewCounts(maxAge time.Duration) *ViewCounts {
	return &ViewCounts{MaxAge: maxAge, gen: map[int64]uint64{}, entries: map[int64]countsEntry{}}
}

// Changed forgets company's counts: call it after a change to its
// tickets is committed.
func (c *ViewCounts) Changed(companyID int64) {
	c.mu.Lock()
	c.gen[companyID]++
	delete(c.entries, companyID)
	c.mu.Unlock()
}

// ChangedAll forgets every company's counts (events may have been missed).
func (c *ViewCounts) ChangedAll() {
	c.mu.Lock()
	c.all++
	clear(c.entries)
	c.mu.Unlock()
}

// groups returns companyID's groups, from the cache when no change came
// since they were counted. An answer counted while a change was being
// announced is used for this page but not kept: the generation read
// before the query must still be current when it is stored.
func (c *ViewCounts) groups(ctx context.Context, st store.Store, companyID int64, now time.Time) ([]store.TicketGroup, error) {
	c.mu.Lock()
	e, ok := c.entries[companyID]
	gen, all := c.gen[companyID], c.all
	c.mu.Unlock()
	if ok && (c.MaxAge <= 0 || now.Sub(e.at) < c.MaxAge) {
		return e.groups, nil
	}
	groups, err := st.CountOpenTicketGroups(ctx, companyID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen[companyID] == gen && c.all == all {
		c.entries[companyID] = countsEntry{groups: groups, at: now}
	}
	c.mu.Unlock()
	return groups, nil
}

// viewCounts are the inbox views' counts for the session's agent.
func (h *handler) viewCounts(r *http.Request, s *session) (*store.TicketCounts, error) {
	if h.Store == nil {
		return h.Tickets.Counts(r.Context(), s.actor())
	}
	var groups []store.TicketGroup
	var err error
	if h.ViewCounts != nil {
		groups, err = h.ViewCounts.groups(r.Context(), h.Store, s.P.CompanyID, h.Clock.Now())
	} else {
		groups, err = h.Store.CountOpenTicketGroups(r.Context(), s.P.CompanyID)
	}
	if err != nil {
		return nil, fmt.Errorf("ui: counts: %w", err)
	}
	a := s.actor()
	c := store.ViewCounts(groups, store.TicketScope{TeamIDs: a.TeamIDs, AssigneeID: a.AgentID}, a.Admin)
	return &c, nil
}
