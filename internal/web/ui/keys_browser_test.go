package ui_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/model"
)

// TestBrowserKeyboardShortcuts: in the inbox j/k move the selection, a
// assigns the selected ticket to oneself and e resolves it, ? lists the
// shortcuts in the agent's language, Enter opens the ticket; in a ticket
// r and n go to the reply and the note, a and e assign and resolve.
func TestBrowserKeyboardShortcuts(t *testing.T) {
	for _, tc := range []struct{ lang, title, resolved string }{
		{"pt-BR", "Atalhos de teclado", "resolvido"},
		{"en", "Keyboard shortcuts", "resolved"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", tc.lang)
			for i := 1; i <= 3; i++ {
				e.deliver(t, co.ch, plainMail(fmt.Sprintf("Cliente %d <c%d@cliente.test>", i, i), fmt.Sprintf("Pedido %d", i),
					fmt.Sprintf("k%d-%s@cliente.test", i, tc.lang), "Olá"))
			}
			ctx := browser(t, tc.lang)
			run(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/login"),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), co.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			ids := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("#ticket-list .ticket-row"), function (r) { return r.getAttribute("data-ticket"); })`)
			if len(ids) != 3 {
				t.Fatalf("inbox rows %v", ids)
			}
			current := func() string {
				return eval[string](t, ctx, `(function(){ var r = document.querySelector(".ticket-row.kb-current"); return r ? r.getAttribute("data-ticket") : ""; })()`)
			}
			run(t, ctx, "j", chromedp.KeyEvent("j"))
			if got := current(); got != ids[0] {
				t.Fatalf("after j: %q, want the first row %s", got, ids[0])
			}
			run(t, ctx, "j j k", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("k"))
			if got := current(); got != ids[1] {
				t.Fatalf("after j j k: %q, want the second row %s", got, ids[1])
			}
			second, _ := strconv.ParseInt(ids[1], 10, 64)
			run(t, ctx, "a", chromedp.KeyEvent("a"))
			waitTicket(t, e, co.co.ID, second, func(tk *model.Ticket) bool { return tk.AssigneeID == co.admin.ID }, "assigned to me")
			run(t, ctx, "e", chromedp.KeyEvent("e"))
			waitTicket(t, e, co.co.ID, second, func(tk *model.Ticket) bool { return tk.Status == model.StatusResolved }, "resolved")
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("keys-status").textContent.indexOf("`+tc.resolved+`") >= 0`,
				chromedp.WithPollingTimeout(5*time.Second))); err != nil {
				t.Fatalf("no 'resolved' flash: %v (%q)", err, text(t, ctx, "#keys-status"))
			}

			run(t, ctx, "?", chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.ID("shortcuts")))
			if got := text(t, ctx, "#shortcuts-h"); got != tc.title {
				t.Fatalf("shortcuts title %q", got)
			}
			screenshot(t, ctx, "shortcuts-"+tc.lang)
			run(t, ctx, "close", chromedp.Click(chromedp.ID("shortcuts-close")), chromedp.WaitNotVisible(chromedp.ID("shortcuts")))

			// The resolved ticket leaves the default view (open and
			// pending) on the live refresh; j then selects the first row
			// and Enter opens it.
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('.ticket-row[data-ticket="`+ids[1]+`"]') === null`,
				chromedp.WithPollingTimeout(5*time.Second))); err != nil {
				t.Fatalf("the resolved ticket is still listed: %v", err)
			}
			// The window is 1280 px wide: Enter opens the ticket beside the
			// list (split.go), and r, n, a, e act on it there.
			run(t, ctx, "j Enter", chromedp.KeyEvent("j"), enterKey(), chromedp.WaitVisible(chromedp.CSS("#ticket-pane .ticket-view")))
			if u := eval[string](t, ctx, `location.pathname + location.search`); u != "/inbox?t="+ids[0] {
				t.Fatalf("Enter opened %s, want /inbox?t=%s", u, ids[0])
			}
			run(t, ctx, "r", chromedp.KeyEvent("r"))
			if got := eval[string](t, ctx, `document.activeElement.id`); got != "reply-text" {
				t.Fatalf("r focused %q", got)
			}
			// Typing in the reply is not a shortcut. (DevTools sends the
			// key's character as its own event, which preventDefault on
			// keydown does not stop as it does for a real key press.)
			eval[bool](t, ctx, `(document.getElementById("reply-text").value = "", true)`)
			run(t, ctx, "type", chromedp.KeyEvent("e"))
			if got := eval[string](t, ctx, `document.getElementById("reply-text").value`); got != "e" {
				t.Fatalf("reply text %q", got)
			}
			if tk, _ := e.st.GetTicket(ctx, co.co.ID, mustID(t, ids[0])); tk.Status == model.StatusResolved {
				t.Fatal("typing e in the reply resolved the ticket")
			}
			eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
			run(t, ctx, "n", chromedp.KeyEvent("n"))
			if got := eval[string](t, ctx, `document.activeElement.id`); got != "note" {
				t.Fatalf("n focused %q", got)
			}
			eval[bool](t, ctx, `(document.activeElement.blur(), true)`)
			first, _ := strconv.ParseInt(ids[0], 10, 64)
			run(t, ctx, "a on the ticket", chromedp.KeyEvent("a"))
			waitTicket(t, e, co.co.ID, first, func(tk *model.Ticket) bool { return tk.AssigneeID == co.admin.ID }, "assigned to me")
			run(t, ctx, "reloaded", chromedp.WaitVisible(chromedp.CSS("#ticket-pane .ticket-view")))
			run(t, ctx, "e on the ticket", chromedp.KeyEvent("e"))
			waitTicket(t, e, co.co.ID, first, func(tk *model.Ticket) bool { return tk.Status == model.StatusResolved }, "resolved")
		})
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	must(t, err)
	return id
}

func waitTicket(t *testing.T, e *env, companyID, id int64, ok func(*model.Ticket) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tk, err := e.st.GetTicket(ctx, companyID, id)
		must(t, err)
		if ok(tk) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket %d never %s: %+v", id, what, tk)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestInboxPageWeight: the inbox page with everything it loads (scripts,
// styles, icons) stays under 150 KB uncompressed, all from this server:
// no third-party scripts, styles or fonts.
func TestInboxPageWeight(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	for i := 1; i <= 50; i++ {
		e.deliver(t, co.ch, plainMail(fmt.Sprintf("Cliente Número %d <c%d@cliente.test>", i, i),
			fmt.Sprintf("Pedido %d não chegou, preciso de ajuda com a entrega", i), fmt.Sprintf("w%d@cliente.test", i), "Olá"))
	}
	c := e.client(t, "pt-BR")
	c.login("acme", co.admin.Email, adminPassword)
	p := c.get("/inbox")
	wantStatus(t, p, 200)
	total := len(p.body)
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(p.body, -1)
	assets := 0
	for _, m := range refs {
		u := strings.ReplaceAll(m[1], "&amp;", "&")
		isAsset := strings.HasPrefix(u, "/static/")
		if strings.HasPrefix(u, "http:") || strings.HasPrefix(u, "https:") || strings.HasPrefix(u, "//") {
			t.Errorf("third-party reference on the inbox page: %s", u)
			continue
		}
		if !isAsset {
			continue
		}
		resp, err := http.Get(e.srv.URL + u)
		must(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", u, resp.StatusCode)
		}
		total += len(b)
		assets++
		if strings.HasSuffix(strings.SplitN(u, "?", 2)[0], ".css") && regexp.MustCompile(`@import|url\(\s*["']?(https?:)?//`).Match(b) {
			t.Errorf("%s loads something from elsewhere", u)
		}
	}
	if assets < 3 {
		t.Fatalf("found only %d assets on the inbox page: the scan is broken", assets)
	}
	t.Logf("inbox page with 50 rows and %d assets: %d bytes", assets, total)
	if total > 150*1024 {
		t.Fatalf("inbox page weighs %d bytes with its assets, over 150 KB", total)
	}
}

// TestBrowserReadingWithJavaScriptOff: with scripts disabled an agent
// still logs in, sees the inbox, opens a ticket and reads the mail.
func TestBrowserReadingWithJavaScriptOff(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	e.deliver(t, co.ch, plainMail("João Silva <joao@cliente.test>", "Entrega em Curitiba", "nojs@cliente.test", "O pedido 4521 não chegou em Curitiba."))
	ctx := browser(t, "pt-BR")
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(t, err)
	run(t, ctx, "log in without JavaScript", chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), co.admin.Email),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	if got := text(t, ctx, ".ticket-row .subject"); got != "Entrega em Curitiba" {
		t.Fatalf("inbox row %q", got)
	}
	run(t, ctx, "open", chromedp.Click(chromedp.CSS(".ticket-row a")), chromedp.WaitReady(chromedp.CSS(".ticket-view")))
	screenshot(t, ctx, "ticket-no-javascript")
	if got := text(t, ctx, ".thread"); !strings.Contains(got, "não chegou em Curitiba") {
		t.Fatalf("thread without JavaScript: %q", got)
	}
}
