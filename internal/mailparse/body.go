package mailparse

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	htmlcharset "golang.org/x/net/html/charset"
)

// decodeTransfer undoes the Content-Transfer-Encoding. Unknown encodings are
// passed through with a warning. Base64 is decoded leniently: bytes outside
// the base64 alphabet are skipped.
func (p *parser) decodeTransfer(enc string, r io.Reader, where string) io.Reader {
	switch enc {
	case "", "7bit", "8bit", "binary":
		return r
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return &b64Reader{r: r, p: p, where: where}
	case "x-uuencode", "x-uue", "uuencode", "x-uuencoded":
		return &uuReader{r: r}
	default:
		p.warn(fmt.Sprintf("%s: unknown Content-Transfer-Encoding %q; content kept undecoded", where, truncate(enc, 40)))
		return r
	}
}

// b64Reader decodes base64 leniently: bytes outside the alphabet are
// skipped (with a warning), a truncated final quantum keeps its complete
// bytes, and whatever follows the padding (e.g. a footer a mailing list
// appended to a base64 part) is ignored with a warning.
//
// It is table driven: runs of four alphabet characters (every line of
// well-formed base64) decode in one step; only line breaks, padding and
// damage take the byte-at-a-time path.
type b64Reader struct {
	r       io.Reader
	p       *parser
	where   string
	raw     [16384]byte
	acc     uint32 // pending sextets of an incomplete quantum
	k       int    // how many
	out     []byte // decoded bytes not yet returned
	off     int
	eof     bool
	padded  bool
	invalid bool
}

// Classes of b64Table: values 0-63 are the alphabet; all others have bit
// 0x40 set, so OR-ing four entries tells whether all four are alphabet.
const (
	b64Space   = 0x40
	b64Pad     = 0x41
	b64Invalid = 0xff
)

var b64Table = func() (t [256]byte) {
	for i := range t {
		t[i] = b64Invalid
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	for _, c := range " \t\r\n" {
		t[c] = b64Space
	}
	t['='] = b64Pad
	return t
}()

// decode appends the bytes of chunk to b.out.
func (b *b64Reader) decode(chunk []byte) {
	out := b.out
	t := &b64Table
	i, n := 0, len(chunk)
	for i < n {
		if b.k == 0 && !b.padded {
			for i+4 <= n {
				c0, c1, c2, c3 := t[chunk[i]], t[chunk[i+1]], t[chunk[i+2]], t[chunk[i+3]]
				if (c0|c1|c2|c3)&0xc0 != 0 {
					break
				}
				v := uint32(c0)<<18 | uint32(c1)<<12 | uint32(c2)<<6 | uint32(c3)
				out = append(out, byte(v>>16), byte(v>>8), byte(v))
				i += 4
			}
			if i >= n {
				break
			}
		}
		c := chunk[i]
		i++
		switch v := t[c]; {
		case v == b64Space:
		case b.padded:
			if c != '=' {
				b.p.warn(fmt.Sprintf("%s: data after the end of base64 content ignored", b.where))
				b.eof = true
				b.out = out
				return
			}
		case v < 64:
			b.acc = b.acc<<6 | uint32(v)
			b.k++
			if b.k == 4 {
				out = append(out, byte(b.acc>>16), byte(b.acc>>8), byte(b.acc))
				b.acc, b.k = 0, 0
			}
		case v == b64Pad:
			b.padded = true
		default:
			if !b.invalid {
				b.invalid = true
				b.p.warn(fmt.Sprintf("%s: damaged base64 content: invalid characters skipped", b.where))
			}
		}
	}
	b.out = out
}

// final decodes an incomplete last quantum: two or three characters keep
// their complete bytes, one is damage.
func (b *b64Reader) final() {
	switch b.k {
	case 1:
		b.p.warn(fmt.Sprintf("%s: damaged base64 content (dangling character)", b.where))
	case 2:
		b.out = append(b.out, byte(b.acc>>4))
	case 3:
		b.out = append(b.out, byte(b.acc>>10), byte(b.acc>>2))
	}
	b.acc, b.k = 0, 0
}

func (b *b64Reader) Read(dst []byte) (int, error) {
	for b.off >= len(b.out) {
		if b.eof {
			return 0, io.EOF
		}
		b.out, b.off = b.out[:0], 0
		n, err := b.r.Read(b.raw[:])
		b.decode(b.raw[:n])
		if err != nil || b.eof {
			if err != nil && err != io.EOF {
				b.p.warn(fmt.Sprintf("%s: read: %v", b.where, err))
			}
			b.final()
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

// uuReader decodes a part whose Content-Transfer-Encoding is x-uuencode:
// the lines between "begin mode name" and "end". Content without a begin
// line is passed through.
type uuReader struct {
	r    io.Reader
	out  *bytes.Reader
	done bool
}

func (u *uuReader) Read(b []byte) (int, error) {
	if !u.done {
		u.done = true
		raw, _ := readLimited(u.r, 64<<20)
		text := normalizeNewlines(string(raw))
		data := raw
		if loc := uuBegin.FindStringIndex(text); loc != nil {
			body := text[loc[1]:]
			if i := strings.Index(body, "\nend"); i >= 0 {
				body = body[:i]
			} else if strings.HasPrefix(body, "end") {
				body = ""
			}
			data, _ = uudecode(body)
		}
		u.out = bytes.NewReader(data)
	}
	return u.out.Read(b)
}

// readLimited reads at most max bytes of r and drains the rest; it reports
// whether r was longer.
func readLimited(r io.Reader, max int64) ([]byte, bool) {
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, io.LimitReader(r, max+1))
	if int64(buf.Len()) > max {
		_, _ = io.Copy(io.Discard, r)
		return buf.Bytes()[:max], true
	}
	return buf.Bytes(), false
}

// readEnriched reads a text/enriched (RFC 1896) or text/richtext (RFC 1341)
// body part as plain text.
func (p *parser) readEnriched(pi partInfo, mt string, body io.Reader, where string) {
	raw, _ := readLimited(p.decodeTransfer(pi.encoding, body, where), maxBodyBytes)
	text := normalizeNewlines(p.toUTF8(raw, pi.params["charset"], mt, where))
	text = enrichedToText(text, mt == "text/richtext")
	p.readBodyFrom(partInfo{mediaType: "text/plain", params: map[string]string{"charset": "utf-8"}}, "text/plain", strings.NewReader(text), where)
}

// enrichedToText removes the formatting commands of text/enriched or
// text/richtext. In text/enriched a single line break is a space and n > 1
// line breaks are n-1; "<<" is "<"; <param> content is dropped. In
// text/richtext <nl> and <np> break lines and <lt> is "<".
func enrichedToText(s string, richtext bool) string {
	var b strings.Builder
	b.Grow(len(s))
	param := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<' && !richtext && i+1 < len(s) && s[i+1] == '<':
			if param == 0 {
				b.WriteByte('<')
			}
			i += 2
		case c == '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 || j > 64 {
				if param == 0 {
					b.WriteByte(c)
				}
				i++
				continue
			}
			cmd := strings.ToLower(strings.TrimSpace(s[i+1 : i+j]))
			i += j + 1
			switch cmd {
			case "param":
				param++
			case "/param":
				if param > 0 {
					param--
				}
			case "nl":
				if richtext {
					b.WriteByte('\n')
				}
			case "np":
				if richtext {
					b.WriteString("\n\n")
				}
			case "lt":
				if richtext {
					b.WriteByte('<')
				}
			}
		case c == '\n' && !richtext:
			n := 0
			for i < len(s) && s[i] == '\n' {
				n++
				i++
			}
			if param == 0 {
				if n == 1 {
					b.WriteByte(' ')
				} else {
					b.WriteString(strings.Repeat("\n", n-1))
				}
			}
		default:
			if param == 0 {
				b.WriteByte(c)
			}
			i++
		}
	}
	return b.String()
}

// readBody decodes one text/plain or text/html body part.
func (p *parser) readBody(pi partInfo, mt string, body io.Reader, where string) {
	p.readBodyFrom(pi, mt, p.decodeTransfer(pi.encoding, body, where), where)
}

func (p *parser) readBodyFrom(pi partInfo, mt string, r io.Reader, where string) {
	sb, full := &p.text, &p.textFull
	if mt == "text/html" {
		sb, full = &p.html, &p.htmlFull
	}
	room := int64(maxBodyBytes - sb.Len())
	if *full || room <= 0 {
		if !*full {
			*full = true
		}
		p.partialWarn(fmt.Sprintf("%s body larger than %d bytes truncated", mt, maxBodyBytes))
		_, _ = io.Copy(io.Discard, r)
		return
	}
	raw, truncated := readLimited(r, room)
	if truncated {
		*full = true
		p.partialWarn(fmt.Sprintf("%s body larger than %d bytes truncated", mt, maxBodyBytes))
	}
	text := p.toUTF8(raw, pi.params["charset"], mt, where)
	if truncated {
		text = strings.ToValidUTF8(text, "")
		for len(text) > 0 && int64(len(text)) > room {
			_, size := utf8.DecodeLastRuneInString(text)
			text = text[:len(text)-size]
		}
	}
	if mt == "text/plain" {
		text = normalizeNewlines(text)
		if strings.EqualFold(pi.params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(pi.params["delsp"], "yes"))
		}
		if strings.Contains(text, "begin ") {
			text = p.extractUUEncoded(text, where)
		}
		if strings.TrimSpace(text) == "" {
			return
		}
		if sb.Len() > 0 {
			sb.WriteString("\n")
		}
	}
	sb.WriteString(text)
}

func normalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// toUTF8 converts raw text in the declared charset to UTF-8, repairing
// mislabelled text (e.g. declared UTF-8 or US-ASCII but really Latin-1).
func (p *parser) toUTF8(raw []byte, label, mt, where string) string {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if label == "" && mt == "text/html" {
		// no MIME charset: honour a BOM or <meta charset>, else sniff
		_, name, _ := htmlcharset.DetermineEncoding(raw, "text/html")
		head := raw
		if len(head) > 1024 {
			head = head[:1024]
		}
		if name != "" && (name != "windows-1252" || bytes.Contains(bytes.ToLower(head), []byte("charset"))) {
			label = name
		}
	}
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "iso-646-us", "us":
		if utf8.Valid(raw) {
			return string(raw)
		}
		shown := label
		if shown == "" {
			shown = "none"
		}
		p.warn(fmt.Sprintf("%s: text declared charset %s is not valid UTF-8; decoded as windows-1252", where, shown))
		return decodeWith1252(raw)
	}
	if (label == "iso-8859-1" || label == "latin1" || label == "windows-1252" || label == "cp1252" || label == "iso-8859-15") &&
		!isASCII(raw) && utf8.Valid(raw) && looksLikeUTF8Text(raw) {
		p.warn(fmt.Sprintf("%s: text declared %s is really UTF-8; decoded as UTF-8", where, label))
		return string(raw)
	}
	r, err := newCharsetReader(label, bytes.NewReader(raw))
	if err != nil {
		if utf8.Valid(raw) {
			p.warn(fmt.Sprintf("%s: unknown charset %q; text is valid UTF-8 and kept as such", where, truncate(label, 40)))
			return string(raw)
		}
		p.warn(fmt.Sprintf("%s: unknown charset %q; decoded as windows-1252", where, truncate(label, 40)))
		return decodeWith1252(raw)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		p.warn(fmt.Sprintf("%s: charset %s: %v", where, label, err))
	}
	s := string(out)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(raw, []byte("\xef\xbf\xbd")) {
		p.warn(fmt.Sprintf("%s: text contains bytes invalid in charset %s", where, label))
	}
	return s
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// looksLikeUTF8Text reports whether raw (valid UTF-8, non-ASCII) has
// multi-byte sequences that are unlikely as Latin-1 (e.g. "Ã©").
func looksLikeUTF8Text(raw []byte) bool {
	multi := 0
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if size > 1 && r != utf8.RuneError {
			multi++
		}
		i += size
	}
	return multi > 0
}

func decodeWith1252(raw []byte) string {
	out, _, err := transform.Bytes(charmap.Windows1252.NewDecoder(), raw)
	if err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return string(out)
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676):
// a line ending in a space continues on the next line of the same quote
// depth. Space-stuffing is removed; the "-- " signature separator is kept.
func unflow(text string, delsp bool) string {
	lines := strings.Split(text, "\n")
	var out []string
	var cur strings.Builder
	curDepth, open := 0, false
	emit := func() {
		if !open {
			return
		}
		prefix := ""
		if curDepth > 0 {
			prefix = strings.Repeat(">", curDepth)
			if cur.Len() > 0 {
				prefix += " "
			}
		}
		out = append(out, prefix+cur.String())
		cur.Reset()
		open = false
	}
	for _, line := range lines {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		content = strings.TrimPrefix(content, " ") // space-stuffing
		if open && depth != curDepth {
			emit()
		}
		if !open {
			curDepth, open = depth, true
		}
		flowed := strings.HasSuffix(content, " ") && content != "-- "
		if flowed && delsp {
			content = content[:len(content)-1]
		}
		cur.WriteString(content)
		if !flowed {
			emit()
		}
	}
	emit()
	return strings.Join(out, "\n")
}
