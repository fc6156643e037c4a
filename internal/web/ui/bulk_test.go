package ui_test

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// bulkTickets delivers n mails to c's channel and returns their tickets,
// oldest first.
func bulkTickets(t *testing.T, e *env, c *company, n int) []model.Ticket {
	t.Helper()
	for i := 0; i < n; i++ {
		e.deliver(t, c.ch, plainMail(fmt.Sprintf("Cliente %d <c%d@cliente.test>", i, i), fmt.Sprintf("Pedido %d", i),
			fmt.Sprintf("bulk-%s-%d@cliente.test", c.co.Slug, i), "Olá"))
	}
	tks, err := e.st.ListTickets(ctx, c.co.ID, store.TicketFilter{})
	must(t, err)
	if len(tks) != n {
		t.Fatalf("%d tickets, want %d", len(tks), n)
	}
	out := make([]model.Ticket, n)
	for i := range tks {
		out[n-1-i] = tks[i]
	}
	return out
}

func ticketOf(t *testing.T, e *env, companyID, id int64) *model.Ticket {
	t.Helper()
	tk, err := e.st.GetTicket(ctx, companyID, id)
	must(t, err)
	return tk
}

// Bulk actions as a plain form (no script): assign, team, status, merge
// on the ticked tickets, each checked against the company and the agent's
// permissions; the summary says how many changed and lists those left
// alone; another company's ticket is neither changed nor named.
func TestBulkActions(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "pt-BR")
	o := e.company(t, "other", "pt-BR")
	tks := bulkTickets(t, e, c, 4)
	foreign := bulkTickets(t, e, o, 1)[0]
	u := e.client(t, "pt-BR")
	wantRedirect(t, u.login("acme", c.admin.Email, adminPassword), "/inbox")
	inbox := u.get("/inbox?status=open")
	wantContains(t, inbox, `id="bulk-form"`, `name="ids" value="`+strconv.FormatInt(tks[0].ID, 10)+`" form="bulk-form"`)
	bulk := func(action string, ids []int64, form url.Values) page {
		t.Helper()
		form.Set("action", action)
		form.Set("back", "/inbox?status=open")
		for _, id := range ids {
			form.Add("ids", strconv.FormatInt(id, 10))
		}
		return u.post("/inbox", "/inbox/bulk", form)
	}
	follow := func(p page) page {
		t.Helper()
		loc := p.header.Get("Location")
		if p.status != 303 || !strings.HasPrefix(loc, "/inbox?") || !strings.Contains(loc, "status=open") {
			t.Fatalf("bulk answered %d %q:\n%s", p.status, loc, p.body)
		}
		return u.get(loc)
	}

	// Assign three (and another company's ticket): three change.
	p := follow(bulk("assign", []int64{tks[0].ID, tks[1].ID, tks[2].ID, foreign.ID}, url.Values{"assignee": {strconv.FormatInt(c.agent.ID, 10)}}))
	wantContains(t, p, "3 atendimento(s) atribuído(s) a Bruno Agente.")
	if strings.Contains(p.body, "Não alterados") {
		t.Fatalf("another company's ticket is named:\n%s", p.body)
	}
	for _, tk := range tks[:3] {
		if got := ticketOf(t, e, c.co.ID, tk.ID); got.AssigneeID != c.agent.ID {
			t.Fatalf("ticket %d assignee %d", tk.ID, got.AssigneeID)
		}
	}
	if got := ticketOf(t, e, o.co.ID, foreign.ID); got.AssigneeID != 0 {
		t.Fatalf("another company's ticket was assigned: %+v", got)
	}

	// Team, then status.
	p = follow(bulk("team", []int64{tks[0].ID, tks[3].ID}, url.Values{"team": {strconv.FormatInt(c.team.ID, 10)}}))
	wantContains(t, p, "2 atendimento(s) movido(s) para a equipe Financeiro.")
	if ticketOf(t, e, c.co.ID, tks[3].ID).TeamID != c.team.ID || ticketOf(t, e, c.co.ID, tks[1].ID).TeamID != 0 {
		t.Fatal("team not set on exactly the ticked tickets")
	}
	p = follow(bulk("status", []int64{tks[1].ID, tks[2].ID}, url.Values{"status": {"pending"}}))
	wantContains(t, p, "2 atendimento(s) com status Pendente.")
	if ticketOf(t, e, c.co.ID, tks[1].ID).Status != model.StatusPending || ticketOf(t, e, c.co.ID, tks[0].ID).Status != model.StatusOpen {
		t.Fatal("status not set on exactly the ticked tickets")
	}

	// An agent who is not in the team and not assigned may not touch
	// tks[3]: left alone and listed by number.
	a := e.client(t, "pt-BR")
	wantRedirect(t, a.login("acme", c.agent.Email, adminPassword), "/inbox")
	form := url.Values{"action": {"status"}, "status": {"resolved"}, "back": {"/inbox"},
		"ids": {strconv.FormatInt(tks[0].ID, 10), strconv.FormatInt(tks[3].ID, 10)}}
	r := a.post("/inbox", "/inbox/bulk", form)
	p = a.get(r.header.Get("Location"))
	wantContains(t, p, "1 atendimento(s) com status Resolvido.", fmt.Sprintf("Não alterados (sem permissão ou não permitido para eles): #%d.", tks[3].Number))
	if ticketOf(t, e, c.co.ID, tks[3].ID).Status != model.StatusOpen || ticketOf(t, e, c.co.ID, tks[0].ID).Status != model.StatusResolved {
		t.Fatal("the agent changed a ticket they may not, or not theirs")
	}

	// Merge two into a third (the target ticked too is skipped silently).
	p = follow(bulk("merge", []int64{tks[1].ID, tks[2].ID, tks[0].ID}, url.Values{"target": {"#" + strconv.FormatInt(tks[0].Number, 10)}}))
	wantContains(t, p, fmt.Sprintf("2 atendimento(s) juntado(s) ao #%d.", tks[0].Number))
	for _, tk := range tks[1:3] {
		if got := ticketOf(t, e, c.co.ID, tk.ID); got.Status != model.StatusClosed {
			t.Fatalf("merged ticket %d is %s", tk.ID, got.Status)
		}
	}

	// Nothing ticked; bad input.
	wantContains(t, follow(bulk("status", nil, url.Values{"status": {"open"}})), "Nenhum atendimento selecionado")
	wantStatus(t, bulk("status", []int64{tks[0].ID}, url.Values{"status": {"gone"}}), 422)
	wantStatus(t, bulk("merge", []int64{tks[0].ID}, url.Values{"target": {"#99999"}}), 422)
	wantStatus(t, bulk("explode", []int64{tks[0].ID}, url.Values{}), 422)
	wantStatus(t, u.do("POST", "/inbox/bulk", url.Values{"action": {"status"}, "status": {"open"}, "ids": {strconv.FormatInt(tks[0].ID, 10)}}), 403) // no CSRF token
}

// TestBrowserBulkActions in Chromium, pt-BR and English: tick two rows,
// set their status from the bar, read the summary.
func TestBrowserBulkActions(t *testing.T) {
	for _, tc := range []struct{ lang, accept, done string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "2 atendimento(s) com status Resolvido."},
		{"en", "en-US,en;q=0.9", "2 ticket(s) set to Resolved."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.company(t, "acme", tc.lang)
			tks := bulkTickets(t, e, c, 3)
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"), chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.ID("bulk-form")))
			for _, tk := range tks[:2] {
				run(t, bctx, "tick", chromedp.Click(chromedp.CSS(fmt.Sprintf(`input.bulk-pick[value="%d"]`, tk.ID))))
			}
			run(t, bctx, "choose status", chromedp.SetValue(chromedp.ID("bulk-status"), "resolved"))
			screenshot(t, bctx, "inbox-bulk-"+tc.lang)
			run(t, bctx, "apply", chromedp.Click(chromedp.ID("bulk-set-status")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, bctx, ".flash"); got != tc.done {
				t.Fatalf("summary %q, want %q", got, tc.done)
			}
			if ticketOf(t, e, c.co.ID, tks[2].ID).Status != model.StatusOpen || ticketOf(t, e, c.co.ID, tks[0].ID).Status != model.StatusResolved {
				t.Fatal("status not set on exactly the ticked tickets")
			}
		})
	}
}
