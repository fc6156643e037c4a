package app

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestMeasureChild is a helper process of the import benchmarks: it runs
// the command in ATENDE_MEASURE_CMD (arguments separated by \x1f) with
// this process's output, then prints the command's peak RSS and CPU time
// on a last line (measureLine). The benchmark does not start the command
// itself: os/exec starts a child that shares the parent's memory until it
// execs, and Linux then records the parent's peak RSS as the child's
// (ru_maxrss): measured so, the import's "peak" was the benchmark's own
// after writing the mbox (~62 MB). This helper stays small, and its own
// peak is printed too, so a benchmark can tell when it would be the one
// measured.
func TestMeasureChild(t *testing.T) {
	args := os.Getenv("ATENDE_MEASURE_CMD")
	if args == "" {
		t.Skip("helper process for the import benchmarks")
	}
	a := strings.Split(args, "\x1f")
	cmd := exec.Command(a[0], a[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	own := int64(peakRSS(t, os.Getpid()) * 1024) // KiB
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Printf("%s maxrss-kb=%d cpu-us=%d helper-kb=%d\n", measureLine, ru.Maxrss, (ru.Utime.Nano()+ru.Stime.Nano())/1000, own)
}

const measureLine = "atende-measure:"

// measured is what runMeasured saw of a command.
type measured struct {
	out    string  // its standard output
	peakMB float64 // its peak RSS
	cpuMS  float64 // its user+system CPU
}

// runMeasured runs name with args through TestMeasureChild.
func runMeasured(b *testing.B, name string, args ...string) measured {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMeasureChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ATENDE_MEASURE_CMD="+strings.Join(append([]string{name}, args...), "\x1f"))
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v\n%s", name, err, out.String())
	}
	text := out.String()
	at := strings.LastIndex(text, measureLine)
	if at < 0 {
		b.Fatalf("%s: no measurement in %q", name, text)
	}
	var kb, cpuUS, helperKB int64
	if _, err := fmt.Sscanf(text[at:], measureLine+" maxrss-kb=%d cpu-us=%d helper-kb=%d", &kb, &cpuUS, &helperKB); err != nil {
		b.Fatalf("%s: measurement %q: %v", name, text[at:], err)
	}
	if helperKB >= kb {
		b.Fatalf("the helper's own peak RSS (%d KiB) is not below the command's (%d KiB): it would be the one measured", helperKB, kb)
	}
	return measured{out: text[:at], peakMB: float64(kb) / 1024, cpuMS: float64(cpuUS) / 1000}
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
			bin := buildAtende(b)
			for i := 0; i < b.N; i++ {
				data := filepath.Join(dir, fmt.Sprintf("data%d", i))
				m := runMeasured(b, bin, "import", "--data", data, "--max-message-size", "100MB", "--company", "acme", "--channel", "c", "--create", mbox)
				b.ReportMetric(m.peakMB, "peak-RSS-MB")
			}
		})
	}
}
