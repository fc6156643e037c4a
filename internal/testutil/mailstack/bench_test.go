package mailstack

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStartStop measures a full stack's Start and Stop; run with -benchtime=10x.
func BenchmarkStartStop(b *testing.B) {
	Require(b)
	var start, stop time.Duration
	for b.Loop() {
		t0 := time.Now()
		s, err := Start(context.Background(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := s.Stop(); err != nil {
			b.Fatal(err)
		}
		start += t1.Sub(t0)
		stop += time.Since(t1)
	}
	b.ReportMetric(float64(start.Milliseconds())/float64(b.N), "start-ms/op")
	b.ReportMetric(float64(stop.Milliseconds())/float64(b.N), "stop-ms/op")
}

// BenchmarkRestartDovecot measures RestartDovecot on a running stack.
func BenchmarkRestartDovecot(b *testing.B) {
	Require(b)
	s, err := Start(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	for b.Loop() {
		if err := s.RestartDovecot(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
