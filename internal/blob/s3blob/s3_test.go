package s3blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

var ctx = context.Background()

func newStore(t *testing.T) (*s3blob.Store, *s3test.Server) {
	srv := s3test.Start(t)
	c := srv.Config()
	c.PartSize = 5 << 20
	st, err := s3blob.New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(ctx); err != nil {
		t.Fatal(err)
	}
	return st, srv
}

func keyOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256/" + hex.EncodeToString(s[:])
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func readAll(t *testing.T, st blob.Store, key string) []byte {
	t.Helper()
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestS3Store: small and large blobs (one part, exact multiples of the
// part size, several parts) round-trip under their content key, storing
// the same bytes twice is one object, limits and missing keys answer the
// blob package's errors, and no temporary object is left behind.
func TestS3Store(t *testing.T) {
	st, srv := newStore(t)
	part := 5 << 20
	sizes := []int{1, 4096, part - 1, part, part + 1, 2 * part, 2*part + 12345}
	for i, n := range sizes {
		data := randomBytes(n, uint64(i+1))
		key, size, err := st.Put(ctx, bytes.NewReader(data), 0)
		if err != nil {
			t.Fatalf("put %d bytes: %v", n, err)
		}
		if key != keyOf(data) || size != int64(n) {
			t.Fatalf("put %d bytes: key %s size %d", n, key, size)
		}
		if got := readAll(t, st, key); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d different bytes", n, len(got))
		}
		ok, err := st.Exists(ctx, key)
		if err != nil || !ok {
			t.Fatalf("exists %s = %v, %v", key, ok, err)
		}
		// Again: same key, still one object.
		key2, _, err := st.Put(ctx, bytes.NewReader(data), int64(n))
		if err != nil || key2 != key {
			t.Fatalf("second put: %s, %v", key2, err)
		}
	}
	// Limits: below and above one part.
	for _, n := range []int{100, part + 100} {
		_, _, err := st.Put(ctx, bytes.NewReader(randomBytes(n, 99)), int64(n-1))
		if !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("put %d bytes with max %d: %v", n, n-1, err)
		}
	}
	missing := keyOf([]byte("never stored"))
	if _, err := st.Open(ctx, missing); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	if ok, err := st.Exists(ctx, missing); ok || err != nil {
		t.Fatalf("exists missing: %v %v", ok, err)
	}
	for _, bad := range []string{"../../etc/passwd", "sha256/" + strings.Repeat("A", 64), "sha256/abc"} {
		if _, err := st.Open(ctx, bad); err == nil || errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("open %q: %v", bad, err)
		}
	}
	// Walk lists exactly the distinct blobs stored, none of the temporaries.
	var walked []string
	if err := st.Walk(ctx, func(key string, size int64) error { walked = append(walked, key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(walked) != len(sizes) {
		t.Fatalf("walk found %d blobs, want %d: %v", len(walked), len(sizes), walked)
	}
	if ents, _ := os.ReadDir(filepath.Join(srv.Dir, srv.Bucket, "tmp")); len(ents) != 0 {
		t.Fatalf("%d temporary objects left", len(ents))
	}
}

// TestS3Concurrent: many nodes' worth of concurrent puts of the same and
// different content all succeed and read back.
func TestS3Concurrent(t *testing.T) {
	st, _ := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := randomBytes(20000+i%4, uint64(i%4)) // four distinct contents, ten puts each
			key, _, err := st.Put(ctx, bytes.NewReader(data), 0)
			if err == nil && key != keyOf(data) {
				err = errors.New("wrong key " + key)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestS3Streams: a 48 MiB blob goes up with memory bounded by a few
// parts, never the whole blob.
func TestS3Streams(t *testing.T) {
	st, _ := newStore(t)
	const total = 48 << 20
	src := io.LimitReader(&pattern{}, total)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := uint64(0)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			default:
			}
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			runtime.Gosched()
		}
	}()
	key, size, err := st.Put(ctx, src, 0)
	close(stop)
	<-done
	runtime.ReadMemStats(&after)
	if err != nil || size != total {
		t.Fatalf("put: %v, size %d", err, size)
	}
	if grew := int64(peak) - int64(before.HeapInuse); grew > 30<<20 {
		t.Fatalf("heap grew by %d MiB during a %d MiB upload", grew>>20, total>>20)
	}
	h := sha256.New()
	rc, err := st.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || n != total || "sha256/"+hex.EncodeToString(h.Sum(nil)) != key {
		t.Fatalf("read back %d bytes, %v", n, err)
	}
}

// pattern is an endless, cheap, non-repeating-per-part byte source.
type pattern struct{ n uint64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		p.n++
		b[i] = byte(p.n*2654435761>>13) ^ byte(p.n>>20)
	}
	return len(b), nil
}

func TestParseURL(t *testing.T) {
	c, err := s3blob.ParseURL("s3://mail/atende/prod?endpoint=https://s3.example.com&region=sa-east-1")
	if err != nil || c.Bucket != "mail" || c.Prefix != "atende/prod/" || c.Region != "sa-east-1" || !c.PathStyle || c.Endpoint != "https://s3.example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := s3blob.ParseURL("s3://mail"); err != nil || c.Region != "us-east-1" || c.PathStyle || c.Endpoint != "" {
		t.Fatalf("AWS default: %+v %v", c, err)
	}
	if _, err := s3blob.ParseURL("s3://mail?endpoint=http://127.0.0.1:9000"); err != nil {
		t.Fatalf("loopback http refused: %v", err)
	}
	for _, bad := range []string{
		"s3://mail?endpoint=http://s3.example.com", // plain http to another machine
		"s3://mail?endpoint=ftp://s3.example.com",  // not http(s)
		"s3://?endpoint=https://s3.example.com",    // no bucket
		"https://mail",                             // not s3://
		"s3://mail?endpoint=https://x&secret=abc",  // unknown parameter (no secrets in URLs)
		"s3://mail?endpoint=https://x&path_style=maybe",
	} {
		if _, err := s3blob.ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := s3blob.ParseURL("s3://mail?endpoint=http://10.1.2.3:9000&allow_http=1"); err != nil {
		t.Fatalf("explicit allow_http refused: %v", err)
	}
}
