package yield

import (
	"io"
	"runtime"
	"sync"
	"sync/atomic"
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
// keep at most GOMAXPROCS-1 processors busy: a bulk goroutine that reaches
// a yield point when that many others run parks until one of them
// finishes its work or the urgent work ends, so a processor is there for
// the urgent goroutine whenever it can run. Nothing parks when nothing
// urgent runs, or when there are fewer bulk goroutines than processors.
//
// A nil *Gate is valid: Yield only yields the processor
// (runtime.Gosched), Work runs its function, Enter and Exit do nothing.
type Gate struct {
	urgentFast atomic.Bool // urgent > 0, read without the lock
	mu         sync.Mutex
	wake       *sync.Cond
	urgent     int // Enter calls not yet matched by Exit
	running    int // goroutines inside Work and not parked
	limit      func() int
}

// NewGate returns a gate that leaves one processor (of GOMAXPROCS, read
// when a decision is made) to urgent work.
func NewGate() *Gate {
	return newGate(func() int { return max(1, runtime.GOMAXPROCS(0)-1) })
}

func newGate(limit func() int) *Gate {
	g := &Gate{limit: limit}
	g.wake = sync.NewCond(&g.mu)
	return g
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
		g.mu.Unlock()
		g.wake.Broadcast()
	}()
	fn()
}

// Yield is a yield point of bulk work: it parks while urgent work is in
// progress and the limit is reached by other bulk goroutines, then lets
// other goroutines run (runtime.Gosched). Outside Work it only yields.
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
	for g.urgent > 0 && g.running >= limit {
		g.wake.Wait()
	}
	g.running++
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
	}
	g.mu.Unlock()
	g.wake.Broadcast()
}

// Urgent reports whether urgent work is in progress.
func (g *Gate) Urgent() bool { return g != nil && g.urgentFast.Load() }

// Reader is the package's Reader with g's yield points: bulk work reading
// through it may park there (see Gate).
func (g *Gate) Reader(r io.Reader, every int) io.Reader {
	return &reader{r: r, every: every, g: g}
}
