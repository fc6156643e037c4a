package yield

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// A Gate gives urgent work priority for the processors over bulk work.
//
// Ingest has one goroutine everything acknowledged waits on: the committer
// that writes the accepted rows (an SMTP session answers 250 only after
// it). Its transaction is a series of short runs between system calls
// (writes, fsync, the database's round trips), and each time it comes
// back it needs a processor. With as many parsing workers as processors,
// it waits for one of them to reach a yield point every time: an
// execution trace of a saturated run showed the committer runnable but
// waiting for 1.8 s of a 2.5 s run, and accepts waiting behind it.
//
// While urgent work is in progress (Enter .. Exit), bulk work (Work) may
// keep only so many processors busy (NewGate): a bulk goroutine that
// reaches a yield point when that many others run parks until one of them
// finishes its work, the urgent work ends or its longest park has passed,
// so a processor is there for the urgent goroutine whenever it can run.
// Nothing parks when nothing urgent runs.
//
// A nil *Gate is valid: Yield only yields the processor
// (runtime.Gosched), Work runs its function, Enter and Exit do nothing.
type Gate struct {
	urgentFast atomic.Bool // urgent > 0, read without the lock
	mu         sync.Mutex
	changed    chan struct{} // closed (and replaced) when urgent or running drop
	urgent     int           // Enter calls not yet matched by Exit
	running    int           // goroutines inside Work and not parked
	limit      func() int
	maxPark    time.Duration
}

// NewGate returns a gate that, while urgent work is in progress, keeps two
// processors of GOMAXPROCS (read when a decision is made) free of bulk
// work: one for the urgent goroutine, one for what it waits on (its
// database server's process, the goroutines it wakes). On two processors
// every bulk goroutine parks at its next yield point until the urgent work
// is done or maxPark has passed: the longest one park lasts, so a stream
// of urgent work slows bulk work and never stops it.
func NewGate(maxPark time.Duration) *Gate {
	return newGate(func() int { return max(0, runtime.GOMAXPROCS(0)-2) }, maxPark)
}

func newGate(limit func() int, maxPark time.Duration) *Gate {
	return &Gate{limit: limit, maxPark: maxPark, changed: make(chan struct{})}
}

// signal wakes the parked goroutines to look again (g.mu held).
func (g *Gate) signal() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// Work runs fn as bulk work: its goroutine counts against the limit while
// fn runs, except while parked in Yield. Call Yield from fn's CPU-heavy
// loops (or read through Reader).
func (g *Gate) Work(fn func()) {
	if g == nil {
		fn()
		return
	}
	g.mu.Lock()
	g.running++
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running--
		g.signal()
		g.mu.Unlock()
	}()
	fn()
}

// Yield is a yield point of bulk work: it parks while urgent work is in
// progress and the limit is reached by other bulk goroutines (for at most
// the gate's longest park), then lets other goroutines run
// (runtime.Gosched). Call it from inside Work only: a caller outside Work
// is not counted as running, so it may park in place of a bulk goroutine
// (with none inside Work it only yields).
func (g *Gate) Yield() {
	if g != nil && g.urgentFast.Load() {
		g.park()
	}
	runtime.Gosched()
}

func (g *Gate) park() {
	g.mu.Lock()
	defer g.mu.Unlock()
	limit := g.limit()
	if g.urgent == 0 || g.running <= limit {
		return
	}
	g.running--
	defer func() { g.running++ }()
	timer := time.NewTimer(g.maxPark)
	defer timer.Stop()
	for g.urgent > 0 && g.running >= limit {
		changed := g.changed
		g.mu.Unlock()
		select {
		case <-changed:
			g.mu.Lock()
		case <-timer.C:
			g.mu.Lock()
			return
		}
	}
}

// Enter starts urgent work; Exit ends it. They nest.
func (g *Gate) Enter() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.urgent++
	g.urgentFast.Store(true)
	g.mu.Unlock()
}

// Exit ends what Enter started; the bulk goroutines parked for it go on.
func (g *Gate) Exit() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.urgent--
	if g.urgent == 0 {
		g.urgentFast.Store(false)
		g.signal()
	}
	g.mu.Unlock()
}

// Urgent reports whether urgent work is in progress.
func (g *Gate) Urgent() bool { return g != nil && g.urgentFast.Load() }

// Reader returns r yielding before a read once every bytes were read since
// the last yield: g's yield point (bulk work may park there, see Gate), or
// with a nil g only runtime.Gosched, nearly free when nothing else waits.
// Choose every by the CPU the consumer spends per byte: a few hundred
// microseconds of work between yields.
func (g *Gate) Reader(r io.Reader, every int) io.Reader {
	return &reader{r: r, every: every, g: g}
}
