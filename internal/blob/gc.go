package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Collectable is a blob store garbage collection can sweep (backup.GC):
// FS and s3blob.Store.
type Collectable interface {
	// List calls fn for every stored blob with its size and the time it
	// was last written (or re-put), streaming: a store keeps at most one
	// page of its listing in memory. An error from fn stops the listing.
	List(ctx context.Context, fn func(key string, size int64, modified time.Time) error) error
	// RemoveIfOlder deletes key when it was last written before t, as
	// the store sees it now (a Put of the same content since makes it
	// young again); it reports whether it removed the blob. A blob
	// already gone is not an error.
	RemoveIfOlder(ctx context.Context, key string, t time.Time) (bool, error)
}

var _ Collectable = (*FS)(nil)

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

// List calls fn for every stored blob, in key order, with its file's
// modification time.
func (s *FS) List(ctx context.Context, fn func(key string, size int64, modified time.Time) error) error {
	root := filepath.Join(s.dir, "sha256")
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("blob: list %s: %w", p, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		key := "sha256/" + d.Name()
		if CheckKey(key) != nil {
			return nil // not ours
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed since the directory was read
		}
		if err != nil {
			return fmt.Errorf("blob: list %s: %w", p, err)
		}
		return fn(key, info.Size(), info.ModTime())
	})
}

// RemoveIfOlder deletes key's file when it was last written before t (a
// Put of the same content since makes it young again); it reports whether
// it removed the file.
func (s *FS) RemoveIfOlder(ctx context.Context, key string, t time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	mt, err := s.ModTime(key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !mt.Before(t) {
		return false, nil
	}
	p, _ := s.path(key)
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("blob: remove %s: %w", key, err)
	}
	return true, nil
}

// Dir is the store's root directory.
func (s *FS) Dir() string { return s.dir }
