package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/store"
)

// TestBrowserInboxSortViewsSearch (issue 15, items 5, 6 and 7), in pt-BR
// and English:
//   - item 5: a customer's reply to the oldest ticket brings it to the top
//     of the inbox (it stayed at the bottom with ORDER BY id), and the sort
//     can be changed;
//   - item 6: a plain agent in one team sees all 7 tickets (3 of the team,
//     4 routed to nobody; before, 3), in views with counts that follow a
//     new arrival live;
//   - item 7: "Curitiba" (a body), "João" (a contact name), "nao chegou"
//     (no accents) and "NÃO" find their tickets, with the match marked in
//     a snippet.
func TestBrowserInboxSortViewsSearch(t *testing.T) {
	for _, tc := range []struct {
		lang, unassigned, mine, allOpen, newest, relevance string
	}{
		{"pt-BR", "Não atribuídos", "Meus", "Todos abertos", "Mais recentes", "Resultados por relevância"},
		{"en", "Unassigned", "Mine", "All open", "Newest", "Results by relevance"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", tc.lang)
			must(t, e.st.AddTeamMember(ctx, co.co.ID, co.team.ID, co.agent.ID))
			mails := []struct{ from, subject, body string }{
				{"Carla Cliente <carla@example.com>", "Segunda via do boleto", "Preciso da segunda via."},
				{"João Pereira <joao@cliente.com.br>", "Troca de produto", "Quero trocar o tamanho."},
				{"Maria Souza <maria@example.com>", "Entrega", "Moro em Curitiba e o pedido ainda não veio."},
				{"Pedro Lima <pedro@example.com>", "Reclamação", "O produto NÃO chegou até hoje."},
				{"Rita <rita@example.com>", "Nota fiscal", "Onde está a nota?"},
				{"Saulo <saulo@example.com>", "Cancelamento", "Quero cancelar."},
				{"Tina <tina@example.com>", "Endereço", "Mudei de endereço."},
			}
			for i, m := range mails {
				e.deliver(t, co.ch, plainMail(m.from, m.subject, fmt.Sprintf("m%d@example.com", i), m.body))
				time.Sleep(5 * time.Millisecond) // distinct arrival times
			}
			all, err := e.st.ListTickets(ctx, co.co.ID, store.TicketFilter{Sort: store.SortOldest})
			must(t, err)
			if len(all) != 7 {
				t.Fatalf("%d tickets", len(all))
			}
			// Three tickets reach the agent's team (one assigned to the
			// agent); the other four arrived before any rule: no team.
			for i, tk := range all[4:] {
				tk.TeamID = co.team.ID
				if i == 0 {
					tk.AssigneeID = co.agent.ID
				}
				must(t, e.st.UpdateTicket(ctx, &tk))
			}
			// Carla answers her old ticket: it must come to the top.
			time.Sleep(5 * time.Millisecond)
			reply := strings.Replace(string(plainMail(mails[0].from, "Re: "+mails[0].subject, "m0-re@example.com", "Ainda preciso do boleto!")),
				"MIME-Version", "In-Reply-To: <m0@example.com>\r\nMIME-Version", 1)
			e.deliver(t, co.ch, []byte(reply))

			ctx := browser(t, tc.lang)
			run(t, ctx, "log in as the plain agent", chromedp.Navigate(e.srv.URL+"/login"),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), co.agent.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			rows := func() []string {
				return eval[[]string](t, ctx, `Array.from(document.querySelectorAll(".ticket-row .subject")).map(function(e){return e.textContent.trim()})`)
			}
			count := func(view string) string {
				return text(t, ctx, fmt.Sprintf(`.views .count[data-count=%q]`, view))
			}
			// Item 6: every ticket is visible to the agent.
			if got := rows(); len(got) != 7 {
				t.Fatalf("agent sees %d tickets, want 7: %q", len(got), got)
			}
			// Item 5: last customer activity first.
			if got := rows()[0]; got != mails[0].subject {
				t.Fatalf("first row %q, want the ticket the customer just answered %q", got, mails[0].subject)
			}
			if got := text(t, ctx, ".views a.current .view-label"); got != tc.allOpen {
				t.Fatalf("current view %q, want %q", got, tc.allOpen)
			}
			if m, u, o := count("mine"), count("unassigned"), count("open"); m != "1" || u != "6" || o != "7" {
				t.Fatalf("counts mine %s unassigned %s open %s, want 1 6 7", m, u, o)
			}
			screenshot(t, ctx, "inbox-activity-"+tc.lang)
			run(t, ctx, "sort by newest", chromedp.SetValue(chromedp.ID("f-sort"), "newest"),
				chromedp.Click(chromedp.CSS("form.filters:not(.bulk) button[type=submit]")))
			// The new page, not the old one still on screen.
			for deadline := time.Now().Add(10 * time.Second); ; {
				loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search.indexOf("sort=newest") >= 0 && document.readyState === "complete" && !!document.querySelector(".ticket-row")`))
				if err == nil && loaded {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the newest-first page never loaded: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := rows()[0]; got != mails[6].subject {
				t.Fatalf("newest first %q, want %q", got, mails[6].subject)
			}
			if got := eval[string](t, ctx, `document.querySelector("#f-sort option:checked").textContent`); got != tc.newest {
				t.Fatalf("sort label %q, want %q", got, tc.newest)
			}
			run(t, ctx, "unassigned view", chromedp.Click(chromedp.CSS(`.views a[data-view="unassigned"]`)), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			if got := rows(); len(got) != 6 {
				t.Fatalf("unassigned view %q", got)
			}
			if got := text(t, ctx, ".views a.current .view-label"); got != tc.unassigned {
				t.Fatalf("current view %q, want %q", got, tc.unassigned)
			}
			// A new unrouted ticket arrives: the list and the count follow live.
			_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.live === "on"`, chromedp.WithPollingTimeout(5*time.Second)))
			must(t, err)
			e.deliver(t, co.ch, plainMail("Ugo <ugo@example.com>", "Pedido novo", "m8@example.com", "Acabei de comprar."))
			_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(function(){ var c = document.querySelector('.views .count[data-count="unassigned"]');
				return c && c.textContent === "7" && document.querySelectorAll(".ticket-row").length === 7; })()`, chromedp.WithPollingTimeout(3*time.Second)))
			if err != nil {
				t.Fatalf("count and list not updated live: count %s, %d rows", count("unassigned"), len(rows()))
			}
			screenshot(t, ctx, "inbox-unassigned-"+tc.lang)
			run(t, ctx, "mine view", chromedp.Click(chromedp.CSS(`.views a[data-view="mine"]`)), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			if got := rows(); len(got) != 1 || text(t, ctx, ".views a.current .view-label") != tc.mine {
				t.Fatalf("mine view %q", got)
			}

			// Item 7: search.
			search := func(q string) []string {
				t.Helper()
				run(t, ctx, "search "+q, chromedp.Navigate(e.srv.URL+"/inbox?view=all"), chromedp.WaitVisible(chromedp.ID("q")),
					chromedp.SendKeys(chromedp.ID("q"), q), chromedp.Submit(chromedp.ID("q")),
					chromedp.WaitVisible(chromedp.ID("search-note")))
				return rows()
			}
			for _, c := range []struct {
				q    string
				want []string
				mark string
			}{
				{"Curitiba", []string{"Entrega"}, "Curitiba"},
				{"João", []string{"Troca de produto"}, ""},
				{"nao chegou", []string{"Reclamação"}, "NÃO"},
				{"NÃO", []string{"Reclamação", "Entrega"}, "NÃO"},
			} {
				got := search(c.q)
				for _, w := range c.want {
					if !containsStr(got, w) {
						t.Fatalf("search %q: %q, want %q among them", c.q, got, w)
					}
				}
				if len(got) != len(c.want) {
					t.Fatalf("search %q: %q, want %q", c.q, got, c.want)
				}
				if c.mark != "" {
					marks := eval[[]string](t, ctx, `Array.from(document.querySelectorAll(".ticket-row .snippet mark")).map(function(e){return e.textContent})`)
					if !containsStr(marks, c.mark) {
						t.Fatalf("search %q: marked %q, want %q", c.q, marks, c.mark)
					}
				}
				if c.q == "nao chegou" {
					if got := text(t, ctx, "#search-note"); !strings.HasPrefix(got, tc.relevance) {
						t.Fatalf("search note %q", got)
					}
					screenshot(t, ctx, "inbox-search-"+tc.lang)
				}
			}
		})
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
