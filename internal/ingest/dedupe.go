package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"sort"
	"strings"
)

// contentHeaders are the fields that say what a message is. Trace fields
// (Received, Return-Path, Delivered-To, ARC-*, Authentication-Results,
// DKIM-Signature added by a forwarder, X-Forwarded-*...) differ between
// two deliveries of the same mail and are left out of the dedupe key.
var contentHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// maxHeaderBlock bounds how much header text the key looks at.
const maxHeaderBlock = 1 << 20

// DedupeKey hashes the content headers (unfolded, whitespace collapsed,
// sorted) and the body (line endings normalized to LF). Two deliveries of
// the same mail through different relays get the same key.
func DedupeKey(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var fields []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		line := cur.String()
		cur.Reset()
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			// Not a header field: in a message without header these
			// lines are its text, so they must count.
			fields = append(fields, "\x00"+line)
			return
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if contentHeaders[name] {
			fields = append(fields, name+":"+strings.Join(strings.Fields(value), " "))
		}
	}
	h := sha256.New()
	read := 0
	for {
		line, err := br.ReadSlice('\n')
		read += len(line)
		if err == bufio.ErrBufferFull {
			// An over-long header line: keep it in the key as body bytes.
			flush()
			h.Write(line)
			break
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			flush()
			break // end of header block
		}
		if trimmed[0] == ' ' || trimmed[0] == '\t' {
			cur.WriteByte(' ')
			cur.Write(bytes.TrimSpace(trimmed))
		} else {
			flush()
			cur.Write(trimmed)
		}
		if err != nil || read > maxHeaderBlock {
			flush()
			break
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		h.Write([]byte(f))
		h.Write([]byte{'\n'})
	}
	h.Write([]byte("\n--body--\n"))
	// Body: normalize CRLF to LF so relays that rewrite line endings match.
	n := crlfWriter{h: h}
	if _, err := br.WriteTo(&n); err != nil {
		return "", err
	}
	if n.prevCR {
		h.Write([]byte{'\r'})
	}
	return "c1:" + hex.EncodeToString(h.Sum(nil)), nil
}

// crlfWriter writes to h what it is given with every CR that ends a line
// (CR LF) dropped, also across writes.
type crlfWriter struct {
	h      io.Writer
	prevCR bool // the last write ended in a CR not yet written
}

func (w *crlfWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.prevCR && n > 0 {
		if p[0] != '\n' {
			w.h.Write([]byte{'\r'})
		}
		w.prevCR = false
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\r')
		if i < 0 {
			w.h.Write(p)
			break
		}
		w.h.Write(p[:i])
		if i+1 == len(p) {
			w.prevCR = true
			break
		}
		if p[i+1] != '\n' {
			w.h.Write([]byte{'\r'})
		}
		p = p[i+1:]
	}
	return n, nil
}

// dedupeTee computes DedupeKey of the bytes written to it, on its own
// goroutine, so the key comes out of the one read of the raw message that
// parsing does instead of a second full read.
type dedupeTee struct {
	pw  *io.PipeWriter
	res chan dedupeResult
}

type dedupeResult struct {
	key string
	err error
}

func newDedupeTee() *dedupeTee {
	pr, pw := io.Pipe()
	t := &dedupeTee{pw: pw, res: make(chan dedupeResult, 1)}
	go func() {
		key, err := DedupeKey(pr)
		if err == nil {
			_, err = io.Copy(io.Discard, pr) // DedupeKey reads to EOF; never blocks the writer
		}
		pr.CloseWithError(err)
		t.res <- dedupeResult{key, err}
	}()
	return t
}

func (t *dedupeTee) Write(p []byte) (int, error) { return t.pw.Write(p) }

// Key ends the input and returns the key.
func (t *dedupeTee) Key() (string, error) {
	t.pw.Close()
	r := <-t.res
	return r.key, r.err
}

// Abort ends the input with err (the key is not wanted).
func (t *dedupeTee) Abort(err error) {
	t.pw.CloseWithError(err)
	<-t.res
}

// restart drops what was written so far and starts a new key.
func (t *dedupeTee) restart() {
	t.Abort(errRestart)
	*t = *newDedupeTee()
}

var errRestart = errors.New("dedupe key restarted")
