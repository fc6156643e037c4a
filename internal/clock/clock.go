// Package clock is the program's one source of time.
//
// internal/app makes one Clock (System in production) and hands it to the
// store and to every service; nothing in the store or the domain packages
// reads the wall clock on its own. Tests make one Fake and hand the same
// value to everything they drive, so a test runs at the date it chooses
// (internal/testutil/testclock moves that date with ATENDE_TEST_CLOCK_SHIFT).
//
// What stays on the wall clock: network deadlines at the edges
// (net.Conn.SetDeadline takes wall time by definition), durations measured
// for logs and metrics, and timers that only pace a loop (how long to sleep
// before polling again); those never decide whether something is due.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the wall clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

var _ Clock = System{}

// Fake is a clock that moves only when told to. It is safe for concurrent
// use; the zero value stands at the zero time.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

var _ Clock = (*Fake)(nil)

// NewFake returns a clock standing at t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now is the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Set moves the clock to t (backwards too).
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (f *Fake) Advance(d time.Duration) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	return f.t
}
