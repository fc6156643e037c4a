package ui_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// TestViewCountsCached: with the view counts kept between changes (the
// hub tells the cache of each, as in the app), the inbox's counts follow
// every change made through the services (mail opening a ticket, an
// assignment, status changes), and a view after no change does not count
// again.
func TestViewCountsCached(t *testing.T) {
	e := newEnvWith(t, ui.NewViewCounts(0))
	co := e.company(t, "acme", "")
	admin := e.client(t, "")
	wantRedirect(t, admin.login("acme", co.admin.Email, adminPassword), "/inbox")
	agent := e.client(t, "")
	wantRedirect(t, agent.login("acme", co.agent.Email, adminPassword), "/inbox")
	want := func(c *client, counts map[string]int) {
		t.Helper()
		for _, path := range []string{"/inbox", "/inbox/list"} {
			p := c.get(path)
			wantStatus(t, p, 200)
			for view, n := range counts {
				wantContains(t, p, fmt.Sprintf(`data-count="%s">%d<`, view, n))
			}
		}
	}
	want(admin, map[string]int{"open": 0, "unassigned": 0, "mine": 0})

	e.deliver(t, co.ch, plainMail("Carla Cliente <carla@example.com>", "Boleto", "c1@example.com", "Preciso do boleto."))
	want(admin, map[string]int{"open": 1, "unassigned": 1, "mine": 0, "pending": 0})
	want(agent, map[string]int{"open": 1, "unassigned": 1, "mine": 0})

	// A view with nothing changed runs one query less: the counts are kept.
	cached := queriesOf(t, e, admin, "/inbox", "Boleto")
	as := ticket.Actor{CompanyID: co.co.ID, AgentID: co.admin.ID, Admin: true}
	page, err := e.tickets.List(ctx, as, ticket.Filter{})
	must(t, err)
	if len(page.Tickets) != 1 {
		t.Fatalf("%d tickets", len(page.Tickets))
	}
	id := page.Tickets[0].ID
	_, err = e.tickets.Assign(ctx, as, id, ticket.AssignInput{AssigneeID: &co.agent.ID})
	must(t, err)
	qc := e.st.(interface{ QueryCount() int64 })
	before := qc.QueryCount()
	wantContains(t, admin.get("/inbox"), `data-count="unassigned">0<`)
	if counted := qc.QueryCount() - before; counted != cached+1 {
		t.Errorf("after a change: %d queries, %d when kept", counted, cached)
	}
	want(admin, map[string]int{"open": 1, "unassigned": 0, "mine": 0})
	want(agent, map[string]int{"open": 1, "unassigned": 0, "mine": 1})

	_, err = e.tickets.SetStatus(ctx, as, id, model.StatusPending)
	must(t, err)
	want(agent, map[string]int{"open": 1, "mine": 1, "pending": 1})
	_, err = e.tickets.SetStatus(ctx, as, id, model.StatusResolved)
	must(t, err)
	want(agent, map[string]int{"open": 0, "mine": 0, "pending": 0})
	want(admin, map[string]int{"open": 0, "unassigned": 0, "pending": 0})
}

// TestViewCountsMaxAge: a change that announced nothing (here a ticket
// written straight to the store) shows once the kept answer is MaxAge
// old.
func TestViewCountsMaxAge(t *testing.T) {
	counts := ui.NewViewCounts(50 * time.Millisecond)
	e := newEnvWith(t, counts)
	co := e.company(t, "acme", "")
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	wantContains(t, c.get("/inbox"), `data-count="open">0<`)
	seedTickets(t, e, co, 1, 1, "s")
	time.Sleep(60 * time.Millisecond)
	wantContains(t, c.get("/inbox"), `data-count="open">1<`)
	seedTickets(t, e, co, 1, 1, "t")
	counts.Changed(co.co.ID)
	wantContains(t, c.get("/inbox"), `data-count="open">2<`)
}
