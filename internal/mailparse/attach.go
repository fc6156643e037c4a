package mailparse

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// countingReader counts the bytes a sink consumed.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// store hands one attachment to the sink (or discards it) and records it.
func (p *parser) store(meta Attachment, r io.Reader, where string) {
	cr := &countingReader{r: r}
	if p.opts.Sink != nil {
		key, size, err := p.opts.Sink(meta, cr)
		if err != nil {
			p.warn(fmt.Sprintf("%s: storing attachment %q failed: %v", where, meta.Filename, err))
		} else {
			meta.BlobKey = key
		}
		_ = size
	}
	// whatever the sink left unread still counts towards the size
	_, _ = io.Copy(io.Discard, cr)
	meta.Size = cr.n
	p.msg.Attachments = append(p.msg.Attachments, meta)
}

func (p *parser) nextName(ext string) string {
	p.attachNum++
	return fmt.Sprintf("attachment-%d%s", p.attachNum, ext)
}

// attach stores a non-body part.
func (p *parser) attach(pi partInfo, mt string, body io.Reader, where string) {
	if pi.filename == "" && pi.location != "" {
		// Apple Mail and MHTML name inline parts by Content-Location.
		if u, err := url.Parse(pi.location); err == nil && u.Path != "" {
			pi.filename = cleanFilename(path.Base(u.Path))
		}
		if !strings.Contains(pi.filename, ".") {
			pi.filename = ""
		}
	}
	name := pi.filename
	if name == "" {
		name = p.nextName(extensionFor(mt))
	}
	meta := Attachment{
		Filename:    name,
		GivenName:   pi.filename,
		ContentType: mt,
		ContentID:   pi.contentID,
		Inline:      pi.disposition == "inline" || (pi.disposition == "" && pi.contentID != ""),
	}
	if mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat") {
		p.warn(fmt.Sprintf("%s: TNEF attachment %q (Outlook winmail.dat) kept as is; its contents were not extracted", where, name))
	}
	p.store(meta, p.decodeTransfer(pi.encoding, body, where), where)
}

// peekAll reads up to n bytes and returns them with a reader replaying the
// whole content.
func peekAll(r io.Reader, n int) ([]byte, io.Reader) {
	head, _ := io.ReadAll(io.LimitReader(r, int64(n)))
	return head, io.MultiReader(bytes.NewReader(head), r)
}

// attachMessage stores a message/rfc822 part as a .eml attachment and reads
// its header (subject for the filename, Message-ID for bounces).
func (p *parser) attachMessage(pi partInfo, mt string, body io.Reader, where string) {
	head, full := peekAll(p.decodeTransfer(pi.encoding, body, where), peekMessageSize)
	sub := &parser{opts: Options{}, msg: &Message{}, seen: map[string]bool{}}
	h, _, err := sub.readHeaderBlock(bufio.NewReader(bytes.NewReader(head)), where, false)
	var subject string
	if err == nil {
		subject = sub.decodeWords(h.Get("Subject"), where)
		if id := parseMsgID(h.Get("Message-Id")); id != "" && p.origID == "" {
			p.origID = id
		}
	}
	name := pi.filename
	if name == "" {
		name = cleanFilename(subject)
		if name == "" {
			name = "forwarded-message"
		}
		if len(name) > 80 {
			name = strings.ToValidUTF8(name[:80], "")
		}
		name += ".eml"
	}
	meta := Attachment{Filename: name, GivenName: pi.filename, ContentType: mt, ContentID: pi.contentID, Inline: false}
	p.store(meta, full, where)
}

// attachRFC822Headers stores the headers of a bounced message and reads its
// Message-ID.
func (p *parser) attachRFC822Headers(pi partInfo, mt string, body io.Reader, where string) {
	head, full := peekAll(p.decodeTransfer(pi.encoding, body, where), peekMessageSize)
	sub := &parser{opts: Options{}, msg: &Message{}, seen: map[string]bool{}}
	if h, _, err := sub.readHeaderBlock(bufio.NewReader(bytes.NewReader(head)), where, false); err == nil {
		if id := parseMsgID(h.Get("Message-Id")); id != "" && p.origID == "" {
			p.origID = id
		}
	}
	name := pi.filename
	if name == "" {
		name = "original-headers.txt"
	}
	p.store(Attachment{Filename: name, GivenName: pi.filename, ContentType: mt, ContentID: pi.contentID}, full, where)
}

// attachDeliveryStatus stores and parses a message/delivery-status part.
func (p *parser) attachDeliveryStatus(pi partInfo, mt string, body io.Reader, where string) {
	head, full := peekAll(p.decodeTransfer(pi.encoding, body, where), peekMessageSize)
	p.dsn = append(p.dsn, parseDeliveryStatus(head)...)
	name := pi.filename
	if name == "" {
		name = "delivery-status.txt"
	}
	p.store(Attachment{Filename: name, GivenName: pi.filename, ContentType: mt, ContentID: pi.contentID}, full, where)
}

var extByType = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
	"image/bmp": ".bmp", "image/svg+xml": ".svg", "image/tiff": ".tif",
	"application/pdf": ".pdf", "application/zip": ".zip", "application/gzip": ".gz",
	"application/x-gzip": ".gz", "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics",
	"text/csv": ".csv", "application/ms-tnef": ".dat", "application/vnd.ms-tnef": ".dat",
	"application/pgp-signature": ".asc", "application/pkcs7-signature": ".p7s",
	"application/x-pkcs7-signature": ".p7s", "text/x-vcard": ".vcf", "text/vcard": ".vcf",
	"audio/mpeg": ".mp3", "video/mp4": ".mp4", "application/json": ".json", "application/xml": ".xml",
	"text/xml": ".xml", "application/msword": ".doc",
	"text/rtf": ".rtf", "application/rtf": ".rtf", "text/richtext": ".rtx", "text/enriched": ".txt",
	"text/markdown": ".md", "text/x-vcalendar": ".vcs", "application/ics": ".ics", "image/heic": ".heic",
	"application/vnd.ms-excel": ".xls", "application/vnd.ms-powerpoint": ".ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/x-zip-compressed":                                              ".zip", "application/x-rar-compressed": ".rar", "application/x-7z-compressed": ".7z",
	"audio/ogg": ".ogg", "audio/wav": ".wav", "video/quicktime": ".mov", "application/pgp-encrypted": ".pgp",
	"application/pgp-keys": ".asc", "message/disposition-notification": ".txt", "application/xhtml+xml": ".html",
}

func extensionFor(mt string) string {
	if e, ok := extByType[mt]; ok {
		return e
	}
	return ".bin"
}

// cleanFilename removes directory parts and control characters from a
// filename offered by the sender.
func cleanFilename(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\\", "/")
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || r == '/' || r == '\\' || r == ':' || (r >= 0x80 && r < 0xa0) {
			return '_'
		}
		if unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	s = path.Base("/" + s)
	if s == "/" || s == "." || s == ".." {
		return ""
	}
	s = strings.TrimLeft(s, ".")
	for len(s) > 255 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

var uuBegin = regexp.MustCompile(`(?m)^begin [0-7]{3,4} ([^\n]+)\n`)

// extractUUEncoded finds uuencoded blocks in a plain text body, stores
// them as attachments and removes them from the text.
func (p *parser) extractUUEncoded(text, where string) string {
	var out strings.Builder
	rest := text
	found := false
	for guard := 0; guard < 1000; guard++ {
		loc := uuBegin.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		name := cleanFilename(strings.TrimSpace(rest[loc[2]:loc[3]]))
		after := rest[loc[1]:]
		endIdx := -1
		for _, marker := range []string{"\nend\n", "\nend"} {
			if i := strings.Index(after, marker); i >= 0 && (marker == "\nend\n" || i+len(marker) == len(after)) {
				endIdx = i
				break
			}
		}
		if endIdx < 0 {
			// "`\nend" can also be the first line when the file is empty
			if strings.HasPrefix(after, "end\n") || after == "end" {
				endIdx = -1
			} else {
				break
			}
		}
		var data []byte
		consumed := 0
		if endIdx >= 0 {
			var ok bool
			data, ok = uudecode(after[:endIdx])
			if !ok {
				p.warn(fmt.Sprintf("%s: damaged uuencoded data in %q", where, name))
			}
			consumed = endIdx + len("\nend")
		} else {
			consumed = len("end")
		}
		found = true
		out.WriteString(rest[:loc[0]])
		given := name
		if name == "" {
			name = p.nextName(".bin")
		}
		p.store(Attachment{Filename: name, GivenName: given, ContentType: "application/octet-stream"}, bytes.NewReader(data), where)
		rest = strings.TrimPrefix(after[consumed:], "\n")
		if strings.HasSuffix(out.String(), "\n\n") {
			rest = strings.TrimLeft(rest, "\n")
		}
	}
	if !found {
		return text
	}
	out.WriteString(rest)
	return out.String()
}

// uudecode decodes the lines of one uuencoded block.
func uudecode(block string) ([]byte, bool) {
	var out []byte
	ok := true
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		n := int((line[0] - ' ') & 63)
		if n == 0 {
			break
		}
		body := line[1:]
		var chunk []byte
		for i := 0; i+1 < len(body) && len(chunk) < n; i += 4 {
			var c [4]byte
			for j := 0; j < 4; j++ {
				if i+j < len(body) {
					c[j] = (body[i+j] - ' ') & 63
				}
			}
			chunk = append(chunk, c[0]<<2|c[1]>>4, c[1]<<4|c[2]>>2, c[2]<<6|c[3])
		}
		if len(chunk) < n {
			ok = false
			n = len(chunk)
		}
		out = append(out, chunk[:n]...)
	}
	return out, ok
}
