package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
)

// multipartBuffer is the line buffer of a multipart body, and of each part
// while its header is read: a boundary line longer than this is not
// recognised (RFC 2046 allows 70 characters).
const multipartBuffer = 4 << 10

// readerPool recycles the buffered readers of multipart bodies and parts
// (a message may have thousands of parts; each walk returns its reader).
var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, multipartBuffer) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readerPool.Put(br)
}

// errNoBoundary is returned by nextPart when the body ended before its first
// boundary line.
var errNoBoundary = errors.New("boundary not found")

// mpReader splits a multipart body at its boundary lines (RFC 2046 5.1.1)
// as a stream, more tolerantly than go-message's reader, whose errors lose
// the rest of the message:
//
//   - a delimiter line is "--boundary" followed only by spaces or tabs, and
//     the close delimiter "--boundary--" likewise; a line that merely starts
//     with the boundary (an inner part's longer boundary) is content;
//   - an empty part (the same boundary line twice in a row) is skipped;
//   - a body that ends without the close delimiter ends its last part
//     (truncated reports it);
//   - part headers are read by the caller (tolerantly), not here.
//
// A nested multipart reads from its parent's part, so an outer boundary
// ends every inner part, as in Python's email package.
type mpReader struct {
	br        *bufio.Reader
	dash      []byte // "--" + boundary
	started   bool   // the first delimiter was seen
	closed    bool   // the close delimiter was seen
	eof       bool   // the input ended
	truncated bool   // the input ended inside a part
	cur       *mpPart
	preamble  bytes.Buffer // kept (up to maxPreamble) until the first delimiter
}

func newMPReader(br *bufio.Reader, boundary string) *mpReader {
	return &mpReader{br: br, dash: []byte("--" + boundary)}
}

// boundaryKind tells whether a complete line is a delimiter (1), the close
// delimiter (2) or neither (0).
func (m *mpReader) boundaryKind(line []byte) int {
	if len(line) < len(m.dash) || line[0] != '-' || !bytes.HasPrefix(line, m.dash) {
		return 0
	}
	rest := bytes.TrimRight(line[len(m.dash):], " \t\r\n")
	switch {
	case len(rest) == 0:
		return 1
	case len(rest) == 2 && rest[0] == '-' && rest[1] == '-':
		return 2
	}
	return 0
}

// readLine returns the next line (with its line ending) or, for a line
// longer than the buffer, its next chunk (full=false).
func (m *mpReader) readLine() (line []byte, full bool, err error) {
	line, err = m.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return line, false, nil
	}
	return line, true, err
}

// skipToFirst reads the preamble up to the first delimiter line.
func (m *mpReader) skipToFirst() error {
	mid := false
	for {
		line, full, err := m.readLine()
		if !mid && full && len(line) > 0 {
			switch m.boundaryKind(line) {
			case 1:
				m.started = true
				return nil
			case 2:
				m.started, m.closed = true, true
				return nil
			}
		}
		if room := maxPreamble - m.preamble.Len(); room > 0 {
			if len(line) > room {
				line = line[:room]
			}
			m.preamble.Write(line)
		}
		mid = !full
		if err != nil {
			m.eof = true
			return errNoBoundary
		}
	}
}

// nextPart returns a reader for the next part's bytes (header and body), or
// io.EOF after the last part. Empty parts are skipped.
func (m *mpReader) nextPart() (io.Reader, error) {
	if !m.started {
		if err := m.skipToFirst(); err != nil {
			return nil, err
		}
	}
	for {
		if m.cur != nil {
			_, _ = io.Copy(io.Discard, m.cur)
			m.cur = nil
		}
		if m.closed || m.eof {
			return nil, io.EOF
		}
		p := &mpPart{m: m}
		// Peek at the part: an empty one (a repeated delimiter line) is
		// skipped.
		if err := p.fill(); err != nil && len(p.pend) == 0 {
			continue
		}
		if len(p.pend) == 0 && p.done {
			continue
		}
		m.cur = p
		return p, nil
	}
}

// mpPart reads one part: the content up to (not including) the line break
// before the next boundary line.
type mpPart struct {
	m    *mpReader
	pend []byte // content ready to be returned
	off  int
	nl   []byte // line ending of the last line, held back until the next line
	mid  bool   // inside a line longer than the buffer
	done bool
}

// fillBatch is how much content fill gathers before returning, so that
// nested parts pass data on in blocks rather than line by line.
const fillBatch = 2048

// fill reads more lines (or chunks of an over-long line) into pend, up to
// fillBatch bytes, the end of the part or the end of the input.
func (p *mpPart) fill() error {
	if p.done {
		return io.EOF
	}
	p.pend, p.off = p.pend[:0], 0
	for !p.done && len(p.pend) < fillBatch {
		if err := p.fillLine(); err != nil {
			if len(p.pend) > 0 {
				return nil
			}
			return err
		}
	}
	return nil
}

// fillLine reads one line (or chunk) and appends it to pend, holding back
// its line break.
func (p *mpPart) fillLine() error {
	m := p.m
	if !p.mid && m.br.Buffered() > 0 {
		// Fast path: whole buffered lines up to the next line that starts
		// with "-" (only such a line can be a delimiter) pass in one copy.
		buf, _ := m.br.Peek(m.br.Buffered())
		if buf[0] != '-' {
			end := bytes.Index(buf, []byte("\n-"))
			if end < 0 {
				end = bytes.LastIndexByte(buf, '\n')
			}
			if end >= 0 {
				chunk := buf[:end+1]
				n := len(chunk) - 1
				if n > 0 && chunk[n-1] == '\r' {
					n--
				}
				p.pend = append(p.pend, p.nl...)
				p.pend = append(p.pend, chunk[:n]...)
				p.nl = append(p.nl[:0], chunk[n:]...)
				_, _ = m.br.Discard(len(chunk))
				return nil
			}
		}
	}
	line, full, err := m.readLine()
	if !p.mid && full && len(line) > 0 {
		if k := m.boundaryKind(line); k != 0 {
			// The line break before a delimiter belongs to it.
			p.nl = p.nl[:0]
			p.done = true
			m.closed = k == 2
			return io.EOF
		}
	}
	p.pend = append(p.pend, p.nl...)
	p.nl = p.nl[:0]
	content := line
	if full {
		n := len(content)
		if n > 0 && content[n-1] == '\n' {
			n--
			if n > 0 && content[n-1] == '\r' {
				n--
			}
		}
		p.nl = append(p.nl, content[n:]...)
		content = content[:n]
	}
	p.pend = append(p.pend, content...)
	p.mid = !full
	if err != nil {
		// The input ended inside the part: keep what was read.
		p.pend = append(p.pend, p.nl...)
		p.nl = p.nl[:0]
		p.done = true
		m.eof = true
		m.truncated = true
	}
	return nil
}

func (p *mpPart) Read(b []byte) (int, error) {
	for p.off >= len(p.pend) {
		if p.done {
			return 0, io.EOF
		}
		if err := p.fill(); err != nil && p.off >= len(p.pend) {
			return 0, io.EOF
		}
	}
	n := copy(b, p.pend[p.off:])
	p.off += n
	return n, nil
}
