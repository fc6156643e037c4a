package search

import (
	"strings"
	"testing"
)

func TestTSVector(t *testing.T) {
	for _, c := range []struct {
		name  string
		parts []string
		want  string
	}{
		{"words, positions, byte order",
			[]string{"Pedido 48213 não chegou", "Ana", "ana@loja.com.br", "O pedido não chegou."},
			`'48213':2 'ana':5,6 'br':9 'chegou':4,13 'com':8 'loja':7 'nao':3,12 'o':10 'pedido':1,11`},
		// As SQLite's unicode61: letters without a decomposition (ß, ø)
		// stay themselves.
		{"case and accents folded, Latin and beyond",
			[]string{"AÇÃO Ação ação Ñandú Ελλάδα Straße Søren"},
			`'acao':1,2,3 'nandu':4 'straße':6 'søren':7 'ελλαδα':5`},
		{"punctuation and symbols separate words; markup is text",
			[]string{`“Cotação” — R$10,50 (urgente!) <b>x</b> &amp; don't x² 1e5 e-mail joao_silva+tag`},
			`'10':3 '1e5':13 '50':4 'amp':9 'b':6,8 'cotacao':1 'don':10 'e':14 'joao':16 'mail':15 'r':2 'silva':17 't':11 'tag':18 'urgente':5 'x':7,12`},
		{"parts never join", []string{"abc", "def"}, `'abc':1 'def':2`},
		{"empty", []string{"", " ... ", ""}, ``},
	} {
		if got := TSVector(c.parts...); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// TestTSVectorSameAsTerms: every word of a vector is one a query of it
// asks for (the document and the query share one tokenizer).
func TestTSVectorSameAsTerms(t *testing.T) {
	text := "Olá! Não consegui acessar o portal (erro 503) desde 12/03 — “Søren Kierkegaard” <søren@exemplo.dk>"
	vec := TSVector(text)
	for _, term := range Terms(text) {
		if !strings.Contains(vec, "'"+term+"':") {
			t.Errorf("query term %q not in the vector %s", term, vec)
		}
	}
}

// TestTSVectorLimits: PostgreSQL's tsvector limits hold whatever the text.
func TestTSVectorLimits(t *testing.T) {
	long := strings.Repeat("a", 2048)
	if got := TSVector("antes " + long + " depois"); got != `'antes':1 'depois':3` {
		t.Errorf("a word over 2047 bytes is skipped (and counts a position): %s", got)
	}
	ok := strings.Repeat("b", 2047)
	if got := TSVector(ok); got != "'"+ok+"':1" {
		t.Errorf("a word of 2047 bytes is kept: %.40s…", got)
	}
	// 300 times the same word: 256 positions kept, the first ones.
	got := TSVector(strings.Repeat("eco ", 300))
	if n := strings.Count(got, ","); n != 255 || !strings.HasPrefix(got, "'eco':1,2,3,") || !strings.HasSuffix(got, ",256") {
		t.Errorf("positions of a repeated word: %d commas, %.30s…%s", n, got, got[len(got)-10:])
	}
	// Positions past 16383 are clamped to it, once.
	var b strings.Builder
	for i := 0; i < 16390; i++ {
		b.WriteString("w ")
	}
	b.WriteString("fim fim")
	if got := TSVector(b.String()); !strings.Contains(got, "'w':1,2,") || !strings.Contains(got, "'fim':16383") || strings.Contains(got, "16383,16383") {
		t.Errorf("clamped positions: …%s", got[len(got)-40:])
	}
}

func FuzzTSVector(f *testing.F) {
	f.Add("Pedido nº 123 — não chegou", "Ana", "ana@loja.com.br")
	f.Add("'\\", "ß", "\xff\xfe")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		got := TSVector(a, b, c)
		// Every lexeme is quoted letters and digits (nothing to escape)
		// with ascending positions.
		for _, lex := range strings.Fields(got) {
			w, pos, ok := strings.Cut(lex, "':")
			if !ok || !strings.HasPrefix(w, "'") || strings.ContainsAny(w[1:], "'\\ ") || pos == "" {
				t.Fatalf("lexeme %q of %q", lex, got)
			}
		}
	})
}

func BenchmarkTSVector(b *testing.B) {
	words := strings.Fields("Olá equipe de suporte, não consegui acessar minha conta desde ontem. Já tentei redefinir a senha três vezes e o e-mail de confirmação não chega. O número do pedido é 48213 e meu usuário é joao.silva@exemplo.com.br. Poderiam verificar com urgência? Obrigado, João")
	var sb strings.Builder
	for i := 0; sb.Len() < 5000; i++ {
		sb.WriteString(words[i%len(words)])
		sb.WriteByte(' ')
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		TSVector("Problema com acesso", "João Silva", "joao.silva@exemplo.com.br", text)
	}
}
