// Package yield lets CPU-heavy work that reads as it goes give the
// processor to other goroutines now and then.
//
// Parsing mail is CPU work that runs for milliseconds without blocking.
// With as many busy workers as processors, a goroutine that becomes
// runnable meanwhile (an SMTP session woken by its commit, the committer
// back from a system call: the work a sender waits for) waits for a worker
// to block or to be preempted, up to the scheduler's 10 ms. Work that
// reads its input through a Gate's Reader yields every so many bytes,
// which bounds that wait by the work of one chunk; a Gate (gate.go) can
// also park it while urgent work runs.
package yield

import "io"

// reader is Gate.Reader's: it calls g.Yield before a read once every
// bytes were read since the last yield.
type reader struct {
	r     io.Reader
	n     int
	every int
	g     *Gate // nil: runtime.Gosched only
}

func (y *reader) Read(p []byte) (int, error) {
	if y.n >= y.every {
		y.n = 0
		y.g.Yield()
	}
	n, err := y.r.Read(p)
	y.n += n
	return n, err
}

// HTMLEvery is the yield interval for HTML tokenizers, sanitizers and
// tree builders: 8 KiB of a newsletter is 0.1-0.3 ms of their work.
const HTMLEvery = 8 << 10
