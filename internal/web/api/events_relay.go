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
	for ch := range h.subs[ev.CompanyID] {
		h.send(ch, ev)
	}
	obs := h.observers
	h.mu.Unlock()
	changed(obs, ev.CompanyID)
}

// Resync tells every live subscriber to re-read its state.
func (h *Hub) Resync() {
	at := h.now().UTC()
	h.mu.Lock()
	for _, subs := range h.subs {
		for ch := range subs {
			h.send(ch, ticket.Event{Type: EventResync, At: at})
		}
	}
	obs := h.observers
	h.mu.Unlock()
	for _, o := range obs {
		o.ChangedAll()
	}
}

// ChangeObserver is told the company of every event, local (Publish) or
// from another node (Deliver), and that anything may have changed when
// events may have been missed (Resync): what keeps answers derived from a
// company's tickets (the inbox's view counts) forgets them.
type ChangeObserver interface {
	Changed(companyID int64)
	ChangedAll()
}

// Observe adds o to the hub's change observers. Call it before serving.
func (h *Hub) Observe(o ChangeObserver) {
	h.mu.Lock()
	h.observers = append(h.observers, o)
	h.mu.Unlock()
}

func changed(obs []ChangeObserver, companyID int64) {
	for _, o := range obs {
		if companyID == 0 {
			o.ChangedAll()
		} else {
			o.Changed(companyID)
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
