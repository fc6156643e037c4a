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
		select {
		case ch <- ev:
		default:
		}
	}
}

// Resync tells every live subscriber to re-read its state.
func (h *Hub) Resync() {
	at := h.now().UTC()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, subs := range h.subs {
		for ch := range subs {
			select {
			case ch <- ticket.Event{Type: EventResync, At: at}:
			default:
			}
		}
	}
}
