package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestOneLinePerCausePlusCount(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	log := slog.New(New(slog.NewTextHandler(&buf, nil), 10*time.Second, func() time.Time { return now }))
	// 3,000 failures in 30 s, as with the database stopped.
	for i := 0; i < 3000; i++ {
		log.With("component", "smtpin").Error("smtpin: storing message failed; answering 451", "i", i)
		log.Warn("readiness check failed", "check", "database")
		if i%100 == 99 {
			now = now.Add(time.Second)
		}
		log.Info("smtpin: accepted", "i", i) // single events pass
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var errs, warns, infos int
	for _, l := range lines {
		switch {
		case strings.Contains(l, "level=ERROR"):
			errs++
		case strings.Contains(l, "level=WARN"):
			warns++
		case strings.Contains(l, "level=INFO"):
			infos++
		}
	}
	if errs != 3 || warns != 3 || infos != 3000 {
		t.Fatalf("errors %d warnings %d infos %d; want 3, 3, 3000", errs, warns, infos)
	}
	// Another channel's failure is another cause.
	buf.Reset()
	log.Warn("imapsync: session ended", "channel", 1)
	log.Warn("imapsync: session ended", "channel", 2)
	log.Warn("imapsync: session ended", "channel", 1)
	if n := strings.Count(buf.String(), "session ended"); n != 2 {
		t.Fatalf("%d lines for two channels' failures, want 2", n)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "suppressed=999") {
		t.Fatalf("no count of the lines left out:\n%s", strings.Join(lines[:5], "\n"))
	}
}
