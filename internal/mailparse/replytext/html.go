package replytext

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/atende-helpdesk/atende/internal/yield"
)

// maxHTMLBytes is how much of an HTML body HTML examines; markup beyond it is
// treated as quoted history.
const maxHTMLBytes = 2 << 20

// HTML returns the visible plain text of what the sender wrote in this
// message, given its HTML body: quote containers of the common clients are
// removed, the rest converted to text, and the rules of Text applied. When
// that leaves nothing, the trimmed text of the whole body is returned.
func HTML(body string) string { return HTMLGated(body, nil) }

// HTMLGated is HTML reading the body through g's yield points (package
// yield): a server's ingest workers let its committer run first.
func HTMLGated(body string, g *yield.Gate) string {
	if len(body) > maxHTMLBytes {
		cut := maxHTMLBytes
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	lines, removed := htmlLines(body, true, g)
	s := &stripper{lines: lines, html: true}
	end := s.run()
	start := s.leadingQuote(end)
	if out := joinVisible(lines[start:end]); out != "" {
		return out
	}
	if removed {
		lines, _ = htmlLines(body, false, g)
	}
	return joinVisible(lines)
}

// leadingQuote returns where the sender's text starts in an HTML reply whose
// quote comes first (bottom-posting, as Thunderbird and Roundcube may do): a
// removed quote at the top, with the header that introduced it, is skipped.
func (s *stripper) leadingQuote(end int) int {
	i := 0
	for i < end && s.blank(i) {
		i++
	}
	if i >= end {
		return 0
	}
	j := i
	if !s.isSentinel(j) {
		// Up to three header lines, then the sentinel.
		for j < end && j < i+3 && !s.blank(j) && !s.isSentinel(j) {
			j++
		}
		h := j - 1
		for j < end && s.blank(j) {
			j++
		}
		if j >= end || !s.isSentinel(j) {
			return 0
		}
		if st, _, ok := s.headerEndingAt(h); !ok || st != i {
			return 0
		}
	}
	for j < end && (s.blank(j) || s.quoted(j)) {
		j++
	}
	return j
}

// joinVisible joins lines, dropping sentinels, collapsing runs of blank lines
// and trimming the result.
func joinVisible(lines []string) string {
	var b strings.Builder
	blank := 0
	for _, l := range lines {
		if l == sentinel || l == hrMarker {
			continue
		}
		if trim(l) == "" {
			blank++
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
			if blank > 0 {
				b.WriteByte('\n')
			}
		}
		blank = 0
		b.WriteString(l)
	}
	return strings.TrimSpace(b.String())
}

// converter turns an HTML token stream into lines of visible text.
type converter struct {
	lines        []string
	cur          []byte // the line being built, reused
	curNBSP      bool   // the current line holds only non-breaking spaces so far
	pendingSpace bool
	pendingBlank bool
	quoteDepth   int
	preDepth     int
	msoP         bool // the open <p> is an Outlook MsoNormal paragraph

	skipName   string // element whose content is being skipped
	skipDepth  int
	removedAny bool // an element was dropped in stripping mode
	citeNext   bool // the next blockquote is a quote (after Roundcube's reply-intro, moz-cite-prefix)
}

// endLine finishes the current line; an empty one is only kept when force is
// set (a <br>) or it held a non-breaking space (Outlook's empty paragraphs).
func (c *converter) endLine(force bool) {
	content := trimRight(string(c.cur))
	c.cur = c.cur[:0]
	c.pendingSpace = false
	nbsp := c.curNBSP
	c.curNBSP = false
	if content == "" && !force && !nbsp {
		return
	}
	if content != "" && c.pendingBlank {
		c.lines = append(c.lines, "")
	}
	c.pendingBlank = false
	if c.quoteDepth > 0 {
		q := strings.Repeat(">", min(c.quoteDepth, 8))
		if content == "" {
			content = q
		} else {
			content = q + " " + content
		}
	}
	c.lines = append(c.lines, content)
}

func (c *converter) newline() { c.endLine(false) }

// paragraph ends the current line and asks for a blank line before the next
// text.
func (c *converter) paragraph() {
	c.endLine(false)
	if len(c.lines) > 0 {
		c.pendingBlank = true
	}
}

// removed marks where a quote was taken out.
func (c *converter) removed() {
	c.endLine(false)
	c.pendingBlank = false
	c.lines = append(c.lines, sentinel)
}

// write appends text from a text token.
func (c *converter) write(s string) {
	if c.preDepth > 0 {
		for {
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				break
			}
			c.writeRaw(strings.TrimSuffix(s[:i], "\r"))
			c.endLine(true)
			s = s[i+1:]
		}
		c.writeRaw(s)
		return
	}
	for len(s) > 0 {
		r, size := rune(s[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s)
		}
		s = s[size:]
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\v':
			c.pendingSpace = true
			continue
		case '\u00a0', '\u202f':
			if len(c.cur) == 0 {
				c.curNBSP = true
			}
			c.pendingSpace = true
			continue
		case 0:
			r = utf8.RuneError
		}
		if c.pendingSpace && len(c.cur) > 0 {
			c.cur = append(c.cur, ' ')
		}
		c.pendingSpace = false
		c.cur = utf8.AppendRune(c.cur, r)
	}
}

// writeRaw appends preformatted text verbatim (NUL replaced).
func (c *converter) writeRaw(s string) {
	if c.pendingSpace && len(c.cur) > 0 {
		c.cur = append(c.cur, ' ')
	}
	c.pendingSpace = false
	c.cur = append(c.cur, strings.ReplaceAll(s, "\x00", "\uFFFD")...)
}

// attrs holds the attributes the converter looks at.
type attrs struct {
	id, class, style, typ, marker string
	hidden                        bool
}

func readAttrs(z *html.Tokenizer) attrs {
	var a attrs
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "id":
			a.id = string(v)
		case "class":
			a.class = strings.ToLower(string(v))
		case "style":
			a.style = compactStyle(string(v))
		case "type":
			a.typ = strings.ToLower(strings.TrimSpace(string(v)))
		case "data-marker":
			a.marker = string(v)
		case "hidden":
			a.hidden = true
		}
		if !more {
			return a
		}
	}
}

// compactStyle lowercases a style attribute and removes its spacing, so that
// "border-top: solid #E1E1E1 1.0pt" reads "border-top:solid#e1e1e11.0pt".
func compactStyle(s string) string {
	if len(s) > 4096 {
		s = prefix(s, 4096)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f':
			continue
		case 'A' <= ch && ch <= 'Z':
			ch += 'a' - 'A'
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// styleDecl returns the value of the last declaration of prop in a compacted
// style, or "".
func styleDecl(style, prop string) string {
	v := ""
	for _, d := range strings.Split(style, ";") {
		if rest, ok := strings.CutPrefix(d, prop+":"); ok {
			v = rest
		}
	}
	return v
}

func (a attrs) invisible() bool {
	if a.hidden {
		return true
	}
	if a.style == "" {
		return false
	}
	return styleDecl(a.style, "display") == "none" ||
		strings.Contains(a.style, "mso-hide:all") ||
		styleDecl(a.style, "visibility") == "hidden"
}

// outlookSeparator reports the border-top rule Outlook desktop draws above
// the header of the quoted message.
func (a attrs) outlookSeparator() bool {
	if !strings.Contains(a.style, "border-top") {
		return false
	}
	v := styleDecl(a.style, "border-top")
	if v == "" && styleDecl(a.style, "border-top-style") == "solid" {
		// Windows Mail: border-top-style/-color/-width declared apart
		v = "solid" + styleDecl(a.style, "border-top-color")
	}
	if !strings.Contains(v, "solid") {
		return false
	}
	for _, c := range []string{"#e1e1e1", "#b5c4df", "#e5e5e5", "rgb(225,225,225)", "rgb(229,229,229)", "rgb(181,196,223)"} {
		if strings.Contains(v, c) {
			return true
		}
	}
	return false
}

// action is what the converter does with an element in stripping mode.
type action int

const (
	keep         action = iota
	cutRest             // drop it and everything after it
	dropQuote           // drop it, marking where a quote was
	dropSilently        // drop it (signature, attribution prefix)
	dropIntro           // drop it: an attribution (Roundcube, Thunderbird); the next blockquote is the quote
)

func classify(tag atom.Atom, a attrs) action {
	id := strings.ToLower(a.id)
	switch {
	case strings.HasSuffix(id, "divrplyfwdmsg"),
		id == "appendonsend" || strings.HasSuffix(id, "_appendonsend"),
		strings.Contains(id, "mail-editor-reference-message-container"),
		strings.Contains(id, "olk_src_body_section"),
		strings.Contains(a.class, "outlookmessageheader"),
		tag == atom.Hr && id == "zwchr",
		strings.Contains(a.class, "zmail_extra"),
		a.marker == "__DIVIDER__" || a.marker == "__HEADERS__" || a.marker == "__QUOTED_TEXT__",
		a.outlookSeparator():
		return cutRest
	case strings.Contains(a.class, "gmail_quote"),
		strings.Contains(a.class, "yahoo_quoted"), strings.Contains(id, "yahoo_quoted"),
		strings.Contains(a.class, "protonmail_quote"),
		strings.HasPrefix(id, "aolmsgpart"), strings.Contains(a.class, "aolreplyedmessage"),
		tag == atom.Blockquote && a.typ == "cite":
		return dropQuote
	case id == "reply-intro", strings.Contains(a.class, "moz-cite-prefix"):
		return dropIntro
	case strings.Contains(a.class, "gmail_signature"),
		strings.Contains(a.class, "moz-signature"),
		id == "_rc_sig", a.id == "Signature",
		strings.Contains(id, "applemailsignature"),
		strings.Contains(id, "ms-outlook-mobile-signature"),
		strings.Contains(id, "ymail_android_signature"),
		strings.Contains(id, "ymail_ios_signature"),
		a.marker == "__SIG_PRE__" || a.marker == "__SIG_POST__":
		return dropSilently
	}
	return keep
}

var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Keygen: true, atom.Link: true,
	atom.Meta: true, atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// alwaysSkipped elements never contribute visible text.
var alwaysSkipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Title: true, atom.Template: true,
	atom.Svg: true, atom.Object: true, atom.Iframe: true, atom.Head: true,
	atom.Select: true, atom.Math: true, atom.Noembed: true, atom.Noframes: true,
}

// headElements may appear inside <head>; any other start tag ends it.
var headElements = map[atom.Atom]bool{
	atom.Title: true, atom.Style: true, atom.Script: true, atom.Meta: true,
	atom.Link: true, atom.Base: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true,
}

var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Center: true,
	atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Dir: true, atom.Div: true,
	atom.Dl: true, atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.Form: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true,
	atom.Hgroup: true, atom.Main: true, atom.Menu: true, atom.Nav: true, atom.Ol: true,
	atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Ul: true, atom.Caption: true,
	atom.Legend: true, atom.Body: true, atom.Html: true, atom.Li: true, atom.Hr: true,
	atom.Blockquote: true, atom.Pre: true, atom.P: true,
}

// htmlLines converts body to lines of visible text. With strip set, quote
// containers are removed (leaving a sentinel line) or cut off; removed
// reports whether any element was.
func htmlLines(body string, strip bool, g *yield.Gate) (lines []string, removed bool) {
	z := html.NewTokenizer(g.Reader(strings.NewReader(body), yield.HTMLEvery))
	c := &converter{}
	// Stack of open blockquotes: whether each one was rendered as a quote.
	var bq []bool
loop:
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			break loop
		case html.TextToken:
			if c.skipName == "" {
				c.write(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := atom.Lookup(name)
			void := voidElements[tag] || tt == html.SelfClosingTagToken
			if c.skipName != "" {
				if c.skipName == "p" && blockElements[tag] && tag != atom.Li {
					// A block start closes an open <p>: the hidden
					// paragraph ended without its end tag.
					c.skipName = ""
				} else if c.skipName == "head" && !headElements[tag] {
					// Body content closes a <head> left open.
					c.skipName = ""
				} else if string(name) == c.skipName && !void {
					c.skipDepth++
				}
				if c.skipName != "" {
					continue
				}
			}
			var a attrs
			if hasAttr {
				a = readAttrs(z)
			}
			if alwaysSkipped[tag] || a.invisible() {
				if !void {
					c.skipName, c.skipDepth = string(name), 1
				}
				continue
			}
			if strip {
				act := classify(tag, a)
				if tag == atom.Blockquote && c.citeNext && act == keep {
					act = dropQuote
				}
				if act != keep {
					c.removedAny = true
				}
				switch act {
				case cutRest:
					c.removed()
					break loop
				case dropQuote:
					c.citeNext = false
					c.removed()
					if !void {
						c.skipName, c.skipDepth = string(name), 1
					}
					continue
				case dropIntro:
					c.citeNext = true
					if !void {
						c.skipName, c.skipDepth = string(name), 1
					}
					continue
				case dropSilently:
					if !void {
						c.skipName, c.skipDepth = string(name), 1
					}
					continue
				}
			}
			c.startTag(tag, a, void, &bq)
		case html.EndTagToken:
			name, _ := z.TagName()
			if c.skipName != "" {
				if string(name) == c.skipName {
					c.skipDepth--
					if c.skipDepth == 0 {
						c.skipName = ""
					}
				}
				continue
			}
			c.endTag(atom.Lookup(name), &bq)
		}
	}
	c.newline()
	return c.lines, c.removedAny
}

func (c *converter) startTag(tag atom.Atom, a attrs, void bool, bq *[]bool) {
	switch tag {
	case atom.Hr:
		c.endLine(false)
		c.pendingBlank = false
		c.lines = append(c.lines, hrMarker)
	case atom.Br:
		c.endLine(true)
	case atom.P:
		c.msoP = strings.Contains(a.class, "mso")
		if c.msoP {
			c.newline()
		} else {
			c.paragraph()
		}
	case atom.Li:
		c.newline()
		c.write("- ")
	case atom.Td, atom.Th:
		c.pendingSpace = true
	case atom.Blockquote:
		c.newline()
		if void {
			return
		}
		// Gmail's "indent" is a borderless blockquote: not a quote.
		quote := !(strings.Contains(a.style, "border:none") && !strings.Contains(a.style, "border-left"))
		*bq = append(*bq, quote)
		if quote {
			c.quoteDepth++
		}
	case atom.Pre:
		c.newline()
		if !void {
			c.preDepth++
		}
	default:
		if blockElements[tag] {
			c.newline()
		}
	}
}

func (c *converter) endTag(tag atom.Atom, bq *[]bool) {
	switch tag {
	case atom.P:
		if c.msoP {
			c.newline()
		} else {
			c.paragraph()
		}
		c.msoP = false
	case atom.Br:
		// "</br>" is read as <br> by browsers.
		c.endLine(true)
	case atom.Td, atom.Th:
		c.pendingSpace = true
	case atom.Blockquote:
		c.newline()
		if n := len(*bq); n > 0 {
			if (*bq)[n-1] && c.quoteDepth > 0 {
				c.quoteDepth--
			}
			*bq = (*bq)[:n-1]
		}
	case atom.Pre:
		c.newline()
		if c.preDepth > 0 {
			c.preDepth--
		}
	default:
		if blockElements[tag] {
			c.newline()
		}
	}
}
