package search

import (
	"reflect"
	"testing"
)

func TestTerms(t *testing.T) {
	for q, want := range map[string][]string{
		"NÃO chegou":          {"nao", "chegou"},
		"joao@cliente.com.br": {"joao", "cliente", "com", "br"},
		`"x"* OR -y`:          {"x", "or", "y"},
		"  ":                  nil,
		"Curitiba curitiba":   {"curitiba"},
		"ação çÇ":             {"acao", "cc"},
	} {
		if got := Terms(q); !reflect.DeepEqual(got, want) {
			t.Errorf("Terms(%q) = %q, want %q", q, got, want)
		}
	}
	if got := FTS5Query([]string{"nao", "chegou"}, true); got != `"nao"* "chegou"*` {
		t.Errorf("FTS5Query = %s", got)
	}
	if got := TSQuery([]string{"nao", "chegou"}, true); got != `nao:* & chegou:*` {
		t.Errorf("TSQuery = %s", got)
	}
	if n, ok := Number("#42"); !ok || n != 42 {
		t.Errorf("Number(#42) = %d %v", n, ok)
	}
	if _, ok := Number("42a"); ok {
		t.Error("Number(42a) ok")
	}
}

func TestSnippet(t *testing.T) {
	text := "Olá,\n\nmeu pedido NÃO chegou ainda em Curitiba. Já faz duas semanas que espero e nada."
	got := Snippet(text, []string{"nao", "curitiba"}, 40, "[", "]")
	want := "… pedido [NÃO] chegou ainda em [Curitiba]. Já …"
	if got != want {
		t.Errorf("Snippet = %q, want %q", got, want)
	}
	if got := Snippet("abc <b>x</b>", []string{"zzz"}, 80, "[", "]"); got != "abc <b>x</b>" {
		t.Errorf("no match = %q", got)
	}
	// A term matches only at a word's start.
	if got := Snippet("pedidonao nao", []string{"nao"}, 80, "[", "]"); got != "pedidonao [nao]" {
		t.Errorf("word start = %q", got)
	}
}

func TestHTML(t *testing.T) {
	got := HTML("a <b> [x&y] c [z", "[", "]")
	if want := "a &lt;b&gt; <mark>x&amp;y</mark> c <mark>z</mark>"; got != want {
		t.Errorf("HTML = %q, want %q", got, want)
	}
}
