package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
)

// Reads admitted in arrival order.
//
// database/sql hands a freed connection to a random one of the callers
// waiting for it (connRequestSet.TakeRandom): with more concurrent
// readers than connections (50 agents on SQLite's 8 readers), a read can
// lose that draw many times in a row, and the slowest 1% of a list-and-
// search mix took 3.5 times the median. A readGate with a slot per
// connection queues them first, in a channel, whose waiters are served
// first come first served; database/sql then always has a connection free.
type readGate chan struct{}

func (g readGate) acquire(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: waiting for a reader: %w", ctx.Err())
	}
}

func (g readGate) release() { <-g }

// row is a single-row read; Scan ends it.
type row struct {
	r       *sql.Row
	err     error // the wait for a reader failed
	release func()
}

func (r *row) Scan(dest ...any) error {
	if r.release != nil {
		defer r.release()
	}
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

// rows are a read's rows; the reader is released once Next says there
// are no more, or at Close.
type rows struct {
	*sql.Rows
	release func()
}

func (r *rows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.done()
	return false
}

func (r *rows) Close() error {
	err := r.Rows.Close()
	r.done()
	return err
}

func (r *rows) done() {
	if r.release != nil {
		r.release()
		r.release = nil
	}
}

// enter waits for a reader slot when s reads on the pool with a gate
// (inside a transaction its own connection is used: no slot); leave
// releases it (nil when no slot was taken).
func (s q) enter(ctx context.Context) (leave func(), err error) {
	if _, pool := s.r.(*sql.DB); !pool || s.gate == nil {
		return nil, nil
	}
	if err := s.gate.acquire(ctx); err != nil {
		return nil, err
	}
	return s.gate.release, nil
}
