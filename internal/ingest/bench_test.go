package ingest_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
)

// benchMix returns message i of the benchmark mix: 70% 5 KB plain text,
// 25% 50 KB HTML, 5% with a 2 MB attachment (sizes before encoding).
func benchMix(i int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Cliente %d <cliente%d@example.com>\r\nTo: suporte@acme.test\r\nSubject: Pedido %d\r\n"+
		"Date: Wed, 5 Jun 2024 10:00:00 +0000\r\nMessage-ID: <bench-%d@example.com>\r\nMIME-Version: 1.0\r\n", i, i%500, i, i)
	words := []string{"pedido", "entrega", "nota", "fiscal", "atraso", "cliente", "produto", "troca", "obrigado", "prazo"}
	text := func(n int) string {
		var s strings.Builder
		for s.Len() < n {
			s.WriteString(words[r.IntN(len(words))])
			if r.IntN(12) == 0 {
				s.WriteString(".\r\n")
			} else {
				s.WriteByte(' ')
			}
		}
		return s.String()
	}
	switch k := i % 20; {
	case k < 14:
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", text(5<<10))
	case k < 19:
		fmt.Fprintf(&b, "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><table>")
		for b.Len() < 50<<10 {
			fmt.Fprintf(&b, "<tr><td style=\"color:#333\">%s</td></tr>\r\n", text(200))
		}
		b.WriteString("</table></body></html>\r\n")
	default:
		att := make([]byte, 2<<20)
		for j := range att {
			att[j] = byte(r.Uint32())
		}
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
			"--XX\r\nContent-Type: application/pdf; name=\"nota.pdf\"\r\nContent-Disposition: attachment; filename=\"nota.pdf\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\n", text(1<<10))
		enc := base64.StdEncoding.EncodeToString(att)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n--XX--\r\n")
	}
	return b.Bytes()
}

// BenchmarkIngest measures end-to-end ingest (durable Accept, then parse,
// thread and store as ticket messages) over the realistic mix. Run with
// -benchtime 10000x for the 10,000 messages (scripts/bench.sh).
func BenchmarkIngest(b *testing.B) {
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d, 0)
			msgs := make([][]byte, 20) // one of each shape, reused with a varying Message-ID
			for i := range msgs {
				msgs[i] = benchMix(i)
			}
			var bytesIn int64
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				raw := bytes.Replace(msgs[i%20], []byte(fmt.Sprintf("<bench-%d@", i%20)), []byte(fmt.Sprintf("<bench-%d-%d@", i%20, i)), 1)
				bytesIn += int64(len(raw))
				if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("bench:%d", i), bytes.NewReader(raw)); err != nil {
					b.Fatal(err)
				}
				if i%64 == 63 {
					e.drainB(b)
				}
			}
			e.drainB(b)
			el := time.Since(start).Seconds()
			b.ReportMetric(float64(b.N)/el, "msgs/s")
			b.ReportMetric(float64(bytesIn)/el/(1<<20), "MB/s")
			if _, msgs := e.counts(b); msgs != b.N {
				b.Fatalf("messages = %d, want %d", msgs, b.N)
			}
		})
	}
}

// BenchmarkAccept measures only the durable step callers wait on before
// acknowledging (blob fsync + inbound row commit), 20 KB messages.
func BenchmarkAccept(b *testing.B) {
	for _, d := range []string{"sqlite", "postgres"} {
		b.Run(d, func(b *testing.B) {
			e := newEnv(b, d, 0)
			raw := mail("c@example.com", "S", "accept@x", "", strings.Repeat("x", 20<<10))
			b.SetBytes(int64(len(raw)))
			b.RunParallel(func(pb *testing.PB) {
				i := rand.Int64()
				for pb.Next() {
					i++
					r := append([]byte(fmt.Sprintf("X-Seq: %d\r\n", i)), raw...)
					if _, err := e.svc.Accept(ctx, e.ch, fmt.Sprintf("acc:%d", i), bytes.NewReader(r)); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func (e *env) drainB(b *testing.B) {
	for {
		n, err := e.svc.ProcessPending(ctx, ingest.WorkerConfig{Batch: 64})
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
