package yield

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"
)

// bulk is one goroutine inside g.Work, driven step by step by the test.
type bulk struct {
	in, yield, passed, finish chan struct{}
}

func startBulk(g *Gate) *bulk {
	b := &bulk{in: make(chan struct{}), yield: make(chan struct{}), passed: make(chan struct{}), finish: make(chan struct{})}
	go g.Work(func() {
		close(b.in)
		<-b.yield
		g.Yield()
		close(b.passed)
		<-b.finish
	})
	<-b.in
	return b
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func waitClosed(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: still waiting after 10 s", what)
	}
}

// waitRunning waits until n bulk goroutines count as running (the others
// parked).
func waitRunning(t *testing.T, g *Gate, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; {
		g.mu.Lock()
		r := g.running
		g.mu.Unlock()
		if r == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d bulk goroutines running, want %d", r, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// With one processor's worth of bulk work allowed while urgent work runs,
// the first of two bulk goroutines to yield parks; the other goes on, and
// when it finishes its work the parked one goes on too.
func TestGateParksBulkWhileUrgent(t *testing.T) {
	g := newGate(func() int { return 1 }, time.Hour)
	g.Enter()
	defer g.Exit()
	a, b := startBulk(g), startBulk(g)
	close(a.yield)
	waitRunning(t, g, 1)
	if closed(a.passed) {
		t.Fatal("a went past its yield point with the limit reached")
	}
	close(b.yield)
	waitClosed(t, b.passed, "b, alone running, at its yield point")
	if closed(a.passed) {
		t.Fatal("a went on while b runs")
	}
	close(b.finish)
	waitClosed(t, a.passed, "a after b finished its work")
	close(a.finish)
	waitRunning(t, g, 0)
}

// Exit lets every parked bulk goroutine go on.
func TestGateExitReleases(t *testing.T) {
	g := newGate(func() int { return 1 }, time.Hour)
	g.Enter()
	if !g.Urgent() {
		t.Fatal("Urgent is false after Enter")
	}
	a, b := startBulk(g), startBulk(g)
	defer close(a.finish)
	defer close(b.finish)
	close(a.yield)
	waitRunning(t, g, 1)
	g.Enter() // nested: one Exit is not the end
	g.Exit()
	time.Sleep(20 * time.Millisecond)
	if closed(a.passed) {
		t.Fatal("a went on while urgent work is still in progress")
	}
	g.Exit()
	waitClosed(t, a.passed, "a after Exit")
	if g.Urgent() {
		t.Fatal("Urgent is true after the last Exit")
	}
	close(b.yield)
	waitClosed(t, b.passed, "b with nothing urgent")
}

// Nothing parks when nothing urgent runs, or when the bulk goroutines do
// not exceed the limit.
func TestGateNoParking(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limit  int
		urgent bool
	}{
		{"nothing urgent", 1, false},
		{"within the limit", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate(func() int { return tc.limit }, time.Hour)
			if tc.urgent {
				g.Enter()
				defer g.Exit()
			}
			a, b := startBulk(g), startBulk(g)
			close(a.yield)
			close(b.yield)
			waitClosed(t, a.passed, "a")
			waitClosed(t, b.passed, "b")
			close(a.finish)
			close(b.finish)
		})
	}
}

// NewGate keeps two processors of GOMAXPROCS free of bulk work while
// urgent work runs.
func TestNewGateLimit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	g := NewGate(5 * time.Millisecond)
	for procs, want := range map[int]int{1: 0, 2: 0, 3: 1, 8: 6} {
		runtime.GOMAXPROCS(procs)
		if got := g.limit(); got != want {
			t.Errorf("GOMAXPROCS %d: limit %d, want %d", procs, got, want)
		}
	}
	if g.maxPark != 5*time.Millisecond {
		t.Errorf("longest park %v, want 5ms", g.maxPark)
	}
}

// With a limit of none, a lone bulk goroutine parks while urgent work is
// in progress and goes on when it ends.
func TestGateAllPark(t *testing.T) {
	g := newGate(func() int { return 0 }, time.Hour)
	g.Enter()
	a := startBulk(g)
	close(a.yield)
	waitRunning(t, g, 0)
	if closed(a.passed) {
		t.Fatal("a went past its yield point while urgent work runs")
	}
	g.Exit()
	waitClosed(t, a.passed, "a after Exit")
	close(a.finish)
}

// A park lasts at most maxPark, however long the urgent work.
func TestGateParkIsBounded(t *testing.T) {
	g := newGate(func() int { return 0 }, 30*time.Millisecond)
	g.Enter()
	defer g.Exit()
	a := startBulk(g)
	start := time.Now()
	close(a.yield)
	waitClosed(t, a.passed, "a after its longest park")
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("a went on after %v, before its park's bound", d)
	}
	waitRunning(t, g, 1)
	close(a.finish)
}

// A nil gate runs the work and only yields.
func TestGateNil(t *testing.T) {
	var g *Gate
	ran := false
	g.Enter()
	g.Work(func() { ran = true; g.Yield() })
	g.Exit()
	if !ran || g.Urgent() {
		t.Fatalf("ran %v, urgent %v", ran, g.Urgent())
	}
	data := bytes.Repeat([]byte("x"), 100_000)
	got, err := io.ReadAll(g.Reader(bytes.NewReader(data), 1000))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("nil gate's reader: %d bytes, %v", len(got), err)
	}
}

// A gate's reader parks at its yield points like Yield.
func TestGateReaderParks(t *testing.T) {
	g := newGate(func() int { return 1 }, time.Hour)
	g.Enter()
	other := startBulk(g)
	in, start, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go g.Work(func() {
		defer close(done)
		close(in)
		<-start
		_, _ = io.Copy(io.Discard, g.Reader(bytes.NewReader(make([]byte, 64<<10)), 8<<10))
	})
	<-in
	waitRunning(t, g, 2)
	close(start)
	waitRunning(t, g, 1) // the reader parked at its first yield point
	if closed(done) {
		t.Fatal("the read finished past its yield points")
	}
	g.Exit()
	waitClosed(t, done, "the read after Exit")
	close(other.yield)
	close(other.finish)
}
