package ui_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Snooze from the ticket page: pending until a date in the agent's zone;
// at that time (fake clock) the job reopens it, with a note in the
// ticket and a live event; bad dates are refused in the agent's language.
func TestSnooze(t *testing.T) {
	for _, tc := range []struct{ lang, until, ended, errPast string }{
		{"pt-BR", "Adiado: reabre em", "Reaberto: o adiamento terminou", "Escolha um momento no futuro"},
		{"en", "Snoozed: opens again on", "Opened again: the snooze ended", "Choose a moment in the future"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e, clk, _ := newResetEnv(t)
			c := e.company(t, "acme", tc.lang)
			co := c.co
			co.Language = tc.lang
			must(t, e.st.UpdateCompany(ctx, co))
			tk := bulkTickets(t, e, c, 1)[0]
			u := e.client(t, tc.lang)
			wantRedirect(t, u.login("acme", c.admin.Email, adminPassword), "/inbox")
			path := fmt.Sprintf("/tickets/%d", tk.ID)
			page := u.get(path)
			wantContains(t, page, `id="snooze-until"`, `type="datetime-local"`)
			loc := model.LoadLocation("America/Sao_Paulo")
			now := clk.Now().In(loc)
			until := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, loc)
			if !strings.Contains(page.body, `value="`+until.Format("2006-01-02T15:04")+`"`) {
				t.Fatalf("default is not tomorrow 09:00 in the agent's zone:\n%s", page.body)
			}
			wantStatus(t, u.post(path, path+"/snooze", url.Values{"until": {"amanhã"}}), 422)
			p := u.post(path, path+"/snooze", url.Values{"until": {now.Add(-time.Hour).Format("2006-01-02T15:04")}})
			wantStatus(t, p, 422)
			wantContains(t, p, tc.errPast)

			events, stop := e.hub.Subscribe(co.ID)
			defer stop()
			wantRedirect(t, u.post(path, path+"/snooze", url.Values{"until": {until.Format("2006-01-02T15:04")}}), path+"?ok=snoozed")
			wantContains(t, u.get(path+"?ok=snoozed"), tc.until)
			if got := ticketOf(t, e, co.ID, tk.ID); got.Status != model.StatusPending {
				t.Fatalf("status %s", got.Status)
			}
			drain(events)

			clk.Set(until.Add(-time.Second))
			if n, err := e.tickets.WakeSnoozed(ctx, 10); err != nil || n != 0 {
				t.Fatalf("woke %d early (%v)", n, err)
			}
			clk.Set(until)
			if n, err := e.tickets.WakeSnoozed(ctx, 10); err != nil || n != 1 {
				t.Fatalf("woke %d (%v)", n, err)
			}
			select {
			case ev := <-events:
				if ev.Type != ticket.EventTicketUpdated || ev.TicketID != tk.ID {
					t.Fatalf("event %+v", ev)
				}
			case <-time.After(2 * time.Second):
				t.Fatal("no live event when the snooze ended")
			}
			if got := ticketOf(t, e, co.ID, tk.ID); got.Status != model.StatusOpen {
				t.Fatalf("status %s after the snooze", got.Status)
			}
			p = u.get(path)
			wantContains(t, p, tc.ended)
			if strings.Contains(p.body, `id="snoozed-until"`) {
				t.Fatal("still shown as snoozed")
			}
			if n, _ := e.tickets.WakeSnoozed(ctx, 10); n != 0 {
				t.Fatal("the job ran twice")
			}
		})
	}
}

func drain[T any](ch <-chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// TestBrowserSnooze in Chromium, pt-BR and English: snooze from the
// ticket page; the page then says until when.
func TestBrowserSnooze(t *testing.T) {
	for _, tc := range []struct{ lang, accept, until string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Adiado: reabre em"},
		{"en", "en-US,en;q=0.9", "Snoozed: opens again on"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e, _, _ := newResetEnv(t)
			c := e.company(t, "acme", tc.lang)
			tk := bulkTickets(t, e, c, 1)[0]
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"), chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword), chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.ID("bulk-form")))
			run(t, bctx, "ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("snooze-submit")),
				chromedp.Click(chromedp.ID("snooze-submit")), chromedp.WaitVisible(chromedp.ID("snoozed-until")))
			if got := text(t, bctx, "#snoozed-until"); !strings.HasPrefix(got, tc.until) {
				t.Fatalf("snoozed notice %q", got)
			}
			run(t, bctx, "scroll", chromedp.ScrollIntoView(chromedp.ID("snooze")))
			screenshot(t, bctx, "ticket-snoozed-"+tc.lang)
			if got := ticketOf(t, e, c.co.ID, tk.ID); got.Status != model.StatusPending {
				t.Fatalf("status %s", got.Status)
			}
		})
	}
}
