package api

import (
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// EventResync is sent to live subscribers when events may have been
// missed (this node's link to the other nodes was re-established): a
// client re-reads what it shows.
const EventResync = "stream.resync"

// SetRelay makes Publish also hand every event to relay (the cluster bus,
// which carries it to the other nodes). Call it before serving.
func (h *Hub) SetRelay(relay func(ticket.Event)) {
	h.mu.Lock()
	h.relay = relay
	h.mu.Unlock()
}

// Deliver hands an event that happened on another node to this node's
// live subscribers only: its webhooks were queued where it happened.
func (h *Hub) Deliver(ev ticket.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[ev.CompanyID] {
		h.send(ch, ev)
	}
}

// Resync tells every live subscriber to re-read its state.
func (h *Hub) Resync() {
	at := h.now().UTC()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for ch := range subs {
			h.send(ch, ticket.Event{Type: EventResync, At: at})
		}
	}
}

// send offers ev to a subscriber without blocking; a full subscriber is
// marked lagged (h.mu held).
func (h *Hub) send(ch chan ticket.Event, ev ticket.Event) {
	select {
	case ch <- ev:
	default:
		if h.lagged == nil {
			h.lagged = map[chan ticket.Event]bool{}
		}
		h.lagged[ch] = true
	}
}

// takeLag reports, once, that the subscriber missed events since it last
// asked.
func (h *Hub) takeLag(evs <-chan ticket.Event) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.lagged {
		if (<-chan ticket.Event)(ch) == evs {
			delete(h.lagged, ch)
			return true
		}
	}
	return false
}
