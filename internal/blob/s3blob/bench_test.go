package s3blob_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// BenchmarkBlobs compares the filesystem store (fsync on) with the S3
// store against a real S3 server on loopback (versitygw's POSIX backend
// on the same disk), writing distinct content every time (no dedupe
// shortcut) and reading it back. Sizes: a typical message (16 KiB), a
// message with a photo (256 KiB), a big attachment (4 MiB, one part) and
// a very big one (24 MiB, multipart + server-side copy).
func BenchmarkBlobs(b *testing.B) {
	srv := s3test.Start(b)
	s3, err := s3blob.New(context.Background(), srv.Config())
	if err != nil {
		b.Fatal(err)
	}
	fs, err := blob.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{16 << 10, 256 << 10, 4 << 20, 24 << 20} {
		for _, st := range []struct {
			name string
			s    blob.Store
		}{{"fs", fs}, {"s3", s3}} {
			b.Run(fmt.Sprintf("put/%s/%dKiB", st.name, size>>10), func(b *testing.B) {
				data := randomBytes(size, 1)
				b.SetBytes(int64(size))
				for i := 0; b.Loop(); i++ {
					data[0], data[1], data[2], data[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
					if _, _, err := st.s.Put(context.Background(), bytes.NewReader(data), 0); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("get/%s/%dKiB", st.name, size>>10), func(b *testing.B) {
				key, _, err := st.s.Put(context.Background(), bytes.NewReader(randomBytes(size, 2)), 0)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				for b.Loop() {
					rc, err := st.s.Open(context.Background(), key)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(io.Discard, rc); err != nil {
						b.Fatal(err)
					}
					rc.Close()
				}
			})
		}
	}
}
