package clock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
)

func TestFakeMovesOnlyWhenTold(t *testing.T) {
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f := clock.NewFake(t0)
	if !f.Now().Equal(t0) || !f.Now().Equal(t0) {
		t.Fatalf("Now = %v, want %v", f.Now(), t0)
	}
	if got := f.Advance(90 * time.Second); !got.Equal(t0.Add(90*time.Second)) || !f.Now().Equal(got) {
		t.Fatalf("Advance = %v, Now = %v", got, f.Now())
	}
	f.Set(t0.Add(-time.Hour))
	if !f.Now().Equal(t0.Add(-time.Hour)) {
		t.Fatalf("after Set backwards: %v", f.Now())
	}
}

func TestFakeConcurrent(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				f.Advance(time.Millisecond)
				_ = f.Now()
			}
		}()
	}
	wg.Wait()
	if got, want := f.Now(), time.Unix(0, 0).Add(8*time.Second); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
}

func TestSystemIsTheWallClock(t *testing.T) {
	before := time.Now()
	got := clock.System{}.Now()
	if got.Before(before) || got.Sub(before) > time.Minute {
		t.Fatalf("System.Now = %v, wall clock %v", got, before)
	}
}
