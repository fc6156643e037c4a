package ui_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

type upload struct {
	name, ctype string
	data        []byte
}

// postMultipart submits fields and files as multipart/form-data (adding
// the csrf token of the page at from), like the reply composer does.
func (c *client) postMultipart(from, path string, fields url.Values, files []upload) page {
	c.t.Helper()
	return c.postFiles(from, path, "attachments", fields, files)
}

// postFiles is postMultipart with the files in form field field.
func (c *client) postFiles(from, path, field string, fields url.Values, files []upload) page {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	must(c.t, mw.WriteField("csrf_token", c.csrf(c.get(from))))
	for k, vs := range fields {
		for _, v := range vs {
			must(c.t, mw.WriteField(k, v))
		}
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s"`, field, f.name))
		h.Set("Content-Type", f.ctype)
		w, err := mw.CreatePart(h)
		must(c.t, err)
		_, err = w.Write(f.data)
		must(c.t, err)
	}
	must(c.t, mw.Close())
	req, err := http.NewRequest("POST", c.e.srv.URL+path, &body)
	must(c.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.c.Do(req)
	must(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(c.t, err)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

func TestReplyWithAttachments(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	e.deliver(t, co.ch, plainMail("cliente@example.com", "Boleto", "b1@example.com", "Pode mandar o boleto?"))
	admin := ticket.Actor{CompanyID: co.co.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	tk := pg.Tickets[0]
	tp := fmt.Sprintf("/tickets/%d", tk.ID)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	p := c.get(tp)
	wantContains(t, p, `enctype="multipart/form-data"`, `type="file" id="attachments" name="attachments" multiple`, "Attach files", "Up to 25 MB in total.")
	noMissing(t, p)

	// Over 25 MB in total: refused with a translated error, nothing sent.
	big := make([]byte, ticket.MaxAttachmentBytes/2+1)
	p = c.postMultipart(tp, tp+"/replies", url.Values{"text": {"grande"}},
		[]upload{{"a.bin", "application/octet-stream", big}, {"b.bin", "application/octet-stream", big}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "The attachments exceed 25 MB in total.", `aria-invalid="true"`)
	noMissing(t, p)

	pdf := []byte("%PDF-1.4 boleto\n")
	p = c.postMultipart(tp, tp+"/replies", url.Values{"text": {"Segue o boleto."}},
		[]upload{{"boleto.pdf", "application/pdf", pdf}, {"nota.txt", "text/plain", []byte("nota fiscal")}})
	wantRedirect(t, p, tp+"?ok=held")

	d, err := e.tickets.Get(ctx, admin, tk.ID)
	must(t, err)
	var outID int64
	for _, m := range d.Messages {
		if m.Direction == model.DirOut {
			if outID != 0 {
				t.Fatal("more than one outgoing message")
			}
			outID = m.ID
		}
	}
	if outID == 0 {
		t.Fatal("no outgoing message")
	}
	atts, err := e.st.ListAttachments(ctx, co.co.ID, outID)
	must(t, err)
	got := map[string]string{}
	for _, a := range atts {
		got[a.Filename] = fmt.Sprintf("%s %d", a.ContentType, a.Size)
	}
	if len(atts) != 2 || got["boleto.pdf"] != fmt.Sprintf("application/pdf %d", len(pdf)) || !strings.HasPrefix(got["nota.txt"], "text/plain") {
		t.Fatalf("attachment rows = %+v", atts)
	}
	p = c.get(tp + "?ok=sent")
	wantContains(t, p, "boleto.pdf", "nota.txt")
	noMissing(t, p)
}

func TestSignaturePreview(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	ch, err := e.st.GetChannel(ctx, co.co.ID, co.ch.ID)
	must(t, err)
	ch.Settings.Signature = "<p>Equipe {{company.name}}</p><p>Canal {{channel.name}}<br><script>x()</script></p>"
	must(t, e.st.UpdateChannel(ctx, ch))
	e.deliver(t, co.ch, plainMail("cliente@example.com", "Oi", "s1@example.com", "Olá"))
	pg, err := e.tickets.List(ctx, ticket.Actor{CompanyID: co.co.ID, Admin: true}, ticket.Filter{})
	must(t, err)
	tp := fmt.Sprintf("/tickets/%d", pg.Tickets[0].ID)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	p := c.get(tp)
	wantContains(t, p, "Assinatura que será usada (assinatura geral do canal)", "Equipe ACME\nCanal Suporte")
	if strings.Contains(p.body, "x()") || strings.Contains(p.body, "&lt;p&gt;") {
		t.Fatalf("signature preview is not plain text:\n%s", p.body)
	}
	noMissing(t, p)

	ag, err := e.st.GetAgent(ctx, co.co.ID, co.admin.ID)
	must(t, err)
	ag.Signature, ag.Language = "<div>{{agent.name}} · #{{ticket.number}}</div>", "en"
	must(t, e.st.UpdateAgent(ctx, ag))
	p = c.get(tp)
	wantContains(t, p, "Signature that will be used (your personal signature)", fmt.Sprintf("Ana Admin · #%d", pg.Tickets[0].Number))
	if strings.Contains(p.body, "Equipe ACME") {
		t.Fatal("the personal signature must win over the channel's")
	}
	noMissing(t, p)
}

func TestMergeForm(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	e.deliver(t, co.ch, plainMail("cliente@example.com", "Primeiro", "m1@example.com", "um"))
	e.deliver(t, co.ch, plainMail("outro@example.com", "Segundo", "m2@example.com", "dois"))
	admin := ticket.Actor{CompanyID: co.co.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	if len(pg.Tickets) != 2 {
		t.Fatalf("%d tickets", len(pg.Tickets))
	}
	src, dst := pg.Tickets[0], pg.Tickets[1]
	tp := fmt.Sprintf("/tickets/%d", src.ID)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	wantContains(t, c.get(tp), "Merge into ticket #", `action="/tickets/`+fmt.Sprint(src.ID)+`/merge"`)

	cases := []struct {
		name, target string
		want         string
	}{
		{"not a number", "abc", "There is no ticket with that number."},
		{"unknown number", "9999", "There is no ticket with that number."},
		{"same ticket", fmt.Sprint(src.Number), "A ticket cannot be merged into itself."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			p := c.post(tp, tp+"/merge", url.Values{"target": {tc.target}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, tc.want, `id="target-err"`)
			noMissing(t, p)
		})
	}
	c.t = t
	p := c.post(tp, tp+"/merge", url.Values{"target": {"#" + fmt.Sprint(dst.Number)}})
	wantRedirect(t, p, fmt.Sprintf("/tickets/%d?ok=merged", dst.ID))
	d, err := e.tickets.Get(ctx, admin, src.ID)
	must(t, err)
	if d.MergedInto != dst.ID {
		t.Fatalf("source merged into ticket id %d, want %d", d.MergedInto, dst.ID)
	}
	p = c.get(fmt.Sprintf("/tickets/%d?ok=merged", dst.ID))
	wantContains(t, p, "Tickets merged.")
	// The merged ticket names its target by number (what agents know), not by internal id.
	wantContains(t, c.get(fmt.Sprintf("/tickets/%d", src.ID)), fmt.Sprintf("This ticket was merged into ticket #%d.", dst.Number))
	noMissing(t, p)
	// The pt-BR wording.
	ag, err := e.st.GetAgent(ctx, co.co.ID, co.admin.ID)
	must(t, err)
	ag.Language = "pt-BR"
	must(t, e.st.UpdateAgent(ctx, ag))
	p = c.post(fmt.Sprintf("/tickets/%d", dst.ID), fmt.Sprintf("/tickets/%d/merge", dst.ID), url.Values{"target": {"9999"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "Não existe atendimento com esse número.")
}
