package ui_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// replyFixture is a company's ticket (a customer's mail) and its admin
// logged in.
type replyFixture struct {
	e     *env
	co    *company
	admin ticket.Actor
	tk    model.Ticket
	tp    string // the ticket page's path
	c     *client
}

func newReplyFixture(t *testing.T) replyFixture {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	e.deliver(t, co.ch, plainMail("cliente@example.com", "Boleto", "b1@example.com", "Pode mandar o boleto?"))
	admin := ticket.Actor{CompanyID: co.co.ID, AgentID: co.admin.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	return replyFixture{e: e, co: co, admin: admin, tk: pg.Tickets[0], tp: fmt.Sprintf("/tickets/%d", pg.Tickets[0].ID), c: c}
}

// TestReplyNotSentKeepsFiles: the files of a reply the server does not
// send are kept with the draft and listed again, ticked (a browser never
// refills a file input): a refused address, someone else replied
// meanwhile, a canned reply inserted. A reply sends the ticked ones only
// and clears the draft's files. The script's upload route keeps files at
// once (JSON), with its CSRF check; the kept files are the agent's only.
func TestReplyNotSentKeepsFiles(t *testing.T) {
	fx := newReplyFixture(t)
	e, co, tk, tp, c := fx.e, fx.co, fx.tk, fx.tp, fx.c
	pdf := []byte("%PDF-1.4 boleto\n")
	keptRE := regexp.MustCompile(`<li data-id="(\d+)"><label><input type="checkbox" name="draft_file" value="(\d+)"( checked)?> <span class="draft-name">([^<]+)</span>`)
	listed := func(p page) []string {
		var out []string
		for _, m := range keptRE.FindAllStringSubmatch(p.body, -1) {
			tick := "-"
			if m[3] != "" {
				tick = "+"
			}
			out = append(out, tick+m[4])
		}
		return out
	}
	idOf := func(p page, name string) string {
		for _, m := range keptRE.FindAllStringSubmatch(p.body, -1) {
			if m[4] == name {
				return m[2]
			}
		}
		t.Fatalf("%s not listed:\n%s", name, p.body)
		return ""
	}

	// A refused address: 422, the text and the file kept, ticked.
	p := c.postMultipart(tp, tp+"/replies", url.Values{"text": {"Segue o boleto."}, "cc": {"gerente@"}},
		[]upload{{"boleto.pdf", "application/pdf", pdf}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "Segue o boleto.</textarea>", `id="draft-files"`, `aria-label="Files kept with the reply"`)
	noMissing(t, p)
	if got := listed(p); strings.Join(got, ",") != "+boleto.pdf" {
		t.Fatalf("files listed after the refusal: %v", got)
	}
	fs, err := e.st.ListDraftFiles(ctx, co.co.ID, tk.ID, co.admin.ID)
	must(t, err)
	if len(fs) != 1 || fs[0].Size != int64(len(pdf)) || fs[0].ContentType != "application/pdf" {
		t.Fatalf("kept %+v", fs)
	}
	// Refused again with a second file, the first one unticked: the
	// page keeps the agent's ticks.
	p = c.postMultipart(tp, tp+"/replies", url.Values{"text": {"Segue o boleto."}, "cc": {"gerente@"}, "draft_files_shown": {"1"}},
		[]upload{{"nota.txt", "text/plain", []byte("nota fiscal")}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	if got := listed(p); strings.Join(got, ",") != "-boleto.pdf,+nota.txt" {
		t.Fatalf("files listed after the second refusal: %v", got)
	}

	// Another agent, another company: nothing to see or remove.
	beta := e.company(t, "beta", "en")
	b := e.client(t, "")
	wantRedirect(t, b.login("beta", beta.admin.Email, adminPassword), "/inbox")
	pdfURL := fmt.Sprintf("%s/draft/files/%s", tp, idOf(p, "boleto.pdf"))
	wantStatus(t, b.get(pdfURL), http.StatusNotFound)
	wantStatus(t, b.post("/inbox", pdfURL+"/delete", url.Values{}), http.StatusNotFound)
	must(t, e.st.AddTeamMember(ctx, co.co.ID, co.team.ID, co.agent.ID))
	tk.TeamID = co.team.ID
	must(t, e.st.UpdateTicket(ctx, &tk))
	bruno := e.client(t, "")
	wantRedirect(t, bruno.login("acme", co.agent.Email, adminPassword), "/inbox")
	if got := listed(bruno.get(tp)); len(got) != 0 {
		t.Fatalf("another agent sees %v", got)
	}
	wantStatus(t, bruno.get(pdfURL), http.StatusNotFound)

	// The owner opens it: a PDF downloads, sandboxed.
	f := c.get(pdfURL)
	wantStatus(t, f, http.StatusOK)
	if f.body != string(pdf) || !strings.HasPrefix(f.header.Get("Content-Disposition"), "attachment") ||
		f.header.Get("Content-Type") != "application/octet-stream" || !strings.Contains(f.header.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("draft file served as %v %q", f.header, f.body)
	}

	// The script's upload: CSRF required; JSON back; listed, ticked.
	png := []byte(pngBytes)
	up := c.postFiles(tp, tp+"/draft/files", "files", nil, []upload{{"print.png", "image/png", png}})
	wantStatus(t, up, http.StatusOK)
	var kept []struct {
		ID    int64  `json:"id"`
		Name  string `json:"name"`
		URL   string `json:"url"`
		Image bool   `json:"image"`
	}
	must(t, json.Unmarshal([]byte(up.body), &kept))
	if len(kept) != 1 || kept[0].Name != "print.png" || !kept[0].Image || kept[0].URL != fmt.Sprintf("%s/draft/files/%d", tp, kept[0].ID) {
		t.Fatalf("upload answered %s", up.body)
	}
	img := c.get(kept[0].URL)
	if img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" || img.body != string(png) || img.header.Get("Content-Disposition") != "" {
		t.Fatalf("thumbnail served as %d %v", img.status, img.header)
	}
	forged := c.do("POST", tp+"/draft/files", url.Values{"files": {"x"}})
	wantStatus(t, forged, http.StatusForbidden)

	// Someone replied meanwhile: held, and the new file is kept too.
	seenRE := regexp.MustCompile(`name="seen_message" value="(\d+)"`)
	seen := seenRE.FindStringSubmatch(c.get(tp).body)[1]
	p = bruno.get(tp)
	wantStatus(t, bruno.post(tp, tp+"/replies", url.Values{"text": {"Resposta do Bruno"}, "seen_message": {seenRE.FindStringSubmatch(p.body)[1]}}), http.StatusSeeOther)
	held := c.postMultipart(tp, tp+"/replies", url.Values{"text": {"Segue o boleto."}, "seen_message": {seen}},
		[]upload{{"recibo.txt", "text/plain", []byte("recibo")}})
	wantStatus(t, held, http.StatusConflict)
	if got := strings.Join(listed(held), ","); !strings.Contains(got, "+recibo.txt") || strings.Contains(held.body, "Attach the files again") {
		t.Fatalf("held page lists %s", got)
	}
	noMissing(t, held)
}

// A reply sends the ticked kept files only, then the draft has none.
func TestReplySendsTickedDraftFiles(t *testing.T) {
	fx := newReplyFixture(t)
	e, co, admin, tk, tp, c := fx.e, fx.co, fx.admin, fx.tk, fx.tp, fx.c
	kept, err := e.tickets.KeepDraftFiles(ctx, admin, tk.ID, []ticket.Attachment{
		{Filename: "boleto.pdf", ContentType: "application/pdf", Data: []byte("%PDF boleto")},
		{Filename: "rascunho.txt", ContentType: "text/plain", Data: []byte("não enviar")}})
	must(t, err)
	p := c.postMultipart(tp, tp+"/replies", url.Values{"text": {"Segue o boleto."}, "draft_files_shown": {"1"},
		"draft_file": {fmt.Sprint(kept[0].ID)}}, nil)
	wantRedirect(t, p, tp+"?ok=held")
	d, err := e.tickets.Get(ctx, admin, tk.ID)
	must(t, err)
	var out *model.Message
	for i := range d.Messages {
		if d.Messages[i].Direction == model.DirOut {
			out = &d.Messages[i].Message
		}
	}
	if out == nil {
		t.Fatal("no reply stored")
	}
	atts, err := e.st.ListAttachments(ctx, co.co.ID, out.ID)
	must(t, err)
	if len(atts) != 1 || atts[0].Filename != "boleto.pdf" || atts[0].BlobKey != kept[0].BlobKey {
		t.Fatalf("reply's attachments %+v", atts)
	}
	if fs, _ := e.st.ListDraftFiles(ctx, co.co.ID, tk.ID, co.admin.ID); len(fs) != 0 {
		t.Fatalf("draft files after the reply: %+v", fs)
	}
}
