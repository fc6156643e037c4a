package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// TestComposerWithoutJavaScript (issue 16): every composer action is a
// plain form. The picker inserts a canned reply (variables filled on the
// server, its file riding along as a checkbox), "Enviar e deixar
// pendente" holds the reply and sets the status, "Desfazer" is a form
// that takes it back into the draft; the draft endpoint keeps text per
// agent; agents manage their own canned replies and only admins the
// company's, and no one sees another company's.
func TestComposerWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	other := e.company(t, "beta", "pt-BR")
	e.deliver(t, co.ch, plainMail("Carla Cliente <carla@example.com>", "Troca", "t1@example.com", "Quero trocar."))
	admin := ticket.Actor{CompanyID: co.co.ID, AgentID: co.admin.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	tk := pg.Tickets[0]
	tp := fmt.Sprintf("/tickets/%d", tk.ID)

	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	p := c.get("/canned")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "Respostas prontas", `id="undo-seconds"`, `value="10"`)
	noMissing(t, p)
	p = c.postMultipart("/canned", "/canned", url.Values{"title": {""}, "body": {""}}, nil)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "Campo obrigatório.")
	p = c.postMultipart("/canned", "/canned", url.Values{"title": {"Troca"}, "scope": {"company"},
		"body": {"Oi {{contato.primeiro_nome}}, o #{{ticket.numero}} é com {{agente.nome}} ({{empresa.nome}}). {{x.y}}"}},
		[]upload{{"politica.pdf", "application/pdf", []byte("%PDF-1.4 política")}})
	wantRedirect(t, p, "/canned?ok=saved")
	cs, err := e.st.ListCannedReplies(ctx, co.co.ID, 0)
	must(t, err)
	if len(cs) != 1 || cs[0].AgentID != 0 {
		t.Fatalf("canned %+v", cs)
	}
	cid := cs[0].ID
	full, err := e.st.GetCannedReply(ctx, co.co.ID, cid)
	must(t, err)
	p = c.post("/canned", "/canned/undo-delay", url.Values{"undo_seconds": {"-1"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "Informe um número de 0 a 120.")
	wantRedirect(t, c.post("/canned", "/canned/undo-delay", url.Values{"undo_seconds": {"30"}}), "/canned?ok=delay")
	if n, _ := e.st.UndoSeconds(ctx, co.co.ID); n != 30 {
		t.Fatalf("undo seconds %d", n)
	}

	// The picker.
	p = c.postMultipart(tp, tp+"/canned", url.Values{"canned_id": {fmt.Sprint(cid)}, "text": {"Olá!"}}, nil)
	wantStatus(t, p, http.StatusOK)
	want := fmt.Sprintf("Olá!\n\nOi Carla, o #%d é com Ana Admin (ACME). {{x.y}}", tk.Number)
	wantContains(t, p, "Resposta pronta “Troca” inserida.", ">"+want+"</textarea>",
		`name="draft_file" value="`, `checked> <span class="draft-name">politica.pdf</span>`)
	noMissing(t, p)
	// Its file is kept with the draft (the canned reply's blob).
	if fs, err := e.st.ListDraftFiles(ctx, co.co.ID, tk.ID, co.admin.ID); err != nil || len(fs) != 1 || fs[0].BlobKey != full.Attachments[0].BlobKey {
		t.Fatalf("draft files after the picker: %+v %v", fs, err)
	}
	// Inserted again: the file is not added twice.
	p = c.postMultipart(tp, tp+"/canned", url.Values{"canned_id": {fmt.Sprint(cid)}, "text": {""}}, nil)
	wantStatus(t, p, http.StatusOK)
	if fs, _ := e.st.ListDraftFiles(ctx, co.co.ID, tk.ID, co.admin.ID); len(fs) != 1 {
		t.Fatalf("draft files after inserting twice: %+v", fs)
	}

	// The draft endpoint (what the script calls while typing).
	wantStatus(t, c.post(tp, tp+"/draft", url.Values{"text": {"rascunho"}}), http.StatusNoContent)
	wantContains(t, c.get(tp), ">rascunho</textarea>")
	other2 := e.client(t, "") // the same agent on another device
	wantRedirect(t, other2.login("acme", co.admin.Email, adminPassword), "/inbox")
	wantContains(t, other2.get(tp), ">rascunho</textarea>")
	wantStatus(t, c.do("POST", tp+"/draft", url.Values{"text": {"sem token"}}), http.StatusForbidden)

	// Send and leave pending: held 30 s, with "Desfazer".
	p = c.postMultipart(tp, tp+"/replies", url.Values{"text": {want}, "then": {"pending"},
		"canned_file": {fmt.Sprintf("%d:%d", cid, full.Attachments[0].ID), "999:999"}}, nil)
	wantRedirect(t, p, tp+"?ok=held")
	p = c.get(tp + "?ok=held")
	wantContains(t, p, "Resposta na fila de envio.", "Resposta sai em ", ">Desfazer</button>") // 30 s or a little less (wall clock)
	if strings.Contains(p.body, ">rascunho</textarea>") {
		t.Fatal("the draft was not cleared by sending")
	}
	noMissing(t, p)
	d, err := e.tickets.Get(ctx, admin, tk.ID)
	must(t, err)
	out := d.Messages[len(d.Messages)-1]
	if d.Ticket.Status != model.StatusPending || out.Direction != model.DirOut || len(out.Attachments) != 1 || out.Attachments[0].Filename != "politica.pdf" {
		t.Fatalf("after send: status %s, message %+v", d.Ticket.Status, out)
	}
	undo := regexp.MustCompile(`action="(/tickets/\d+/messages/\d+/undo)"`).FindStringSubmatch(p.body)
	if undo == nil {
		t.Fatal("no Desfazer form")
	}
	// Another agent cannot take it back (the ticket, routed to nobody,
	// is visible to them: back to it, nothing undone).
	b := e.client(t, "")
	wantRedirect(t, b.login("acme", co.agent.Email, adminPassword), "/inbox")
	if p := b.post("/canned", undo[1], url.Values{}); p.status != http.StatusSeeOther || strings.Contains(p.header.Get("Location"), "undone") {
		t.Fatalf("another agent's undo: %d %q", p.status, p.header.Get("Location"))
	}
	wantRedirect(t, c.post(tp, undo[1], url.Values{}), tp+"?ok=undone")
	p = c.get(tp + "?ok=undone")
	wantContains(t, p, "Envio desfeito.", ">"+want+"</textarea>")
	if _, err := e.st.GetMessage(ctx, co.co.ID, out.ID); err == nil {
		t.Fatal("the undone message is still stored")
	}
	p = c.post(tp, undo[1], url.Values{}) // a second click
	if p.status != http.StatusSeeOther || p.header.Get("Location") != tp+"#reply-h" {
		t.Fatalf("second undo: %d %q", p.status, p.header.Get("Location"))
	}

	// Agents: their own canned replies; the company's are read-only.
	p = b.postMultipart("/canned", "/canned", url.Values{"title": {"Minha"}, "body": {"Abraço"}, "scope": {"company"}}, nil)
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantRedirect(t, b.postMultipart("/canned", "/canned", url.Values{"title": {"Minha"}, "body": {"Abraço"}}, nil), "/canned?ok=saved")
	wantStatus(t, b.get(fmt.Sprintf("/canned/%d", cid)), http.StatusNotFound)
	wantStatus(t, b.post("/canned", fmt.Sprintf("/canned/%d/delete", cid), url.Values{}), http.StatusNotFound)
	wantStatus(t, b.post("/canned", "/canned/undo-delay", url.Values{"undo_seconds": {"0"}}), http.StatusForbidden)
	mine, err := e.st.ListCannedReplies(ctx, co.co.ID, co.agent.ID)
	must(t, err)
	if len(mine) != 2 {
		t.Fatalf("agent sees %d canned replies", len(mine))
	}
	// The admin does not see the agent's own.
	if strings.Contains(c.get("/canned").body, "Abraço") {
		t.Fatal("an agent's own canned reply is listed for the admin")
	}
	// Another company sees none of them, and cannot fill them in.
	o := e.client(t, "")
	wantRedirect(t, o.login("beta", other.admin.Email, adminPassword), "/inbox")
	if p := o.get("/canned"); strings.Contains(p.body, fmt.Sprintf(`id="canned-%d"`, cid)) || !strings.Contains(p.body, "Nenhuma resposta pronta ainda.") {
		t.Fatal("another company's canned reply is listed")
	}
	wantStatus(t, o.get(fmt.Sprintf("/canned/%d", cid)), http.StatusNotFound)
	if _, err := e.st.GetCannedReply(ctx, other.co.ID, cid); err == nil || !strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		t.Fatalf("cross-company read: %v", err)
	}
}
