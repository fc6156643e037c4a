package ingest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
	"github.com/atende-helpdesk/atende/internal/yield"
)

// A request that fails in a batch rolls back its own writes only: the
// batch runs without savepoints first, then again in savepoint mode, and
// the others commit.
func TestStoreCommitFailureStaysWithItsRequest(t *testing.T) {
	ctx := context.Background()
	st := teststore.Open(t, "sqlite", testclock.New(t))
	g := &storeCommit{st: st, maxBatch: 16}
	boom := errors.New("boom")
	var safeRuns [3]int
	results := make([]error, 3)
	var doneCount int
	create := func(i int, slug string, fail bool) *storeReq {
		return &storeReq{
			fn: func(ctx context.Context, q store.Queries, safe bool) error {
				if safe {
					safeRuns[i]++
				}
				if err := q.CreateCompany(ctx, &model.Company{Slug: slug, Name: slug}); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return nil
			},
			done: func(err error) { results[i] = err; doneCount++ },
		}
	}
	// Queued together: the first transaction takes them in order and
	// stops at the failure; the rest goes in the next one (as loop does).
	g.queue = []*storeReq{create(0, "a", false), create(1, "b", true), create(2, "c", false)}
	for len(g.queue) > 0 {
		g.commit(ctx)
	}
	if doneCount != 3 || results[0] != nil || results[2] != nil || !errors.Is(results[1], boom) {
		t.Fatalf("%d done, results = %v, want nil, boom, nil", doneCount, results)
	}
	if safeRuns != [3]int{1, 1, 0} {
		t.Fatalf("savepoint-mode runs = %v, want the failed batch's two only", safeRuns)
	}
	for slug, want := range map[string]bool{"a": true, "b": false, "c": true} {
		_, err := st.GetCompanyBySlug(ctx, slug)
		if got := err == nil; got != want {
			t.Errorf("company %s stored = %v, want %v (err %v)", slug, got, want, err)
		}
	}
	// A batch without failures runs once, without savepoints.
	safeRuns, doneCount = [3]int{}, 0
	g.queue = []*storeReq{create(0, "d", false), create(2, "e", false)}
	g.commit(ctx)
	if doneCount != 2 || results[0] != nil || results[2] != nil || safeRuns != [3]int{} {
		t.Fatalf("%d done, results = %v, savepoint-mode runs = %v", doneCount, results, safeRuns)
	}
}

// While an accept waits for the committer (here behind a processing write
// that holds the transaction), the committer is urgent work for the
// workers' gate; before and after, it is not.
func TestAcceptWaitingIsUrgent(t *testing.T) {
	ctx := context.Background()
	st := teststore.Open(t, "sqlite", testclock.New(t))
	gate := yield.NewGate(time.Hour)
	sc := &storeCommit{st: st, maxBatch: 16, gate: gate}
	rows := &groupCommit{sc: sc}
	in, release, processed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	sc.submit(ctx, func(context.Context, store.Queries, bool) error {
		close(in)
		<-release
		return nil
	}, func(err error) { processed <- err })
	<-in
	if gate.Urgent() {
		t.Fatal("urgent while only a processing write runs")
	}
	accepted := make(chan error, 1)
	go func() {
		// No such channel: the insert fails, which does not matter here.
		_, err := rows.insert(ctx, &model.Inbound{CompanyID: 1, ChannelID: 1, SourceKey: "k", RawKey: "sha256/x", Size: 1}, nil)
		accepted <- err
	}()
	for end := time.Now().Add(10 * time.Second); !gate.Urgent(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("not urgent while an accept waits")
		}
	}
	close(release)
	<-accepted
	<-processed
	if gate.Urgent() {
		t.Fatal("still urgent once the accept returned")
	}
}

// The processing writes of a transaction mark their inbound rows done and
// add their timeline entries together, just before the commit (one
// statement each on PostgreSQL): inside the request the row is still
// pending, after the commit it is done and the entries are there with
// their IDs. A row that cannot be marked fails its own request only, in
// savepoint mode, and its entry goes with it.
func TestStoreCommitFinishesTogether(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			st := teststore.Open(t, dialect, testclock.New(t))
			co := &model.Company{Slug: "acme", Name: "Acme"}
			if err := st.CreateCompany(ctx, co); err != nil {
				t.Fatal(err)
			}
			ch := &model.Channel{CompanyID: co.ID, Slug: "s", Name: "S", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
				InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "s@acme.test"}}
			if err := st.CreateChannel(ctx, ch); err != nil {
				t.Fatal(err)
			}
			ct, err := st.UpsertContact(ctx, co.ID, "c@example.com", "C")
			if err != nil {
				t.Fatal(err)
			}
			tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: ct.ID, Subject: "T", ReplyToken: "rt"}
			if err := st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }); err != nil {
				t.Fatal(err)
			}
			entries := map[int64]*store.Activity{}
			var ids []int64
			for i := range 3 {
				in := &model.Inbound{CompanyID: co.ID, ChannelID: ch.ID, SourceKey: fmt.Sprint("k", i), RawKey: "sha256/x", Size: 1}
				if err := st.InsertInbound(ctx, in); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, in.ID)
			}
			missing := ids[2] + 1000
			g := &storeCommit{st: st, maxBatch: 16}
			results := map[int64]error{}
			var pendingInside []bool
			for _, id := range []int64{ids[0], missing, ids[1]} {
				g.queue = append(g.queue, &storeReq{
					fn: func(ctx context.Context, q store.Queries, safe bool) error {
						a := &store.Activity{CompanyID: co.ID, TicketID: tk.ID, Kind: store.ActivityRouted, Data: map[string]string{"row": fmt.Sprint(id)}}
						entries[id] = a
						if err := q.AddActivity(ctx, a); err != nil {
							return err
						}
						if err := q.FinishInbound(ctx, co.ID, id, 0, time.Now()); err != nil {
							return err
						}
						if !safe && id != missing {
							in, err := q.GetInbound(ctx, co.ID, id)
							if err != nil {
								return err
							}
							pendingInside = append(pendingInside, in.State == model.InboundPending)
						}
						return nil
					},
					done: func(err error) { results[id] = err },
				})
			}
			for len(g.queue) > 0 {
				g.commit(ctx)
			}
			if results[ids[0]] != nil || results[ids[1]] != nil || !errors.Is(results[missing], store.ErrNotFound) {
				t.Fatalf("results %v: want only the missing row's request failed (not found)", results)
			}
			if len(pendingInside) != 2 || !pendingInside[0] || !pendingInside[1] {
				t.Errorf("pending inside the requests run without savepoints: %v, want [true true]", pendingInside)
			}
			// The timeline entries of the requests that committed, with
			// their IDs; none of the failed one.
			acts, err := st.ListActivity(ctx, co.ID, tk.ID, 0)
			if err != nil || len(acts) != 2 || acts[0].ID != entries[ids[0]].ID || acts[1].ID != entries[ids[1]].ID ||
				acts[0].Data["row"] != fmt.Sprint(ids[0]) || acts[1].Data["row"] != fmt.Sprint(ids[1]) {
				t.Errorf("timeline %+v, %v; entries %+v %+v", acts, err, entries[ids[0]], entries[ids[1]])
			}
			for i, want := range []model.InboundState{model.InboundDone, model.InboundDone, model.InboundPending} {
				in, err := st.GetInbound(ctx, co.ID, ids[i])
				if err != nil || in.State != want {
					t.Errorf("row %d: %+v, %v; want %s", i, in, err, want)
				}
			}
		})
	}
}
