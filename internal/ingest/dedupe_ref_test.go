// The DedupeKey this package had before the key was computed in the parse
// pass, kept as the reference TestDedupeKeyMatchesReference compares with.

package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sort"
	"strings"
)

// contentHeaders are the fields that say what a message is. Trace fields
// (Received, Return-Path, Delivered-To, ARC-*, Authentication-Results,
// DKIM-Signature added by a forwarder, X-Forwarded-*...) differ between
// two deliveries of the same mail and are left out of the dedupe key.
var oldContentHeaders = map[string]bool{
	"from": true, "sender": true, "to": true, "cc": true, "subject": true, "date": true,
	"message-id": true, "in-reply-to": true, "references": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// maxHeaderBlock bounds how much header text the key looks at.
const oldMaxHeaderBlock = 1 << 20

// DedupeKey hashes the content headers (unfolded, whitespace collapsed,
// sorted) and the body (line endings normalized to LF). Two deliveries of
// the same mail through different relays get the same key.
func oldDedupeKey(r io.Reader) (string, error) {
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
		if oldContentHeaders[name] {
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
		if err != nil || read > oldMaxHeaderBlock {
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
	var prevCR bool
	buf := make([]byte, 32<<10)
	out := make([]byte, 0, 32<<10)
	for {
		n, err := br.Read(buf)
		out = out[:0]
		for _, c := range buf[:n] {
			if prevCR && c != '\n' {
				out = append(out, '\r')
			}
			prevCR = c == '\r'
			if !prevCR {
				out = append(out, c)
			}
		}
		h.Write(out)
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if prevCR {
		h.Write([]byte{'\r'})
	}
	return "c1:" + hex.EncodeToString(h.Sum(nil)), nil
}
