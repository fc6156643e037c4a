package replytext

import (
	"strings"
	"unicode/utf8"
)

// maxTextBytes is how much of a plain-text body Text examines. The body is cut
// at the last line break before this limit; the rest is treated as quoted
// history (a reply body that large is essentially always a pasted log or a
// long quote chain, and the full message is kept elsewhere anyway).
const maxTextBytes = 1 << 20

const (
	// maxSigLines is the longest "-- " signature block that is stripped.
	maxSigLines = 40
	// maxSigBlockLineLen is the longest line accepted inside such a block.
	maxSigBlockLineLen = 1000
	// maxFieldBlockLines is how far a header block ("From:/Sent:/To:/
	// Subject:") may extend, continuation lines included.
	maxFieldBlockLines = 12
)

// sentinel is the line the HTML converter leaves where it removed a quote; it
// cannot occur in converted text (NUL is replaced there).
const sentinel = "\x00"

// hrMarker is the line the HTML converter leaves for an <hr>: blank to the
// text rules, except that a header block right below it is cut from there.
const hrMarker = "\x00hr"

// Text returns what the sender wrote in this message, given its plain-text
// body: without quoted history and without signature. When stripping would
// leave nothing, it returns the trimmed original. See the package doc.
func Text(text string) string {
	src := prepareText(text)
	lines := strings.Split(src, "\n")
	s := &stripper{lines: lines}
	end := s.run()
	start := s.leadingTextQuote(end)
	out := strings.TrimSpace(strings.Join(lines[start:end], "\n"))
	if out == "" {
		return strings.TrimSpace(src)
	}
	return out
}

// leadingTextQuote returns where the sender's text starts in a bottom-posted
// reply (Thunderbird, mutt): an attribution followed by a ">" block at the
// top, then only the sender's text. Interleaved replies (more ">" blocks
// below) and ">" lines without an attribution are kept.
func (s *stripper) leadingTextQuote(end int) int {
	i := 0
	for i < end && s.blank(i) {
		i++
	}
	if i >= end || s.quoted(i) {
		return 0
	}
	// The attribution: up to three lines ending in a header.
	h := -1
	for j := i; j < end && j < i+3; j++ {
		if s.blank(j) || s.quoted(j) {
			break
		}
		if endsColon(trim(s.lines[j])) {
			if st, _, ok := s.headerEndingAt(j); ok && st == i {
				h = j
				break
			}
		}
	}
	if h < 0 {
		return 0
	}
	j := h + 1
	for j < end && s.blank(j) {
		j++
	}
	if j >= end || !s.quoted(j) {
		return 0
	}
	for j < end && (s.blank(j) || s.quoted(j)) {
		j++
	}
	if j >= end {
		return 0
	}
	for k := j; k < end; k++ {
		if s.quoted(k) {
			return 0 // interleaved
		}
	}
	return j
}

// prepareText applies the size cap and normalises line breaks to "\n".
func prepareText(text string) string {
	if len(text) > maxTextBytes {
		cut := strings.LastIndexByte(text[:maxTextBytes], '\n')
		if cut <= 0 {
			cut = maxTextBytes
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		text = text[:cut]
	}
	if strings.IndexByte(text, '\r') >= 0 {
		text = strings.ReplaceAll(text, "\r\n", "\n")
		text = strings.ReplaceAll(text, "\r", "\n")
	}
	return text
}

// stripper finds where the sender's own text ends in a slice of lines.
type stripper struct {
	lines []string
	html  bool // sentinel lines mark removed quotes
	// kinds memoises fieldKind per line (kindUnknown until computed).
	kinds []int8
	// hasHeader is set when a quote header introducing a ">" block was seen
	// above the cut: an interleaved reply, whose trailing ">" blocks are
	// history even without a header of their own.
	hasHeader bool
}

const kindUnknown = -1

// kind returns fieldKind of line i, computing it once.
func (s *stripper) kind(i int) int {
	if s.kinds == nil {
		s.kinds = make([]int8, len(s.lines))
		for j := range s.kinds {
			s.kinds[j] = kindUnknown
		}
	}
	if s.kinds[i] == kindUnknown {
		s.kinds[i] = int8(fieldKind(trim(s.lines[i])))
	}
	return int(s.kinds[i])
}

func (s *stripper) blank(i int) bool {
	return trim(s.lines[i]) == "" || (s.html && s.lines[i] == hrMarker)
}

func (s *stripper) isSentinel(i int) bool { return s.html && s.lines[i] == sentinel }

// quoted reports whether line i is part of a quote: it starts with ">" (after
// indentation) or is a removed-quote sentinel.
func (s *stripper) quoted(i int) bool {
	return s.isSentinel(i) || strings.HasPrefix(trimLeft(s.lines[i]), ">")
}

// run returns the number of leading lines that hold the sender's text.
func (s *stripper) run() int {
	end := s.hardCut()
	return s.trimTail(end)
}

// hardCut returns the index of the first line from which everything is
// history: a separator/forward marker, an Outlook-style header block, or a
// quote header that is not followed by a ">" block.
func (s *stripper) hardCut() int {
	n := len(s.lines)
	for i := 0; i < n; i++ {
		if s.html && s.lines[i] == hrMarker && s.fieldsBelowRule(i) {
			return i
		}
		if s.quoted(i) {
			continue
		}
		t := trim(s.lines[i])
		if t == "" {
			continue
		}
		if isSeparator(t) {
			return s.extendUp(i)
		}
		if s.kind(i) != 0 && s.fieldBlockAt(i) {
			return s.extendUp(i)
		}
		if !endsColon(t) {
			continue
		}
		start, sig, ok := s.headerEndingAt(i)
		if !ok {
			continue
		}
		nx := i + 1
		for nx < n && s.blank(nx) {
			nx++
		}
		if nx < n && s.quoted(nx) {
			s.hasHeader = true
			// Interleaved or top-posted reply: the ">" block decides,
			// see trimTail.
			i = nx - 1
			continue
		}
		if sig == signalStrong {
			return s.splitShared(start)
		}
		i = nx - 1
	}
	return n
}

// splitShared handles an attribution that shares its line with the
// sender's last words ("Thanks! On Wed, Jun 5, 2024 at 10:00 AM Fulano
// <x@y> wrote:"): the line keeps the words and the cut moves below it.
func (s *stripper) splitShared(start int) int {
	t := s.lines[start]
	if len(t) > maxHeaderLineLen || !endsColon(trim(t)) {
		return start
	}
	for _, w := range []string{" On ", " Em ", " El ", " Le ", " Am ", " Il ", " Op "} {
		k := strings.Index(t, w)
		if k <= 0 || strings.TrimSpace(t[:k]) == "" {
			continue
		}
		if matchHeader(norm(t[k+1:]), true) == signalStrong {
			s.lines[start] = trimRight(t[:k])
			return start + 1
		}
	}
	return start
}

// extendUp moves a cut at line i up over blank lines and one rule line
// ("________________________________") drawn above it.
func (s *stripper) extendUp(i int) int {
	j := i
	for j > 0 && s.blank(j-1) {
		j--
	}
	if j > 0 && !s.quoted(j-1) {
		t := trim(s.lines[j-1])
		if len(t) <= maxMarkerLen && ruleRe.MatchString(t) {
			return j - 1
		}
	}
	return i
}

// fieldsBelowRule reports whether the lines right below an <hr> at line i
// are a header block of at least two different fields ("From:" and
// "Subject:" suffice there).
func (s *stripper) fieldsBelowRule(i int) bool {
	j := i + 1
	for j < len(s.lines) && s.blank(j) && j < i+4 {
		j++
	}
	kinds, fields := 0, 0
	for ; j < len(s.lines) && j <= i+maxFieldBlockLines; j++ {
		if s.blank(j) || s.quoted(j) {
			break
		}
		k := s.kind(j)
		if k == 0 {
			if fields == 0 {
				return false
			}
			continue
		}
		fields++
		kinds |= k
	}
	return fields >= 2 && kinds&(kinds-1) != 0 && kinds&(fieldFrom|fieldDate) != 0
}

// fieldBlockAt reports whether line i starts a header block: a "From:" field
// followed closely by a date field and a to/subject field, or (Hotmail,
// forwarded mail) a block starting with another field that holds a date field
// with a digit in it and a from/to/subject field.
func (s *stripper) fieldBlockAt(i int) bool {
	first := s.kind(i)
	kinds := first
	dated := first == fieldDate && strings.ContainsAny(s.lines[i], "0123456789")
	cont := 0
	for j := i + 1; j < len(s.lines) && j <= i+maxFieldBlockLines; j++ {
		if s.quoted(j) {
			break
		}
		t := trim(s.lines[j])
		if t == "" {
			// Apple Mail puts no blank lines inside the block; Outlook
			// neither. A blank line ends it.
			break
		}
		k := s.kind(j)
		if k == 0 {
			cont++
			if cont > 3 {
				break
			}
			continue
		}
		if k == fieldDate && strings.ContainsAny(t, "0123456789") {
			dated = true
		}
		kinds |= k
		if first == fieldFrom {
			if kinds&fieldDate != 0 && (dated || kinds&(fieldTo|fieldSubject) != 0) {
				return true
			}
		} else if dated && kinds&(fieldFrom|fieldTo|fieldSubject) != 0 {
			return true
		}
	}
	return false
}

// headerEndingAt reports whether a quote header ("On … wrote:") ends at line
// i, possibly wrapped over up to three lines; it returns the first line of the
// header and how strong the evidence is.
func (s *stripper) headerEndingAt(i int) (start, signal int, ok bool) {
	if i < 0 || s.quoted(i) {
		return 0, 0, false
	}
	last := trim(s.lines[i])
	if !endsColon(last) || len(last) > maxHeaderLineLen {
		return 0, 0, false
	}
	// The verb (or, for a wrapped German header, the address) is on the
	// last line.
	if nl := norm(last); !headerVerb(nl) && !strings.Contains(nl, "@") && !strings.HasSuffix(nl, ">:") && !strings.HasSuffix(nl, "):") {
		return 0, 0, false
	}
	// The header starts on the nearest line that has the introductory word.
	parts := []string{norm(last)}
	for k := 0; k <= 2; k++ {
		if k > 0 {
			j := i - k
			if j < 0 || s.quoted(j) {
				break
			}
			t := trim(s.lines[j])
			if t == "" || len(t) > maxHeaderLineLen || !wrapsHeader(t) {
				break
			}
			parts = append([]string{norm(t)}, parts...)
		}
		if k > 0 && !strings.ContainsAny(parts[0], "0123456789@") {
			// The first line of a wrapped header carries the date.
			continue
		}
		joined := strings.Join(parts, " ")
		if sig := matchHeader(joined, true); sig != signalNone {
			return i - k, sig, true
		}
		if k > 0 && matchDateAddr(joined) {
			return i - k, signalStrong, true
		}
	}
	if sig := matchHeader(parts[len(parts)-1], false); sig != signalNone {
		return i, sig, true
	}
	return 0, 0, false
}

// trimTail drops, from the end of lines[:end], blank lines, trailing quote
// blocks with the header that introduces them, mobile signatures, "-- "
// signature blocks and dangling quote headers, until none is left.
func (s *stripper) trimTail(end int) int {
	for end > 0 {
		for end > 0 && s.blank(end-1) {
			end--
		}
		if end == 0 {
			break
		}
		if s.quoted(end - 1) {
			j := end
			definite := false
			for j > 0 && (s.blank(j-1) || s.quoted(j-1)) {
				if s.isSentinel(j - 1) {
					definite = true
				}
				j--
			}
			if start, _, ok := s.headerEndingAt(j - 1); ok {
				end = s.splitShared(start)
				continue
			}
			if j > 0 && !s.quoted(j-1) {
				if t := norm(s.lines[j-1]); len(t) <= maxHeaderLineLen && dateAddrNoColon.MatchString(t) {
					end = j - 1
					continue
				}
			}
			if definite || s.hasHeader || s.quotedHistoryAt(j, end) {
				end = j
				continue
			}
			break
		}
		t := trim(s.lines[end-1])
		if isMobileSig(t) {
			end--
			continue
		}
		if d, ok := s.sigDelimiter(end); ok {
			end = d
			continue
		}
		if endsColon(t) {
			if start, sig, ok := s.headerEndingAt(end - 1); ok && sig == signalStrong {
				end = start
				continue
			}
		}
		break
	}
	return end
}

// sigDelimiter looks for a "-- " signature delimiter shortly above end such
// that the block below it looks like a signature, not like code or prose; or
// for a decorative rule ("____", "****", "~~~~", "====", "####", "++++")
// with a blank line above it and a short block below (mailing-list footers,
// signature boxes).
func (s *stripper) sigDelimiter(end int) (int, bool) {
	boxed := false // a rule below: a banner box, not a footer delimiter
	for k := end - 1; k >= 0 && end-1-k <= maxSigLines; k-- {
		if s.quoted(k) {
			return 0, false
		}
		t := trim(s.lines[k])
		if isDecorRule(t) {
			if !boxed && end-1-k <= maxRuleBlockLines && (k == 0 || s.blank(k-1)) && k+1 < end {
				return k, true
			}
			boxed = true
		}
		if strings.HasPrefix(t, "--") {
			if t != "--" {
				if isDecorRule(t) {
					continue
				}
				return 0, false
			}
			// A delimiter: the line above must not be code or another
			// "--" comment line (SQL dumps, Lua, …).
			p := k - 1
			for p >= 0 && s.blank(p) {
				p--
			}
			if p >= 0 {
				pt := trim(s.lines[p])
				if strings.HasPrefix(pt, "--") || isCodeish(pt) {
					return 0, false
				}
			}
			return k, true
		}
		if len(t) > maxSigBlockLineLen || isCodeish(t) {
			return 0, false
		}
	}
	return 0, false
}

// maxRuleBlockLines is the longest block below a decorative rule that is
// folded as a footer.
const maxRuleBlockLines = 12

// isDecorRule reports a line made of one repeated decoration character
// (at least three), e.g. "______________" or "* * * *".
func isDecorRule(t string) bool {
	if len(t) < 3 || len(t) > maxMarkerLen {
		return false
	}
	c := t[0]
	switch c {
	case '_', '*', '~', '=', '#', '+', '-':
	default:
		return false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case c:
			n++
		case ' ':
		default:
			return false
		}
	}
	return n >= 3 && !(c == '-' && n < 4)
}

// wrapsHeader reports whether line t can be a leading part of a quote header
// that a client wrapped over several lines: it does not end a sentence.
func wrapsHeader(t string) bool {
	switch t[len(t)-1] {
	case '.', '!', '?', ':', ';':
		return false
	}
	return true
}

// quotedHistoryAt reports whether the quoted block lines[j:end] opens with
// the attribution or header of the message it quotes, as iOS Mail writes it
// ("> On Jun 5, 2024, at 10:00, Fulano <x@y> wrote:"), or with a separator.
func (s *stripper) quotedHistoryAt(j, end int) bool {
	for j < end && trim(unquote(s.lines[j])) == "" {
		j++
	}
	if j >= end {
		return false
	}
	first := trim(unquote(s.lines[j]))
	if len(first) > maxHeaderLineLen {
		return false
	}
	if isSeparator(first) || fieldKind(first)&(fieldFrom|fieldDate) != 0 {
		return true
	}
	cand := norm(first)
	if matchHeader(cand, true) != signalNone || matchHeader(cand, false) != signalNone {
		return true
	}
	// Wrapped over two quoted lines.
	if j+1 < end && wrapsHeader(first) {
		second := trim(unquote(s.lines[j+1]))
		if len(second) <= maxHeaderLineLen {
			cand = norm(first + " " + second)
			return matchHeader(cand, true) != signalNone || matchHeader(cand, false) != signalNone
		}
	}
	return false
}

// unquote removes the ">" quote markers (and the spaces between them) from
// the start of a line.
func unquote(l string) string {
	l = trimLeft(l)
	for strings.HasPrefix(l, ">") {
		l = trimLeft(l[1:])
	}
	return l
}
