package reply

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/atende-helpdesk/atende/internal/mailparse"
	"github.com/atende-helpdesk/atende/internal/model"
)

func openBytes(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// cidOf is the Content-ID of a part, without brackets.
func cidOf(p *mimePart) string { return strings.Trim(p.header.Get("Content-ID"), "<>") }

// imgSources are the src of every <img> of an HTML document, in order,
// and whether it has any attribute or element that runs script.
func imgSources(t *testing.T, doc string) (srcs []string, scripted bool) {
	t.Helper()
	n, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "script" {
				scripted = true
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					scripted = true
				}
				if n.Data == "img" && a.Key == "src" {
					srcs = append(srcs, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return srcs, scripted
}

// Issue 16: an image pasted mid-text travels as a multipart/related part
// the HTML references by cid: at that place; the text part names it in
// the agent's language; files not referenced stay attachments, and the
// mail parses back with our own mailparse.
func TestPastedImageIsInline(t *testing.T) {
	in := fixture()
	in.Markdown = "Veja a tela:\n\n![image-1.png](attachment:image-1.png)\n\nE depois clique em salvar."
	other := append([]byte(nil), pngBytes...)
	in.Attachments = []Attachment{
		{Filename: "image-1.png", ContentType: "image/png", Open: openBytes(pngBytes)},
		{Filename: "nota.pdf", ContentType: "application/pdf", Open: openString("%PDF-1.4 nota")},
		{Filename: "extra.png", ContentType: "image/png", Open: openBytes(other)},
	}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	ps := leaves(t, out.Raw)
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.path)
	}
	want := []string{
		"multipart/mixed>multipart/related>multipart/alternative>text/plain",
		"multipart/mixed>multipart/related>multipart/alternative>text/html",
		"multipart/mixed>multipart/related>image/png",
		"multipart/mixed>application/pdf",
		"multipart/mixed>image/png",
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("structure:\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	img := &ps[2]
	cid := cidOf(img)
	if cid == "" || strings.Contains(cid, "image-1") || !strings.HasSuffix(cid, "@acme.com.br") {
		t.Fatalf("Content-ID %q", cid)
	}
	if d, params, _ := mime.ParseMediaType(img.header.Get("Content-Disposition")); d != "inline" || params["filename"] != "image-1.png" {
		t.Fatalf("disposition %q", img.header.Get("Content-Disposition"))
	}
	if !bytes.Equal(img.body, pngBytes) {
		t.Fatal("image bytes differ")
	}
	if d, _, _ := mime.ParseMediaType(ps[4].header.Get("Content-Disposition")); d != "attachment" || ps[4].header.Get("Content-ID") != "" {
		t.Fatalf("unreferenced image: %v", ps[4].header)
	}
	h := string(ps[1].body)
	srcs, _ := imgSources(t, h)
	if len(srcs) != 1 || srcs[0] != "cid:"+cid {
		t.Fatalf("img sources %q, want cid:%s\n%s", srcs, cid, h)
	}
	a, b, c := strings.Index(h, "Veja a tela:"), strings.Index(h, "cid:"+cid), strings.Index(h, "E depois clique")
	if a < 0 || !(a < b && b < c) {
		t.Fatalf("the image is not where it was pasted:\n%s", h)
	}
	if strings.Contains(h, "attachment:") {
		t.Fatalf("the internal scheme reached the mail:\n%s", h)
	}
	text := strings.ReplaceAll(string(ps[0].body), "\r\n", "\n")
	if !strings.Contains(text, "Veja a tela:\n\n[imagem: image-1.png]\n\nE depois") || strings.Contains(text, "![") || strings.Contains(text, "attachment:") {
		t.Fatalf("text part:\n%s", text)
	}
	// The ticket view's copy points at the message's own cid/<id> URL.
	if len(out.Embedded) != 1 || out.Embedded[0] != (Embedded{Index: 0, ContentID: cid}) ||
		!strings.Contains(out.HTML, `src="cid/`+url.PathEscape(cid)+`"`) || strings.Contains(out.HTML, "cid:") {
		t.Fatalf("embedded %+v, display %s", out.Embedded, out.HTML)
	}

	// Our own parser reads it back: the HTML with the image, one inline
	// part with that Content-ID, two attachments.
	var got []mailparse.Attachment
	m, err := mailparse.Parse(bytes.NewReader(out.Raw), mailparse.Options{Sink: func(a mailparse.Attachment, r io.Reader) (string, int64, error) {
		n, _ := io.Copy(io.Discard, r)
		got = append(got, a)
		return "k", n, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.HTMLBody, cid) || !strings.Contains(m.HTMLBody, "E depois clique") || !strings.Contains(m.TextBody, "[imagem: image-1.png]") {
		t.Fatalf("parsed back: html %s\ntext %s", m.HTMLBody, m.TextBody)
	}
	inline, attached := 0, 0
	for _, a := range m.Attachments {
		switch {
		case a.Inline && a.ContentID == cid && a.Filename == "image-1.png":
			inline++
		case !a.Inline && (a.Filename == "nota.pdf" || a.Filename == "extra.png"):
			attached++
		default:
			t.Errorf("unexpected attachment %+v", a)
		}
	}
	if inline != 1 || attached != 2 {
		t.Fatalf("parsed attachments %+v", m.Attachments)
	}
}

// Several images, one referenced twice, next to a quoted inline image:
// one related part each, Content-IDs unique and each referenced; with no
// other attachment the root is multipart/related.
func TestPastedImagesUniqueContentIDs(t *testing.T) {
	in := withInlineImage(fixture())
	in.Quote = ptr(true)
	in.Inline = []Inline{{ContentID: "caixa.01@cliente.com", ContentType: "image/png", Filename: "caixa.png", BlobKey: "k1", Open: openBytes(pngBytes)}}
	in.Markdown = "um ![image-1.png](attachment:image-1.png) dois ![](attachment:image-2.png) de novo ![image-1.png](attachment:image-1.png)"
	in.Attachments = []Attachment{
		{Filename: "image-1.png", ContentType: "image/png", Open: openBytes(pngBytes)},
		{Filename: "image-2.png", ContentType: "image/png", Open: openBytes(pngBytes)},
	}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	ps := leaves(t, out.Raw)
	seen := map[string]bool{}
	var imgs int
	var htmlDoc string
	for i := range ps {
		switch ps[i].contentType {
		case "image/png":
			imgs++
			if ps[i].path != "multipart/related>image/png" {
				t.Errorf("image at %s", ps[i].path)
			}
			id := cidOf(&ps[i])
			if id == "" || seen[id] {
				t.Fatalf("Content-ID %q empty or repeated", id)
			}
			seen[id] = true
		case "text/html":
			htmlDoc = string(ps[i].body)
		}
	}
	if imgs != 3 || len(out.Embedded) != 2 {
		t.Fatalf("%d image parts, embedded %+v", imgs, out.Embedded)
	}
	srcs, _ := imgSources(t, htmlDoc)
	if len(srcs) != 5 { // three in the text, the quoted one, the quoted remote logo
		t.Fatalf("sources %q", srcs)
	}
	referenced := map[string]bool{}
	for _, s := range srcs {
		if strings.HasPrefix(s, "cid:") && !seen[s[4:]] {
			t.Fatalf("%s references no part", s)
		}
		referenced[strings.TrimPrefix(s, "cid:")] = true
	}
	for id := range seen {
		if !referenced[id] {
			t.Fatalf("part %s never referenced", id)
		}
	}
	if srcs[0] != srcs[2] || srcs[0] == srcs[1] {
		t.Fatalf("the same file must be one part, two files two: %q", srcs)
	}
	if !strings.Contains(out.Text, "dois [imagem: image-2.png] de novo") {
		t.Fatalf("text %q", out.Text)
	}
}

// A reference that matches no file, a file that is no raster image, an
// image over the limit, or a cid: typed by hand never makes a broken
// <img>: it becomes "[image: name]" text (in the agent's language) and
// any such file stays an ordinary attachment.
func TestPastedImageFallbacks(t *testing.T) {
	big := bytes.Repeat([]byte{0}, MaxEmbeddedBytes+1)
	in := fixture()
	in.Agent = &model.Agent{Name: "Ann", Language: "en"}
	in.Markdown = "a ![](attachment:missing.png) b ![doc](attachment:nota.pdf) c ![](attachment:logo.svg) d ![](attachment:big.png) " +
		"e ![x](cid:caixa.01@cliente.com) f ![rel](foto.png) g [link](attachment:nota.pdf) h ![ok](https://cdn.example.com/x.png)"
	in.Attachments = []Attachment{
		{Filename: "nota.pdf", ContentType: "application/pdf", Open: openString("%PDF-1.4")},
		{Filename: "logo.svg", ContentType: "image/svg+xml", Open: openString(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{Filename: "big.png", ContentType: "image/png", Open: openBytes(big)},
	}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	ps := leaves(t, out.Raw)
	htmlPart := find(ps, "text/html")
	srcs, _ := imgSources(t, string(htmlPart.body))
	if len(srcs) != 1 || srcs[0] != "https://cdn.example.com/x.png" {
		t.Fatalf("img sources %q", srcs)
	}
	h := string(htmlPart.body)
	for _, want := range []string{"a [image: missing.png] b [image: doc] c [image: logo.svg] d [image: big.png] e [image: x] f [image: rel] g <a rel=\"nofollow\">link</a> h"} {
		if !strings.Contains(h, want) {
			t.Fatalf("html lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "attachment:") || strings.Contains(h, "href") {
		t.Fatalf("an attachment: link survived:\n%s", h)
	}
	if htmlPart.path != "multipart/mixed>multipart/alternative>text/html" || len(out.Embedded) != 0 {
		t.Fatalf("structure %s, embedded %+v", htmlPart.path, out.Embedded)
	}
	var names []string
	for _, p := range ps {
		if d, params, _ := mime.ParseMediaType(p.header.Get("Content-Disposition")); d == "attachment" {
			names = append(names, params["filename"])
		}
	}
	if strings.Join(names, ",") != "nota.pdf,logo.svg,big.png" {
		t.Fatalf("attachments %q", names)
	}
	if !strings.Contains(out.Text, "a [image: missing.png] b [image: doc]") {
		t.Fatalf("text %q", out.Text)
	}
}

// Hostile file names and descriptions are inert: the HTML carries no
// script or event handler, the Content-ID owes nothing to the name, the
// headers parse back to the exact name, and a name with a line break is
// refused (header injection).
func TestPastedImageHostileNames(t *testing.T) {
	names := []string{`a"><script>alert(1)</script>.png`, `x" onerror="alert(1).png`, `'quoted' "twice".png`, `nome com espaço e ç (1).png`}
	in := fixture()
	var md strings.Builder
	for i, n := range names {
		in.Attachments = append(in.Attachments, Attachment{Filename: n, ContentType: "image/png", Open: openBytes(pngBytes)})
		alt := n
		if i == 1 {
			alt = `" onerror="alert(2)`
		}
		esc := strings.NewReplacer("[", `\[`, "]", `\]`).Replace(alt)
		u := strings.NewReplacer("(", "%28", ")", "%29", "'", "%27").Replace(url.PathEscape(n))
		md.WriteString("![" + esc + "](attachment:" + u + ")\n\n")
	}
	in.Markdown = md.String()
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Embedded) != len(names) {
		t.Fatalf("embedded %+v\n%s", out.Embedded, out.HTML)
	}
	ps := leaves(t, out.Raw)
	h := string(find(ps, "text/html").body)
	srcs, scripted := imgSources(t, h)
	if scripted || len(srcs) != len(names) {
		t.Fatalf("html (scripted %v):\n%s", scripted, h)
	}
	if _, s := imgSources(t, out.HTML); s {
		t.Fatalf("display html:\n%s", out.HTML)
	}
	var got []string
	for i := range ps {
		if ps[i].contentType != "image/png" {
			continue
		}
		id := cidOf(&ps[i])
		if strings.ContainsAny(id, `"<>' `) || strings.Contains(id, "script") {
			t.Fatalf("Content-ID %q", id)
		}
		_, params, err := mime.ParseMediaType(ps[i].header.Get("Content-Disposition"))
		if err != nil {
			t.Fatalf("disposition %q: %v", ps[i].header.Get("Content-Disposition"), err)
		}
		got = append(got, params["filename"])
	}
	if strings.Join(got, "|") != strings.Join(names, "|") {
		t.Fatalf("names back %q", got)
	}
	// (The names are in the parts' quoted header parameters, as sent.)

	in = fixture()
	in.Markdown = "![x](attachment:a%0D%0AX-Evil:%201.png)"
	in.Attachments = []Attachment{{Filename: "a\r\nX-Evil: 1.png", ContentType: "image/png", Open: openBytes(pngBytes)}}
	if _, err := Compose(in); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CRLF name: err = %v, want ErrInvalid", err)
	}
}
