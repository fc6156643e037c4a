package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-message/textproto"
)

// Limits applied while reading a header block.
const (
	maxHeaderBytes   = 4 << 20 // header bytes kept per header block
	maxFieldBytes    = 1 << 20 // bytes kept of one header field (incl. continuation lines)
	maxHeaderFields  = 5000    // fields kept per header block
	maxGarbageLines  = 20      // non-header lines skipped before the first field
	maxGarbageBytes  = 64 << 10
	headerReadBuffer = 8 << 10
)

// errNoHeader is returned when the input has no header fields at all.
var errNoHeader = errors.New("mailparse: not an email message: no header fields found")

// readLine reads one line (without its line ending) keeping at most max
// bytes; the rest of an over-long line is consumed and dropped. eof reports
// that the input ended (the returned line may still hold data).
func readLine(br *bufio.Reader, max int) (line []byte, truncated, eof bool, err error) {
	for {
		chunk, rerr := br.ReadSlice('\n')
		if room := max - len(line); room > 0 {
			if len(chunk) > room {
				line = append(line, chunk[:room]...)
				truncated = true
			} else {
				line = append(line, chunk...)
			}
		} else if len(chunk) > 0 {
			truncated = true
		}
		switch {
		case rerr == nil:
			return trimEOL(line), truncated, false, nil
		case errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF):
			return trimEOL(line), truncated, true, nil
		default:
			return trimEOL(line), truncated, true, rerr
		}
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b
}

// headerKeyEnd returns the index of the colon that ends a valid header
// field name at the start of line, or -1.
func headerKeyEnd(line []byte) int {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return -1
	}
	key := bytes.TrimRight(line[:i], " \t")
	if len(key) == 0 {
		return -1
	}
	for _, c := range key {
		if c <= 32 || c >= 127 {
			return -1
		}
	}
	return i
}

// readHeaderBlock reads a header block tolerantly: it skips an mbox "From "
// line and junk before the first field, drops lines that are not fields,
// truncates over-long fields and stops at the blank line (or at the first
// line that cannot be a header, which then starts the body). The kept
// fields are parsed with go-message's textproto.ReadHeader. bodyPrefix is a
// line that was read but belongs to the body.
//
// A MIME part's header (part set) may be empty: a part that starts with a
// blank line or with a line that is no header field has no header, and
// that line starts its body; no error is returned then.
func (p *parser) readHeaderBlock(br *bufio.Reader, where string, part bool) (h textproto.Header, bodyPrefix []byte, err error) {
	var (
		out          bytes.Buffer
		cur          []byte // current field, raw, with "\r\n" between folded lines
		fields       int
		garbage      int
		garbageBytes int
		total        int
	)
	flush := func() {
		if cur == nil {
			return
		}
		if fields >= maxHeaderFields {
			p.warn(fmt.Sprintf("%s: too many header fields, kept the first %d", where, maxHeaderFields))
		} else if total+len(cur) > maxHeaderBytes {
			p.warn(fmt.Sprintf("%s: header larger than %d bytes, extra fields dropped", where, maxHeaderBytes))
		} else {
			out.Write(cur)
			out.WriteString("\r\n")
			total += len(cur) + 2
			fields++
		}
		cur = nil
	}
	first := true
	for {
		line, truncated, eof, rerr := readLine(br, maxFieldBytes)
		if rerr != nil {
			p.warn(fmt.Sprintf("%s: read error in header: %v", where, rerr))
		}
		if truncated {
			p.warn(fmt.Sprintf("%s: header line longer than %d bytes truncated", where, maxFieldBytes))
		}
		if len(line) == 0 {
			// Blank line (end of header) or end of input.
			break
		}
		if part && first && headerKeyEnd(line) <= 0 {
			// A part without header: this line starts its body.
			p.warn(fmt.Sprintf("%s: part without header", where))
			return textproto.Header{}, append(append([]byte(nil), line...), '\r', '\n'), nil
		}
		switch {
		case line[0] == ' ' || line[0] == '\t':
			if cur == nil {
				if fields == 0 && first {
					// leading whitespace before any field: junk
					garbage++
					garbageBytes += len(line)
				}
				break
			}
			if len(cur)+2+len(line) > maxFieldBytes {
				p.warn(fmt.Sprintf("%s: header field longer than %d bytes truncated", where, maxFieldBytes))
				break
			}
			cur = append(cur, '\r', '\n')
			cur = append(cur, line...)
		case first && bytes.HasPrefix(line, []byte("From ")) && headerKeyEnd(line) < 0:
			// mbox separator line
		case headerKeyEnd(line) > 0:
			flush()
			cur = append([]byte(nil), line...)
		default:
			if fields > 0 || cur != nil {
				// A line that is not a header: the header ended without
				// the blank separator line; this line starts the body.
				flush()
				p.warn(fmt.Sprintf("%s: no blank line between header and body", where))
				bodyPrefix = append(append([]byte(nil), line...), '\r', '\n')
				return p.finishHeader(out.Bytes(), where), bodyPrefix, nil
			}
			garbage++
			garbageBytes += len(line)
		}
		first = false
		if garbage > maxGarbageLines || garbageBytes > maxGarbageBytes {
			return textproto.Header{}, nil, errNoHeader
		}
		if eof || rerr != nil {
			break
		}
	}
	flush()
	if fields == 0 {
		if part {
			return textproto.Header{}, nil, nil
		}
		return textproto.Header{}, nil, errNoHeader
	}
	if garbage > 0 {
		p.warn(fmt.Sprintf("%s: skipped %d malformed header line(s)", where, garbage))
	}
	return p.finishHeader(out.Bytes(), where), nil, nil
}

func (p *parser) finishHeader(block []byte, where string) textproto.Header {
	block = append(block, '\r', '\n')
	br := getReader(bytes.NewReader(block))
	h, err := textproto.ReadHeader(br)
	putReader(br)
	if err != nil {
		p.warn(fmt.Sprintf("%s: header: %v", where, err))
	}
	return h
}
