package ui_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// loginBrowser signs an agent in on a fresh browser.
func loginBrowser(t *testing.T, bctx context.Context, base, slug, email string) {
	t.Helper()
	run(t, bctx, "log in "+email, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
		chromedp.SendKeys(chromedp.ID("company"), slug),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/inbox"]`)))
}

// waitFor polls js in the page until it is true or within runs out;
// it returns how long that took.
func waitFor(t *testing.T, bctx context.Context, js string, within time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		if ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](js)); err == nil && ok {
			return time.Since(start), true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), false
}

// TestBrowserCollision (issue 16, collision detection) in pt-BR and
// English: two agents in two browsers open the same ticket and each sees
// the other within 2 s (and "typing" while the other types); Mariana
// sends a reply; Ana's send is held with "Mariana Souza respondeu há N s",
// and "Enviar mesmo assim" sends it.
func TestBrowserCollision(t *testing.T) {
	for _, tc := range []struct{ lang, accept, viewing, typing, held, anyway string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Mariana Souza está vendo este atendimento", "Mariana Souza está digitando", `^Mariana Souza respondeu há \d+ s$`, "Enviar mesmo assim"},
		{"en", "en-US,en;q=0.9", "Mariana Souza is viewing this ticket", "Mariana Souza is typing", `^Mariana Souza replied \d+ s ago$`, "Send anyway"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.company(t, "acme", tc.lang)
			mariana, err := e.dir.CreateAgent(ctx, c.co.ID, directory.AgentInput{Email: "mariana@acme.test", Name: "Mariana Souza",
				Role: model.RoleAdmin, Password: adminPassword, Language: tc.lang})
			must(t, err)
			e.deliver(t, c.ch, plainMail("Cliente <cliente@example.com>", "Pedido atrasado", "col-1@example.com", "Cadê meu pedido?"))
			tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
			must(t, err)
			tk := tks[0]
			ana, mar := browserFor(t, tc.accept, 150*time.Second), browserFor(t, tc.accept, 150*time.Second)
			loginBrowser(t, ana, e.srv.URL, "acme", c.admin.Email)
			loginBrowser(t, mar, e.srv.URL, "acme", mariana.Email)
			url := fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)
			run(t, ana, "Ana opens the ticket", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("reply-text")))
			run(t, mar, "Mariana opens the ticket", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("reply-text")))
			// Each sees the other within 2 s of the second arrival.
			took, ok := waitFor(t, ana, fmt.Sprintf(`document.getElementById("presence").textContent.indexOf(%q) >= 0 && !document.getElementById("presence").hidden`, tc.viewing), 2*time.Second)
			if !ok {
				screenshot(t, ana, "collision-presence-missing-"+tc.lang)
				t.Fatalf("Ana does not see Mariana within 2 s: %q", text(t, ana, "#presence"))
			}
			t.Logf("Ana saw Mariana after %v", took)
			if _, ok := waitFor(t, mar, `document.getElementById("presence").textContent.indexOf("Ana Admin") >= 0`, 2*time.Second); !ok {
				t.Fatalf("Mariana does not see Ana within 2 s: %q", text(t, mar, "#presence"))
			}
			// Mariana types: Ana sees it.
			run(t, mar, "Mariana types", chromedp.SendKeys(chromedp.ID("reply-text"), "Seu pedido sai hoje."))
			if _, ok := waitFor(t, ana, fmt.Sprintf(`document.getElementById("presence").textContent.indexOf(%q) >= 0`, tc.typing), 2*time.Second); !ok {
				t.Fatalf("Ana does not see Mariana typing: %q", text(t, ana, "#presence"))
			}
			screenshot(t, ana, "collision-presence-"+tc.lang)
			run(t, ana, "Ana types", chromedp.SendKeys(chromedp.ID("reply-text"), "Vou verificar com a transportadora."))
			run(t, mar, "Mariana sends", chromedp.Click(chromedp.ID("send-reply")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			run(t, ana, "Ana sends", chromedp.Click(chromedp.ID("send-reply")), chromedp.WaitVisible(chromedp.CSS("#held, .flash")))
			if !eval[bool](t, ana, `document.getElementById("held") !== null`) {
				screenshot(t, ana, "collision-not-held-"+tc.lang)
				t.Fatalf("Ana's send was not held (%d replies)", outbound(t, e, c.co.ID, tk.ID))
			}
			held := text(t, ana, "#held .held-text")
			if !regexp.MustCompile(tc.held).MatchString(held) {
				t.Fatalf("held notice %q, want %s", held, tc.held)
			}
			if got := text(t, ana, "#send-anyway"); got != tc.anyway {
				t.Fatalf("send anyway button %q", got)
			}
			if v := eval[string](t, ana, `document.getElementById("reply-text").value`); v != "Vou verificar com a transportadora." {
				t.Fatalf("Ana's text was not kept: %q", v)
			}
			// Review shows Mariana's reply on the page.
			if !eval[bool](t, ana, `document.querySelector(document.getElementById("held-review").getAttribute("href")) !== null`) {
				t.Fatal("review link points to no message")
			}
			screenshot(t, ana, "collision-held-"+tc.lang)
			if n := outbound(t, e, c.co.ID, tk.ID); n != 1 {
				t.Fatalf("%d replies after the hold, want 1 (Mariana's)", n)
			}
			run(t, ana, "send anyway", chromedp.Click(chromedp.ID("send-anyway")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if n := outbound(t, e, c.co.ID, tk.ID); n != 2 {
				t.Fatalf("%d replies after send anyway, want 2", n)
			}
		})
	}
}

// outbound counts a ticket's outgoing messages.
func outbound(t *testing.T, e *env, companyID, ticketID int64) int {
	t.Helper()
	msgs, err := e.st.ListMessages(ctx, companyID, ticketID)
	must(t, err)
	n := 0
	for _, m := range msgs {
		if m.Direction == model.DirOut {
			n++
		}
	}
	return n
}

// TestBrowserTimeline (issue 16, activity timeline and contact panel) in
// pt-BR and English: a mail routed by a channel filter, then assigned and
// resolved in the browser; the timeline shows the filter that routed it,
// the assignment and the status change, with who and when (in the
// agent's zone); the contact panel shows the organization and the
// contact's other ticket, renames the contact, and links to the contact
// page; an image attachment shows as a thumbnail.
func TestBrowserTimeline(t *testing.T) {
	for _, tc := range []struct{ lang, accept, routed, assigned, status, org string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Encaminhado pela regra do canal, filtro 1 (Domínio do remetente: cliente.com.br) → equipe Financeiro",
			"Atribuído a Bruno Agente", "Status: Aberto → Resolvido", "Organização: cliente.com.br"},
		{"en", "en-US,en;q=0.9", "Routed by the channel rule, filter 1 (Sender domain: cliente.com.br) → team Financeiro",
			"Assigned to Bruno Agente", "Status: Open → Resolved", "Organization: cliente.com.br"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.company(t, "acme", tc.lang)
			c.ch.Settings.Rule = model.ChannelRule{Filters: []model.RuleFilter{{Kind: "sender_domain", Value: "cliente.com.br", TeamID: c.team.ID}}}
			must(t, e.st.UpdateChannel(ctx, c.ch))
			c.admin.TimeZone = "America/Manaus"
			must(t, e.st.UpdateAgent(ctx, c.admin))
			e.deliver(t, c.ch, plainMail("Joana <joana@cliente.com.br>", "Primeiro pedido", "tl-0@cliente.com.br", "Olá"))
			e.deliver(t, c.ch, mailWithAttachments("Joana <joana@cliente.com.br>", "Nota fiscal errada", "tl-1@cliente.com.br"))
			tks, err := e.st.ListTickets(ctx, c.co.ID, storeAll)
			must(t, err)
			tk := tks[0] // newest first
			if tk.Subject != "Nota fiscal errada" {
				t.Fatalf("newest ticket %q", tk.Subject)
			}
			b := browserFor(t, tc.accept, 150*time.Second)
			loginBrowser(t, b, e.srv.URL, "acme", c.admin.Email)
			url := fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)
			run(t, b, "open ticket", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("activity")),
				chromedp.SetValue(chromedp.ID("assignee"), fmt.Sprint(c.agent.ID)), chromedp.Click(chromedp.ID("assign")))
			// Each post reloads the page: wait for the new one (its
			// timeline has one more entry), not the old one on screen.
			waitTrue(t, b, "assigned", `document.readyState === "complete" && document.querySelectorAll("#activity li").length === 2`, 20*time.Second)
			run(t, b, "resolve", chromedp.SetValue(chromedp.ID("status"), "resolved"), chromedp.Click(chromedp.ID("set-status")))
			waitTrue(t, b, "resolved", `document.readyState === "complete" && document.querySelectorAll("#activity li").length === 3`, 20*time.Second)
			items := eval[[]string](t, b, `Array.from(document.querySelectorAll("#activity li .act-text")).map(function(e){return e.textContent.trim()})`)
			want := []string{tc.routed, tc.assigned, tc.status}
			if strings.Join(items, "\n") != strings.Join(want, "\n") {
				t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(items, "\n"), strings.Join(want, "\n"))
				screenshot(t, b, "timeline-wrong-"+tc.lang)
				t.FailNow()
			}
			metas := eval[[]string](t, b, `Array.from(document.querySelectorAll("#activity li .act-meta")).map(function(e){return e.textContent.trim()})`)
			if !strings.HasPrefix(metas[0], "Atende ·") || !strings.HasPrefix(metas[1], "Ana Admin ·") || !strings.HasPrefix(metas[2], "Ana Admin ·") {
				t.Fatalf("who: %q", metas)
			}
			// When: in the agent's zone (Manaus, UTC-4), shown in the title.
			title := eval[string](t, b, `document.querySelector("#activity li:last-child time").title`)
			if !strings.Contains(title, "America/Manaus") || !strings.Contains(title, "-04:00") {
				t.Fatalf("time title %q not in the agent's zone", title)
			}
			// Contact panel.
			if got := eval[string](t, b, `document.getElementById("contact-name").value`); got != "Joana" {
				t.Fatalf("contact name %q", got)
			}
			if got := text(t, b, ".contact-org"); !strings.HasPrefix(got, tc.org) {
				t.Fatalf("organization %q", got)
			}
			others := eval[[]string](t, b, `Array.from(document.querySelectorAll(".contact-tickets li")).map(function(e){return e.textContent.trim()})`)
			if len(others) != 1 || !strings.Contains(others[0], "Primeiro pedido") {
				t.Fatalf("other tickets %q", others)
			}
			// The image attachment is a thumbnail the browser decoded,
			// scaled down; its size is shown.
			if _, ok := waitFor(t, b, `(function(){var i=document.querySelector("img.att-thumb"); return !!i && i.complete && i.naturalWidth===400 && i.getBoundingClientRect().width<=240})()`, 5*time.Second); !ok {
				screenshot(t, b, "timeline-thumb-"+tc.lang)
				t.Fatal("no scaled thumbnail of the image attachment")
			}
			if _, ok := waitFor(t, b, `(function(){var l=Array.from(document.querySelectorAll("img.att-thumb")).filter(function(i){return i.alt==="bomba.png"})[0]; return !!l && l.parentNode.hidden})()`, 5*time.Second); !ok {
				t.Fatal("the refused thumbnail is not hidden")
			}
			if got := eval[[]string](t, b, `Array.from(document.querySelectorAll(".att-size")).map(function(e){return e.textContent.trim()})`); len(got) != 4 {
				t.Fatalf("attachment sizes %q", got)
			}
			screenshot(t, b, "ticket-workspace-"+tc.lang)
			// The PDF opens in the browser's own viewer (its document is
			// the PDF, under the sandbox CSP).
			pdf := eval[string](t, b, `document.querySelector("a.att-open").href`)
			run(t, b, "open the PDF", chromedp.Navigate(pdf))
			if ct := eval[string](t, b, `document.contentType`); ct != "application/pdf" {
				t.Fatalf("the PDF opened as %q", ct)
			}
			run(t, b, "back to the ticket", chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("activity")))
			run(t, b, "rename contact", chromedp.SetValue(chromedp.ID("contact-name"), "Joana Prado"), chromedp.Click(chromedp.ID("save-contact")),
				chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := eval[string](t, b, `document.getElementById("contact-name").value`); got != "Joana Prado" {
				t.Fatalf("renamed contact %q", got)
			}
			run(t, b, "contact page", chromedp.Click(chromedp.ID("contact-all")), chromedp.WaitVisible(chromedp.CSS(".contact-ticket-table")))
			rows := eval[[]string](t, b, `Array.from(document.querySelectorAll(".contact-ticket-table tbody tr")).map(function(e){return e.textContent.trim()})`)
			if len(rows) != 2 || !strings.Contains(rows[0], "Nota fiscal errada") || !strings.Contains(rows[1], "Primeiro pedido") {
				t.Fatalf("contact page rows %q", rows)
			}
			if h := text(t, b, "h1"); h != "Joana Prado" {
				t.Fatalf("contact page title %q", h)
			}
			screenshot(t, b, "contact-page-"+tc.lang)
		})
	}
}
