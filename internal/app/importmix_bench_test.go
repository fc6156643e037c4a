package app

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

// BenchmarkImportMix runs `atende import` (SQLite; the atende binary,
// built for it, as a child process) of an mbox of b.N messages of the
// realistic mix (internal/testutil/mailmix); -benchtime 10000x is the
// issue's 10,000-message import. It reports
// messages per second from start to every message stored as a ticket
// message, and the child's peak RSS.
func BenchmarkImportMix(b *testing.B) {
	if b.N == 1 {
		return // the probe run; use -benchtime Nx (e.g. 10000x)
	}
	dir := b.TempDir()
	mbox := filepath.Join(dir, "mix.mbox")
	f, err := os.Create(mbox)
	if err != nil {
		b.Fatal(err)
	}
	if err := mailmix.WriteMbox(f, b.N); err != nil {
		b.Fatal(err)
	}
	f.Close()
	data := filepath.Join(dir, "data")
	bin := buildAtende(b)
	b.ResetTimer()
	start := time.Now()
	run := runMeasured(b, bin, "import", "--data", data, "--max-message-size", "100MB", "--company", "acme", "--channel", "c", "--create", mbox)
	el := time.Since(start).Seconds()
	b.StopTimer()
	m := regexp.MustCompile(`: (\d+) imported, (\d+) duplicates, (\d+) failed`).FindStringSubmatch(run.out)
	if m == nil {
		b.Fatalf("no summary in %q", run.out)
	}
	if n, _ := strconv.Atoi(m[1]); n != b.N || m[3] != "0" {
		b.Fatalf("summary %q, want %d imported, 0 failed", m[0], b.N)
	}
	b.ReportMetric(float64(b.N)/el, "msgs/s")
	b.ReportMetric(run.peakMB, "peak-RSS-MB")
	b.ReportMetric(run.cpuMS/float64(b.N), "cpu-ms/msg")
}
