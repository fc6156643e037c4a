package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// BusChannel is the PostgreSQL notification channel of live events.
const BusChannel = "atende_events"

// maxPayload keeps a notification under PostgreSQL's 8,000-byte limit.
const maxPayload = 7500

// Note is one live event as it travels between nodes: ids only (the
// receiving node's browsers re-read whatever they show from the
// database), never a subject, an address or a body.
type Note struct {
	Type      string
	CompanyID int64
	TicketID  int64
	MessageID int64
	At        time.Time
}

// BusConfig configures a Bus.
type BusConfig struct {
	URL    string // postgres://... (the node's database)
	NodeID string // notes from this node are not delivered back to it
	// Deliver hands notes from other nodes to this node's subscribers
	// (api.Hub.Deliver); it must not block.
	Deliver func(Note)
	// Resync tells this node's subscribers that notes may have been
	// missed (the listening connection was re-established): they re-read
	// their state.
	Resync func()
	// Debounce: a note waits at most this long for others to share its
	// notification (25 ms).
	Debounce time.Duration
	// Backoff bounds the reconnect delay (500 ms .. 15 s).
	BackoffMin, BackoffMax time.Duration
}

// Bus carries live events between nodes with PostgreSQL's LISTEN/NOTIFY:
// one listening connection per node, and one connection that sends a
// notification per batch of notes, outside every business transaction
// (NOTIFY takes a database-wide lock at commit; batching keeps it to a
// few commits a second however fast mail arrives).
type Bus struct {
	cfg BusConfig
	log *slog.Logger
	out chan Note

	// pending: notes taken from out and not yet sent (only the send
	// goroutine touches it); kept across a reconnect.
	pending []Note

	dropped   atomic.Int64
	sent      atomic.Int64 // notifications sent
	received  atomic.Int64 // notes delivered from other nodes
	connected atomic.Bool  // the listener is up
}

// NewBus makes a Bus; call Run.
func NewBus(cfg BusConfig, log *slog.Logger) *Bus {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 25 * time.Millisecond
	}
	if cfg.BackoffMin <= 0 {
		cfg.BackoffMin = 500 * time.Millisecond
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 15 * time.Second
	}
	return &Bus{cfg: cfg, log: log, out: make(chan Note, 4096)}
}

// Publish queues a note for the other nodes; it never blocks (a note that
// does not fit is dropped and counted: the other nodes' browsers then
// catch up at their next event or refresh).
func (b *Bus) Publish(n Note) {
	select {
	case b.out <- n:
	default:
		b.dropped.Add(1)
	}
}

// BusStats are counters for metrics and readiness.
type BusStats struct {
	Connected               bool
	Sent, Received, Dropped int64
}

// Stats reports the bus's counters.
func (b *Bus) Stats() BusStats {
	return BusStats{Connected: b.connected.Load(), Sent: b.sent.Load(), Received: b.received.Load(), Dropped: b.dropped.Load()}
}

// Run listens and sends until ctx ends, reconnecting with backoff.
func (b *Bus) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.retry(ctx, "send", b.send)
	}()
	b.retry(ctx, "listen", b.listen)
	<-done
	return nil
}

// retry runs fn until ctx ends, with backoff between failures.
func (b *Bus) retry(ctx context.Context, what string, fn func(ctx context.Context, first bool) error) {
	wait := b.cfg.BackoffMin
	first := true
	for ctx.Err() == nil {
		start := time.Now()
		err := fn(ctx, first)
		first = false
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > b.cfg.BackoffMax {
			wait = b.cfg.BackoffMin
		}
		b.log.Warn("cluster: event bus connection lost", "role", what, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, b.cfg.BackoffMax)
	}
}

func (b *Bus) connect(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return pgx.Connect(cctx, b.cfg.URL)
}

type wire struct {
	Node   string   `json:"n"`
	Events [][5]any `json:"e"` // type, company, ticket, message, at (Unix ms)
}

// listen holds the node's one listening connection. After a reconnect
// (not the first connect) subscribers are told to re-read their state.
func (b *Bus) listen(ctx context.Context, first bool) error {
	conn, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+BusChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	b.connected.Store(true)
	defer b.connected.Store(false)
	if !first && b.cfg.Resync != nil {
		b.cfg.Resync()
	}
	b.log.Debug("cluster: event bus listening", "channel", BusChannel)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var w wire
		if err := json.Unmarshal([]byte(n.Payload), &w); err != nil {
			b.log.Warn("cluster: bad event notification", "err", err)
			continue
		}
		if w.Node == b.cfg.NodeID {
			continue // ours: delivered locally already
		}
		for _, e := range w.Events {
			note, ok := decode(e)
			if ok && b.cfg.Deliver != nil {
				b.received.Add(1)
				b.cfg.Deliver(note)
			}
		}
	}
}

func decode(e [5]any) (Note, bool) {
	typ, ok := e[0].(string)
	num := func(v any) int64 { f, _ := v.(float64); return int64(f) }
	if !ok || typ == "" {
		return Note{}, false
	}
	return Note{Type: typ, CompanyID: num(e[1]), TicketID: num(e[2]), MessageID: num(e[3]), At: time.UnixMilli(num(e[4])).UTC()}, true
}

// send batches queued notes into notifications on its own connection.
func (b *Bus) send(ctx context.Context, _ bool) error {
	conn, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		if len(b.pending) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case n := <-b.out:
				b.pending = append(b.pending, n)
			}
		}
		// Debounce: let the notes of the next few milliseconds share one
		// notification.
		timer := time.NewTimer(b.cfg.Debounce)
	collect:
		for len(b.pending) < 512 {
			select {
			case n := <-b.out:
				b.pending = append(b.pending, n)
			case <-timer.C:
				break collect
			case <-ctx.Done():
				timer.Stop()
				return nil
			}
		}
		timer.Stop()
		for len(b.pending) > 0 {
			payload, used := encode(b.cfg.NodeID, b.pending)
			if _, err := conn.Exec(ctx, "SELECT pg_notify($1, $2)", BusChannel, payload); err != nil {
				return fmt.Errorf("notify: %w", err) // b.pending goes out on the next connection
			}
			b.sent.Add(1)
			b.pending = b.pending[used:]
		}
	}
}

// encode packs as many notes as fit in one payload.
func encode(node string, notes []Note) (string, int) {
	w := wire{Node: node}
	size := len(node) + 16
	used := 0
	for _, n := range notes {
		e := [5]any{n.Type, n.CompanyID, n.TicketID, n.MessageID, n.At.UnixMilli()}
		// type + four numbers of at most 20 digits + punctuation
		add := len(n.Type) + 4*21 + 8
		if used > 0 && size+add > maxPayload {
			break
		}
		w.Events = append(w.Events, e)
		size += add
		used++
	}
	data, err := json.Marshal(w)
	if err != nil {
		panic(errors.New("cluster: encode notes: " + err.Error())) // only strings and numbers
	}
	return string(data), used
}
