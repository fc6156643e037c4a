package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

// BenchmarkImportMix runs `atende import` (SQLite, a child process) of an
// mbox of b.N messages of the realistic mix (internal/testutil/mailmix);
// -benchtime 10000x is the 10,000-message import. It reports
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
	args := strings.Join([]string{"import", "--data", data, "--max-message-size", "100MB", "--company", "acme", "--channel", "c", "--create", mbox}, "\x1f")
	cmd := exec.Command(os.Args[0], "-test.run=^TestImportChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "ATENDE_IMPORT_CHILD="+args, "ATENDE_IMPORT_CHILD_OUT=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	b.ResetTimer()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%v\n%s", err, out.String())
	}
	el := time.Since(start).Seconds()
	b.StopTimer()
	m := regexp.MustCompile(`: (\d+) imported, (\d+) duplicates, (\d+) failed`).FindStringSubmatch(out.String())
	if m == nil {
		b.Fatalf("no summary in %q", out.String())
	}
	if n, _ := strconv.Atoi(m[1]); n != b.N || m[3] != "0" {
		b.Fatalf("summary %q, want %d imported, 0 failed", m[0], b.N)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	b.ReportMetric(float64(b.N)/el, "msgs/s")
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(ru.Utime.Nano()+ru.Stime.Nano())/1e6/float64(b.N), "cpu-ms/msg")
}
