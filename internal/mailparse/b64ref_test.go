package mailparse

import (
	"encoding/base64"
	"fmt"
	"io"
)

// refB64Reader is the byte-at-a-time decoder b64Reader replaced, kept as the
// reference of the differential test. It decodes base64 leniently: bytes outside the alphabet are
// skipped (with a warning), a truncated final quantum keeps its complete
// bytes, and whatever follows the padding (e.g. a footer a mailing list
// appended to a base64 part) is ignored with a warning.
type refB64Reader struct {
	r       io.Reader
	p       *parser
	where   string
	raw     [8192]byte
	q       []byte // pending alphabet characters
	out     []byte // decoded bytes not yet returned
	off     int
	eof     bool
	padded  bool
	invalid bool
}

func (b *refB64Reader) flush(final bool) {
	full := len(b.q) / 4 * 4
	if full > 0 {
		dst := make([]byte, full/4*3)
		n, _ := base64.StdEncoding.Decode(dst, b.q[:full])
		b.out = append(b.out, dst[:n]...)
		b.q = append(b.q[:0], b.q[full:]...)
	}
	if final && len(b.q) > 0 {
		if len(b.q) == 1 {
			b.p.warn(fmt.Sprintf("%s: damaged base64 content (dangling character)", b.where))
		} else {
			dst := make([]byte, 3)
			n, _ := base64.RawStdEncoding.Decode(dst, b.q)
			b.out = append(b.out, dst[:n]...)
		}
		b.q = b.q[:0]
	}
}

func (b *refB64Reader) Read(dst []byte) (int, error) {
	for b.off >= len(b.out) {
		if b.eof {
			return 0, io.EOF
		}
		b.out, b.off = b.out[:0], 0
		n, err := b.r.Read(b.raw[:])
		for _, c := range b.raw[:n] {
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			case b.padded:
				if c != '=' {
					b.p.warn(fmt.Sprintf("%s: data after the end of base64 content ignored", b.where))
					b.eof = true
				}
			case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
				b.q = append(b.q, c)
			case c == '=':
				b.padded = true
			default:
				if !b.invalid {
					b.invalid = true
					b.p.warn(fmt.Sprintf("%s: damaged base64 content: invalid characters skipped", b.where))
				}
			}
			if b.eof {
				break
			}
		}
		b.flush(false)
		if err != nil || b.eof {
			if err != nil && err != io.EOF {
				b.p.warn(fmt.Sprintf("%s: read: %v", b.where, err))
			}
			b.flush(true)
			if b.eof {
				_, _ = io.Copy(io.Discard, b.r)
			}
			b.eof = true
		}
	}
	n := copy(dst, b.out[b.off:])
	b.off += n
	return n, nil
}
