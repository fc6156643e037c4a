package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// KeyOfSum is the content key of bytes whose SHA-256 is sum.
func KeyOfSum(sum []byte) string { return "sha256/" + hex.EncodeToString(sum) }

// KeyOf is the content key of data (what Put of the same bytes returns).
func KeyOf(data []byte) string {
	sum := sha256.Sum256(data)
	return KeyOfSum(sum[:])
}

// CheckKey reports whether key is a well-formed content key
// ("sha256/<64 lowercase hex digits>"); every Store refuses other keys.
func CheckKey(key string) error {
	hexsum, ok := strings.CutPrefix(key, "sha256/")
	if !ok || len(hexsum) != 64 || strings.ToLower(hexsum) != hexsum {
		return fmt.Errorf("blob: invalid key %q", key)
	}
	if _, err := hex.DecodeString(hexsum); err != nil {
		return fmt.Errorf("blob: invalid key %q", key)
	}
	return nil
}

// Walker lists every blob of a store (atende admin migrate-blobs).
type Walker interface {
	Walk(ctx context.Context, fn func(key string, size int64) error) error
}

var _ Walker = (*FS)(nil)

// Walk calls fn for every stored blob, in key order; an error from fn
// stops the walk and is returned. It is List without the times.
func (s *FS) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	return s.List(ctx, func(key string, size int64, _ time.Time) error { return fn(key, size) })
}
