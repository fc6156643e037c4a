package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// JobKindWebhook is the store job kind of one webhook delivery.
const JobKindWebhook = "webhook.deliver"

// Hub fans events out to live subscribers (server-sent events) of the
// event's company and to the company's webhooks (as durable jobs). It is
// the ticket.Publisher of the ticket service and the ingest.Notifier of
// the ingest workers.
type Hub struct {
	store store.Store
	log   *slog.Logger
	now   func() time.Time

	mu        sync.Mutex
	subs      map[int64]map[chan ticket.Event]struct{} // company → subscribers
	relay     func(ticket.Event)                       // to the other nodes (SetRelay)
	observers []ChangeObserver                         // Observe
	// lagged marks subscribers that missed an event (their buffer was
	// full): they get a stream.resync as soon as they read again.
	lagged map[chan ticket.Event]bool
}

var (
	_ ticket.Publisher = (*Hub)(nil)
	_ ingest.Notifier  = (*Hub)(nil)
)

// NewHub returns a Hub; st is used to find webhooks and enqueue
// deliveries, clk stamps the events.
func NewHub(st store.Store, clk clock.Clock, log *slog.Logger) *Hub {
	return &Hub{store: st, log: log, now: clk.Now, subs: map[int64]map[chan ticket.Event]struct{}{}}
}

// MessageStored implements ingest.Notifier.
func (h *Hub) MessageStored(ctx context.Context, ev ingest.Event) {
	at := h.now().UTC()
	if ev.NewTicket {
		h.Publish(ctx, ticket.Event{Type: ticket.EventTicketCreated, CompanyID: ev.CompanyID, TicketID: ev.TicketID, MessageID: ev.MessageID, At: at})
	}
	h.Publish(ctx, ticket.Event{Type: ticket.EventMessageReceived, CompanyID: ev.CompanyID, TicketID: ev.TicketID, MessageID: ev.MessageID, At: at})
}

// Publish implements ticket.Publisher: live subscribers first (never
// blocking: a subscriber that is full misses the event and should
// refetch), then one durable webhook job per subscribed endpoint.
func (h *Hub) Publish(ctx context.Context, ev ticket.Event) {
	if ev.At.IsZero() {
		ev.At = h.now().UTC()
	}
	h.mu.Lock()
	for ch := range h.subs[ev.CompanyID] {
		h.send(ch, ev)
	}
	relay, obs := h.relay, h.observers
	h.mu.Unlock()
	changed(obs, ev.CompanyID)
	if relay != nil {
		relay(ev)
	}
	if h.store == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	hooks, err := h.store.ListWebhooks(ctx, ev.CompanyID)
	if err != nil {
		h.log.Error("webhooks: list", "company", ev.CompanyID, "err", err)
		return
	}
	for _, w := range hooks {
		if !w.Enabled || !slices.Contains(w.Events, ev.Type) {
			continue
		}
		body, _ := json.Marshal(webhookBody{Type: ev.Type, TicketID: ev.TicketID, MessageID: ev.MessageID, At: ev.At,
			ChannelID: ev.ChannelID, Cause: ev.Cause, Detail: ev.Detail,
			NoticeID: ev.NoticeID, NoticeKey: ev.NoticeKey, NoticeParams: ev.NoticeParams})
		payload, _ := json.Marshal(webhookJob{WebhookID: w.ID, Body: body})
		j := &model.Job{CompanyID: ev.CompanyID, Kind: JobKindWebhook, Payload: payload}
		if err := h.store.EnqueueJob(ctx, j); err != nil {
			h.log.Error("webhooks: enqueue", "company", ev.CompanyID, "webhook", w.ID, "err", err)
		}
	}
}

// Subscribe returns a channel of company's events and a cancel func.
func (h *Hub) Subscribe(companyID int64) (<-chan ticket.Event, func()) {
	ch := make(chan ticket.Event, 64)
	h.mu.Lock()
	if h.subs[companyID] == nil {
		h.subs[companyID] = map[chan ticket.Event]struct{}{}
	}
	h.subs[companyID][ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs[companyID], ch)
		delete(h.lagged, ch)
		if len(h.subs[companyID]) == 0 {
			delete(h.subs, companyID)
		}
		h.mu.Unlock()
	}
}

// subscribers counts live subscribers of a company (for tests).
func (h *Hub) subscribers(companyID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[companyID])
}

// visible reports whether an agent may see events of ticket id.
func (d Deps) visible(ctx context.Context, a ticket.Actor, id int64) bool {
	t, err := d.Store.GetTicket(ctx, a.CompanyID, id)
	return err == nil && a.CanSee(t)
}

// events streams the caller's company events as server-sent events;
// agents get only the events of tickets they may work.
func (d Deps) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok || d.Hub == nil {
		problem(w, http.StatusNotImplemented, "no_streaming", "Live events are not available.", nil)
		return
	}
	// A stream outlives the server's ReadTimeout and any WriteTimeout:
	// lift both for this response (once the read deadline passed, the
	// server would cancel the request; a dead client is still noticed by
	// the failing heartbeat writes).
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	p := principal(r)
	act := actor(r)
	evs, cancel := d.Hub.Subscribe(p.CompanyID)
	defer cancel()
	beat := d.Heartbeat
	if beat <= 0 {
		beat = 20 * time.Second
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	fl.Flush()
	tick := time.NewTicker(beat)
	defer tick.Stop()
	n := 0
	// still re-authenticates the stream's session or token: after a
	// logout, a revoked token or a disabled agent the stream ends (at the
	// next event or heartbeat), and team changes apply to what it shows.
	var checked time.Time
	still := func() bool {
		// At most once a second (wall clock: it only paces the check):
		// a busy stream must not cost a session lookup per event.
		if time.Since(checked) < time.Second {
			return true
		}
		checked = time.Now()
		p2, err := d.Auth.Authenticate(r)
		if err != nil || p2.CompanyID != p.CompanyID || p2.AgentID != p.AgentID {
			return false
		}
		act = ticket.Actor{CompanyID: p2.CompanyID, AgentID: p2.AgentID, Admin: p2.IsAdmin(), TeamIDs: p2.TeamIDs}
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !still() {
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				return
			}
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		case ev := <-evs:
			if !still() {
				fmt.Fprint(w, "event: end\ndata: {}\n\n")
				return
			}
			if d.Hub.takeLag(evs) {
				// events were dropped for this slow client: it re-reads
				n++
				lag, _ := json.Marshal(ticket.Event{Type: EventResync, At: ev.At})
				if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", strconv.Itoa(n), EventResync, lag); err != nil {
					return
				}
			}
			if ev.Type != EventResync && !act.Admin && !d.visible(r.Context(), act, ev.TicketID) {
				continue
			}
			n++
			data, _ := json.Marshal(ev)
			if _, err := fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", strconv.Itoa(n), ev.Type, data); err != nil {
				return
			}
		}
		fl.Flush()
	}
}
