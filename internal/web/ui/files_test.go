package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// pngBytes is a 1×1 PNG.
var pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"

func mixedMail() []byte {
	return []byte("From: cliente@example.com\r\nTo: suporte@acme.test\r\nSubject: Nota fiscal\r\nMessage-ID: <nf-1@example.com>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=out\r\n\r\n" +
		"--out\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Segue a nota <img src=\"cid:logo@x\"></p>\r\n" +
		"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename=logo.png\r\n\r\n" + pngBytes + "\r\n" +
		"--rel--\r\n" +
		"--out\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=\"nota fiscal.html\"\r\nContent-ID: <page@x>\r\n\r\n<script>alert(1)</script>\r\n" +
		"--out--\r\n")
}

func TestAttachments(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	e.deliver(t, co.ch, mixedMail())
	admin := ticket.Actor{CompanyID: co.co.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	d, err := e.tickets.Get(ctx, admin, pg.Tickets[0].ID)
	must(t, err)
	m := d.Messages[0]
	var logo, page *model.Attachment
	for i, a := range m.Attachments {
		switch a.ContentID {
		case "logo@x":
			logo = &m.Attachments[i]
		case "page@x":
			page = &m.Attachments[i]
		}
	}
	if logo == nil || page == nil {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	tp := fmt.Sprintf("/tickets/%d", d.Ticket.ID)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	wantContains(t, c.get(tp), fmt.Sprintf(`href="%s/attachments/%d" download>nota fiscal.html</a>`, tp, page.ID))

	// The frame's relative cid/ URL resolves to the inline image.
	body := c.get(fmt.Sprintf("%s/messages/%d/body", tp, m.ID))
	wantContains(t, body, `src="cid/logo@x"`)
	img := c.get(fmt.Sprintf("%s/messages/%d/cid/logo@x", tp, m.ID))
	wantStatus(t, img, http.StatusOK)
	if img.body != pngBytes || img.header.Get("Content-Type") != "image/png" {
		t.Fatalf("inline image: %q %q", img.header.Get("Content-Type"), img.body)
	}
	// A non-image part is never served inline.
	wantStatus(t, c.get(fmt.Sprintf("%s/messages/%d/cid/page@x", tp, m.ID)), http.StatusNotFound)

	dl := c.get(fmt.Sprintf("%s/attachments/%d", tp, page.ID))
	wantStatus(t, dl, http.StatusOK)
	if got := dl.header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment") || !strings.Contains(got, "nota fiscal.html") {
		t.Fatalf("disposition %q", got)
	}
	if dl.header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(dl.header.Get("Content-Security-Policy"), "sandbox") ||
		!strings.Contains(dl.body, "<script>alert(1)</script>") {
		t.Fatalf("download headers %v body %q", dl.header, dl.body)
	}
	wantStatus(t, c.get(fmt.Sprintf("%s/attachments/%d", tp, page.ID+1000)), http.StatusNotFound)

	other := e.company(t, "beta", "")
	c2 := e.client(t, "")
	wantRedirect(t, c2.login("beta", other.admin.Email, adminPassword), "/inbox")
	wantStatus(t, c2.get(fmt.Sprintf("%s/attachments/%d", tp, page.ID)), http.StatusNotFound)
	wantStatus(t, c2.get(fmt.Sprintf("%s/messages/%d/cid/logo@x", tp, m.ID)), http.StatusNotFound)
	wantStatus(t, e.client(t, "").get(fmt.Sprintf("%s/attachments/%d", tp, page.ID)), http.StatusUnauthorized)
}

// A message Atende could not fully read is still shown, with a warning in
// the agent's language and the original (.eml) one click away; only agents
// who may see the ticket can download it (issue 14).
func TestPartialMessageWarnsAndOffersTheOriginal(t *testing.T) {
	e := newEnv(t)
	// A multipart without a boundary: the parser reads the body as plain
	// text and flags the message partial.
	raw := "From: Carla <carla@cliente.test>\r\nTo: suporte@acme.test\r\nSubject: Pedido 77\r\nMessage-ID: <partial-1@cliente.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n" +
		"O pedido 77 chegou amassado.\r\nAtt, Carla\r\n"
	var firstURL string
	for _, lang := range []string{"pt-BR", "en"} {
		co := e.company(t, "acme-"+strings.ToLower(lang), lang)
		e.deliver(t, co.ch, []byte(raw))
		admin := ticket.Actor{CompanyID: co.co.ID, Admin: true}
		pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
		must(t, err)
		d, err := e.tickets.Get(ctx, admin, pg.Tickets[0].ID)
		must(t, err)
		m := d.Messages[0]
		if _, ok := m.Meta["partial"]; !ok {
			t.Fatalf("message not flagged partial: %+v", m.Meta)
		}
		tp := fmt.Sprintf("/tickets/%d", d.Ticket.ID)
		rawURL := fmt.Sprintf("%s/messages/%d/raw", tp, m.ID)
		c := e.client(t, lang)
		wantRedirect(t, c.login(co.co.Slug, co.admin.Email, adminPassword), "/inbox")
		want := map[string]string{"pt-BR": "Esta mensagem não pôde ser lida por completo", "en": "This message could not be fully read"}[lang]
		wantContains(t, c.get(tp), want, "O pedido 77 chegou amassado.", `href="`+rawURL+`" download`)
		dl := c.get(rawURL)
		wantStatus(t, dl, http.StatusOK)
		if dl.body != raw || dl.header.Get("Content-Type") != "message/rfc822" ||
			!strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") || !strings.Contains(dl.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("raw download: %v %q", dl.header, dl.body)
		}
		if firstURL == "" {
			firstURL = rawURL
			continue
		}
		// The other company's admin cannot download the first one's mail.
		wantStatus(t, c.get(firstURL), http.StatusNotFound)
	}
	wantStatus(t, e.client(t, "").get(firstURL), http.StatusUnauthorized)
}
