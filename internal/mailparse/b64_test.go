package mailparse

import (
	"bytes"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// decodeBoth runs the fast and the reference decoder over in, feeding
// chunks of the given size (so quanta and padding straddle reads).
func decodeBoth(in []byte, chunk int) (fast, ref []byte, fw, rw []string) {
	pf, pr := &parser{msg: &Message{}, seen: map[string]bool{}}, &parser{msg: &Message{}, seen: map[string]bool{}}
	src := func() io.Reader {
		if chunk > 0 {
			return iotest.OneByteReader(bytes.NewReader(in))
		}
		return bytes.NewReader(in)
	}
	fast, _ = io.ReadAll(&b64Reader{r: src(), p: pf, where: "t"})
	ref, _ = io.ReadAll(&refB64Reader{r: src(), p: pr, where: "t"})
	return fast, ref, pf.msg.Warnings, pr.msg.Warnings
}

func checkSame(t *testing.T, in []byte) {
	t.Helper()
	for _, chunk := range []int{0, 1} {
		fast, ref, fw, rw := decodeBoth(in, chunk)
		if !bytes.Equal(fast, ref) {
			t.Fatalf("input %q (chunk %d): fast %q, reference %q", truncate(string(in), 200), chunk, truncate(string(fast), 100), truncate(string(ref), 100))
		}
		if strings.Join(fw, "|") != strings.Join(rw, "|") {
			t.Fatalf("input %q (chunk %d): warnings fast %q, reference %q", truncate(string(in), 200), chunk, fw, rw)
		}
	}
}

// TestB64MatchesReference: the table-driven decoder gives the same bytes
// and warnings as the byte-at-a-time one it replaced, on clean, damaged,
// truncated and padded input.
func TestB64MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 2000; i++ {
		data := make([]byte, r.IntN(300))
		for j := range data {
			data[j] = byte(r.Uint32())
		}
		enc := []byte(base64.StdEncoding.EncodeToString(data))
		var b bytes.Buffer
		for len(enc) > 0 {
			n := min(len(enc), 4+r.IntN(80))
			b.Write(enc[:n])
			b.WriteString([]string{"\r\n", "\n", " ", "\t", ""}[r.IntN(5)])
			enc = enc[n:]
		}
		in := b.Bytes()
		// Damage: a few random bytes replaced, truncated, or a footer.
		switch r.IntN(5) {
		case 1:
			for k := r.IntN(4); k >= 0 && len(in) > 0; k-- {
				in[r.IntN(len(in))] = "@*=-\x00\xff.A"[r.IntN(8)]
			}
		case 2:
			in = in[:r.IntN(len(in)+1)]
		case 3:
			in = append(in, "\r\n_______________\r\nLista de discussão\r\n"...)
		}
		checkSame(t, in)
	}
	for _, in := range []string{"", "=", "A", "AB", "ABC", "ABCD", "AB==", "AB=C", "QUJD\r\nRA==\r\n\r\nfooter", "QU@JD", "Q", "QQ", "QQ=", "QUI=QUI="} {
		checkSame(t, []byte(in))
	}
}

func FuzzB64(f *testing.F) {
	f.Add([]byte("QUJD\r\nRA==\r\n"))
	f.Add([]byte("QU@J D="))
	f.Fuzz(func(t *testing.T, in []byte) { checkSame(t, in) })
}

// BenchmarkB64 decodes a 2 MB attachment in 76-column lines.
func BenchmarkB64(b *testing.B) {
	data := make([]byte, 2<<20)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	enc := base64.StdEncoding.EncodeToString(data)
	var in bytes.Buffer
	for len(enc) > 76 {
		in.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	in.WriteString(enc + "\r\n")
	for _, impl := range []string{"table", "reference"} {
		b.Run(impl, func(b *testing.B) {
			b.SetBytes(int64(in.Len()))
			for i := 0; i < b.N; i++ {
				p := &parser{msg: &Message{}, seen: map[string]bool{}}
				var rd io.Reader = &b64Reader{r: bytes.NewReader(in.Bytes()), p: p}
				if impl == "reference" {
					rd = &refB64Reader{r: bytes.NewReader(in.Bytes()), p: p}
				}
				if n, _ := io.Copy(io.Discard, rd); n != int64(len(data)) {
					b.Fatal(n)
				}
			}
		})
	}
}
