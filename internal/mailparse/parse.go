package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Limits bounding CPU and memory on hostile input.
const (
	maxDepth        = 50       // multipart / message nesting
	maxParts        = 10000    // MIME parts walked in total
	maxRecipients   = 10000    // addresses parsed per address header
	maxBodyBytes    = 4 << 20  // TextBody and HTMLBody, each
	maxWarnings     = 100      // distinct warnings kept
	maxReferences   = 1000     // References entries kept
	peekMessageSize = 64 << 10 // bytes of an attached message read for its headers
	maxPreamble     = 1 << 20  // bytes of a multipart body kept to recover a missing boundary
)

// Parse reads one raw email from r. It returns an error only when r cannot
// be read; otherwise it returns the best Message it could build, with what it
// had to repair or truncate listed in Message.Warnings and Message.Partial
// set when some of the content may not have been read right. Input without
// any header field is read as a body-only message, empty input as an empty
// message (both with a warning).
func Parse(r io.Reader, opts Options) (*Message, error) {
	if r == nil {
		return nil, errors.New("mailparse: nil reader")
	}
	p := &parser{opts: opts, msg: &Message{Warnings: []string{}}, seen: map[string]bool{}}
	rec := &recordReader{r: r, limit: maxGarbageBytes + 2*headerReadBuffer}
	br := bufio.NewReaderSize(rec, headerReadBuffer)
	if _, err := br.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			p.partialWarn("empty message")
			p.finish()
			return p.msg, nil
		}
		return nil, fmt.Errorf("mailparse: read: %w", err)
	}
	h, prefix, err := p.readHeaderBlock(br, "message", false)
	var body io.Reader = br
	switch {
	case errors.Is(err, errNoHeader) && !rec.over:
		// Not a header at all: the whole input is the body.
		p.partialWarn("no header found; the whole message was read as body text")
		body = io.MultiReader(bytes.NewReader(rec.buf.Bytes()), r)
		h = textproto.Header{}
	case err != nil:
		return nil, err
	case prefix != nil:
		body = io.MultiReader(bytes.NewReader(prefix), br)
	}
	rec.stop()
	if rec.err != nil && !errors.Is(rec.err, io.EOF) {
		return nil, fmt.Errorf("mailparse: read: %w", rec.err)
	}
	p.readTopHeader(h)
	p.walk(h, &readErrReader{r: body, p: p}, 0, "", "message")
	p.finish()
	if p.readErr != nil {
		return nil, fmt.Errorf("mailparse: read: %w", p.readErr)
	}
	return p.msg, nil
}

// recordReader keeps a copy of the first bytes read (up to limit), so that
// input without a header can be read again as a body.
type recordReader struct {
	r       io.Reader
	buf     bytes.Buffer
	limit   int
	over    bool
	stopped bool
	err     error
}

func (c *recordReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	if !c.stopped && n > 0 {
		if c.buf.Len()+n > c.limit {
			c.over = true
			c.stopped = true
			c.buf = bytes.Buffer{}
		} else {
			c.buf.Write(b[:n])
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

func (c *recordReader) stop() {
	c.stopped = true
	c.buf = bytes.Buffer{}
}

// readErrReader remembers an I/O error of the underlying input (as opposed
// to malformed content), which Parse reports instead of a partial message.
type readErrReader struct {
	r io.Reader
	p *parser
}

func (e *readErrReader) Read(b []byte) (int, error) {
	n, err := e.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) && e.p.readErr == nil {
		e.p.readErr = err
	}
	return n, err
}

// ParseFile parses the email stored in the file at path.
func ParseFile(path string, opts Options) (*Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mailparse: open %s: %w", path, err)
	}
	defer f.Close()
	m, err := Parse(f, opts)
	if err != nil {
		return nil, fmt.Errorf("mailparse: parse %s: %w", path, err)
	}
	return m, nil
}

type parser struct {
	opts Options
	msg  *Message
	seen map[string]bool

	parts      int
	partsLimit bool

	text      bytes.Buffer
	html      bytes.Buffer
	alt       []*altState // open multipart/alternative entities, innermost last
	textFull  bool
	htmlFull  bool
	attachNum int

	isReport bool
	dsn      []dsnRecipient
	origID   string

	partial       bool   // some content may be lost or misread (see Message.Partial)
	partialReason string // the first warning that made it so
	readErr       error  // I/O error of the input
}

// partialWarn records a warning about content that may be missing or
// misread: the message is Partial and the first such warning its reason.
func (p *parser) partialWarn(s string) {
	p.warn(s)
	if !p.partial {
		p.partial = true
		p.partialReason = s
	}
}

func (p *parser) warn(s string) {
	if p.seen[s] {
		return
	}
	p.seen[s] = true
	if len(p.msg.Warnings) < maxWarnings {
		p.msg.Warnings = append(p.msg.Warnings, s)
	} else if len(p.msg.Warnings) == maxWarnings {
		p.msg.Warnings = append(p.msg.Warnings, "too many warnings, further ones dropped")
	}
}

// partInfo is what walk needs to know about one entity.
type partInfo struct {
	mediaType   string
	params      map[string]string
	disposition string
	filename    string
	contentID   string
	encoding    string
	location    string // Content-Location, when there is no filename
}

// encodingSpelling drops the separators mailers put into encoding names.
var encodingSpelling = strings.NewReplacer(" ", "", "-", "", "_", "")

// normalizeEncoding reads a Content-Transfer-Encoding value as mailers write
// it ("Base64", "8-bit", "7 bit", "quoted printable", `"base64"`).
func normalizeEncoding(v string) string {
	v = strings.ToLower(strings.Trim(strings.TrimSpace(v), `"'`))
	if i := strings.IndexAny(v, ";("); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	switch encodingSpelling.Replace(v) {
	case "7bit":
		return "7bit"
	case "8bit":
		return "8bit"
	case "base64":
		return "base64"
	case "quotedprintable", "qp":
		return "quoted-printable"
	}
	return v
}

func (p *parser) describe(h textproto.Header, where string) partInfo {
	var pi partInfo
	ct := h.Get("Content-Type")
	pi.mediaType, pi.params = p.parseMediaType(ct, where, "Content-Type")
	if ct == "" {
		pi.mediaType = ""
	}
	cd := h.Get("Content-Disposition")
	if cd != "" {
		var dparams map[string]string
		pi.disposition, dparams = p.parseMediaType(cd, where, "Content-Disposition")
		pi.filename = dparams["filename"]
	}
	if pi.filename == "" {
		pi.filename = pi.params["name"]
	}
	pi.filename = cleanFilename(p.decodeWords(pi.filename, where+" filename"))
	pi.contentID = strings.ToValidUTF8(strings.TrimSpace(stripBrackets(h.Get("Content-Id"))), "")
	pi.encoding = normalizeEncoding(h.Get("Content-Transfer-Encoding"))
	if loc := strings.TrimSpace(h.Get("Content-Location")); loc != "" && pi.filename == "" {
		pi.location = strings.ToValidUTF8(loc, "")
	}
	return pi
}

// walk processes one entity (the message itself or a MIME part).
func (p *parser) walk(h textproto.Header, body io.Reader, depth int, parent, where string) {
	pi := p.describe(h, where)
	mt := pi.mediaType
	if mt != "" && !strings.Contains(mt, "/") {
		// RFC 2045 5.2: an invalid Content-Type means text/plain
		p.warn(fmt.Sprintf("%s: invalid Content-Type %q read as text/plain", where, truncate(mt, 40)))
		mt = ""
	}
	if mt == "" {
		if parent == "multipart/digest" {
			mt = "message/rfc822"
		} else {
			mt = "text/plain"
		}
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if depth >= maxDepth {
			p.partialWarn(fmt.Sprintf("nesting deeper than %d levels; inner parts skipped", maxDepth))
			_, _ = io.Copy(io.Discard, body)
			return
		}
		if mt == "multipart/report" && strings.EqualFold(pi.params["report-type"], "delivery-status") {
			p.isReport = true
		}
		if mt == "multipart/alternative" {
			p.alt = append(p.alt, &altState{depth: depth + 1, textStart: p.text.Len()})
			defer func() { p.alt = p.alt[:len(p.alt)-1] }()
		}
		p.walkMultipart(pi, mt, body, depth, where)
	case mt == "message/rfc822" || mt == "message/global":
		p.attachMessage(pi, mt, body, where)
	case mt == "message/delivery-status" || mt == "message/global-delivery-status":
		p.attachDeliveryStatus(pi, mt, body, where)
	case mt == "text/rfc822-headers" || mt == "text/global-headers":
		p.attachRFC822Headers(pi, mt, body, where)
	case (mt == "text/plain" || mt == "text/html") && p.isBodyPart(pi, depth):
		if a := p.curAlt(depth); a != nil && mt == "text/plain" {
			if a.plain {
				// A later alternative is the better one (RFC 2046 5.1.4).
				p.text.Truncate(a.textStart)
			}
			a.plain = true
		}
		p.readBody(pi, mt, body, where)
	case (mt == "text/enriched" || mt == "text/richtext") && p.isBodyPart(pi, depth):
		if a := p.curAlt(depth); a != nil && a.plain {
			// the plain alternative is already there
			_, _ = io.Copy(io.Discard, body)
			return
		}
		p.readEnriched(pi, mt, body, where)
	default:
		p.attach(pi, mt, body, where)
	}
}

// altState tracks the text parts of one multipart/alternative.
type altState struct {
	depth     int  // depth of its parts
	textStart int  // length of the text body when it started
	plain     bool // a text/plain alternative was read
}

// curAlt returns the multipart/alternative whose direct part is at depth.
func (p *parser) curAlt(depth int) *altState {
	if n := len(p.alt); n > 0 && p.alt[n-1].depth == depth {
		return p.alt[n-1]
	}
	return nil
}

// isBodyPart tells whether a text/plain or text/html part is message text
// rather than an attached file.
func (p *parser) isBodyPart(pi partInfo, depth int) bool {
	if depth == 0 {
		return true
	}
	if pi.disposition == "attachment" {
		return false
	}
	return pi.filename == ""
}

func (p *parser) walkMultipart(pi partInfo, mt string, body io.Reader, depth int, where string) {
	br := getReader(body)
	defer putReader(br)
	boundary := pi.params["boundary"]
	if boundary == "" {
		boundary = sniffBoundary(br)
		if boundary == "" {
			p.partialWarn(fmt.Sprintf("%s: %s without boundary; body read as plain text", where, mt))
			p.readBodyFrom(partInfo{mediaType: "text/plain"}, "text/plain", br, where)
			return
		}
		p.warn(fmt.Sprintf("%s: %s without boundary parameter; boundary %q found in body", where, mt, boundary))
	}
	mr := newMPReader(br, boundary)
	n := 0
	for {
		if p.parts >= maxParts {
			if !p.partsLimit {
				p.partsLimit = true
				p.partialWarn(fmt.Sprintf("more than %d MIME parts; the rest was skipped", maxParts))
			}
			_, _ = io.Copy(io.Discard, br)
			return
		}
		part, err := mr.nextPart()
		if err != nil {
			if errors.Is(err, errNoBoundary) {
				// The boundary never appeared: keep the content as text.
				if len(bytes.TrimSpace(mr.preamble.Bytes())) == 0 {
					p.warn(fmt.Sprintf("%s: %s has no parts", where, mt))
					break
				}
				if b := sniffClosedBoundary(mr.preamble.Bytes()); b != "" && b != boundary && len(mr.preamble.Bytes()) < maxPreamble {
					// The body uses another boundary, opened and closed:
					// split it by that one.
					p.warn(fmt.Sprintf("%s: boundary of %s not found; boundary %q found in body", where, mt, truncate(b, 80)))
					pi2 := pi
					pi2.params = map[string]string{"boundary": b}
					p.walkMultipart(pi2, mt, bytes.NewReader(append([]byte(nil), mr.preamble.Bytes()...)), depth, where)
					return
				}
				p.partialWarn(fmt.Sprintf("%s: boundary of %s not found; body read as plain text", where, mt))
				p.readBodyFrom(partInfo{mediaType: "text/plain"}, "text/plain", bytes.NewReader(mr.preamble.Bytes()), where)
			}
			break
		}
		n++
		p.parts++
		child := fmt.Sprintf("%s part %d", where, n)
		if where == "message" {
			child = fmt.Sprintf("part %d", n)
		}
		pbr := getReader(part)
		h, prefix, _ := p.readHeaderBlock(pbr, child, true)
		var pbody io.Reader = pbr
		if prefix != nil {
			pbody = io.MultiReader(bytes.NewReader(prefix), pbr)
		}
		p.walk(h, pbody, depth+1, mt, child)
		putReader(pbr)
		if mr.truncated {
			p.warn(fmt.Sprintf("%s: input ended inside the part (missing closing boundary)", child))
		}
	}
	if mr.truncated || (mr.started && !mr.closed) {
		p.warn(fmt.Sprintf("%s: missing closing boundary of %s", where, mt))
	}
	if n == 0 && mr.started {
		p.warn(fmt.Sprintf("%s: %s has no parts", where, mt))
	}
}

// sniffClosedBoundary returns the first X such that the body has both a
// "--X" line and a later "--X--" line: the boundary a mailer really used
// when the declared one never appears.
func sniffClosedBoundary(buf []byte) string {
	open := map[string]bool{}
	for len(buf) > 0 {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		line = bytes.TrimRight(line, "\r \t")
		if len(line) < 3 || len(line) > 200 || line[0] != '-' || line[1] != '-' || bytes.ContainsAny(line, " \t") {
			continue
		}
		b := string(line[2:])
		if c, ok := strings.CutSuffix(b, "--"); ok && open[c] {
			return c
		}
		if len(open) < 100 {
			open[b] = true
		}
	}
	return ""
}

// sniffBoundary looks for a "--boundary" line at the start of a body whose
// Content-Type lacks the boundary parameter.
func sniffBoundary(br *bufio.Reader) string {
	buf, _ := br.Peek(8192)
	for _, line := range bytes.Split(buf, []byte("\n")) {
		line = bytes.TrimRight(line, "\r \t")
		if len(line) > 2 && len(line) <= 72 && bytes.HasPrefix(line, []byte("--")) {
			if b := string(line[2:]); !strings.ContainsAny(b, " ") {
				return strings.TrimSuffix(b, "--")
			}
		}
		// other lines are preamble; keep looking
	}
	return ""
}

// parseMediaType parses a Content-Type or Content-Disposition value,
// tolerating the usual breakage (duplicate parameters, missing quotes,
// RFC 2231 values in non-UTF-8 charsets, trailing junk).
func (p *parser) parseMediaType(v, where, field string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || mt == "" {
		mt, params = lenientMediaType(v)
		if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
			p.warn(fmt.Sprintf("%s: malformed %s %q repaired", where, field, truncate(v, 80)))
		}
	}
	if params == nil {
		params = map[string]string{}
	}
	// Go's mime package only decodes RFC 2231 values declared UTF-8 or
	// US-ASCII; decode the others (e.g. ISO-8859-1 filenames) here.
	for _, name := range []string{"filename", "name"} {
		if params[name] == "" && strings.Contains(strings.ToLower(v), name+"*") {
			if s := decode2231(v, name); s != "" {
				params[name] = s
			}
		}
	}
	return strings.ToLower(mt), params
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
