package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// Issue 15 item 10: the priority and tags a rule set show in the inbox
// rows and can be filtered on (and a bad priority is ignored, not an error).
func TestInboxPriorityAndTagFilters(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	for i, pt := range []struct{ prio, tags string }{{"urgent", "vip"}, {"urgent", "vip-ouro"}, {"normal", ""}} {
		e.deliver(t, co.ch, plainMail(fmt.Sprintf("C%d <c%d@cliente.test>", i, i), fmt.Sprintf("Assunto %d", i), fmt.Sprintf("f%d@cliente.test", i), "Olá"))
		tk, err := e.st.GetTicket(ctx, co.co.ID, int64(i+1))
		must(t, err)
		tk.Priority = pt.prio
		if pt.tags != "" {
			tk.Tags = []string{pt.tags}
		}
		must(t, e.st.UpdateTicket(ctx, tk))
	}
	c := e.client(t, "pt-BR")
	c.login("acme", co.admin.Email, adminPassword)

	p := c.get("/inbox?view=all")
	wantStatus(t, p, 200)
	wantContains(t, p, `id="f-priority"`, `id="f-tag"`, `class="badge priority-urgent">Urgente</span>`, `#vip-ouro</span>`)

	p = c.get("/inbox?view=all&priority=urgent")
	if n := strings.Count(p.body, `class="ticket-row"`); n != 2 {
		t.Fatalf("priority=urgent: %d rows, want 2", n)
	}
	p = c.get("/inbox?view=all&priority=urgent&tag=VIP")
	if n := strings.Count(p.body, `class="ticket-row"`); n != 1 || !strings.Contains(p.body, "Assunto 0") {
		t.Fatalf("priority=urgent&tag=VIP: %d rows", n)
	}
	p = c.get("/inbox?view=all&priority=nonsense")
	wantStatus(t, p, 200)
	if n := strings.Count(p.body, `class="ticket-row"`); n != 3 {
		t.Fatalf("unknown priority: %d rows, want all 3", n)
	}
}

// Issue 15 item 14: the empty inbox says what to do next: an admin
// without a channel is sent to add one, an agent is told to ask, a
// filtered list offers to clear the filters, and otherwise it says where
// mail will arrive.
func TestEmptyInboxNextStep(t *testing.T) {
	for _, tc := range []struct{ lang, addChannel, ask, clear, waiting string }{
		{"pt-BR", "Adicionar canal", "Peça a um administrador", "Ver todos os abertos", "Os e-mails que chegarem em suporte@acme.test"},
		{"en", "Add a channel", "Ask an administrator", "See all open tickets", "Mail that arrives at suporte@acme.test"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", tc.lang)
			admin := e.client(t, tc.lang)
			admin.login("acme", co.admin.Email, adminPassword)

			// With a channel and no mail: where mail arrives.
			wantContains(t, admin.get("/inbox"), `id="inbox-next"`, tc.waiting)
			// Filtered: clear the filters.
			wantContains(t, admin.get("/inbox?q=nada"), `id="inbox-clear"`, tc.clear)
			wantContains(t, admin.get("/inbox?view=mine"), `id="inbox-clear"`)

			// No channel at all (another company): the admin gets the
			// button, the agent advice.
			beta, err := e.dir.CreateCompany(ctx, directory.CompanyInput{Slug: "beta", Name: "Beta"})
			must(t, err)
			_, err = e.dir.CreateAgent(ctx, beta.ID, directory.AgentInput{Email: "admin@beta.test", Name: "Bia", Role: model.RoleAdmin, Password: adminPassword, Language: tc.lang})
			must(t, err)
			_, err = e.dir.CreateAgent(ctx, beta.ID, directory.AgentInput{Email: "caio@beta.test", Name: "Caio", Role: model.RoleAgent, Password: adminPassword, Language: tc.lang})
			must(t, err)
			badmin := e.client(t, tc.lang)
			badmin.login("beta", "admin@beta.test", adminPassword)
			wantContains(t, badmin.get("/inbox"), `id="inbox-add-channel"`, `href="/channels/new"`, tc.addChannel)
			bagent := e.client(t, tc.lang)
			bagent.login("beta", "caio@beta.test", adminPassword)
			p := bagent.get("/inbox")
			wantContains(t, p, tc.ask)
			if strings.Contains(p.body, `id="inbox-add-channel"`) {
				t.Fatal("a plain agent is offered to add a channel")
			}
		})
	}
}

// Issue 16: unread marks are the agent's, kept by the server: opening a
// ticket on one device clears its mark on the agent's other devices (not
// another agent's), and a new customer message marks it unread again.
func TestUnreadIsPerAgentOnTheServer(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	e.deliver(t, co.ch, plainMail("João <joao@cliente.test>", "Pedido 7", "u1@cliente.test", "Olá"))
	phone, laptop, other := e.client(t, "pt-BR"), e.client(t, "pt-BR"), e.client(t, "pt-BR")
	phone.login("acme", co.admin.Email, adminPassword)
	laptop.login("acme", co.admin.Email, adminPassword)
	other.login("acme", co.agent.Email, adminPassword)
	unread := func(c *client) bool {
		t.Helper()
		p := c.get("/inbox?view=all")
		wantStatus(t, p, 200)
		if !strings.Contains(p.body, `data-ticket=`) {
			t.Fatalf("no ticket row: %s", p.body)
		}
		return strings.Contains(p.body, `data-unread="true"`)
	}
	if !unread(phone) || !unread(laptop) || !unread(other) {
		t.Fatal("a new ticket is not unread for everyone")
	}
	wantStatus(t, laptop.get("/tickets/1"), 200)
	if unread(phone) {
		t.Fatal("opened on the laptop, still unread on the phone")
	}
	if !unread(other) {
		t.Fatal("another agent's mark was cleared")
	}
	time.Sleep(10 * time.Millisecond)
	e.deliver(t, co.ch, []byte("From: João <joao@cliente.test>\r\nTo: suporte@acme.test\r\nSubject: Re: Pedido 7\r\n"+
		"Message-ID: <u2@cliente.test>\r\nIn-Reply-To: <u1@cliente.test>\r\nDate: "+time.Now().UTC().Format(time.RFC1123Z)+
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAlguma novidade?\r\n"))
	if !unread(phone) {
		t.Fatal("a new customer message did not make the ticket unread again")
	}
}

// A search from the inbox runs in the current view (the default one
// leaves resolved tickets out); the results say so and link to the same
// search over every ticket, which finds the resolved one. In "Todos" there
// is nothing wider to offer.
func TestInboxSearchEverywhereLink(t *testing.T) {
	for _, tc := range []struct{ lang, scope, all string }{
		{"pt-BR", "Busca em “Todos abertos”.", "Buscar em todos os atendimentos"},
		{"en", "Searched in “All open”.", "Search all tickets"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", tc.lang)
			e.deliver(t, co.ch, plainMail("Ana <ana@cliente.test>", "Boleto de outubro", "boleto1@cliente.test", "O boleto de outubro venceu."))
			e.deliver(t, co.ch, plainMail("Bia <bia@cliente.test>", "Boleto de novembro", "boleto2@cliente.test", "Preciso do boleto de novembro."))
			tk, err := e.st.GetTicket(ctx, co.co.ID, 1)
			must(t, err)
			tk.Status = model.StatusResolved
			must(t, e.st.UpdateTicket(ctx, tk))
			c := e.client(t, tc.lang)
			c.login("acme", co.admin.Email, adminPassword)

			p := c.get("/inbox?view=open&q=boleto")
			wantStatus(t, p, 200)
			if n := strings.Count(p.body, `class="ticket-row`); n != 1 || strings.Contains(p.body, "Boleto de outubro") {
				t.Fatalf("search in the open view: %d rows (want only the open ticket)", n)
			}
			wantContains(t, p, tc.scope, `id="search-all"`, `href="/inbox?q=boleto&amp;view=all"`, tc.all)

			p = c.get("/inbox?q=boleto&view=all")
			if n := strings.Count(p.body, `class="ticket-row`); n != 2 || !strings.Contains(p.body, "Boleto de outubro") {
				t.Fatalf("search everywhere: %d rows, want both tickets", n)
			}
			if strings.Contains(p.body, `id="search-all"`) {
				t.Fatal("the search over every ticket offers to widen itself")
			}
			// Not searching: no link.
			if strings.Contains(c.get("/inbox").body, `id="search-all"`) {
				t.Fatal("search link without a search")
			}
		})
	}
}
