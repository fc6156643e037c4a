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
		switch r.IntN(20) {
		case 0, 1:
			b.Write(bytes.Repeat([]byte("x\r"), 40000))
		case 2:
			// A header line longer than the key reads as one.
			b.WriteString("Subject: " + string(bytes.Repeat([]byte("h"), headerLineMax+r.IntN(3)-10)))
			b.WriteString(parts[r.IntN(len(parts))])
		case 3:
			// A header block past maxHeaderBlock.
			for b.Len() <= maxHeaderBlock+r.IntN(200) {
				b.WriteString("X-Trace: " + string(bytes.Repeat([]byte("t"), r.IntN(3000))) + "\r\n")
			}
			b.WriteString(parts[r.IntN(len(parts))])
		}
		want, _ := oldDedupeKey(bytes.NewReader(b.Bytes()))
		got, _ := DedupeKey(bytes.NewReader(b.Bytes()))
		tee := newDedupeTee()
		io.Copy(tee, iotest.HalfReader(bytes.NewReader(b.Bytes())))
		got2, _ := tee.Key()
		// Written as the parser's reads come: chunks of any size.
		tee3 := newDedupeTee()
		for rest := b.Bytes(); len(rest) > 0; {
			n := min(len(rest), 1+r.IntN([]int{3, 100, 5000, 70000}[r.IntN(4)]))
			tee3.Write(rest[:n])
			rest = rest[n:]
		}
		got3, _ := tee3.Key()
		if got != want || got2 != want || got3 != want {
			t.Fatalf("%.300q (%d bytes): %s %s %s %s", b.String(), b.Len(), want, got, got2, got3)
		}
	}
}
