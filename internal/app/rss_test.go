package app

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestImportChild runs `atende import` in a child process for
// BenchmarkImportRSS (so the child's peak RSS is the import's alone).
func TestImportChild(t *testing.T) {
	args := os.Getenv("ATENDE_IMPORT_CHILD")
	if args == "" {
		t.Skip("helper process for BenchmarkImportRSS")
	}
	var out io.Writer = io.Discard
	if os.Getenv("ATENDE_IMPORT_CHILD_OUT") != "" {
		out = os.Stdout
	}
	code := Run(context.Background(), strings.Split(args, "\x1f"), IO{Out: out, Err: os.Stderr, Getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("import exit %d", code)
	}
}

// writeMbox writes n small messages and one with a 50 MB attachment.
func writeMbox(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "From c%d@example.com Wed Jun  5 10:00:00 2024\nFrom: c%d@example.com\nTo: s@acme.test\nSubject: m%d\nMessage-ID: <rss-%d-%d@x>\n\n%s\n\n",
			i, i, i, n, i, strings.Repeat("texto do cliente ", 300))
	}
	fmt.Fprintf(w, "From big@example.com Wed Jun  5 10:00:00 2024\nFrom: big@example.com\nTo: s@acme.test\nSubject: big\nMessage-ID: <rss-big-%d@x>\n"+
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsegue anexo\n--B\n"+
		"Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=big.bin\nContent-Transfer-Encoding: base64\n\n", n)
	r := rand.New(rand.NewPCG(1, 2))
	chunk := make([]byte, 57*1000)
	for written := 0; written < 50<<20; written += len(chunk) {
		for i := range chunk {
			chunk[i] = byte(r.Uint32())
		}
		s := base64.StdEncoding.EncodeToString(chunk)
		for len(s) > 0 {
			w.WriteString(s[:76])
			w.WriteByte('\n')
			s = s[76:]
		}
	}
	w.WriteString("--B--\n")
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// BenchmarkImportRSS reports the importer's peak RSS for a mailbox with a
// 50 MB attachment plus 10 and plus 1,000 other messages: memory must not
// grow with the number of messages (and not hold the attachment twice).
func BenchmarkImportRSS(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("msgs=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			mbox := filepath.Join(dir, "box.mbox")
			writeMbox(b, mbox, n)
			for i := 0; i < b.N; i++ {
				data := filepath.Join(dir, fmt.Sprintf("data%d", i))
				args := strings.Join([]string{"import", "--data", data, "--max-message-size", "100MB", "--company", "acme", "--channel", "c", "--create", mbox}, "\x1f")
				cmd := exec.Command(os.Args[0], "-test.run=^TestImportChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), "ATENDE_IMPORT_CHILD="+args)
				cmd.Stderr = os.Stderr
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
			}
		})
	}
}
