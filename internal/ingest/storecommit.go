package ingest

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// storeCommit batches the processing writes of the workers into one
// transaction, like groupCommit does for accepts, and takes them off the
// workers' path: a worker parses a message (CPU), submits its writes and
// goes on to parse the next one while a committer goroutine (started when
// work arrives, gone when the queue is empty) writes the queued messages
// in one transaction, each in its own savepoint so one message's error
// rolls back that message only. A message's continuation (finish the row,
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
}

// maxAccepts bounds the inbound rows in one transaction.
const maxAccepts = 256

type storeReq struct {
	fn   func(ctx context.Context, q store.Queries) error
	err  error
	done func(error)
}

// call runs the request's writes; a panic in them (a bug) fails this
// message only, never the leader that runs other workers' writes.
func (r *storeReq) call(ctx context.Context, q store.Queries) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = permanentError{fmt.Errorf("panic while storing: %v\n%s", p, debug.Stack())}
		}
	}()
	return r.fn(ctx, q)
}

// submit queues fn; done gets its result once the transaction that ran
// it committed (or failed).
func (g *storeCommit) submit(ctx context.Context, fn func(ctx context.Context, q store.Queries) error, done func(error)) {
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
		// Accepts first (a sender waits to be acknowledged), then up to
		// maxBatch messages' writes.
		a := min(len(g.accepts), maxAccepts)
		batch := append([]*storeReq(nil), g.accepts[:a]...)
		g.accepts = g.accepts[a:]
		n := min(len(g.queue), g.maxBatch)
		batch = append(batch, g.queue[:n]...)
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(ctx, batch)
	}
}

func (g *storeCommit) commit(ctx context.Context, batch []*storeReq) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	if len(batch) == 1 {
		batch[0].done(g.st.Tx(cctx, func(q store.Queries) error { return batch[0].call(cctx, q) }))
		return
	}
	err := g.st.Tx(cctx, func(q store.Queries) error {
		sp, ok := q.(store.Savepointer)
		for _, r := range batch {
			if !ok {
				// No savepoints: the first error fails the batch and
				// each message is retried on its own.
				if r.err = r.call(cctx, q); r.err != nil {
					return r.err
				}
				continue
			}
			r.err = sp.Savepoint(cctx, func(q store.Queries) error { return r.call(cctx, q) })
		}
		return nil
	})
	for _, r := range batch {
		if err != nil {
			r.err = err
		}
		r.done(r.err)
	}
}
