package blob

import (
	"fmt"
	"os"
	"time"
)

// ModTime is when key's file was last written (or re-put).
func (s *FS) ModTime(key string) (time.Time, error) {
	p, err := s.path(key)
	if err != nil {
		return time.Time{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return time.Time{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return fi.ModTime(), nil
}

// RemoveIfOlder deletes key's file when it was last written before t (a
// Put of the same content since makes it young again); it reports whether
// it removed the file.
func (s *FS) RemoveIfOlder(key string, t time.Time) (bool, error) {
	mt, err := s.ModTime(key)
	if err != nil {
		return false, err
	}
	if !mt.Before(t) {
		return false, nil
	}
	p, _ := s.path(key)
	if err := os.Remove(p); err != nil {
		return false, fmt.Errorf("blob: remove %s: %w", key, err)
	}
	return true, nil
}

// Dir is the store's root directory.
func (s *FS) Dir() string { return s.dir }
