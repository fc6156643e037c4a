package replytext

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// benchText is a realistic reply: a few lines on top of a long quoted
// conversation (about 140 KB).
func benchText(tb testing.TB) string {
	reply := readTestdata(tb, "text/pt_gmail_reply.txt")
	var b strings.Builder
	b.WriteString(reply)
	for i := 0; i < 400; i++ {
		b.WriteString("> > Em ter., 4 de jun. de 2024 às 18:00, Paula <paula@cliente.com.br> escreveu:\n")
		b.WriteString("> > O sistema está lento desde a atualização de ontem, podem verificar?\n>\n")
		b.WriteString("> Linha de histórico com -- traços e De: campos\n")
	}
	return b.String()
}

// benchHTML is a realistic Gmail reply whose gmail_quote holds a long quoted
// conversation (about 190 KB): the whole history is tokenized and skipped.
func benchHTML(tb testing.TB) string {
	reply := readTestdata(tb, "html/pt_gmail_reply.html")
	i := strings.Index(reply, "</blockquote></div>")
	var b strings.Builder
	b.WriteString(reply[:i])
	for k := 0; k < 400; k++ {
		b.WriteString(`<div dir="ltr">Olá Ana, <b>poderia</b> nos enviar a nota fiscal do pedido 4471?</div><div><br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div>histórico &amp; mais histórico</div></blockquote>`)
	}
	b.WriteString(reply[i:])
	return b.String()
}

// benchHTMLNoQuote is a long HTML message without any quote: everything is
// converted and run through the text rules.
func benchHTMLNoQuote() string {
	return "<html><body>" + strings.Repeat(`<p class="MsoNormal">Olá, o pedido <b>4471</b> não chegou até agora, podem verificar?&nbsp;<o:p></o:p></p><div>Linha&nbsp;2<br>Linha 3</div>`, 1500) + "</body></html>"
}

func BenchmarkText(b *testing.B) {
	in := benchText(b)
	if got := Text(in); got != "Olá, Marina!\n\nO boleto já foi pago ontem, segue o comprovante em anexo.\n\nObrigado,\nRicardo" {
		b.Fatalf("unexpected result %q", got)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		Text(in)
	}
}

func BenchmarkHTML(b *testing.B) {
	in := benchHTML(b)
	if got := HTML(in); !strings.HasPrefix(got, "Olá, Marina!") || strings.Contains(got, "histórico") {
		b.Fatalf("unexpected result %q", got)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		HTML(in)
	}
}

func BenchmarkHTMLNoQuote(b *testing.B) {
	in := benchHTMLNoQuote()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		HTML(in)
	}
}

// TestLargeInputs checks that 10 MB bodies of several adversarial shapes are
// handled well within 2 s each, and that the size cap keeps the result sane.
func TestLargeInputs(t *testing.T) {
	const size = 10 << 20
	limit := 2 * time.Second
	if raceEnabled {
		limit *= 10
	}
	repeat := func(unit string) string { return strings.Repeat(unit, size/len(unit)+1)[:size] }
	textShapes := map[string]string{
		"plain_prose":       repeat("Olá, o pedido 4471 não chegou até agora, podem verificar? "),
		"one_huge_line":     repeat("a"),
		"many_newlines":     repeat("\n"),
		"crlf":              repeat("linha\r\n"),
		"header_like_lines": repeat("On Wed, Jun 5, 2024 at 10:00 AM Fulano <x@y> wrote:\n"),
		"from_fields":       repeat("From: a@b\nFrom: c@d\n"),
		"quoted":            repeat("> quoted line\n"),
		"sig_dashes":        repeat("--\nJoão\n"),
		"colons":            repeat("Em 05/06/2024:\n"),
		"nbsp":              repeat("\u00a0\u00a0x\n"),
	}
	for name, in := range textShapes {
		t.Run("Text/"+name, func(t *testing.T) {
			start := time.Now()
			out := Text(in)
			if d := time.Since(start); d > limit {
				t.Errorf("took %v", d)
			}
			if len(out) > maxTextBytes {
				t.Errorf("output of %d bytes exceeds the cap", len(out))
			}
			if strings.TrimSpace(in) != "" && out == "" {
				t.Errorf("empty output")
			}
		})
	}
	htmlShapes := map[string]string{
		"nested_divs":     repeat("<div>"),
		"nested_quotes":   repeat(`<blockquote type="cite">`),
		"text":            repeat("<p>Olá &amp; tchau</p>"),
		"formatting_soup": repeat("<b><i><u><s>x"),
		"br":              repeat("<br>"),
		"hidden":          repeat(`<span style="display:none">x`),
		"tables":          repeat("<table><tr><td>x"),
	}
	for name, in := range htmlShapes {
		t.Run("HTML/"+name, func(t *testing.T) {
			start := time.Now()
			HTML(in)
			if d := time.Since(start); d > limit {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestTextCap checks that only the first maxTextBytes are examined: text
// beyond the cap never shows, and the cut falls on a line break.
func TestTextCap(t *testing.T) {
	head := "Primeira linha do cliente.\n"
	filler := strings.Repeat("linha de log 0123456789\n", maxTextBytes/24+10)
	in := head + filler + "SEGREDO-ALEM-DO-LIMITE\n"
	out := Text(in)
	if strings.Contains(out, "SEGREDO-ALEM-DO-LIMITE") {
		t.Fatal("text beyond the cap was returned")
	}
	if !strings.HasPrefix(out, head) {
		t.Fatalf("output does not start with the sender's text: %q", out[:40])
	}
	if !strings.HasSuffix(out, "0123456789") {
		t.Fatalf("cap did not cut on a line break: ends with %q", out[len(out)-20:])
	}
}

// BenchmarkTextAdversarial measures Text on 1 MiB bodies made of one
// repeated line shape that exercises a rule on every line.
func BenchmarkTextAdversarial(b *testing.B) {
	const size = 1 << 20
	repeat := func(unit string) string { return strings.Repeat(unit, size/len(unit)+1)[:size] }
	for _, bc := range []struct{ name, in string }{
		{"from_fields", repeat("From: a@b\nFrom: c@d\n")},
		{"sig_dashes", repeat("--\nJoão\n")},
		{"newlines", repeat("\n")},
		{"crlf", repeat("linha\r\n")},
		{"colons", repeat("Em 05/06/2024:\n")},
		{"headers", repeat("On Wed, Jun 5, 2024 at 10:00 AM Fulano <x@y> wrote:\n> q\n")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			for b.Loop() {
				Text(bc.in)
			}
		})
	}
}
