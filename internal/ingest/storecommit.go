package ingest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/yield"
)

// storeCommit batches the processing writes of the workers into one
// transaction, like groupCommit does for accepts, and takes them off the
// workers' path: a worker parses a message (CPU), submits its writes and
// goes on to parse the next one while a committer goroutine (started when
// work arrives, gone when the queue is empty) writes the queued messages
// in one transaction; one message's error rolls back that message only
// (see commit). A message's continuation (finish the row,
// tell the notifier, or record the failure) runs only after its
// transaction committed, so the exactly-once contract is the same as with
// one transaction per message: a crash before the commit leaves the rows
// pending and their leases hand them back.
//
// Batching is what lets ingest go past one fsync per message on the single
// SQLite writer (and fewer commits on PostgreSQL); pipelining lets the
// workers parse while the writer waits for the disk. The writes run on a
// context detached from the workers' (one worker shutting down does not
// break the others' transaction); ProcessPending waits for its own rows,
// so nothing is in flight once the workers return.
type storeCommit struct {
	st      store.Store
	mu      sync.Mutex
	accepts []*storeReq // inbound rows of Accept: they go first
	queue   []*storeReq
	running bool
	// maxBatch bounds one transaction, so the accept group commit waiting
	// for the same writer waits for at most that much work.
	maxBatch int
	// gate: the committer is urgent work while an accept waits on it
	// (groupCommit.insert).
	gate *yield.Gate
}

// maxAccepts bounds the inbound rows in one transaction.
const maxAccepts = 256

type storeReq struct {
	// fn runs the writes; safe says it runs in a savepoint of its own
	// (a failure rolls back its writes only), else an error rolls back
	// the whole transaction and the batch runs again in savepoint mode.
	fn   func(ctx context.Context, q store.Queries, safe bool) error
	err  error
	done func(error)
	// inbound, for an accept (always set): the row fn inserts, so the
	// accepts waiting together are inserted by one statement
	// (InsertInbounds) outside savepoint mode; dup gets whether it was a
	// duplicate.
	inbound *model.Inbound
	dup     *bool
}

// call runs the request's writes; a panic in them (a bug) fails this
// message only, never the leader that runs other workers' writes.
func (r *storeReq) call(ctx context.Context, q store.Queries, safe bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = permanentError{fmt.Errorf("panic while storing: %v\n%s", p, debug.Stack())}
		}
	}()
	return r.fn(ctx, q, safe)
}

// submit queues fn; done gets its result once the transaction that ran
// it committed (or failed).
func (g *storeCommit) submit(ctx context.Context, fn func(ctx context.Context, q store.Queries, safe bool) error, done func(error)) {
	g.enqueue(ctx, &storeReq{fn: fn, done: done}, false, nil)
}

// enqueue adds req (to the accepts, ahead of the processing writes, when
// accept is set) and calls queued, if set, once it has its place.
func (g *storeCommit) enqueue(ctx context.Context, req *storeReq, accept bool, queued func()) {
	g.mu.Lock()
	if accept {
		g.accepts = append(g.accepts, req)
	} else {
		g.queue = append(g.queue, req)
	}
	if queued != nil {
		queued()
	}
	if !g.running {
		g.running = true
		go g.loop(context.WithoutCancel(ctx))
	}
	g.mu.Unlock()
}

func (g *storeCommit) loop(ctx context.Context) {
	for {
		g.mu.Lock()
		if len(g.queue) == 0 && len(g.accepts) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		g.commit(ctx)
	}
}

// acceptWait bounds how long an accepted row waits in a transaction that
// goes on with processing writes: once a row of Accept is in, the
// transaction takes no new processing writes after this long and commits.
const acceptWait = 5 * time.Millisecond

// next takes the requests to run next in a transaction that has run nacc
// accepts (the first joined at firstAccept) and nproc processing writes:
// the accepts waiting, when there are (they join the running transaction
// at once, so they wait for the processing write being run and a commit,
// never for a whole batch), else a processing write while the batch has
// room and no accept in it has waited for acceptWait. None ends the
// transaction.
func (g *storeCommit) next(nacc, nproc int, firstAccept time.Time) (rs []*storeReq, accept bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.accepts) > 0 && nacc < maxAccepts {
		k := min(len(g.accepts), maxAccepts-nacc)
		rs = slices.Clone(g.accepts[:k])
		g.accepts = g.accepts[k:]
		return rs, true
	}
	if len(g.queue) == 0 || nproc >= g.maxBatch {
		return nil, false
	}
	if nacc > 0 && time.Since(firstAccept) >= acceptWait {
		return nil, false
	}
	r := g.queue[0]
	g.queue = g.queue[1:]
	return []*storeReq{r}, false
}

// writeLater is the Queries of the processing writes run without
// savepoints: their FinishInbound and AddActivity are noted, and the
// transaction writes what was noted with one FinishInbounds and one
// AddActivities just before it commits (notedWrites.write), instead of a
// statement, a round trip on PostgreSQL, for each. Nothing of ingest reads
// those rows in the transaction that writes them; a noted entry gets its
// ID at the end of the transaction. Same transaction, so the same
// contract; a failure runs the batch again in savepoint mode, where each
// message writes its own.
type writeLater struct {
	store.Queries
	noted *notedWrites
}

type notedWrites struct {
	finished   []store.InboundDone
	activities []*store.Activity
}

func (w writeLater) FinishInbound(_ context.Context, companyID, id, messageID int64, at time.Time) error {
	w.noted.finished = append(w.noted.finished, store.InboundDone{CompanyID: companyID, ID: id, MessageID: messageID, At: at})
	return nil
}

func (w writeLater) AddActivity(_ context.Context, a *store.Activity) error {
	w.noted.activities = append(w.noted.activities, a)
	return nil
}

// write writes what the transaction's requests noted.
func (n *notedWrites) write(ctx context.Context, q store.Queries) error {
	if err := q.AddActivities(ctx, n.activities); err != nil {
		return err
	}
	return q.FinishInbounds(ctx, n.finished)
}

// insertAccepts inserts the rows of accepts (every accept carries its
// row: groupCommit.insert) with one InsertInbounds.
func insertAccepts(ctx context.Context, q store.Queries, accepts []*storeReq) error {
	rows := make([]*model.Inbound, len(accepts))
	for i, r := range accepts {
		rows[i] = r.inbound
	}
	dup, err := q.InsertInbounds(ctx, rows)
	for i, r := range accepts {
		if err != nil {
			r.err = err
		} else {
			*r.dup = dup[i]
		}
	}
	return err
}

// commit runs one transaction: the accepts (those waiting together in one
// statement) and the queued processing writes (one at a time), taken
// while it runs (see next); every request's done runs once it committed
// or failed.
//
// The requests run without savepoints first: a savepoint costs two
// statements (round trips on PostgreSQL) and makes SQLite's FTS5 flush its
// pending index entries as a new segment per message. Requests fail
// rarely; when one does, the transaction is rolled back and the same
// requests run again, each in its own savepoint, so the failure stays
// that request's only (savepoint mode, what every batch did before).
func (g *storeCommit) commit(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	var batch []*storeReq
	failed := false // a request failed in the run without savepoints
	err := g.st.Tx(cctx, func(q store.Queries) error {
		_, sp := q.(store.Savepointer)
		var nacc, nproc int
		var firstAccept time.Time
		// The processing writes' inbound rows marked done and timeline
		// entries, written together before the commit (writeLater).
		var noted notedWrites
		later := writeLater{Queries: q, noted: &noted}
		for {
			rs, accept := g.next(nacc, nproc, firstAccept)
			if len(rs) == 0 {
				if err := noted.write(cctx, q); err != nil {
					failed = sp
					return err
				}
				return nil
			}
			batch = append(batch, rs...)
			var err error
			if accept {
				if nacc == 0 {
					firstAccept = time.Now()
				}
				nacc += len(rs)
				err = insertAccepts(cctx, q, rs)
			} else {
				nproc++
				err = rs[0].call(cctx, later, false)
				rs[0].err = err
			}
			if err != nil {
				// Without savepoints the first error fails the batch: with
				// them it runs again in savepoint mode (each accept with
				// its own insert), without them each message is retried
				// on its own.
				failed = sp
				return err
			}
		}
	})
	if err != nil && failed {
		err = g.st.Tx(cctx, func(q store.Queries) error {
			sp := q.(store.Savepointer)
			for _, r := range batch {
				r.err = sp.Savepoint(cctx, func(q store.Queries) error { return r.call(cctx, q, true) })
			}
			return nil
		})
	}
	for _, r := range batch {
		switch {
		case err == nil:
		case failed && r.err != nil:
			// Savepoint mode: this request's own failure.
		case r.err == nil && !failed:
			// Rolled back with another request (no savepoints) or the
			// commit failed: retried, not that request's error.
			r.err = fmt.Errorf("ingest: transaction rolled back: %v", err)
		default:
			r.err = err
		}
		r.done(r.err)
	}
	// The callers just woken (an SMTP session, an IMAP sync, a worker
	// waiting to go on) are queued on this goroutine's processor, and this
	// goroutine goes straight on to the next transaction: it runs SQLite's
	// engine for milliseconds without blocking, so they would wait up to the
	// scheduler's 10 ms preemption. Yielding here lets them run first.
	runtime.Gosched()
}
