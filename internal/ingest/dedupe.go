package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
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
	br := bufio.NewReaderSize(r, headerLineMax)
	h := sha256.New()
	dedupeHeader(br, h)
	// Body: normalize CRLF to LF so relays that rewrite line endings match.
	n := crlfWriter{h: h}
	if _, err := br.WriteTo(&n); err != nil {
		return "", err
	}
	return n.key(), nil
}

// headerLineMax is the longest header line the key reads as one (the
// reader's buffer); a longer one starts the body.
const headerLineMax = 64 << 10

// dedupeHeader reads the header block from br and writes its content
// fields to h; br is left at the start of the body.
func dedupeHeader(br *bufio.Reader, h hash.Hash) {
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
}

// crlfWriter writes to h what it is given with every CR that ends a line
// (CR LF) dropped, also across writes.
type crlfWriter struct {
	h      hash.Hash
	prevCR bool // the last write ended in a CR not yet written
}

// key ends the body and returns the key.
func (w *crlfWriter) key() string {
	if w.prevCR {
		w.h.Write([]byte{'\r'})
		w.prevCR = false
	}
	return "c1:" + hex.EncodeToString(w.h.Sum(nil))
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

// dedupeTee computes DedupeKey of the bytes written to it, as they are
// written, so the key comes out of the one read of the raw message that
// parsing does instead of a second full read. It holds the header block
// until it has the whole of what DedupeKey reads as header (up to the
// blank line, an over-long line or maxHeaderBlock), then hashes the body
// as it comes: no goroutine for the parser to wait on.
type dedupeTee struct {
	head      []byte      // the header block so far (body == nil)
	lineStart int         // where head's unfinished line starts
	body      *crlfWriter // set once the header block is hashed
}

func newDedupeTee() *dedupeTee { return &dedupeTee{} }

func (t *dedupeTee) Write(p []byte) (int, error) {
	if t.body != nil {
		return t.body.Write(p)
	}
	from := len(t.head)
	t.head = append(t.head, p...)
	if t.headComplete(from) {
		t.startBody()
	}
	return len(p), nil
}

// headComplete reports whether head holds all DedupeKey reads as header
// (looking at the bytes from from on): a blank line, a line longer than
// headerLineMax, or more than maxHeaderBlock in lines.
func (t *dedupeTee) headComplete(from int) bool {
	for i := from; i < len(t.head); i++ {
		if t.head[i] != '\n' {
			continue
		}
		if len(bytes.TrimRight(t.head[t.lineStart:i], "\r")) == 0 {
			return true
		}
		t.lineStart = i + 1
	}
	return len(t.head)-t.lineStart >= headerLineMax || t.lineStart > maxHeaderBlock
}

// startBody hashes the header block held and whatever body bytes came
// with it; later writes go to the body hash.
func (t *dedupeTee) startBody() {
	br := bufio.NewReaderSize(bytes.NewReader(t.head), headerLineMax)
	h := sha256.New()
	dedupeHeader(br, h)
	t.body = &crlfWriter{h: h}
	_, _ = br.WriteTo(t.body) // never fails: memory to a hash
	t.head = nil
}

// Key ends the input and returns the key.
func (t *dedupeTee) Key() (string, error) {
	if t.body == nil {
		t.startBody() // the input ended inside the header block
	}
	return t.body.key(), nil
}

// restart drops what was written so far and starts a new key.
func (t *dedupeTee) restart() { *t = dedupeTee{} }
