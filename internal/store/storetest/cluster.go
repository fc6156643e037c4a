package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// clusterTests are the conformance cases of the store.Cluster group.
func clusterTests() []Case {
	return []Case{
		{"Cluster nodes", testClusterNodes},
		{"Mailbox leases", testMailboxLeases},
		{"Mailbox lease race", testMailboxLeaseRace},
		{"Fenced checkpoints", testFencedCheckpoints},
		{"Queue stats", testQueueStats},
		{"Claims skip rows held by others", testClaimsDisjoint},
	}
}

func testClusterNodes(t *testing.T, s store.Store, clk *clock.Fake) {
	a := &store.Node{ID: "node-a", HTTPAddr: "10.0.0.1:8080", SMTPAddr: ":2525", Version: "v1", Instance: "i1"}
	must(t, s.HeartbeatNode(ctx, a, time.Minute))
	if a.StartedAt.IsZero() || a.HeartbeatAt.IsZero() {
		t.Fatalf("heartbeat did not fill times: %+v", a)
	}
	started := a.StartedAt
	must(t, s.HeartbeatNode(ctx, &store.Node{ID: "node-b", Instance: "i2"}, time.Minute))
	time.Sleep(5 * time.Millisecond)
	must(t, s.HeartbeatNode(ctx, a, time.Minute))
	if !a.StartedAt.Equal(started) {
		t.Fatalf("a second heartbeat moved StartedAt: %v -> %v", started, a.StartedAt)
	}
	// Another live process with the same node ID is refused...
	wantErr(t, s.HeartbeatNode(ctx, &store.Node{ID: "node-a", Instance: "other", HTTPAddr: "10.9.9.9:1"}, time.Minute), store.ErrConflict)
	// ...until the first one's heartbeat is older than takeOver (by the
	// database's clock): a restart after a crash.
	time.Sleep(60 * time.Millisecond)
	restarted := &store.Node{ID: "node-a", Instance: "i3", HTTPAddr: "10.0.0.1:8080"}
	must(t, s.HeartbeatNode(ctx, restarted, 50*time.Millisecond))
	if !restarted.StartedAt.After(started) {
		t.Fatalf("a new instance kept the old StartedAt %v", restarted.StartedAt)
	}
	wantErr(t, s.HeartbeatNode(ctx, a, time.Minute), store.ErrConflict) // the old instance is out
	nodes, err := s.ListNodes(ctx)
	must(t, err)
	if len(nodes) != 2 || nodes[0].ID != "node-a" || nodes[1].ID != "node-b" || nodes[0].HTTPAddr != "10.0.0.1:8080" || nodes[0].Instance != "i3" {
		t.Fatalf("nodes = %+v", nodes)
	}
	// The age comes from the database's clock: the program's fake clock
	// (standing still, years away from the wall clock) plays no part.
	for _, n := range nodes {
		if n.HeartbeatAge < 0 || n.HeartbeatAge > time.Minute || n.Stopped {
			t.Fatalf("node %s: age %v stopped %v", n.ID, n.HeartbeatAge, n.Stopped)
		}
	}
	must(t, s.StopNode(ctx, "node-b"))
	nodes, err = s.ListNodes(ctx)
	must(t, err)
	if !nodes[1].Stopped || nodes[0].Stopped {
		t.Fatalf("after stop: %+v", nodes)
	}
	must(t, s.HeartbeatNode(ctx, &store.Node{ID: "node-b", Instance: "i4"}, time.Minute)) // a stopped node's ID is free at once
	nodes, err = s.ListNodes(ctx)
	must(t, err)
	if nodes[1].Stopped {
		t.Fatalf("a heartbeat after stop should clear it: %+v", nodes[1])
	}
}

func testMailboxLeases(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	// Another company's ID for the channel: not found, nothing created.
	_, err := s.AcquireMailboxLease(ctx, other.co.ID, f.ch.ID, "a", time.Minute)
	wantErr(t, err, store.ErrNotFound)

	la, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "a", time.Minute)
	must(t, err)
	if la.NodeID != "a" || la.Token < 1 || la.ExpiresIn <= 50*time.Second || la.ChannelID != f.ch.ID || la.CompanyID != f.co.ID {
		t.Fatalf("lease = %+v", la)
	}
	// Held: neither another node nor the same node again gets it.
	_, err = s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "b", time.Minute)
	wantErr(t, err, store.ErrConflict)
	_, err = s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "a", time.Minute)
	wantErr(t, err, store.ErrConflict)

	// Renew: only with the right node and token.
	got, err := s.RenewMailboxLeases(ctx, "b", map[int64]int64{f.ch.ID: la.Token}, time.Minute)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("b renewed a's lease: %v", got)
	}
	got, err = s.RenewMailboxLeases(ctx, "a", map[int64]int64{f.ch.ID: la.Token + 1}, time.Minute)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("renewed with a wrong token: %v", got)
	}
	got, err = s.RenewMailboxLeases(ctx, "a", map[int64]int64{f.ch.ID: la.Token}, time.Minute)
	must(t, err)
	if len(got) != 1 || got[0] != f.ch.ID {
		t.Fatalf("renew = %v", got)
	}

	// A lease that runs out (by the database's clock) goes to the next
	// node with a larger token, and the old owner can no longer renew.
	must(t, s.ReleaseMailboxLease(ctx, f.ch.ID, "a", la.Token))
	lb, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "b", 300*time.Millisecond)
	must(t, err)
	if lb.Token <= la.Token {
		t.Fatalf("token after release = %d, want > %d", lb.Token, la.Token)
	}
	got, err = s.RenewMailboxLeases(ctx, "a", map[int64]int64{f.ch.ID: la.Token}, time.Minute)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("released lease renewed: %v", got)
	}
	time.Sleep(400 * time.Millisecond) // the database's clock, not the fake one, must pass
	got, err = s.RenewMailboxLeases(ctx, "b", map[int64]int64{f.ch.ID: lb.Token}, time.Minute)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("expired lease renewed: %v", got)
	}
	lc, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "c", time.Minute)
	must(t, err)
	if lc.Token <= lb.Token || lc.NodeID != "c" {
		t.Fatalf("after expiry: %+v (b had %d)", lc, lb.Token)
	}
	// Releasing with a stale token changes nothing.
	must(t, s.ReleaseMailboxLease(ctx, f.ch.ID, "b", lb.Token))
	all, err := s.ListMailboxLeases(ctx)
	must(t, err)
	if len(all) != 1 || all[0].NodeID != "c" || all[0].Token != lc.Token || all[0].ExpiresIn <= 0 {
		t.Fatalf("leases = %+v", all)
	}
	// Stopping a node releases everything it holds.
	must(t, s.HeartbeatNode(ctx, &store.Node{ID: "c"}, time.Minute))
	must(t, s.StopNode(ctx, "c"))
	all, err = s.ListMailboxLeases(ctx)
	must(t, err)
	if all[0].NodeID != "" || all[0].ExpiresIn != 0 || all[0].Token != lc.Token {
		t.Fatalf("after stop: %+v", all)
	}
}

// testMailboxLeaseRace: many nodes race for one free lease; exactly one wins.
func testMailboxLeaseRace(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := 0; i < 6; i++ {
			node := string(rune('a' + i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, node, time.Minute)
				if err == nil {
					mu.Lock()
					winners = append(winners, l.NodeID)
					mu.Unlock()
				} else if !isConflict(err) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: winners %v", round, winners)
		}
		must(t, s.StopNode(ctx, winners[0]))
	}
}

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

func testFencedCheckpoints(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	la, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "a", time.Minute)
	must(t, err)
	cp := &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID, Folder: "INBOX", UIDValidity: 9, LastUID: 100}
	// Not the holder: refused, nothing stored.
	wantErr(t, s.PutSyncCheckpointFenced(ctx, cp, "b", la.Token), store.ErrLeaseLost)
	_, err = s.GetSyncCheckpoint(ctx, f.co.ID, f.ch.ID, "INBOX")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.PutSyncCheckpointFenced(ctx, cp, "a", la.Token))
	cp.LastUID = 150
	must(t, s.PutSyncCheckpointFenced(ctx, cp, "a", la.Token))

	// a's lease lapses; b takes over and moves on.
	must(t, s.ReleaseMailboxLease(ctx, f.ch.ID, "a", la.Token))
	lb, err := s.AcquireMailboxLease(ctx, f.co.ID, f.ch.ID, "b", time.Minute)
	must(t, err)
	cpb := &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID, Folder: "INBOX", UIDValidity: 9, LastUID: 200}
	must(t, s.PutSyncCheckpointFenced(ctx, cpb, "b", lb.Token))
	// The old owner, unaware, tries to write its older position: refused,
	// the checkpoint does not move back.
	cp.LastUID = 160
	wantErr(t, s.PutSyncCheckpointFenced(ctx, cp, "a", la.Token), store.ErrLeaseLost)
	// Even a write for a folder b never wrote is refused.
	wantErr(t, s.PutSyncCheckpointFenced(ctx, &store.SyncCheckpoint{CompanyID: f.co.ID, ChannelID: f.ch.ID, Folder: "Sent", UIDValidity: 1, LastUID: 1}, "a", la.Token), store.ErrLeaseLost)
	got, err := s.GetSyncCheckpoint(ctx, f.co.ID, f.ch.ID, "INBOX")
	must(t, err)
	if got.LastUID != 200 {
		t.Fatalf("checkpoint = %d, want 200", got.LastUID)
	}
	// A lease of another company's channel does not fence this one.
	wantErr(t, s.PutSyncCheckpointFenced(ctx, &store.SyncCheckpoint{CompanyID: f.co.ID + 999, ChannelID: f.ch.ID, Folder: "INBOX", LastUID: 900}, "b", lb.Token), store.ErrLeaseLost)
	// A write after the lease expired (database clock) is refused too.
	lb2, err := s.RenewMailboxLeases(ctx, "b", map[int64]int64{f.ch.ID: lb.Token}, 200*time.Millisecond)
	must(t, err)
	if len(lb2) != 1 {
		t.Fatal("renew failed")
	}
	time.Sleep(300 * time.Millisecond)
	cpb.LastUID = 250
	wantErr(t, s.PutSyncCheckpointFenced(ctx, cpb, "b", lb.Token), store.ErrLeaseLost)
}

func testQueueStats(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	stats, err := s.QueueStats(ctx)
	must(t, err)
	if len(stats) != 0 {
		t.Fatalf("empty store stats = %+v", stats)
	}
	t0 := clk.Now().UTC()
	for i, k := range []string{"a", "b", "c"} {
		must(t, s.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "k" + k, RawKey: "sha256/x", Size: 1,
			ReceivedAt: t0.Add(time.Duration(i) * time.Minute)}))
	}
	must(t, s.EnqueueJob(ctx, &model.Job{CompanyID: f.co.ID, Kind: "send"}))
	claimed, err := s.ClaimInbound(ctx, time.Minute, 1)
	must(t, err)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d", len(claimed))
	}
	stats, err = s.QueueStats(ctx)
	must(t, err)
	if len(stats) != 2 {
		t.Fatalf("stats = %+v", stats)
	}
	in, job := stats[0], stats[1]
	if in.Queue != "inbound" || in.State != "pending" || in.Count != 3 || in.Running != 1 || !in.Oldest.Equal(t0) {
		t.Fatalf("inbound stats = %+v (t0 %v)", in, t0)
	}
	if job.Queue != "send" || job.State != "pending" || job.Count != 1 || job.Running != 0 {
		t.Fatalf("job stats = %+v", job)
	}
}

// testClaimsDisjoint: workers claiming at once never get the same row or
// job, and together get all of them.
func testClaimsDisjoint(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	const n = 60
	for i := 0; i < n; i++ {
		must(t, s.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "d" + string(rune('A'+i)), RawKey: "sha256/x", Size: 1}))
		must(t, s.EnqueueJob(ctx, &model.Job{CompanyID: f.co.ID, Kind: "send"}))
	}
	var mu sync.Mutex
	seenIn, seenJob := map[int64]int{}, map[int64]int{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rows, err := s.ClaimInbound(ctx, time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				jobs, err := s.ClaimJobs(ctx, []string{"send"}, time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, r := range rows {
					seenIn[r.ID]++
				}
				for _, j := range jobs {
					seenJob[j.ID]++
				}
				mu.Unlock()
				if len(rows) == 0 && len(jobs) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seenIn) != n || len(seenJob) != n {
		t.Fatalf("claimed %d rows and %d jobs, want %d each", len(seenIn), len(seenJob), n)
	}
	for id, c := range seenIn {
		if c != 1 {
			t.Fatalf("inbound %d claimed %d times", id, c)
		}
	}
	for id, c := range seenJob {
		if c != 1 {
			t.Fatalf("job %d claimed %d times", id, c)
		}
	}
}
