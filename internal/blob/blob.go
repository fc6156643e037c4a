// Package blob stores raw mail and attachments by content: the key of a
// blob is "sha256/<hex>" of its bytes, so storing the same bytes twice
// costs one file and re-delivery is naturally idempotent.
//
// FS keeps blobs as files under a directory. Put streams (memory does not
// grow with blob size), writes to a temporary file, fsyncs it, links or
// renames it into place and fsyncs the directory: when Put returns, the
// blob survives a crash or power loss. Package blob/s3blob implements the same Store on
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
	"sync"
	"sync/atomic"
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
	shards shards
	// noTmpfile is set once the filesystem refused O_TMPFILE: Put then
	// writes a named temporary file under tmp/ and renames it.
	noTmpfile atomic.Bool
	// trace, set by tests, sees every fsync and every name made, in order
	// ("sync-file"/"sync-dir"/"name", path).
	trace func(op, path string)
}

var _ Store = (*FS)(nil)

// NewFS creates the directory layout under dir: tmp/, sha256/ and the 256
// first-level shard directories sha256/00 … sha256/ff, made durable once
// here so that no Put has to create or sync them.
func NewFS(dir string) (*FS, error) {
	root := filepath.Join(dir, "sha256")
	for _, d := range []string{dir, filepath.Join(dir, "tmp"), root} {
		// Mail is private: only the server's user reads the blob tree
		// (files are made by os.CreateTemp or O_TMPFILE, mode 0600).
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("blob: create %s: %w", d, err)
		}
	}
	for i := 0; i < 256; i++ {
		d := filepath.Join(root, fmt.Sprintf("%02x", i))
		if err := os.Mkdir(d, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("blob: create %s: %w", d, err)
		}
	}
	// Whatever exists now (made here, by an earlier run, or by another
	// process on the same tree) is durable once its parents are synced.
	for _, d := range []string{root, dir} {
		if err := syncDir(d); err != nil {
			return nil, err
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
//
// The bytes go to an anonymous file (O_TMPFILE in tmp/, or a named
// temporary file there where the filesystem lacks it), hashed on the way;
// the file is fsynced and then linked (renamed) to its content name, and
// the shard directory that got the new name is fsynced. When Put returns
// nil the name and the bytes survive a crash. The second-level shard
// directory (sha256/ab/cd) is made and its parent synced the first time
// this process uses it, concurrently with the file's fsync; afterwards it
// is known durable (shards) and costs nothing. So a Put waits for two
// fsyncs in a row at most (the file, then its directory), not three.
func (s *FS) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	tmp, named, err := s.createTemp()
	if err != nil {
		return "", 0, fmt.Errorf("blob: create temp file: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			if named {
				os.Remove(tmp.Name())
			}
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
	sum := h.Sum(nil)
	key := KeyOfSum(sum)
	dst, _ := s.path(key)
	leaf := filepath.Dir(dst)
	if s.exists(dst) {
		// Same content already stored. Its name may come from a Put
		// still running (in this process or another) that has not synced
		// the directory yet: sync it before saying the blob is durable.
		done = true
		tmp.Close()
		if named {
			os.Remove(tmp.Name())
		}
		// Fresh again: garbage collection spares blobs touched within
		// its grace period, and a row about to reference this one may
		// not be committed yet (gc.go).
		now := time.Now()
		_ = os.Chtimes(dst, now, now)
		if !s.NoSync {
			if err := s.syncDir(leaf); err != nil {
				return "", 0, err
			}
		}
		return key, n, nil
	}
	// The shard directory is made (and its creation synced) while the
	// file's bytes are synced.
	shard := int(sum[0])<<8 | int(sum[1])
	var shardErr chan error
	if !s.shards.known(shard) {
		shardErr = make(chan error, 1)
		go func() { shardErr <- s.shards.ensure(leaf, shard, s.dirSyncer()) }()
	}
	if !s.NoSync {
		if err = tmp.Sync(); err == nil && s.trace != nil {
			s.trace("sync-file", dst)
		}
	}
	if shardErr != nil {
		if err2 := <-shardErr; err == nil {
			err = err2
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("blob: sync: %w", err)
	}
	if named {
		if err := tmp.Close(); err != nil {
			return "", 0, fmt.Errorf("blob: close: %w", err)
		}
	}
	dup, err := s.place(tmp, named, dst)
	if errors.Is(err, fs.ErrNotExist) {
		// The shard directory went away under us (removed by hand):
		// make it again.
		s.shards.forget(shard)
		if err = s.shards.ensure(leaf, shard, s.dirSyncer()); err == nil {
			dup, err = s.place(tmp, named, dst)
		}
	}
	if err != nil {
		return "", 0, err
	}
	done = true
	if s.trace != nil {
		s.trace("name", dst)
	}
	if dup {
		now := time.Now()
		_ = os.Chtimes(dst, now, now)
	}
	if !s.NoSync {
		if err := s.syncDir(leaf); err != nil {
			return "", 0, err
		}
	}
	return key, n, nil
}

func (s *FS) exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// createTemp opens the file Put writes: an anonymous O_TMPFILE file when
// the filesystem has them (no directory entry to make and remove, nothing
// left behind by a crash), else a named one in tmp/ (named is true).
func (s *FS) createTemp() (f *os.File, named bool, err error) {
	tmpDir := filepath.Join(s.dir, "tmp")
	if !s.noTmpfile.Load() {
		f, err := openAnon(tmpDir)
		if err == nil {
			return f, false, nil
		}
		if !errors.Is(err, errNoTmpfile) {
			return nil, false, err
		}
		s.noTmpfile.Store(true)
	}
	f, err = os.CreateTemp(tmpDir, "put-*")
	return f, true, err
}

// place gives the synced file its content name dst and closes it (a
// named one is closed already); dup
// says dst already existed (the same content, stored meanwhile).
func (s *FS) place(tmp *os.File, named bool, dst string) (dup bool, err error) {
	if named {
		// Closed by Put. A rename replaces dst if the same content
		// arrived meanwhile: the same bytes.
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return false, fmt.Errorf("blob: rename into place: %w", err)
		}
		return false, nil
	}
	err = linkAnon(tmp, dst) // never replaces an existing name
	if err != nil && errors.Is(err, fs.ErrExist) {
		tmp.Close()
		return true, nil
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, err2 := os.Stat(filepath.Dir(dst)); err2 != nil {
				return false, fmt.Errorf("blob: link into place: %w", fs.ErrNotExist)
			}
		}
		return false, fmt.Errorf("blob: link into place: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("blob: close: %w", err)
	}
	return false, nil
}

// shards remembers which second-level shard directories (sha256/ab/cd,
// 65,536 of them, one bit each) this process knows exist durably: it
// made them, or found them and synced their parent. A directory is
// ensured once; concurrent Puts into a new one wait for the same mkdir
// and fsync.
type shards struct {
	mu      sync.Mutex
	durable [1 << 16 / 64]uint64
	pending map[int]*shardWait
}

type shardWait struct {
	done chan struct{}
	err  error
}

func (sh *shards) known(i int) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.durable[i/64]&(1<<(i%64)) != 0
}

func (sh *shards) forget(i int) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.durable[i/64] &^= 1 << (i % 64)
}

// ensure makes dir (shard i) exist and its name durable; sync syncs a
// directory (nil: no fsync).
func (sh *shards) ensure(dir string, i int, sync func(string) error) error {
	sh.mu.Lock()
	if sh.durable[i/64]&(1<<(i%64)) != 0 {
		sh.mu.Unlock()
		return nil
	}
	if w, ok := sh.pending[i]; ok {
		sh.mu.Unlock()
		<-w.done
		return w.err
	}
	w := &shardWait{done: make(chan struct{})}
	if sh.pending == nil {
		sh.pending = map[int]*shardWait{}
	}
	sh.pending[i] = w
	sh.mu.Unlock()

	w.err = os.Mkdir(dir, 0o700)
	if errors.Is(w.err, fs.ErrExist) {
		// Made earlier, perhaps by another process that has not synced
		// its parent yet: sync it anyway, once.
		w.err = nil
	}
	if w.err != nil {
		w.err = fmt.Errorf("blob: mkdir: %w", w.err)
	} else if sync != nil {
		w.err = sync(filepath.Dir(dir))
	}
	sh.mu.Lock()
	delete(sh.pending, i)
	if w.err == nil {
		sh.durable[i/64] |= 1 << (i % 64)
	}
	sh.mu.Unlock()
	close(w.done)
	return w.err
}

// dirSyncer is s.syncDir, or nil with NoSync.
func (s *FS) dirSyncer() func(string) error {
	if s.NoSync {
		return nil
	}
	return s.syncDir
}

func (s *FS) syncDir(dir string) error {
	if err := syncDir(dir); err != nil {
		return err
	}
	if s.trace != nil {
		s.trace("sync-dir", dir)
	}
	return nil
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

// errNoTmpfile: the filesystem (or the OS) has no anonymous files; Put
// uses a named temporary file.
var errNoTmpfile = errors.New("blob: no O_TMPFILE")
