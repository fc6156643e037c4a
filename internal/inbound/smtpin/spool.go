package smtpin

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// spool holds one message's DATA between the end of DATA and the durable
// store. The authentication headers we prepend depend on the DKIM body
// hash, which is known only after the last byte, so the message is read
// twice: up to memLimit bytes stay in memory, larger messages spill to a
// temporary file (never fsynced: the durable copy is ingest's blob).
type spool struct {
	dir      string
	memLimit int
	buf      bytes.Buffer
	f        *os.File
	size     int64
}

func newSpool(dir string, memLimit int) *spool { return &spool{dir: dir, memLimit: memLimit} }

func (s *spool) Write(p []byte) (int, error) {
	s.size += int64(len(p))
	if s.f != nil {
		return s.f.Write(p)
	}
	if s.buf.Len()+len(p) <= s.memLimit {
		return s.buf.Write(p)
	}
	f, err := os.CreateTemp(s.dir, "smtpin-*.eml")
	if err != nil {
		return 0, fmt.Errorf("smtpin: spool: %w", err)
	}
	// Unlink at once: the file lives only as long as the descriptor.
	_ = os.Remove(f.Name())
	s.f = f
	if _, err := f.Write(s.buf.Bytes()); err != nil {
		return 0, fmt.Errorf("smtpin: spool: %w", err)
	}
	s.buf = bytes.Buffer{}
	return f.Write(p)
}

// Size is the number of bytes written.
func (s *spool) Size() int64 { return s.size }

// OnDisk reports whether the message spilled to a file.
func (s *spool) OnDisk() bool { return s.f != nil }

// Reader returns a new reader over the whole content.
func (s *spool) Reader() io.Reader {
	if s.f != nil {
		return io.NewSectionReader(s.f, 0, s.size)
	}
	return bytes.NewReader(s.buf.Bytes())
}

// Close releases the file, if any.
func (s *spool) Close() error {
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		return err
	}
	return nil
}
