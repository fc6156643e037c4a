package sqlstore

import (
	"context"
	"sync"
	"time"
)

// Lagged runs a piece of background upkeep (SQLite's WAL checkpoints, the
// deferred full-text indexing) on a goroutine of its own: lag after a
// Kick, with the kicks of that moment joining the same run, until Stop.
type Lagged struct {
	kick   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// NewLagged starts the goroutine; fn gets a context that ends at Stop.
func NewLagged(lag time.Duration, fn func(ctx context.Context)) *Lagged {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lagged{kick: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go l.run(lag, fn)
	return l
}

// Kick asks for a run; it never blocks (a committer calls it).
func (l *Lagged) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

func (l *Lagged) run(lag time.Duration, fn func(ctx context.Context)) {
	defer close(l.done)
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.kick:
		}
		t := time.NewTimer(lag)
		select {
		case <-l.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		fn(l.ctx)
	}
}

// Stop ends the goroutine (a run in progress sees its context end) and
// waits for it.
func (l *Lagged) Stop() {
	l.once.Do(func() {
		l.cancel()
		<-l.done
	})
}
