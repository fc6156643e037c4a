package health

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// DiskSpace reports whether the file system holding Path has at least Min
// bytes free. Answers are cached for a second: SMTP asks on every MAIL.
type DiskSpace struct {
	Path string
	Min  int64
	// Free, optional, replaces the statfs call (tests).
	Free func(path string) (int64, error)

	mu      sync.Mutex
	checked time.Time
	free    int64
	err     error
}

// FreeBytes is the space available to an unprivileged writer.
func FreeBytes(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}

// Wall clock: a one-second cache of a measurement; nothing stored depends on it.
func (d *DiskSpace) measure() (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now := time.Now(); now.Sub(d.checked) >= time.Second || d.checked.IsZero() {
		f := d.Free
		if f == nil {
			f = FreeBytes
		}
		d.free, d.err = f(d.Path)
		d.checked = now
	}
	return d.free, d.err
}

// LowSpace reports free space below Min (false when it cannot be measured:
// the write itself will tell).
func (d *DiskSpace) LowSpace() bool {
	if d == nil || d.Min <= 0 {
		return false
	}
	free, err := d.measure()
	return err == nil && free < d.Min
}

// Check is the readiness check: an error below Min.
func (d *DiskSpace) Check(context.Context) error {
	free, err := d.measure()
	if err != nil {
		return err
	}
	if free < d.Min {
		return fmt.Errorf("%s free under the data directory, below the minimum %s", human(free), human(d.Min))
	}
	return nil
}

func human(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%d KB", n>>10)
	}
}
