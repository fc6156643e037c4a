package ingest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func TestDedupeKeyMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	parts := []string{"\r", "\n", "\r\n", "a", "From: x\r\n", "Subject: y\n", " folded\r\n", "\r\n\r\n", "X-Trace: z\r\n", "\r\r\n"}
	for i := 0; i < 5000; i++ {
		var b bytes.Buffer
		for k := r.IntN(60); k > 0; k-- {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		if r.IntN(10) == 0 {
			b.Write(bytes.Repeat([]byte("x\r"), 40000))
		}
		want, _ := oldDedupeKey(bytes.NewReader(b.Bytes()))
		got, _ := DedupeKey(bytes.NewReader(b.Bytes()))
		tee := newDedupeTee()
		io.Copy(tee, iotest.HalfReader(bytes.NewReader(b.Bytes())))
		got2, _ := tee.Key()
		if got != want || got2 != want {
			t.Fatalf("%q: %s %s %s", b.String(), want, got, got2)
		}
	}
}
