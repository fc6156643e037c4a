package search

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// PostgreSQL's limits on a tsvector: a lexeme longer than maxLexeme bytes
// is an error (to_tsvector skips such a word), a position is at most
// maxPos (larger ones are clamped) and a lexeme keeps at most maxPositions.
const (
	maxLexeme    = 2047
	maxPos       = 16383
	maxPositions = 256
)

// VectorTextMax caps the text a vector is made of, in runes: a tsvector
// holds at most 1 MB.
const VectorTextMax = 262144

// TSVector is the PostgreSQL tsvector, in its text form ('word':1,4
// 'other':2), of the words of parts read one after another: split and
// folded exactly as Terms splits a query (letters and digits; case and
// accents folded; "@", "." and the rest separate words), each word with
// its positions. Made in Go rather than by the server's to_tsvector, a
// message's vector and the queries searching it come from one tokenizer,
// the same as SQLite's unicode61 index, and the database does no
// full-text work on insert.
func TSVector(parts ...string) string {
	type lexeme struct {
		w   string
		pos []uint16
	}
	index := map[string]int{}
	var lex []lexeme
	var word []byte
	n := 0 // words so far
	flush := func() {
		if len(word) == 0 {
			return
		}
		n++
		if len(word) <= maxLexeme { // to_tsvector skips a longer one too
			p := uint16(min(n, maxPos))
			if i, ok := index[string(word)]; ok {
				ps := lex[i].pos
				if len(ps) < maxPositions && ps[len(ps)-1] != p {
					lex[i].pos = append(ps, p)
				}
			} else {
				w := string(word)
				index[w] = len(lex)
				lex = append(lex, lexeme{w, []uint16{p}})
			}
		}
		word = word[:0]
	}
	for _, s := range parts {
		for _, r := range s {
			switch {
			case r < utf8.RuneSelf:
				switch {
				case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
					word = append(word, byte(r))
				case 'A' <= r && r <= 'Z':
					word = append(word, byte(r+'a'-'A'))
				default:
					flush()
				}
			case isWord(r):
				word = utf8.AppendRune(word, Fold(r))
			default:
				flush()
			}
		}
		flush() // parts never join into one word
	}
	// tsvector's own order (bytes; a prefix first): the text is then
	// exactly what the server prints of it, and its input has nothing to
	// sort.
	slices.SortFunc(lex, func(a, b lexeme) int { return strings.Compare(a.w, b.w) })
	size := 0
	for _, l := range lex {
		size += len(l.w) + 4 + 6*len(l.pos)
	}
	b := make([]byte, 0, size)
	for i, l := range lex {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '\'')
		for j := 0; j < len(l.w); j++ {
			if c := l.w[j]; c == '\'' || c == '\\' {
				b = append(b, c)
			}
			b = append(b, l.w[j])
		}
		b = append(b, '\'')
		for j, p := range l.pos {
			if j == 0 {
				b = append(b, ':')
			} else {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(p), 10)
		}
	}
	return string(b)
}
