// Package blob stores raw mail and attachments by content: the key of a
// blob is "sha256/<hex>" of its bytes, so storing the same bytes twice
// costs one file and re-delivery is naturally idempotent.
//
// FS keeps blobs as files under a directory. Put streams (memory does not
// grow with blob size), writes to a temporary file, fsyncs it, renames it
// into place and fsyncs the directory: when Put returns, the blob survives
// a crash or power loss. Package blob/s3blob implements the same Store on
// S3-compatible object storage, so several nodes share one set of blobs.
package blob

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound: no blob with that key.
var ErrNotFound = errors.New("blob: not found")

// ErrTooLarge: the content exceeded the size limit given to Put.
var ErrTooLarge = errors.New("blob: too large")

// Store is what the rest of Atende needs from blob storage.
type Store interface {
	// Put stores r's bytes (at most max bytes when max > 0) and returns
	// the key and size. Durable when it returns nil.
	Put(ctx context.Context, r io.Reader, max int64) (key string, size int64, err error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	Exists(ctx context.Context, key string) (bool, error)
}

// FS is a filesystem blob store rooted at Dir.
type FS struct {
	dir string
	// NoSync skips fsync (benchmarks of the rest of the pipeline only).
	NoSync bool
}

var _ Store = (*FS)(nil)

// NewFS creates the directory layout under dir.
func NewFS(dir string) (*FS, error) {
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), filepath.Join(dir, "sha256")} {
		// Mail is private: only the server's user reads the blob tree
		// (files are made by os.CreateTemp, mode 0600).
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob: create %s: %w", d, err)
		}
	}
	// Leftovers of a crash mid-Put are garbage: nothing references them.
	// Only old ones: another process on the same directory (the server,
	// while `atende backup`, `import` or `gc-blobs` runs) may be writing
	// the young ones right now.
	if ents, err := os.ReadDir(filepath.Join(dir, "tmp")); err == nil {
		old := time.Now().Add(-time.Hour) // file times are the wall clock's
		for _, e := range ents {
			if fi, err := e.Info(); err == nil && fi.ModTime().Before(old) {
				_ = os.Remove(filepath.Join(dir, "tmp", e.Name()))
			}
		}
	}
	return &FS{dir: dir}, nil
}

// path maps a key to its file, rejecting anything that is not a
// well-formed key (no path traversal through keys).
func (s *FS) path(key string) (string, error) {
	hexsum, ok := strings.CutPrefix(key, "sha256/")
	if !ok || len(hexsum) != 64 {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	if _, err := hex.DecodeString(hexsum); err != nil || strings.ToLower(hexsum) != hexsum {
		return "", fmt.Errorf("blob: invalid key %q", key)
	}
	return filepath.Join(s.dir, "sha256", hexsum[:2], hexsum[2:4], hexsum), nil
}

// ctxReader stops a long copy when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put streams r into the store.
func (s *FS) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return "", 0, fmt.Errorf("blob: create temp file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	src := io.Reader(ctxReader{ctx, r})
	if max > 0 {
		src = io.LimitReader(src, max+1)
	}
	// Buffered: a source that yields a line per Read (an mbox being split,
	// an SMTP DATA stream) must not cost a write syscall per line.
	bw := bufio.NewWriterSize(tmp, 64<<10)
	n, err := io.Copy(io.MultiWriter(bw, h), src)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: write: %w", err)
	}
	if max > 0 && n > max {
		return "", 0, fmt.Errorf("blob: %w: more than %d bytes", ErrTooLarge, max)
	}
	if !s.NoSync {
		if err := tmp.Sync(); err != nil {
			return "", 0, fmt.Errorf("blob: sync: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("blob: close: %w", err)
	}
	key := "sha256/" + hex.EncodeToString(h.Sum(nil))
	dst, _ := s.path(key)
	if _, err := os.Stat(dst); err == nil {
		os.Remove(tmp.Name()) // same content already stored
		// Fresh again: garbage collection spares blobs touched within
		// its grace period, and a row about to reference this one may
		// not be committed yet (gc.go).
		now := time.Now()
		_ = os.Chtimes(dst, now, now)
		done = true
		return key, n, nil
	}
	created, err := s.mkdirs(filepath.Dir(dst))
	if err != nil {
		return "", 0, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, fmt.Errorf("blob: rename into place: %w", err)
	}
	done = true
	if !s.NoSync {
		// The new name, and any shard directory created for it, must
		// survive a crash: fsync each parent whose entries changed.
		dirs := append([]string{filepath.Dir(dst)}, created...)
		for _, d := range dirs {
			if err := syncDir(d); err != nil {
				return "", 0, err
			}
		}
	}
	return key, n, nil
}

// mkdirs creates the shard directories of dir (sha256/ab/cd) and returns
// the parents whose entries changed, so Put can fsync them.
func (s *FS) mkdirs(dir string) ([]string, error) {
	var changed []string
	for _, d := range []string{filepath.Dir(dir), dir} {
		err := os.Mkdir(d, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("blob: mkdir: %w", err)
		}
		changed = append(changed, filepath.Dir(d))
	}
	return changed, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: sync dir: %w", err)
	}
	return nil
}

// Open returns a reader for the blob; the caller closes it.
func (s *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob: open %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, nil
}

// Exists reports whether the blob is stored.
func (s *FS) Exists(ctx context.Context, key string) (bool, error) {
	p, err := s.path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return true, nil
}
