package testclock

import (
	"testing"
	"time"
)

func TestShift(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{"", base, false},
		{"10y", time.Date(2036, 11, 21, 9, 0, 0, 0, time.UTC), false},
		{"-5y", time.Date(2021, 11, 21, 9, 0, 0, 0, time.UTC), false},
		{"-48h", base.Add(-48 * time.Hour), false},
		{"soon", time.Time{}, true},
		{"1.5y", time.Time{}, true},
	} {
		got, err := shifted(c.in)
		if (err != nil) != c.bad || (!c.bad && !got.Equal(c.want)) {
			t.Errorf("shifted(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestNewFollowsTheEnvironment(t *testing.T) {
	t.Setenv(EnvShift, "10y")
	if got := New(t).Now(); got.Year() != 2036 {
		t.Fatalf("New with 10y = %v", got)
	}
	if got := At(t, time.Hour).Now(); !got.Equal(time.Date(2036, 11, 21, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("At = %v", got)
	}
}
