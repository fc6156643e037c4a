package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/cluster"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// stallStore is a node's store that can be made to hang (a long GC
// pause, a network partition from the database) or to fail.
type stallStore struct {
	store.Store
	stalled atomic.Bool
}

func (s *stallStore) wait(ctx context.Context) error {
	for s.stalled.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func (s *stallStore) HeartbeatNode(ctx context.Context, n *store.Node, takeOver time.Duration) error {
	if err := s.wait(ctx); err != nil {
		return err
	}
	return s.Store.HeartbeatNode(ctx, n, takeOver)
}

func (s *stallStore) RenewMailboxLeases(ctx context.Context, node string, l map[int64]int64, ttl time.Duration) ([]int64, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.RenewMailboxLeases(ctx, node, l, ttl)
}

func (s *stallStore) AcquireMailboxLease(ctx context.Context, co, ch int64, node string, ttl time.Duration) (*store.MailboxLease, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.AcquireMailboxLease(ctx, co, ch, node, ttl)
}

func mailboxes(t *testing.T, st store.Store, n int) []cluster.Mailbox {
	t.Helper()
	ctx := context.Background()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	var out []cluster.Mailbox
	for i := 0; i < n; i++ {
		ch := &model.Channel{CompanyID: co.ID, Slug: fmt.Sprintf("c%d", i), Name: "C", Enabled: true,
			Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: fmt.Sprintf("t%d", i)}
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		out = append(out, cluster.Mailbox{CompanyID: co.ID, ChannelID: ch.ID})
	}
	return out
}

type node struct {
	co     *cluster.Coordinator
	st     *stallStore
	cancel context.CancelFunc
	done   chan struct{}
	syncs  atomic.Int64 // OnChange calls
	mu     sync.Mutex
	gone   []string // OnPeerGone calls
}

func (n *node) peersGone() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.gone...)
}

func startNode(t *testing.T, url string, clk clock.Clock, id string, mbs []cluster.Mailbox, ttl time.Duration) *node {
	t.Helper()
	db, err := postgres.Open(context.Background(), url, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n := &node{st: &stallStore{Store: db}, done: make(chan struct{})}
	n.co = cluster.New(n.st, nil, cluster.Config{NodeID: id, TTL: ttl, Balance: ttl / 6,
		Mailboxes:  func(context.Context) ([]cluster.Mailbox, error) { return mbs, nil },
		OnChange:   func(context.Context) { n.syncs.Add(1) },
		OnPeerGone: func(peer string) { n.mu.Lock(); n.gone = append(n.gone, peer); n.mu.Unlock() }})
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { defer close(n.done); n.co.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-n.done })
	return n
}

func (n *node) owned(mbs []cluster.Mailbox) map[int64]bool {
	out := map[int64]bool{}
	for _, mb := range mbs {
		if _, ok := n.co.Token(mb.ChannelID); ok {
			out[mb.ChannelID] = true
		}
	}
	return out
}

// TestClockDriftNeverDoubleOwner: two nodes whose program clocks differ
// by 30 s (fake clocks, one per node, each handed to the node's store)
// share six mailboxes with a short lease while one of them keeps
// stalling for longer than the lease. Sampled every few milliseconds, no
// mailbox is ever believed owned by both, every mailbox always gets an
// owner back, and ownership really changes hands many times.
func TestClockDriftNeverDoubleOwner(t *testing.T) {
	url := pgtest.NewDatabase(t)
	setup, err := postgres.Open(context.Background(), url, testclock.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	mbs := mailboxes(t, setup, 6)
	clkA := testclock.New(t)
	clkB := testclock.At(t, 30*time.Second) // B's clock runs 30 s ahead of A's
	const ttl = 900 * time.Millisecond
	a := startNode(t, url, clkA, "node-a", mbs, ttl)
	b := startNode(t, url, clkB, "node-b", mbs, ttl)

	var overlaps, handoffs, samples int
	prevOwner := map[int64]string{}
	sample := func() {
		oa, ob := a.owned(mbs), b.owned(mbs)
		samples++
		for _, mb := range mbs {
			id := mb.ChannelID
			if oa[id] && ob[id] {
				overlaps++
				t.Errorf("channel %d owned by both nodes", id)
			}
			owner := ""
			if oa[id] {
				owner = "a"
			} else if ob[id] {
				owner = "b"
			}
			if owner != "" && prevOwner[id] != "" && owner != prevOwner[id] {
				handoffs++
			}
			if owner != "" {
				prevOwner[id] = owner
			}
		}
	}
	deadline := time.Now().Add(12 * time.Second)
	stallEvery := time.NewTicker(2500 * time.Millisecond)
	defer stallEvery.Stop()
	var stallWG sync.WaitGroup
	turn := 0
	for time.Now().Before(deadline) {
		select {
		case <-stallEvery.C:
			// Stall one node (alternating) for twice the lease.
			victim := []*node{a, b}[turn%2]
			turn++
			victim.st.stalled.Store(true)
			stallWG.Add(1)
			time.AfterFunc(2*ttl, func() { victim.st.stalled.Store(false); stallWG.Done() })
		default:
		}
		sample()
		time.Sleep(3 * time.Millisecond)
	}
	stallWG.Wait()
	if overlaps > 0 {
		t.Fatalf("%d overlapping samples of %d", overlaps, samples)
	}
	if handoffs < 6 {
		t.Fatalf("only %d handoffs in %d samples: the test did not exercise failover", handoffs, samples)
	}
	// After the stalls, every mailbox has exactly one owner again and the
	// two nodes share them evenly.
	waitFor(t, 5*time.Second, func() bool {
		oa, ob := a.owned(mbs), b.owned(mbs)
		return len(oa) == 3 && len(ob) == 3
	})
	t.Logf("%d samples, %d handoffs, 0 overlaps", samples, handoffs)
}

func waitFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFailoverAndRebalance: a node that dies (stalls for good) loses its
// mailboxes to the others within the lease; a node that joins gets its
// share; a node that stops cleanly hands over at once.
func TestFailoverAndRebalance(t *testing.T) {
	url := pgtest.NewDatabase(t)
	setup, err := postgres.Open(context.Background(), url, testclock.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	mbs := mailboxes(t, setup, 9)
	const ttl = 1200 * time.Millisecond
	clk := testclock.New(t)
	a := startNode(t, url, clk, "a", mbs, ttl)
	waitFor(t, 5*time.Second, func() bool { return len(a.owned(mbs)) == 9 })
	b := startNode(t, url, clk, "b", mbs, ttl)
	c := startNode(t, url, clk, "c", mbs, ttl)
	even := func() bool { return len(a.owned(mbs)) == 3 && len(b.owned(mbs)) == 3 && len(c.owned(mbs)) == 3 }
	waitFor(t, 10*time.Second, even)

	if g := append(a.peersGone(), b.peersGone()...); len(g) != 0 {
		t.Fatalf("peers gone while all live: %v", g)
	}

	// c dies: its three mailboxes go to a and b within TTL + balance.
	c.st.stalled.Store(true)
	died := time.Now()
	waitFor(t, 10*time.Second, func() bool {
		return len(c.owned(mbs)) == 0 && len(a.owned(mbs))+len(b.owned(mbs)) == 9
	})
	if took := time.Since(died); took > 3*ttl {
		t.Fatalf("failover took %v (lease %v)", took, ttl)
	}
	// Both survivors were told c is gone (their live clients re-read
	// what c may have stored without telling anyone), once each.
	for _, n := range []*node{a, b} {
		if g := n.peersGone(); !slices.Equal(g, []string{"c"}) {
			t.Fatalf("peers gone: %v, want [c]", g)
		}
	}
	// c comes back: shares even out again.
	c.st.stalled.Store(false)
	waitFor(t, 10*time.Second, even)

	// A clean stop releases at once (well before the lease would run out).
	c.cancel()
	<-c.done
	stopped := time.Now()
	waitFor(t, 10*time.Second, func() bool { return len(a.owned(mbs))+len(b.owned(mbs)) == 9 })
	if took := time.Since(stopped); took > ttl {
		t.Fatalf("handover after a clean stop took %v", took)
	}
	nodes, err := setup.ListNodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.ID == "c" && !n.Stopped {
			t.Fatalf("c not marked stopped: %+v", n)
		}
	}
}

// TestSQLiteOneNode: the one-node default runs the same coordinator on
// SQLite and holds every mailbox.
func TestSQLiteOneNode(t *testing.T) {
	db, err := sqlite.Open(context.Background(), t.TempDir()+"/atende.db", testclock.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mbs := mailboxes(t, db, 4)
	co := cluster.New(db, nil, cluster.Config{NodeID: "solo", TTL: time.Second,
		Mailboxes: func(context.Context) ([]cluster.Mailbox, error) { return mbs, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); co.Run(ctx) }()
	waitFor(t, 5*time.Second, func() bool { return len(co.Held()) == 4 })
	time.Sleep(2500 * time.Millisecond) // renewals keep them past the lease
	if len(co.Held()) != 4 {
		t.Fatalf("held %d after renewals", len(co.Held()))
	}
	cancel()
	<-done
	leases, err := db.ListMailboxLeases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases {
		if l.NodeID != "" {
			t.Fatalf("lease kept after stop: %+v", l)
		}
	}
}

// TestDuplicateNodeID: a second process started with a node ID that a
// live process uses takes no lease and reports it; once the first stops,
// the second takes over.
func TestDuplicateNodeID(t *testing.T) {
	url := pgtest.NewDatabase(t)
	setup, err := postgres.Open(context.Background(), url, testclock.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	mbs := mailboxes(t, setup, 4)
	const ttl = 1500 * time.Millisecond
	first := startNode(t, url, testclock.New(t), "same", mbs, ttl)
	waitFor(t, 5*time.Second, func() bool { return len(first.owned(mbs)) == 4 })
	second := startNode(t, url, testclock.New(t), "same", mbs, ttl)
	time.Sleep(2 * ttl)
	if n := len(second.owned(mbs)); n != 0 {
		t.Fatalf("the duplicate took %d mailboxes", n)
	}
	if _, err := second.co.Status(); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate's status: %v", err)
	}
	if len(first.owned(mbs)) != 4 {
		t.Fatal("the first process lost its mailboxes")
	}
	first.cancel()
	<-first.done
	waitFor(t, 5*time.Second, func() bool { return len(second.owned(mbs)) == 4 })
}
