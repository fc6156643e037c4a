package ui_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

var storeAll = store.TicketFilter{}

// testPNG is a 400 × 300 PNG.
func testPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for x := 0; x < 400; x++ {
		img.Set(x, x%300, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// bombPNG is a valid PNG header saying 60,000 × 60,000 pixels (and no
// image data): what a decompression bomb looks like to DecodeConfig.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

const testPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " +
	"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// mailWithAttachments carries an image, a PDF and an HTML file.
func mailWithAttachments(from, subject, msgID string) []byte {
	part := func(ct, name string, data []byte) string {
		return "--b1\r\nContent-Type: " + ct + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name +
			"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mailmix.Base64Lines(data)
	}
	return []byte("From: " + from + "\r\nTo: Suporte <suporte@acme.test>\r\nSubject: " + subject + "\r\nDate: " +
		time.Now().UTC().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + msgID + ">\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue a nota.\r\n" +
		part("image/png", "foto.png", testPNG()) + part("application/pdf", "nota.pdf", []byte(testPDF)) +
		part("text/html", "pagina.html", []byte("<script>alert(1)</script>")) + part("image/png", "bomba.png", bombPNG()) + "--b1--\r\n")
}

// TestAttachmentHeaders: images and PDFs open in the browser with their
// own type, inline, nosniff and a CSP sandbox; every attachment still
// downloads as an attachment (octet-stream, nosniff, sandbox); an HTML
// file has no view; an image whose header claims too many pixels is
// refused; another company's agent gets 404.
func TestAttachmentHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	e.deliver(t, c.ch, mailWithAttachments("Joana <joana@cliente.com.br>", "Anexos", "att-1@cliente.com.br"))
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	msgs, err := e.st.ListMessages(ctx, c.co.ID, tks[0].ID)
	must(t, err)
	atts, err := e.st.ListAttachments(ctx, c.co.ID, msgs[0].ID)
	must(t, err)
	ids := map[string]int64{}
	for _, a := range atts {
		ids[a.Filename] = a.ID
	}
	cl := e.client(t, "pt-BR")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	base := fmt.Sprintf("/tickets/%d/attachments/", tks[0].ID)
	for _, tc := range []struct {
		name, ct string
	}{{"foto.png", "image/png"}, {"nota.pdf", "application/pdf"}} {
		p := cl.get(base + fmt.Sprint(ids[tc.name]) + "/view")
		wantStatus(t, p, http.StatusOK)
		h := p.header
		if h.Get("Content-Type") != tc.ct || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "inline") || !strings.Contains(h.Get("Content-Disposition"), tc.name) ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("%s view headers: %v", tc.name, h)
		}
	}
	for _, name := range []string{"foto.png", "nota.pdf", "pagina.html", "bomba.png"} {
		p := cl.get(base + fmt.Sprint(ids[name]))
		wantStatus(t, p, http.StatusOK)
		h := p.header
		if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("%s download headers: %v", name, h)
		}
	}
	wantStatus(t, cl.get(base+fmt.Sprint(ids["pagina.html"])+"/view"), http.StatusNotFound)
	wantStatus(t, cl.get(base+fmt.Sprint(ids["bomba.png"])+"/view"), http.StatusUnsupportedMediaType)
	// The page: a thumbnail for the images, "open" for the PDF, sizes.
	page := cl.get(fmt.Sprintf("/tickets/%d", tks[0].ID))
	wantContains(t, page, `class="att-thumb" src="`+base+fmt.Sprint(ids["foto.png"])+`/view"`,
		`class="att-open" href="`+base+fmt.Sprint(ids["nota.pdf"])+`/view"`, "Abrir no navegador", "image/png · ")
	if strings.Contains(page.body, base+fmt.Sprint(ids["pagina.html"])+"/view") {
		t.Fatal("the HTML attachment has a view link")
	}
	// Another company's admin sees none of it.
	other := e.company(t, "other", "pt-BR")
	cl2 := e.client(t, "pt-BR")
	wantRedirect(t, cl2.login("other", other.admin.Email, adminPassword), "/inbox")
	wantStatus(t, cl2.get(base+fmt.Sprint(ids["foto.png"])+"/view"), http.StatusNotFound)
}

// TestHeldReplyWithoutJS: the hold works as plain forms (JavaScript
// off): a reply another agent sent after the page loaded holds the send
// (409, notice, text kept, newest message id in the form); "send anyway"
// sends; a form without seen_message (an older page, the API) is not held.
func TestHeldReplyWithoutJS(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	mariana, err := e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "mariana@acme.test", Name: "Mariana Souza",
		Role: model.RoleAdmin, Password: adminPassword, Language: "pt-BR"})
	must(t, err)
	e.deliver(t, c.ch, plainMail("Cliente <cliente@example.com>", "Pedido", "held-1@example.com", "Oi"))
	must(t, e.st.SetUndoSeconds(ctx, c.co.ID, 0)) // sent at once, not held for undo
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	path := fmt.Sprintf("/tickets/%d", tks[0].ID)
	ana := e.client(t, "pt-BR")
	wantRedirect(t, ana.login("acme", c.admin.Email, adminPassword), "/inbox")
	mar := e.client(t, "pt-BR")
	wantRedirect(t, mar.login("acme", mariana.Email, adminPassword), "/inbox")
	seenRE := regexp.MustCompile(`name="seen_message" value="(\d+)"`)
	anaPage := ana.get(path)
	seen := seenRE.FindStringSubmatch(anaPage.body)[1]
	wantRedirect(t, mar.post(path, path+"/replies", url.Values{"text": {"Resposta da Mariana"}, "seen_message": {seenRE.FindStringSubmatch(mar.get(path).body)[1]}}), path+"?ok=sent")
	form := url.Values{"text": {"Resposta da Ana"}, "seen_message": {seen}, "csrf_token": {ana.csrf(anaPage)}}
	held := ana.do("POST", path+"/replies", form)
	wantStatus(t, held, http.StatusConflict)
	if !regexp.MustCompile(`<p class="held-text">Mariana Souza respondeu há \d+ s</p>`).MatchString(held.body) {
		t.Fatalf("no held notice:\n%s", held.body)
	}
	wantContains(t, held, "Resposta da Ana</textarea>", `id="send-anyway"`)
	review := regexp.MustCompile(`href="#m(\d+)" id="held-review"`).FindStringSubmatch(held.body)
	if review == nil || !strings.Contains(held.body, `id="m`+review[1]+`"`) {
		t.Fatal("the review link does not point to Mariana's reply on the page")
	}
	if newSeen := seenRE.FindStringSubmatch(held.body)[1]; newSeen == seen {
		t.Fatal("the held page still carries the old last message")
	}
	if n := outbound(t, e, c.co.ID, tks[0].ID); n != 1 {
		t.Fatalf("%d replies, want 1", n)
	}
	form.Set("send_anyway", "1")
	wantRedirect(t, ana.do("POST", path+"/replies", form), path+"?ok=sent")
	// No seen_message: not held.
	wantRedirect(t, ana.post(path, path+"/replies", url.Values{"text": {"Mais uma"}}), path+"?ok=sent")
	if n := outbound(t, e, c.co.ID, tks[0].ID); n != 3 {
		t.Fatalf("%d replies, want 3", n)
	}
}

// TestPresenceEndpoint: the heartbeat returns the other agents (not the
// caller), typing included; "gone" removes the agent; a bad state is 400;
// a ticket of another company is 404.
func TestPresenceEndpoint(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "en")
	e.deliver(t, c.ch, plainMail("Cliente <cliente@example.com>", "Pedido", "pr-1@example.com", "Oi"))
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	must(t, e.st.AddTeamMember(ctx, c.co.ID, c.team.ID, c.agent.ID))
	tks[0].TeamID = c.team.ID
	must(t, e.st.UpdateTicket(ctx, &tks[0]))
	path := fmt.Sprintf("/tickets/%d", tks[0].ID)
	ana := e.client(t, "en")
	wantRedirect(t, ana.login("acme", c.admin.Email, adminPassword), "/inbox")
	bruno := e.client(t, "en")
	wantRedirect(t, bruno.login("acme", c.agent.Email, adminPassword), "/inbox")
	p := ana.post(path, path+"/presence", url.Values{"state": {"viewing"}})
	wantStatus(t, p, http.StatusOK)
	if strings.TrimSpace(p.body) != `{"others":[]}` {
		t.Fatalf("alone: %s", p.body)
	}
	p = bruno.post(path, path+"/presence", url.Values{"state": {"typing"}})
	if strings.TrimSpace(p.body) != fmt.Sprintf(`{"others":[{"agent_id":%d,"name":"Ana Admin","typing":false}]}`, c.admin.ID) {
		t.Fatalf("bruno sees: %s", p.body)
	}
	p = ana.get(path + "/presence")
	if strings.TrimSpace(p.body) != fmt.Sprintf(`{"others":[{"agent_id":%d,"name":"Bruno Agente","typing":true}]}`, c.agent.ID) {
		t.Fatalf("ana sees: %s", p.body)
	}
	wantStatus(t, bruno.post(path, path+"/presence", url.Values{"state": {"gone"}}), http.StatusOK)
	if p = ana.get(path + "/presence"); strings.TrimSpace(p.body) != `{"others":[]}` {
		t.Fatalf("after bruno left: %s", p.body)
	}
	wantStatus(t, ana.post(path, path+"/presence", url.Values{"state": {"dancing"}}), http.StatusBadRequest)
	// Without the CSRF token: refused.
	wantStatus(t, ana.do("POST", path+"/presence", url.Values{"state": {"viewing"}}), http.StatusForbidden)
	other := e.company(t, "other", "en")
	cl2 := e.client(t, "en")
	wantRedirect(t, cl2.login("other", other.admin.Email, adminPassword), "/inbox")
	wantStatus(t, cl2.get(path+"/presence"), http.StatusNotFound)
}

// TestContactPage: the contact page lists the contact's tickets the agent
// may see (an agent: only their team's), renames the contact (CSRF
// checked), and another company's contact is 404.
func TestContactPage(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "en")
	e.deliver(t, c.ch, plainMail("Joana <joana@cliente.com.br>", "Primeiro", "cp-1@cliente.com.br", "Oi"))
	e.deliver(t, c.ch, plainMail("Joana <joana@cliente.com.br>", "Segundo", "cp-2@cliente.com.br", "Oi"))
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	must(t, e.st.AddTeamMember(ctx, c.co.ID, c.team.ID, c.agent.ID))
	tks[1].TeamID = c.team.ID // "Primeiro" is Bruno's team's
	must(t, e.st.UpdateTicket(ctx, &tks[1]))
	// "Segundo" is another team's (a ticket routed to nobody is everyone's).
	vendas, err := e.dir.CreateTeam(ctx, c.co.ID, directory.TeamInput{Name: "Vendas"})
	must(t, err)
	tks[0].TeamID = vendas.ID
	must(t, e.st.UpdateTicket(ctx, &tks[0]))
	path := fmt.Sprintf("/contacts/%d", tks[0].ContactID)
	admin := e.client(t, "en")
	wantRedirect(t, admin.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := admin.get(path)
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "<h1>Joana</h1>", "Primeiro", "Segundo", "Organization: <strong>cliente.com.br</strong>")
	bruno := e.client(t, "en")
	wantRedirect(t, bruno.login("acme", c.agent.Email, adminPassword), "/inbox")
	p = bruno.get(path)
	wantContains(t, p, "Primeiro")
	if strings.Contains(p.body, "Segundo") {
		t.Fatal("an agent sees a ticket outside their teams on the contact page")
	}
	wantStatus(t, bruno.do("POST", path+"/name", url.Values{"contact_name": {"Nope"}}), http.StatusForbidden)
	wantRedirect(t, bruno.post(path, path+"/name", url.Values{"contact_name": {"Joana  Prado\r\n"}}), path+"?ok=saved")
	got, err := e.st.GetContact(ctx, c.co.ID, tks[0].ContactID)
	must(t, err)
	if got.Name != "Joana Prado" {
		t.Fatalf("name %q", got.Name)
	}
	wantStatus(t, bruno.post(path, path+"/name", url.Values{"contact_name": {strings.Repeat("x", 201)}}), http.StatusUnprocessableEntity)
	other := e.company(t, "other", "en")
	cl2 := e.client(t, "en")
	wantRedirect(t, cl2.login("other", other.admin.Email, adminPassword), "/inbox")
	wantStatus(t, cl2.get(path), http.StatusNotFound)
	wantStatus(t, cl2.post("/inbox", path+"/name", url.Values{"contact_name": {"x"}}), http.StatusNotFound)
}
