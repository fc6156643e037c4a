// Package testclock gives tests their fake clock, at a date that does not
// depend on the day the test runs.
//
// Every fake clock in the test suite starts from Start(), 2026-11-21 09:00
// UTC (a Saturday), moved by ATENDE_TEST_CLOCK_SHIFT when that is set:
// a Go duration ("-43800h") or whole years ("10y", "-5y"). scripts/test.sh
// runs the time-sensitive packages once more ten years forward and five
// years back, so a test that mixes its fake clock with the wall clock
// anywhere fails there.
package testclock

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
)

// EnvShift names the environment variable that moves every fake clock.
const EnvShift = "ATENDE_TEST_CLOCK_SHIFT"

// base is the unshifted start of every fake clock.
var base = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

// Start is where fake clocks start: base moved by ATENDE_TEST_CLOCK_SHIFT.
// It panics on a malformed shift, which is a broken test set-up.
func Start() time.Time {
	t, err := shifted(os.Getenv(EnvShift))
	if err != nil {
		panic(err)
	}
	return t
}

// New returns a fake clock standing at Start().
func New(tb testing.TB) *clock.Fake {
	tb.Helper()
	t, err := shifted(os.Getenv(EnvShift))
	if err != nil {
		tb.Fatal(err)
	}
	return clock.NewFake(t)
}

// At returns a fake clock at Start() moved by d: for a test that needs a
// particular time of day, say, without naming a date.
func At(tb testing.TB, d time.Duration) *clock.Fake {
	tb.Helper()
	c := New(tb)
	c.Advance(d)
	return c
}

func shifted(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return base, nil
	}
	if y, ok := strings.CutSuffix(s, "y"); ok {
		n, err := strconv.Atoi(y)
		if err != nil {
			return time.Time{}, fmt.Errorf("testclock: %s=%q: want a Go duration or whole years like 10y", EnvShift, s)
		}
		return base.AddDate(n, 0, 0), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("testclock: %s=%q: want a Go duration or whole years like 10y", EnvShift, s)
	}
	return base.Add(d), nil
}
