// Package search holds the text side of ticket search that both stores
// share: splitting a query into words, folding case and accents the way
// the databases' indexes do, and cutting a snippet around the first match.
package search

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxTerms bounds the words of one query (more are ignored).
const MaxTerms = 8

// Fold lowercases r and strips its diacritics ("Ã" → "a").
func Fold(r rune) rune {
	if 0 <= r && r < latinEnd {
		return latinFold[r]
	}
	return foldRune(r)
}

// latinEnd bounds the runes Fold looks up in a table (ASCII, Latin-1 and
// Latin Extended A and B: nearly every letter of Portuguese, Spanish or
// English mail) instead of decomposing them.
const latinEnd = 0x250

// latinFold is foldRune of every rune below latinEnd, made once.
var latinFold = func() (t [latinEnd]rune) {
	for r := range t {
		t[r] = foldRune(rune(r))
	}
	return t
}()

func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	if r < utf8.RuneSelf {
		return r
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Bytes(buf[:n])
	if b, size := utf8.DecodeRune(d); size > 0 && b != utf8.RuneError {
		return b
	}
	return r
}

// FoldString folds every rune of s.
func FoldString(s string) string {
	return strings.Map(Fold, s)
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Terms splits q into folded words (letters and digits; everything else,
// "@" and "." included, separates words, as SQLite's unicode61 tokenizer
// does), at most MaxTerms, without duplicates.
func Terms(q string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(FoldString(q), func(r rune) bool { return !isWord(r) }) {
		if seen[w] || len(out) == MaxTerms {
			continue
		}
		seen[w] = true
		out = append(out, w)
	}
	return out
}

// Number returns the ticket number q names ("123" or "#123"), if any.
func Number(q string) (int64, bool) {
	q = strings.TrimPrefix(strings.TrimSpace(q), "#")
	if q == "" || len(q) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range q {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}

// FTS5Query is the SQLite FTS5 MATCH expression for terms, every term
// quoted ("nao" "chegou") so no user input is FTS syntax; with prefix,
// every term matches as a word prefix ("nao"* "chegou"*).
//
// Whole words are searched first: FTS5 reads a word's list of rows lazily
// in the order asked for, so the newest matches of even the most common
// word cost little, while a prefix query first merges the lists of every
// word with that prefix (all of them, for a common one). The store falls
// back to prefixes only when whole words find nothing.
func FTS5Query(terms []string, prefix bool) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t + `"`
		if prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " ")
}

// TSQuery is the PostgreSQL to_tsquery('simple', …) text for terms, all
// required, with prefix each a prefix (nao:* & chegou:*). Terms hold only
// letters and digits, so none is tsquery syntax.
func TSQuery(terms []string, prefix bool) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t
		if prefix {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// CanPrefix reports whether terms may be searched as prefixes: each at
// least 3 characters (a shorter prefix matches too much to be useful).
func CanPrefix(terms []string) bool {
	for _, t := range terms {
		if len([]rune(t)) < 3 {
			return false
		}
	}
	return len(terms) > 0
}

// Snippet cuts from text about width runes around the first word that
// starts with one of terms (folded comparison), marking every such word
// prefix between start and end. Without a match it is text's beginning.
// Whitespace runs become one space. The result is plain text.
func Snippet(text string, terms []string, width int, start, end string) string {
	text = strings.Join(strings.Fields(text), " ")
	rs := []rune(text)
	folded := make([]rune, len(rs))
	for i, r := range rs {
		folded[i] = Fold(r)
	}
	type span struct{ from, to int }
	var marks []span
	for i := 0; i < len(rs); i++ {
		if !isWord(rs[i]) || (i > 0 && isWord(rs[i-1])) {
			continue
		}
		best := 0
		for _, t := range terms {
			tr := []rune(t)
			if len(tr) <= len(folded)-i && string(folded[i:i+len(tr)]) == t && len(tr) > best {
				best = len(tr)
			}
		}
		if best > 0 {
			marks = append(marks, span{i, i + best})
		}
	}
	from := 0
	if len(marks) > 0 {
		from = max(0, marks[0].from-width/4)
		// Start at a word boundary.
		for from > 0 && from < marks[0].from && isWord(rs[from-1]) {
			from++
		}
	}
	to := min(len(rs), from+width)
	for to < len(rs) && to > from && isWord(rs[to-1]) && isWord(rs[to]) && to-from < width+20 {
		to++
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	pos := from
	for _, m := range marks {
		if m.to <= from || m.from >= to {
			continue
		}
		mf, mt := max(m.from, pos), min(m.to, to)
		b.WriteString(string(rs[pos:mf]))
		b.WriteString(start)
		b.WriteString(string(rs[mf:mt]))
		b.WriteString(end)
		pos = mt
	}
	if to < len(rs) {
		b.WriteString(strings.TrimRight(string(rs[pos:to]), " "))
		b.WriteString(" …")
	} else {
		b.WriteString(string(rs[pos:to]))
	}
	return b.String()
}

// HTML renders a snippet made by Snippet as safe HTML: the text escaped,
// each marked match in <mark>.
func HTML(snippet, start, end string) string {
	var b strings.Builder
	for snippet != "" {
		i := strings.Index(snippet, start)
		if i < 0 {
			b.WriteString(html.EscapeString(strings.ReplaceAll(snippet, end, "")))
			break
		}
		b.WriteString(html.EscapeString(strings.ReplaceAll(snippet[:i], end, "")))
		rest := snippet[i+len(start):]
		j := strings.Index(rest, end)
		if j < 0 {
			j = len(rest)
		}
		b.WriteString("<mark>" + html.EscapeString(strings.ReplaceAll(rest[:j], start, "")) + "</mark>")
		snippet = rest[min(j+len(end), len(rest)):]
	}
	return b.String()
}
