package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// TestInline: Open and Exists find a blob in the database first, then in
// the files; Put goes to the files; a database error is the caller's
// error, not "not found"; keys that are not content addresses never reach
// the database.
func TestInline(t *testing.T) {
	ctx := context.Background()
	fs, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	small := []byte("From: a@b\r\n\r\npequena")
	sum := sha256.Sum256(small)
	smallKey := "sha256/" + hex.EncodeToString(sum[:])
	dbDown := errors.New("database down")
	var asked []string
	failing := false
	s := &Inline{Files: fs, Get: func(ctx context.Context, key string) ([]byte, bool, error) {
		asked = append(asked, key)
		if failing {
			return nil, false, dbDown
		}
		if key == smallKey {
			return small, true, nil
		}
		return nil, false, nil
	}}
	big := bytes.Repeat([]byte("grande "), 20000)
	bigKey, n, err := s.Put(ctx, bytes.NewReader(big), 0)
	if err != nil || n != int64(len(big)) {
		t.Fatalf("put: %v", err)
	}
	if ok, _ := fs.Exists(ctx, bigKey); !ok {
		t.Fatal("Put did not write to the files")
	}
	read := func(key string) []byte {
		t.Helper()
		rc, err := s.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(read(smallKey), small) || !bytes.Equal(read(bigKey), big) {
		t.Fatal("content differs")
	}
	for _, k := range []string{smallKey, bigKey} {
		if ok, err := s.Exists(ctx, k); !ok || err != nil {
			t.Fatalf("exists %s: %v %v", k, ok, err)
		}
	}
	absent := "sha256/" + hex.EncodeToString(make([]byte, 32))
	if _, err := s.Open(ctx, absent); !errors.Is(err, ErrNotFound) {
		t.Fatalf("absent blob: %v, want ErrNotFound", err)
	}
	if ok, err := s.Exists(ctx, absent); ok || err != nil {
		t.Fatalf("absent exists: %v %v", ok, err)
	}
	// A database error is not "missing" (which would make the worker
	// write the message off as unavailable).
	failing = true
	if _, err := s.Open(ctx, smallKey); !errors.Is(err, dbDown) || errors.Is(err, ErrNotFound) {
		t.Fatalf("open while the database is down: %v", err)
	}
	if _, err := s.Exists(ctx, smallKey); !errors.Is(err, dbDown) {
		t.Fatalf("exists while the database is down: %v", err)
	}
	failing = false
	asked = nil
	if _, err := s.Open(ctx, "../../etc/passwd"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("malformed key: %v", err)
	}
	if len(asked) != 0 {
		t.Fatalf("malformed key reached the database: %q", asked)
	}
}
