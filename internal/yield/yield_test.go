package yield

import (
	"bytes"
	"io"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
)

// TestReaderPassesBytesThrough: whatever the reads' sizes, the bytes come
// out as they went in.
func TestReaderPassesBytesThrough(t *testing.T) {
	data := make([]byte, 100_000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	y := (*Gate)(nil).Reader(bytes.NewReader(data), 1000)
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := y.Read(buf[:1+r.IntN(len(buf))])
		out.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatalf("read %d bytes, not the %d written", out.Len(), len(data))
	}
}

// TestReaderLetsOthersRun: on one processor, a goroutine made runnable
// while a consumer reads without ever blocking runs before the consumer
// has finished reading, because the reader yields; a plain reader lets
// it wait for the runtime's preemption (10 ms; the read takes far less).
func TestReaderLetsOthersRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	data := make([]byte, 256<<10)
	ran := func(r io.Reader) bool {
		var flag atomic.Bool
		go flag.Store(true)
		buf := make([]byte, 4096)
		for {
			if _, err := r.Read(buf); err != nil {
				return flag.Load()
			}
		}
	}
	if !ran((*Gate)(nil).Reader(bytes.NewReader(data), 16<<10)) {
		t.Fatal("the other goroutine did not run while the yielding reader was read")
	}
	// The control: without yields it does not (else this test proves
	// nothing on this machine).
	if ran(bytes.NewReader(data)) {
		t.Skip("the other goroutine ran during a plain read too: the scheduler preempted the reader; the yield is not shown")
	}
}
