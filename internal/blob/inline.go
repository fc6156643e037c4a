package blob

import (
	"bytes"
	"context"
	"io"
)

// Inline is the blob store the rest of Atende reads through when ingest
// keeps small raw messages in the database (store.InboundQueue's inline
// blobs) instead of as blobs: Open and Exists look there first, then in
// Files (the filesystem or S3 store); Put writes to Files. The keys are
// the same content addresses either way, so a message's raw_key finds its
// bytes wherever they are.
type Inline struct {
	Files Store
	// Get returns the bytes kept in the database under key; ok is false
	// when there are none (the blob is in Files, or nowhere).
	Get func(ctx context.Context, key string) (data []byte, ok bool, err error)
}

var _ Store = (*Inline)(nil)

// Put stores r in Files.
func (s *Inline) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	return s.Files.Put(ctx, r, max)
}

// Open reads key from the database, else from Files.
func (s *Inline) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err == nil {
		b, ok, err := s.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		if ok {
			return io.NopCloser(bytes.NewReader(b)), nil
		}
	}
	return s.Files.Open(ctx, key)
}

// Exists reports whether key is in the database or in Files.
func (s *Inline) Exists(ctx context.Context, key string) (bool, error) {
	if err := CheckKey(key); err == nil {
		_, ok, err := s.Get(ctx, key)
		if err != nil || ok {
			return ok, err
		}
	}
	return s.Files.Exists(ctx, key)
}
