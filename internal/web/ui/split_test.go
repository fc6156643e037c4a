package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// TestSplitPaneServer: /inbox?t=ID renders the ticket beside the list
// (the ticket page's content, the row marked, the ticket read); the pane
// fragment answers alone; a pane form returns to the inbox it came from,
// and never to anything but a local /inbox URL.
func TestSplitPaneServer(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	e.deliver(t, co.ch, plainMail("Carla <carla@cliente.test>", "Segunda via", "sp1@cliente.test", "Preciso da segunda via."))
	e.deliver(t, co.ch, plainMail("Davi <davi@cliente.test>", "Troca", "sp2@cliente.test", "Quero trocar."))
	tks, err := e.st.ListTickets(ctx, co.co.ID, storeAll)
	must(t, err)
	if len(tks) != 2 {
		t.Fatalf("%d tickets", len(tks))
	}
	id := tks[0].ID
	c := e.client(t, "pt-BR")
	c.login("acme", co.admin.Email, adminPassword)

	inbox := c.get("/inbox")
	wantStatus(t, inbox, 200)
	if strings.Contains(inbox.body, `id="ticket-pane" aria-label="Atendimento selecionado">`) {
		t.Fatal("the pane is shown with no ticket selected")
	}
	if n := strings.Count(inbox.body, `data-unread="true"`); n != 2 {
		t.Fatalf("%d unread rows, want 2", n)
	}

	p := c.get(fmt.Sprintf("/inbox?view=all&t=%d", id))
	wantStatus(t, p, 200)
	wantContains(t, p,
		`class="inbox inbox-cols has-pane"`, `<body class="inbox split"`,
		fmt.Sprintf(`<div class="ticket-view" data-ticket="%d"`, id),
		fmt.Sprintf(`data-ticket="%d" data-last=`, id), `id="reply-form"`, `id="note"`, `id="set-status"`, `id="assign"`, `id="activity"`,
		`id="contact-h"`, `id="pane-close"`, `href="/inbox?view=all"`, // close keeps the view
		fmt.Sprintf(`<input type="hidden" name="return" value="/inbox?t=%d&amp;view=all">`, id))
	if !strings.Contains(p.body, fmt.Sprintf(`kb-current" data-ticket="%d"`, id)) || strings.Count(p.body, `aria-current="true"`) != 1 {
		t.Fatal("the pane's row is not the one marked")
	}
	reads, err := e.st.TicketReads(ctx, co.co.ID, co.admin.ID, []int64{id})
	must(t, err)
	if _, ok := reads[id]; !ok {
		t.Fatal("showing the ticket in the pane did not mark it read")
	}
	if n := strings.Count(p.body, `data-unread="true"`); n != 1 {
		t.Fatalf("%d unread rows after opening one, want 1", n)
	}
	// A ticket the agent cannot see: the inbox alone.
	wantStatus(t, c.get("/inbox?t=999999"), 200)

	frag := c.get(fmt.Sprintf("/tickets/%d?pane=1&return=%s", id, url.QueryEscape(fmt.Sprintf("/inbox?view=mine&t=%d", id))))
	wantStatus(t, frag, 200)
	if strings.Contains(frag.body, "<html") || !strings.HasPrefix(strings.TrimSpace(frag.body), `<div class="ticket-view"`) {
		t.Fatalf("the pane fragment is not the ticket view alone:\n%.300s", frag.body)
	}
	wantContains(t, frag, fmt.Sprintf(`name="return" value="/inbox?view=mine&amp;t=%d"`, id))
	// A foreign return in the fragment falls back to the plain inbox.
	evil := c.get(fmt.Sprintf("/tickets/%d?pane=1&return=%s", id, url.QueryEscape("https://evil.test/inbox")))
	if strings.Contains(evil.body, "evil.test") {
		t.Fatal("the fragment kept a foreign return URL")
	}
	wantStatus(t, c.get("/tickets/999999?pane=1"), 404)

	// A note from the pane comes back to the inbox with the ticket.
	ret := fmt.Sprintf("/inbox?view=all&t=%d", id)
	r := c.post(ret, fmt.Sprintf("/tickets/%d/notes", id), url.Values{"note": {"Liguei para a cliente."}, "return": {ret}})
	wantPaneRedirect(t, r, id, "saved")
	back := c.get(r.header.Get("Location"))
	wantContains(t, back, "Liguei para a cliente.", `class="flash"`)
	// A form error shows the inbox with the pane and the error in it.
	bad := c.post(ret, fmt.Sprintf("/tickets/%d/notes", id), url.Values{"note": {""}, "return": {ret}})
	wantStatus(t, bad, 422)
	wantContains(t, bad, `<body class="inbox split"`, `id="note-err"`, `id="ticket-list"`)
	// Status and assignment from the pane.
	wantPaneRedirect(t, c.post(ret, fmt.Sprintf("/tickets/%d/status", id), url.Values{"status": {"pending"}, "return": {ret}}), id, "saved")
	wantPaneRedirect(t, c.post(ret, fmt.Sprintf("/tickets/%d/assign", id), url.Values{"assignee": {fmt.Sprint(co.admin.ID)}, "return": {ret}}), id, "saved")

	// Never an open redirect: anything but a local /inbox URL goes to
	// the ticket page as before.
	for _, evil := range []string{"https://evil.test/inbox", "//evil.test/inbox", "/\\evil.test/inbox", "/inboxx", "/tickets/1",
		"/inbox/../admin", "javascript:alert(1)", "/login?next=/inbox", " /inbox"} {
		r := c.post(ret, fmt.Sprintf("/tickets/%d/status", id), url.Values{"status": {"open"}, "return": {evil}})
		wantRedirect(t, r, fmt.Sprintf("/tickets/%d?ok=saved", id))
	}
}

// TestInboxBulkBarHiddenWhenEmpty (issue 16): the bulk-action bar is not
// shown on an empty inbox, and is with tickets listed.
func TestInboxBulkBarHiddenWhenEmpty(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	c := e.client(t, "en")
	c.login("acme", co.admin.Email, adminPassword)
	p := c.get("/inbox")
	wantStatus(t, p, 200)
	wantContains(t, p, `id="inbox-empty"`)
	if !strings.Contains(p.body, `id="bulk-form" class="filters bulk" aria-label="Bulk actions" hidden>`) {
		t.Fatalf("the bulk bar shows on an empty inbox:\n%s", p.body)
	}
	e.deliver(t, co.ch, plainMail("Carla <carla@cliente.test>", "Segunda via", "bb1@cliente.test", "Preciso da segunda via."))
	p = c.get("/inbox")
	wantContains(t, p, `id="bulk-form" class="filters bulk" aria-label="Bulk actions">`)
	// A view with no ticket in it is empty too.
	p = c.get("/inbox?view=pending")
	wantContains(t, p, `id="inbox-empty"`, `id="bulk-form" class="filters bulk" aria-label="Bulk actions" hidden>`)
}

// wantPaneRedirect: a 303 to /inbox?view=all with ticket id in the pane
// and the flash ok.
func wantPaneRedirect(t *testing.T, p page, id int64, ok string) {
	t.Helper()
	u, err := url.Parse(p.header.Get("Location"))
	if p.status != 303 || err != nil || u.Path != "/inbox" || u.Host != "" || u.Query().Get("t") != fmt.Sprint(id) ||
		u.Query().Get("view") != "all" || u.Query().Get("ok") != ok {
		t.Fatalf("got %d Location %q, want 303 to /inbox?view=all&t=%d&ok=%s", p.status, p.header.Get("Location"), id, ok)
	}
}

// TestSplitPaneHeldSnoozeMerge: from the pane, a held reply (another
// agent answered meanwhile) shows the inbox with the pane, the notice and
// the agent's text; "send anyway" and a snooze return to the inbox with
// the ticket; a merge lands on the target ticket in the pane.
func TestSplitPaneHeldSnoozeMerge(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	mariana, err := e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "mariana@acme.test", Name: "Mariana Souza",
		Role: model.RoleAdmin, Password: adminPassword, Language: "pt-BR"})
	must(t, err)
	e.deliver(t, c.ch, plainMail("Cliente <cliente@example.com>", "Pedido", "pheld-1@example.com", "Oi"))
	e.deliver(t, c.ch, plainMail("Outra <outra@example.com>", "Outro pedido", "pheld-2@example.com", "Olá"))
	must(t, e.st.SetUndoSeconds(ctx, c.co.ID, 0))
	tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
	must(t, err)
	id, other := tks[0].ID, tks[1].ID
	path := fmt.Sprintf("/tickets/%d", id)
	ret := fmt.Sprintf("/inbox?view=all&t=%d", id)
	ana := e.client(t, "pt-BR")
	ana.login("acme", c.admin.Email, adminPassword)
	mar := e.client(t, "pt-BR")
	mar.login("acme", mariana.Email, adminPassword)
	seenRE := regexp.MustCompile(`name="seen_message" value="(\d+)"`)
	anaPage := ana.get(ret)
	seen := seenRE.FindStringSubmatch(anaPage.body)[1]
	wantRedirect(t, mar.post(path, path+"/replies", url.Values{"text": {"Resposta da Mariana"}, "seen_message": {seenRE.FindStringSubmatch(mar.get(path).body)[1]}}), path+"?ok=sent")

	form := url.Values{"text": {"Resposta da Ana"}, "seen_message": {seen}, "csrf_token": {ana.csrf(anaPage)}, "return": {ret}}
	held := ana.do("POST", path+"/replies", form)
	wantStatus(t, held, http.StatusConflict)
	wantContains(t, held, `<body class="inbox split"`, `id="ticket-list"`, `id="held"`, "Resposta da Ana</textarea>", `id="send-anyway"`,
		`name="return" value="/inbox?view=all&amp;t=`)
	form.Set("send_anyway", "1")
	wantPaneRedirect(t, ana.do("POST", path+"/replies", form), id, "sent")
	if n := outbound(t, e, c.co.ID, id); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}

	snooze := ana.post(ret, path+"/snooze", url.Values{"until": {time.Now().Add(48 * time.Hour).Format("2006-01-02T15:04")}, "return": {ret}})
	wantPaneRedirect(t, snooze, id, "snoozed")
	wantContains(t, ana.get(snooze.header.Get("Location")), `id="snoozed-until"`, `class="flash"`)

	merged := ana.post(ret, fmt.Sprintf("/tickets/%d/merge", other), url.Values{"target": {fmt.Sprint(tks[0].Number)}, "return": {ret}})
	wantPaneRedirect(t, merged, id, "merged")
}
