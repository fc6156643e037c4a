package smtpin

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
)

// maxDroppedField bounds how much of one header field the filter buffers
// while deciding whether to drop it (only Authentication-Results and
// X-Atende-ARC fields are buffered; everything else streams through).
const maxDroppedField = 64 << 10

// arFilter streams a message, dropping from its header block (everything
// before the first empty line, even when malformed, so a forger cannot
// hide a field behind a broken line) the Authentication-Results fields
// whose authserv-id is ours (RFC 8601 §5) and every X-Atende-ARC field.
// All other bytes pass unchanged.
type arFilter struct {
	br         *bufio.Reader
	authservID string
	onDone     func(removed int)

	inHeader bool
	field    []byte // buffered candidate field (A-R or X-Atende-ARC)
	dropping bool   // swallowing the rest of an over-long candidate
	out      []byte // ready to return
	removed  int
	err      error
}

func newARFilter(r io.Reader, authservID string, onDone func(removed int)) *arFilter {
	return &arFilter{br: bufio.NewReaderSize(r, 32<<10), authservID: strings.ToLower(authservID), onDone: onDone, inHeader: true}
}

func (f *arFilter) Read(p []byte) (int, error) {
	for len(f.out) == 0 {
		if f.err != nil {
			return 0, f.err
		}
		if !f.inHeader {
			// Body: pass through in large chunks.
			n, err := f.br.Read(p)
			if err != nil {
				f.err = err
			}
			if n > 0 {
				return n, nil
			}
			continue
		}
		f.step()
	}
	n := copy(p, f.out)
	f.out = f.out[n:]
	return n, nil
}

// step consumes one physical line (or a chunk of a very long one) of the
// header block.
func (f *arFilter) step() {
	line, err := f.br.ReadSlice('\n')
	long := errors.Is(err, bufio.ErrBufferFull)
	if len(line) > 0 {
		f.line(line, long)
	}
	if err != nil && !long && f.err == nil {
		// EOF (or a read error) inside the header block.
		f.flushField()
		f.finishHeader()
		f.err = err
	}
}

// line handles one physical header line; long means only its first chunk
// was read.
func (f *arFilter) line(line []byte, long bool) {
	cont := line[0] == ' ' || line[0] == '\t'
	if cont && (f.field != nil || f.dropping) {
		f.appendField(line)
		f.readRest(long)
		return
	}
	f.flushField()
	f.dropping = false
	if isBlankLine(line) {
		f.out = append(f.out, line...)
		f.finishHeader()
		return
	}
	name, _, _ := bytes.Cut(line, []byte(":"))
	name = bytes.TrimSpace(name)
	if bytes.EqualFold(name, []byte("Authentication-Results")) || bytes.EqualFold(name, []byte("X-Atende-ARC")) {
		f.field = append([]byte{}, line...)
	} else {
		f.out = append(f.out, line...)
	}
	f.readRest(long)
}

// readRest consumes the remainder of an over-long physical line into the
// same destination as its start.
func (f *arFilter) readRest(long bool) {
	for long {
		chunk, err := f.br.ReadSlice('\n')
		long = errors.Is(err, bufio.ErrBufferFull)
		switch {
		case f.field != nil || f.dropping:
			f.appendField(chunk)
		default:
			f.out = append(f.out, chunk...)
		}
		if err != nil && !long {
			f.flushField()
			f.finishHeader()
			f.err = err
			return
		}
	}
}

func (f *arFilter) appendField(b []byte) {
	if f.dropping {
		return
	}
	if len(f.field)+len(b) > maxDroppedField {
		// Absurdly long candidate: drop it whole, including the rest of
		// it (no legitimate Authentication-Results is 64 KB).
		f.field = nil
		f.dropping = true
		f.removed++
		return
	}
	f.field = append(f.field, b...)
}

// flushField decides about the buffered candidate field.
func (f *arFilter) flushField() {
	if f.field == nil {
		return
	}
	field := f.field
	f.field = nil
	name, value, _ := bytes.Cut(field, []byte(":"))
	drop := bytes.EqualFold(bytes.TrimSpace(name), []byte("X-Atende-ARC")) ||
		authservIDOf(string(value)) == f.authservID
	if drop {
		f.removed++
		return
	}
	f.out = append(f.out, field...)
}

func (f *arFilter) finishHeader() {
	if !f.inHeader {
		return
	}
	f.inHeader = false
	if f.onDone != nil {
		f.onDone(f.removed)
	}
}

func isBlankLine(l []byte) bool {
	return len(l) == 1 && l[0] == '\n' || len(l) == 2 && l[0] == '\r' && l[1] == '\n'
}
