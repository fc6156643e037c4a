package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// tracedFS is a store whose fsyncs and new names are recorded in order.
func tracedFS(t *testing.T, noTmpfile bool) (*FS, func() []string) {
	t.Helper()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.noTmpfile.Store(noTmpfile)
	var mu sync.Mutex
	var ops []string
	s.trace = func(op, p string) {
		rel, _ := filepath.Rel(s.dir, p)
		mu.Lock()
		ops = append(ops, op+" "+rel)
		mu.Unlock()
	}
	return s, func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := ops
		ops = nil
		return out
	}
}

// The crash contract, step by step: the bytes are synced before the blob
// gets its name, the shard directory's own name is synced before Put
// returns (once per process: the second Put into the shard does not
// repeat it), and the directory holding the new name is synced after it.
func TestPutSyncOrder(t *testing.T) {
	for _, named := range []bool{false, true} {
		t.Run(fmt.Sprintf("named=%v", named), func(t *testing.T) {
			ctx := context.Background()
			s, ops := tracedFS(t, named)
			data := []byte("From: a@b\r\n\r\nhello")
			key, _, err := s.Put(ctx, bytes.NewReader(data), 0)
			if err != nil {
				t.Fatal(err)
			}
			hexsum := strings.TrimPrefix(key, "sha256/")
			leaf := filepath.Join("sha256", hexsum[:2], hexsum[2:4])
			file := filepath.Join(leaf, hexsum)
			if !named && s.noTmpfile.Load() {
				t.Skip("this filesystem has no O_TMPFILE")
			}
			got := ops()
			// The shard's parent sync runs concurrently with the file's.
			first := got[:2]
			slices.Sort(first)
			want := []string{"sync-dir " + filepath.Dir(leaf), "sync-file " + file}
			if !slices.Equal(first, want) || !slices.Equal(got[2:], []string{"name " + file, "sync-dir " + leaf}) {
				t.Fatalf("first put: %q", got)
			}
			// Another blob in the same shard: no mkdir, no parent sync.
			var other []byte
			for i := 0; ; i++ {
				other = []byte(fmt.Sprintf("other %d", i))
				if sum := sha256.Sum256(other); hex.EncodeToString(sum[:2]) == hexsum[:4] {
					break
				}
			}
			key2, _, err := s.Put(ctx, bytes.NewReader(other), 0)
			if err != nil {
				t.Fatal(err)
			}
			file2 := filepath.Join(leaf, strings.TrimPrefix(key2, "sha256/"))
			if got := ops(); !slices.Equal(got, []string{"sync-file " + file2, "name " + file2, "sync-dir " + leaf}) {
				t.Fatalf("second put in the shard: %q", got)
			}
			// The same content again: no new file, but the name's
			// directory is synced before Put says it is durable.
			if k, _, err := s.Put(ctx, bytes.NewReader(data), 0); err != nil || k != key {
				t.Fatalf("again: %s %v", k, err)
			}
			if got := ops(); !slices.Equal(got, []string{"sync-dir " + leaf}) {
				t.Fatalf("same content again: %q", got)
			}
			tmp, _ := os.ReadDir(filepath.Join(s.dir, "tmp"))
			if len(tmp) != 0 {
				t.Fatalf("temp files left: %d", len(tmp))
			}
		})
	}
}

// A shard directory removed behind the store's back is made again.
func TestPutShardRemoved(t *testing.T) {
	ctx := context.Background()
	s, _ := tracedFS(t, false)
	key, _, err := s.Put(ctx, strings.NewReader("um"), 0)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.path(key)
	if err := os.RemoveAll(filepath.Dir(p)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, strings.NewReader("um"), 0); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p); err != nil || string(got) != "um" {
		t.Fatalf("after re-put: %q %v", got, err)
	}
}

// Concurrent Puts, many into new shards and some of the same content,
// all get their blob.
func TestPutConcurrent(t *testing.T) {
	for _, named := range []bool{false, true} {
		t.Run(fmt.Sprintf("named=%v", named), func(t *testing.T) {
			ctx := context.Background()
			s, _ := tracedFS(t, named)
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 50; i++ {
						data := []byte(fmt.Sprintf("blob %d", i%30))
						key, _, err := s.Put(ctx, bytes.NewReader(data), 0)
						if err != nil {
							t.Error(err)
							return
						}
						rc, err := s.Open(ctx, key)
						if err != nil {
							t.Error(err)
							return
						}
						got, _ := io.ReadAll(rc)
						rc.Close()
						if !bytes.Equal(got, data) {
							t.Errorf("%s: %q", key, got)
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// TestPutKilled kills a process in the middle of a stream of Puts: every
// key it reported (Put returned) is there with its bytes.
func TestPutKilled(t *testing.T) {
	if dir := os.Getenv("BLOB_CRASH_DIR"); dir != "" {
		s, err := NewFS(dir)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		for i := 0; ; i++ {
			data := bytes.Repeat([]byte(fmt.Sprintf("blob %d ", i)), 1+i%5000)
			key, _, err := s.Put(context.Background(), bytes.NewReader(data), 0)
			if err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
			fmt.Println(key, i)
		}
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestPutKilled$")
	cmd.Env = append(os.Environ(), "BLOB_CRASH_DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 10 {
		t.Fatalf("the child stored only %d blobs: %q", len(lines), out.String())
	}
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		var key string
		var i int
		if _, err := fmt.Sscan(l, &key, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		rc, err := s.Open(context.Background(), key)
		if err != nil {
			t.Fatalf("blob %d: %v", i, err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if want := bytes.Repeat([]byte(fmt.Sprintf("blob %d ", i)), 1+i%5000); !bytes.Equal(got, want) {
			t.Fatalf("blob %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
	t.Logf("%d blobs stored before the kill, all readable", len(lines))
}

// BenchmarkPut20KBNamed is BenchmarkPut20KB with named temporary files
// (filesystems without O_TMPFILE).
func BenchmarkPut20KBNamed(b *testing.B) { benchPut20KB(b, true) }
