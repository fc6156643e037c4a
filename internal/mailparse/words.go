package mailparse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// encodedWord matches one RFC 2047 encoded word, tolerating spaces and raw
// 8-bit bytes inside the encoded text.
var encodedWord = regexp.MustCompile(`=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=`)

// decodeWords decodes the RFC 2047 encoded words of a header value, which
// may hold raw 8-bit bytes. It is tolerant: words glued to text, words with
// spaces or raw 8-bit bytes inside (read as UTF-8 when they are, else in the
// word's charset), unknown charsets (UTF-8 or windows-1252), UTF-7, base64
// without padding. Adjacent words in the same charset are joined before
// decoding, so a character split across two words survives. Raw bytes
// outside words are read as UTF-8 or, when invalid, windows-1252. A word
// that cannot be decoded is kept as it is.
func (p *parser) decodeWords(s, where string) string {
	if !strings.Contains(s, "=?") {
		if !utf8.ValidString(s) {
			return decodeWith1252([]byte(s))
		}
		return s
	}
	locs := encodedWord.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		if !utf8.ValidString(s) {
			return decodeWith1252([]byte(s))
		}
		return s
	}
	var out strings.Builder
	var run []byte // decoded bytes of adjacent words in one charset
	runCS := ""    // their charset
	flush := func() {
		if runCS != "" {
			out.WriteString(p.wordText(run, runCS, where))
		}
		run, runCS = run[:0], ""
	}
	last := 0
	prevWord := false
	failed := false
	for _, loc := range locs {
		between := s[last:loc[0]]
		last = loc[1]
		cs := strings.ToLower(s[loc[2]:loc[3]])
		if i := strings.IndexByte(cs, '*'); i >= 0 {
			cs = cs[:i] // RFC 2231 language suffix
		}
		enc, text := s[loc[4]:loc[5]], s[loc[6]:loc[7]]
		if !(prevWord && strings.TrimSpace(between) == "") {
			flush()
			out.WriteString(plainHeaderText(between))
		}
		if (enc == "q" || enc == "Q") && !isASCII([]byte(text)) && (latinLabels[cs] || cs == "utf-8" || cs == "utf8") {
			// Raw 8-bit bytes in a Q word (typed into the header by a
			// program): decode them apart from the escapes.
			flush()
			out.WriteString(decodeQMixed(text, cs))
			prevWord = true
			continue
		}
		raw, ok := decodeWordBytes(enc, text)
		if !ok {
			flush()
			failed = true
			out.WriteString(plainHeaderText(s[loc[0]:loc[1]]))
			prevWord = false
			continue
		}
		if runCS != cs {
			flush()
			runCS = cs
		}
		run = append(run, raw...)
		prevWord = true
	}
	flush()
	out.WriteString(plainHeaderText(s[last:]))
	if failed {
		p.warn(fmt.Sprintf("%s: undecodable encoded word kept as is", where))
	}
	return strings.ToValidUTF8(out.String(), "\uFFFD")
}

// plainHeaderText returns header text outside encoded words as UTF-8.
func plainHeaderText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeWith1252([]byte(s))
}

// decodeWordBytes undoes the Q or B encoding of an encoded word's text.
func decodeWordBytes(enc, text string) ([]byte, bool) {
	if enc == "b" || enc == "B" {
		var q []byte
		for i := 0; i < len(text); i++ {
			c := text[i]
			switch {
			case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
				q = append(q, c)
			case c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n':
			default:
				return nil, false
			}
		}
		if len(q)%4 == 1 {
			q = q[:len(q)-1]
		}
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(q)))
		n, err := base64.RawStdEncoding.Decode(out, q)
		if err != nil || (n == 0 && len(text) > 0) {
			return nil, false
		}
		return out[:n], true
	}
	out := make([]byte, 0, len(text))
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			out = append(out, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out, true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// latinLabels are single-byte charsets whose text is often really UTF-8.
var latinLabels = map[string]bool{
	"iso-8859-1": true, "latin1": true, "iso8859-1": true, "iso_8859-1": true, "windows-1252": true,
	"cp1252": true, "iso-8859-15": true, "us-ascii": true, "ascii": true,
}

// wordText converts the decoded bytes of encoded words to UTF-8.
func (p *parser) wordText(raw []byte, cs, where string) string {
	if isASCII(raw) && (latinLabels[cs] || cs == "utf-8" || cs == "utf8") {
		return string(raw)
	}
	switch {
	case cs == "utf-8" || cs == "utf8":
		if utf8.Valid(raw) {
			return string(raw)
		}
		return decodeWith1252(raw)
	case latinLabels[cs] && utf8.Valid(raw) && looksLikeUTF8Text(raw):
		// typed in a UTF-8 editor (raw bytes) or mislabelled
		return string(raw)
	}
	r, err := newCharsetReader(cs, bytes.NewReader(raw))
	if err != nil {
		p.warn(fmt.Sprintf("%s: encoded word in unknown charset decoded as UTF-8/windows-1252", where))
		if utf8.Valid(raw) {
			return string(raw)
		}
		return decodeWith1252(raw)
	}
	out, _ := io.ReadAll(r)
	return strings.ToValidUTF8(string(out), "\uFFFD")
}

// newCharsetReader is charset.Reader plus UTF-7 (RFC 2152), which Outlook
// 2000-era clients used and go-message does not know.
func newCharsetReader(label string, r io.Reader) (io.Reader, error) {
	label = strings.ToLower(strings.TrimSpace(label))
	if label == "utf-7" || label == "utf7" || label == "unicode-1-1-utf-7" || label == "x-unicode20utf7" {
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return strings.NewReader(decodeUTF7(b)), nil
	}
	if a, ok := charsetAliases[label]; ok {
		label = a
	} else if rest, ok := strings.CutPrefix(label, "latin-"); ok {
		label = "latin" + rest
	} else if n, ok := cutAny(label, "cp-", "win-", "windows_", "win"); ok && len(n) == 4 && strings.HasPrefix(n, "125") {
		label = "windows-" + n
	}
	return charset.Reader(label, r)
}

// charsetAliases are labels seen in mail that the WHATWG index lacks.
var charsetAliases = map[string]string{
	"646": "us-ascii", "ansi": "windows-1252", "cp949": "euc-kr", "ks_c_5601": "euc-kr", "x-euc-tw": "big5",
	"x-user-defined": "windows-1252", "iso-8859-8-e": "iso-8859-8",
}

// cutAny returns s without the first of the prefixes it has.
func cutAny(s string, prefixes ...string) (string, bool) {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return rest, true
		}
	}
	return s, false
}

// decodeUTF7 decodes UTF-7 text: "+" starts a run of modified base64
// holding UTF-16BE, ended by "-" (absorbed) or any non-base64 character;
// "+-" is a plus sign. Bytes above 0x7F (invalid in UTF-7) are read as
// windows-1252.
func decodeUTF7(b []byte) string {
	var out strings.Builder
	out.Grow(len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '+' {
			if c < utf8.RuneSelf {
				out.WriteByte(c)
			} else {
				out.WriteString(decodeWith1252(b[i : i+1]))
			}
			i++
			continue
		}
		i++
		if i < len(b) && b[i] == '-' {
			out.WriteByte('+')
			i++
			continue
		}
		j := i
		for j < len(b) && isBase64Char(b[j]) {
			j++
		}
		run := b[i:j]
		if len(run)%4 == 1 {
			run = run[:len(run)-1]
		}
		buf := make([]byte, base64.RawStdEncoding.DecodedLen(len(run)))
		n, _ := base64.RawStdEncoding.Decode(buf, run)
		buf = buf[:n&^1]
		units := make([]uint16, len(buf)/2)
		for k := range units {
			units[k] = uint16(buf[2*k])<<8 | uint16(buf[2*k+1])
		}
		out.WriteString(string(utf16.Decode(units)))
		if j < len(b) && b[j] == '-' {
			j++
		}
		i = j
	}
	return out.String()
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// decodeQMixed decodes a Q-encoded word holding raw 8-bit bytes in a
// single-byte Latin charset or UTF-8: raw bytes that form UTF-8 characters
// are kept as such; escapes and other bytes are read in the charset
// (windows-1252 for the Latin family, a superset of ISO-8859-1's printable
// range) or, for UTF-8, as UTF-8 where valid.
func decodeQMixed(text, cs string) string {
	var raw []byte // bytes of escapes and stray 8-bit bytes, pending
	var b strings.Builder
	utf := cs == "utf-8" || cs == "utf8"
	flushRaw := func() {
		if len(raw) == 0 {
			return
		}
		switch {
		case utf && utf8.Valid(raw):
			b.Write(raw)
		case utf:
			b.WriteString(decodeWith1252(raw))
		default:
			if r, err := newCharsetReader(cs, bytes.NewReader(raw)); err == nil {
				out, _ := io.ReadAll(r)
				b.WriteString(strings.ToValidUTF8(string(out), "\uFFFD"))
			} else {
				b.WriteString(decodeWith1252(raw))
			}
		}
		raw = raw[:0]
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '_':
			flushRaw()
			b.WriteByte(' ')
			i++
		case c == '=' && i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2]):
			raw = append(raw, unhex(text[i+1])<<4|unhex(text[i+2]))
			i += 3
		case c >= utf8.RuneSelf:
			if r, size := utf8.DecodeRuneInString(text[i:]); r != utf8.RuneError && size > 1 && !utf {
				flushRaw()
				b.WriteString(text[i : i+size])
				i += size
				continue
			}
			raw = append(raw, c)
			i++
		default:
			flushRaw()
			b.WriteByte(c)
			i++
		}
	}
	flushRaw()
	return b.String()
}
