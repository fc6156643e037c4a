package ui_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// redPDF is a real one-page PDF whose page is filled red: seen on screen
// only if the browser's viewer rendered it.
func redPDF() []byte {
	content := "1 0 0 rg 0 0 300 200 re f"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b strings.Builder
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return []byte(b.String())
}

// TestBrowserPDFViewer (issue 16, secondary): a PDF attachment opened
// with "Abrir no navegador" is served inline under the CSP "default-src
// 'none'; sandbox" (TestAttachmentHeaders) and Chromium's own PDF viewer
// still renders it: the red page shows on screen. Had the sandbox kept
// the viewer out, the tab would stay an empty grey page and this test
// would fail.
func TestBrowserPDFViewer(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	raw := "From: Joana <joana@cliente.com.br>\r\nTo: Suporte <suporte@acme.test>\r\nSubject: Boleto\r\nDate: " +
		time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <pdf-1@cliente.com.br>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue o boleto.\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"boleto.pdf\"\r\nContent-Disposition: attachment; filename=\"boleto.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(redPDF()) + "\r\n--b1--\r\n"
	e.deliver(t, c.ch, []byte(raw))
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	b := browserFor(t, "pt-BR,pt;q=0.9", 150*time.Second)
	loginBrowser(t, b, e.srv.URL, "acme", c.admin.Email)
	run(t, b, "open ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tks[0].ID)), chromedp.WaitVisible(chromedp.CSS("a.att-open")))
	href := eval[string](t, b, `document.querySelector("a.att-open").href`)
	if !strings.HasSuffix(href, "/view") {
		t.Fatalf("open link %q", href)
	}
	// The headers the viewer gets (as TestAttachmentHeaders checks them).
	cl := e.client(t, "pt-BR")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := cl.get(strings.TrimPrefix(href, e.srv.URL))
	wantStatus(t, p, 200)
	if csp := p.header.Get("Content-Security-Policy"); csp != "default-src 'none'; sandbox" || p.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), "inline") {
		t.Fatalf("PDF view headers %v", p.header)
	}
	run(t, b, "open the PDF", chromedp.Navigate(href))
	if ct := eval[string](t, b, `document.contentType`); ct != "application/pdf" {
		t.Fatalf("document type %q", ct)
	}
	red := 0
	var shot []byte
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && red < 1000; time.Sleep(500 * time.Millisecond) {
		shot, err = chromedp.Run(b, chromedp.CaptureScreenshot())
		must(t, err)
		img, err := png.Decode(bytes.NewReader(shot))
		must(t, err)
		red = 0
		r := img.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y += 2 {
			for x := r.Min.X; x < r.Max.X; x += 2 {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				if cr>>8 > 200 && cg>>8 < 60 && cb>>8 < 60 {
					red++
				}
			}
		}
	}
	saveArtifact(t, "pdf-viewer", shot) // what was judged (a full-page capture re-lays out the viewer)
	if red < 1000 {
		t.Fatalf("the PDF did not render under the sandbox CSP (%d red pixels sampled)", red)
	}
}

// saveArtifact writes a PNG taken by the test itself to artifacts/ui.
func saveArtifact(t *testing.T, name string, png []byte) {
	t.Helper()
	artifactsOnce.Do(func() {
		artifactsDir = os.Getenv("ATENDE_ARTIFACTS")
		if artifactsDir == "" {
			artifactsDir = filepath.Join("..", "..", "..", "artifacts", "ui")
		}
		os.MkdirAll(artifactsDir, 0o755)
	})
	path := filepath.Join(artifactsDir, name+".png")
	must(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}
