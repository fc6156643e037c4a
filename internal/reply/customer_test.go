package reply

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/atende-helpdesk/atende/internal/model"
)

// mimePart is one leaf of a parsed message.
type mimePart struct {
	path        string // content types from the root, "multipart/related>image/png"
	contentType string
	header      message.Header
	body        []byte
}

func leaves(t *testing.T, raw []byte) []mimePart {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []mimePart
	var walk func(e *message.Entity, path string)
	walk = func(e *message.Entity, path string) {
		ct, _, _ := e.Header.ContentType()
		if path != "" {
			path += ">"
		}
		path += ct
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p, path)
			}
		}
		b, err := io.ReadAll(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mimePart{path: path, contentType: ct, header: e.Header, body: b})
	}
	walk(e, "")
	return out
}

func find(ps []mimePart, ct string) *mimePart {
	for i := range ps {
		if ps[i].contentType == ct {
			return &ps[i]
		}
	}
	return nil
}

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")

func withInlineImage(in Input) Input {
	in.Thread = append(in.Thread, model.Message{Direction: model.DirIn, From: model.Address{Name: "Maria", Address: "maria@cliente.com"},
		MessageID: "m3@cliente.com", Date: time.Date(2024, 6, 5, 12, 0, 0, 0, time.UTC),
		Text: "Veja a foto da caixa.", HTML: `<p>Veja a foto da caixa.</p><p><img src="cid/caixa.01@cliente.com" alt="caixa amassada"></p>` +
			`<p><img src="" data-remote-src="https://cdn.cliente.com/logo.png"></p>`})
	return in
}

// Item 1: the quoted inline image travels again as a related part with
// the same Content-ID the HTML references; never the ticket view's
// internal cid/<id> URL.
func TestQuotedInlineImageIsARelatedPart(t *testing.T) {
	in := withInlineImage(fixture())
	in.Quote = ptr(true)
	in.Inline = []Inline{{ContentID: "caixa.01@cliente.com", ContentType: "image/png", Filename: "caixa.png", BlobKey: "k1",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pngBytes)), nil }}}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	ps := leaves(t, out.Raw)
	htmlPart, img := find(ps, "text/html"), find(ps, "image/png")
	if htmlPart == nil || img == nil {
		t.Fatalf("parts: %+v", ps)
	}
	if htmlPart.path != "multipart/related>multipart/alternative>text/html" || img.path != "multipart/related>image/png" {
		t.Fatalf("structure: html %s, image %s", htmlPart.path, img.path)
	}
	if got := img.header.Get("Content-ID"); got != "<caixa.01@cliente.com>" {
		t.Fatalf("Content-ID = %q", got)
	}
	if !bytes.Equal(img.body, pngBytes) {
		t.Fatal("image bytes differ")
	}
	h := string(htmlPart.body)
	if !strings.Contains(h, `src="cid:caixa.01@cliente.com"`) || strings.Contains(h, `src="cid/`) {
		t.Fatalf("html references: %s", h)
	}
	if !strings.Contains(h, `src="https://cdn.cliente.com/logo.png"`) || strings.Contains(h, "data-remote-src") {
		t.Fatalf("remote image not given back its URL: %s", h)
	}
	// The ticket view's copy points at the reply's own cid/ URL.
	if !strings.Contains(out.HTML, `src="cid/caixa.01@cliente.com"`) || len(out.Inline) != 1 || out.Inline[0].BlobKey != "k1" {
		t.Fatalf("display html %s, inline %+v", out.HTML, out.Inline)
	}
	if bytes.Contains(out.Raw, []byte("cid/caixa")) {
		t.Fatal("the internal URL reached the raw mail")
	}
}

// Item 1: an image whose bytes are gone becomes a placeholder in the
// company's language.
func TestQuotedMissingImageIsAPlaceholder(t *testing.T) {
	for _, lang := range []string{"pt-BR", "en"} {
		in := withInlineImage(fixture())
		in.Quote, in.Language = ptr(true), lang
		in.Inline = []Inline{{ContentID: "caixa.01@cliente.com", ContentType: "image/png",
			Open: func() (io.ReadCloser, error) { return nil, errors.New("blob gone") }}}
		out, err := Compose(in)
		if err != nil {
			t.Fatal(err)
		}
		ps := leaves(t, out.Raw)
		if find(ps, "image/png") != nil {
			t.Fatal("a missing image got a part")
		}
		h := string(find(ps, "text/html").body)
		want := map[string]string{"pt-BR": "[imagem: caixa amassada]", "en": "[image: caixa amassada]"}[lang]
		if !strings.Contains(h, want) || strings.Contains(h, "cid") {
			t.Fatalf("%s: html %s", lang, h)
		}
		if find(ps, "text/html").path != "multipart/alternative>text/html" {
			t.Fatalf("structure %s", find(ps, "text/html").path)
		}
	}
}

// Item 2: a signature typed as plain lines keeps its lines in both
// alternatives (replies and automatic messages).
func TestPlainSignatureKeepsLineBreaks(t *testing.T) {
	for _, auto := range []bool{false, true} {
		in := fixture()
		in.Auto = auto
		in.Channel.Settings.Signature = "Equipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922"
		out, err := Compose(in)
		if err != nil {
			t.Fatal(err)
		}
		ps := leaves(t, out.Raw)
		text := strings.ReplaceAll(string(find(ps, "text/plain").body), "\r\n", "\n")
		if !strings.Contains(text, "-- \nEquipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922\n") {
			t.Fatalf("auto=%v text part:\n%s", auto, text)
		}
		h := string(find(ps, "text/html").body)
		if !strings.Contains(h, "Equipe de Suporte<br>") || !strings.Contains(h, "Loja Exemplo Ltda<br>") {
			t.Fatalf("auto=%v html part: %s", auto, h)
		}
	}
	// An HTML signature is kept as laid out.
	if got := SignatureHTML("<p>Equipe</p>\n<p>Loja</p>", nil); strings.Contains(got, "<br") {
		t.Fatalf("html signature changed: %s", got)
	}
	if got := SignatureText(SignatureHTML("Ana\n{{company.name}}", map[string]string{"company.name": "A & B"})); got != "Ana\nA & B" {
		t.Fatalf("signature text %q", got)
	}
}

// The agent's text keeps single line breaks too.
func TestMarkdownSingleNewlineIsALineBreak(t *testing.T) {
	in := fixture()
	in.Markdown = "Olá Maria,\nSeu pedido saiu hoje.\nAbraços"
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.HTML, "Olá Maria,<br>") {
		t.Fatalf("html %s", out.HTML)
	}
}

// Item 3: the quote header is in the company's language and time zone.
func TestQuoteHeaderCompanyZoneAndLanguage(t *testing.T) {
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	in := fixture()
	in.Quote, in.Location = ptr(true), sp
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	// The last inbound message was sent 11:00 UTC = 08:00 in São Paulo.
	if !strings.Contains(out.Text, "Em 05/06/2024 08:00, Maria <maria@cliente.com> escreveu:") {
		t.Fatalf("text:\n%s", out.Text)
	}
	in.Language = "en"
	out, err = Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "On Wed, Jun 5, 2024 at 08:00, Maria <maria@cliente.com> wrote:") {
		t.Fatalf("text:\n%s", out.Text)
	}
}

// Item 3: a forward's header block is in the company's language and zone.
func TestForwardedTextLanguageAndZone(t *testing.T) {
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	in := fixture()
	got := ForwardedText(in.Ticket, in.Thread, "pt-BR", sp)
	for _, want := range []string{"Atendimento #42: Pedido atrasado", "De: Maria <maria@cliente.com>", "Data: qua, 5 de jun. de 2024 07:00 -0300",
		"Para: suporte@acme.com.br", "Cc: João <joao@cliente.com>, atendimento@acme.com.br", "Assunto: Pedido atrasado"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "From:") || strings.Contains(got, "Subject:") || strings.Contains(got, "UTC") {
		t.Fatalf("English or UTC left:\n%s", got)
	}
	if en := ForwardedText(in.Ticket, in.Thread, "en", sp); !strings.Contains(en, "Date: Wed, Jun 5, 2024 07:00 -0300") {
		t.Fatalf("en:\n%s", en)
	}
	if ForwardSeparator("pt-BR") != "---------- Mensagem encaminhada ----------" {
		t.Fatal(ForwardSeparator("pt-BR"))
	}
}

// Item 4: an address stored earlier with a typo is never prefilled.
func TestDefaultCcSkipsMalformedAddresses(t *testing.T) {
	in := fixture()
	in.Thread = append(in.Thread, model.Message{Direction: model.DirOut, From: model.Address{Address: "suporte@acme.com.br"},
		To: []model.Address{{Address: "maria@cliente.com"}}, Cc: []model.Address{{Address: "gerente@cliente"}}, MessageID: "o1@acme.com.br"})
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Cc {
		if a.Address == "gerente@cliente" {
			t.Fatalf("cc = %+v", out.Cc)
		}
	}
}
