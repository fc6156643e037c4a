package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

type changeLog struct {
	mu  sync.Mutex
	got []string
}

func (c *changeLog) Changed(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, fmt.Sprint("company ", id))
}

func (c *changeLog) ChangedAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, "all")
}

// TestHubTellsObservers: what keeps answers derived from a company's
// tickets (the inbox's view counts) hears of every local event, every
// event from another node and every resync, so it never serves counts from
// before a change it was told of.
func TestHubTellsObservers(t *testing.T) {
	hub := api.NewHub(nil, testclock.New(t), slog.New(slog.DiscardHandler))
	var c changeLog
	hub.Observe(&c)
	hub.Publish(context.Background(), ticket.Event{Type: ticket.EventTicketCreated, CompanyID: 1, TicketID: 7})
	hub.Deliver(ticket.Event{Type: ticket.EventMessageReceived, CompanyID: 2, TicketID: 8})
	hub.Publish(context.Background(), ticket.Event{Type: "notice.created"})
	hub.Resync()
	want := []string{"company 1", "company 2", "all", "all"}
	if !slices.Equal(c.got, want) {
		t.Fatalf("observer heard %q, want %q", c.got, want)
	}
}
