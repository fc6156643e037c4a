package blob

import (
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

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
// stops the walk and is returned.
func (s *FS) Walk(ctx context.Context, fn func(key string, size int64) error) error {
	root := filepath.Join(s.dir, "sha256")
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("blob: walk %s: %w", p, err)
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
		if err != nil {
			return fmt.Errorf("blob: walk %s: %w", p, err)
		}
		return fn(key, info.Size())
	})
}
