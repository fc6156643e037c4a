package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/atende-helpdesk/atende/internal/cluster"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

type inbox struct {
	mu     sync.Mutex
	notes  []cluster.Note
	resync int
}

func (i *inbox) deliver(n cluster.Note) { i.mu.Lock(); i.notes = append(i.notes, n); i.mu.Unlock() }
func (i *inbox) re()                    { i.mu.Lock(); i.resync++; i.mu.Unlock() }
func (i *inbox) count() (int, int)      { i.mu.Lock(); defer i.mu.Unlock(); return len(i.notes), i.resync }

func startBus(t *testing.T, url, node string, in *inbox) *cluster.Bus {
	b := cluster.NewBus(cluster.BusConfig{URL: url, NodeID: node, Deliver: in.deliver, Resync: in.re,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 10*time.Second, func() bool { return b.Stats().Connected })
	return b
}

// TestBusAcrossNodes: a note published on node A reaches node B (ids
// only, within a second), never comes back to A, survives batching past
// the 8,000-byte payload limit, and a lost listening connection is
// re-established with a resync for B's subscribers.
func TestBusAcrossNodes(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var ia, ib inbox
	a := startBus(t, url, "a", &ia)
	startBus(t, url, "b", &ib)

	at := time.Now().UTC().Truncate(time.Millisecond)
	sent := time.Now()
	a.Publish(cluster.Note{Type: "message.received", CompanyID: 7, TicketID: 42, MessageID: 4242, At: at})
	waitFor(t, 5*time.Second, func() bool { n, _ := ib.count(); return n == 1 })
	if d := time.Since(sent); d > time.Second {
		t.Fatalf("note took %v", d)
	}
	ib.mu.Lock()
	got := ib.notes[0]
	ib.mu.Unlock()
	if got.Type != "message.received" || got.CompanyID != 7 || got.TicketID != 42 || got.MessageID != 4242 || !got.At.Equal(at) {
		t.Fatalf("note = %+v", got)
	}
	// A burst far larger than one payload arrives whole, in a few notifications.
	for i := 0; i < 2000; i++ {
		a.Publish(cluster.Note{Type: "ticket.updated", CompanyID: 7, TicketID: int64(1_000_000 + i), At: at})
	}
	waitFor(t, 10*time.Second, func() bool { n, _ := ib.count(); return n == 2001 })
	if st := a.Stats(); st.Sent < 2 || st.Sent > 200 || st.Dropped != 0 {
		t.Fatalf("sender stats %+v: want a few batched notifications, none dropped", st)
	}
	if n, _ := ia.count(); n != 0 {
		t.Fatalf("a got %d of its own notes back", n)
	}

	// Kill B's listening connection from the server side: B reconnects
	// and tells its subscribers to re-read.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { _, r := ib.count(); return r >= 1 })
	waitFor(t, 10*time.Second, func() bool { _, r := ia.count(); return r >= 1 })
	a.Publish(cluster.Note{Type: "message.sent", CompanyID: 7, TicketID: 43, At: at})
	waitFor(t, 5*time.Second, func() bool { n, _ := ib.count(); return n == 2002 })
}
