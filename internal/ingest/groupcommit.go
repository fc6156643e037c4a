package ingest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// groupCommit batches the inbound-row inserts of concurrent Accept calls
// into one transaction, so N sessions waiting to acknowledge pay for one
// database commit (one fsync) instead of N. There is no background
// goroutine: the first caller to find no commit in progress becomes the
// leader and commits batches until the queue is empty; the others wait
// for their row's result. A caller returns only after its own row is
// committed (or failed), so the acknowledge-after-durable contract holds.
type groupCommit struct {
	st      store.Store
	mu      sync.Mutex
	queue   []*commitReq
	running bool
}

type commitReq struct {
	in   *model.Inbound
	dup  bool
	err  error
	done chan struct{}
}

// maxBatch bounds one transaction.
const maxBatch = 256

// insert queues in and waits for its commit; queued, when set, is called
// once the row has its place in the queue (rows are inserted in queue
// order).
func (g *groupCommit) insert(ctx context.Context, in *model.Inbound, queued func()) (dup bool, err error) {
	req := &commitReq{in: in, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if queued != nil {
		queued()
	}
	if g.running {
		g.mu.Unlock()
		<-req.done
		return req.dup, req.err
	}
	g.running = true
	for {
		n := min(len(g.queue), maxBatch)
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
	return req.dup, req.err
}

// commit writes one batch. The leader's cancellation must not fail the
// other callers' rows, so the transaction runs on a detached context with
// its own deadline.
func (g *groupCommit) commit(ctx context.Context, batch []*commitReq) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := g.st.Tx(cctx, func(q store.Queries) error {
		for _, r := range batch {
			r.dup = false
			err := q.InsertInbound(cctx, r.in)
			if errors.Is(err, store.ErrConflict) {
				r.dup = true
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	for _, r := range batch {
		r.err = err
		close(r.done)
	}
}
