package ingest

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// storeCommit batches the processing writes of concurrent workers into
// one transaction, like groupCommit does for accepts: each worker parses
// on its own (CPU), then hands its message's writes to the batch. The
// first worker to find no commit in progress commits batches until the
// queue is empty; each message runs in its own savepoint, so one
// message's error rolls back that message only. A worker returns only
// after its batch committed, so a row is finished (and its notifier told)
// only once its message is durable: the exactly-once contract is the same
// as with one transaction per message.
//
// The writes run on the leader's context (detached from any one worker's,
// so one worker shutting down does not break the others' transaction).
//
// Batching is what lets ingest go past one fsync per message on the single
// SQLite writer (and fewer commits on PostgreSQL).
type storeCommit struct {
	st      store.Store
	mu      sync.Mutex
	queue   []*storeReq
	running bool
	// maxBatch bounds one transaction, so the accept group commit waiting
	// for the same writer waits for at most that much work.
	maxBatch int
}

type storeReq struct {
	fn   func(ctx context.Context, q store.Queries) error
	err  error
	done chan struct{}
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

func (g *storeCommit) run(ctx context.Context, fn func(ctx context.Context, q store.Queries) error) error {
	req := &storeReq{fn: fn, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if g.running {
		g.mu.Unlock()
		<-req.done
		return req.err
	}
	g.running = true
	for {
		n := min(len(g.queue), g.maxBatch)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		g.mu.Unlock()
		g.commit(ctx, batch)
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.running = false
			g.mu.Unlock()
			break
		}
	}
	<-req.done
	return req.err
}

func (g *storeCommit) commit(ctx context.Context, batch []*storeReq) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
	defer cancel()
	if len(batch) == 1 {
		batch[0].err = g.st.Tx(cctx, func(q store.Queries) error { return batch[0].call(cctx, q) })
		close(batch[0].done)
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
		close(r.done)
	}
}
