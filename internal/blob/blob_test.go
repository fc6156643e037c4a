package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPutOpenDedupe(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("From: a@b\r\n\r\nhello")
	k1, n, err := s.Put(ctx, bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if k1 != "sha256/"+hex.EncodeToString(sum[:]) || n != int64(len(data)) {
		t.Fatalf("key %s size %d", k1, n)
	}
	k2, _, err := s.Put(ctx, bytes.NewReader(data), 0)
	if err != nil || k2 != k1 {
		t.Fatalf("second put: %s %v", k2, err)
	}
	rc, err := s.Open(ctx, k1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("got %q", got)
	}
	ok, err := s.Exists(ctx, k1)
	if err != nil || !ok {
		t.Fatalf("exists = %v %v", ok, err)
	}
	tmp, _ := os.ReadDir(filepath.Join(s.dir, "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("temp files left: %d", len(tmp))
	}
}

func TestLimitAndErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := NewFS(t.TempDir())
	_, _, err := s.Put(ctx, bytes.NewReader(make([]byte, 101)), 100)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if _, _, err := s.Put(ctx, bytes.NewReader(make([]byte, 100)), 100); err != nil {
		t.Fatalf("exactly at the limit: %v", err)
	}
	_, err = s.Open(ctx, "sha256/"+hex.EncodeToString(make([]byte, 32)))
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	for _, bad := range []string{"../../etc/passwd", "sha256/../../x", "sha256/ABCD", "md5/00"} {
		if _, err := s.Open(ctx, bad); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("key %q: err = %v, want invalid key", bad, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := s.Put(cctx, bytes.NewReader([]byte("x")), 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled put: %v", err)
	}
}

func TestStreamsLargeBlobWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	s, _ := NewFS(t.TempDir())
	// 64 MiB from a generator: never held in memory.
	r := io.LimitReader(zeroReader{}, 64<<20)
	allocs := testing.AllocsPerRun(1, func() {
		if _, _, err := s.Put(ctx, r, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 200 {
		t.Fatalf("allocs per 64 MiB put = %v", allocs)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func BenchmarkPut20KB(b *testing.B) { benchPut20KB(b, false) }

// benchPut20KB puts distinct 20 KB blobs, with named temporary files when
// named is set.
func benchPut20KB(b *testing.B, named bool) {
	ctx := context.Background()
	s, _ := NewFS(b.TempDir())
	s.noTmpfile.Store(named)
	buf := make([]byte, 20<<10)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		buf[0], buf[1], buf[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, _, err := s.Put(ctx, bytes.NewReader(buf), 0); err != nil {
			b.Fatal(err)
		}
	}
}
