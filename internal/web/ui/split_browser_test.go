package ui_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// splitTickets delivers three mails.
func splitTickets(t *testing.T, e *env, co *company, lang string) {
	t.Helper()
	for i := 1; i <= 3; i++ {
		e.deliver(t, co.ch, plainMail(fmt.Sprintf("Cliente %d <c%d@cliente.test>", i, i), fmt.Sprintf("Pedido %d atrasado", i),
			fmt.Sprintf("split%d-%s@cliente.test", i, lang), fmt.Sprintf("Meu pedido %d não chegou.", i)))
		time.Sleep(5 * time.Millisecond) // distinct arrival times
	}
}

// TestBrowserSplitInbox (issue 16): at 1440x900 a row opens its ticket
// beside the list without a reload (URL with t=ID, row marked, ticket
// read on the server); a reply sent from the pane goes out and the agent
// lands on the same inbox with the ticket in the pane; a reload keeps it;
// back returns to the previous selection; Esc closes the pane. In pt-BR
// and English.
func TestBrowserSplitInbox(t *testing.T) {
	for _, tc := range []struct{ lang, sent, close string }{
		{"pt-BR", "Resposta na fila de envio", "Fechar"},
		{"en", "Reply queued for sending", "Close"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", tc.lang)
			splitTickets(t, e, co, tc.lang)
			ctx := browserFor(t, tc.lang, 150*time.Second)
			run(t, ctx, "wide window", chromedp.EmulateViewport(1440, 900))
			loginBrowser(t, ctx, e.srv.URL, "acme", co.admin.Email)
			run(t, ctx, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			ids := eval[[]string](t, ctx, `Array.prototype.map.call(document.querySelectorAll("#ticket-list .ticket-row"), function (r) { return r.getAttribute("data-ticket"); })`)
			if len(ids) != 3 {
				t.Fatalf("inbox rows %v", ids)
			}
			if !eval[bool](t, ctx, `document.getElementById("ticket-pane").hidden`) {
				t.Fatal("the pane shows with no ticket selected")
			}
			second, first := ids[1], ids[0]
			if !eval[bool](t, ctx, `document.querySelector('.ticket-row[data-ticket="`+second+`"]').hasAttribute("data-unread")`) {
				t.Fatal("the new ticket is not unread before it is opened")
			}
			// A marker on the window: gone if the page reloads.
			eval[bool](t, ctx, `(window.splitMarker = 1, true)`)

			run(t, ctx, "open the second row", chromedp.Click(chromedp.CSS(`.ticket-row[data-ticket="`+second+`"] a`)))
			waitTrue(t, ctx, "the pane shows the ticket", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+second+`"]')`, 10*time.Second)
			if got := eval[string](t, ctx, `location.pathname + location.search`); got != "/inbox?t="+second {
				t.Fatalf("URL %s, want /inbox?t=%s", got, second)
			}
			if !eval[bool](t, ctx, `window.splitMarker === 1`) {
				t.Fatal("opening a row reloaded the page")
			}
			if got := eval[string](t, ctx, `(document.querySelector('#ticket-list .ticket-row[aria-current]') || {dataset:{}}).dataset.ticket || ""`); got != second {
				t.Fatalf("marked row %q, want %s", got, second)
			}
			// Beside the list, not under it.
			if !eval[bool](t, ctx, `document.getElementById("ticket-pane").getBoundingClientRect().left >= document.querySelector(".inbox-main").getBoundingClientRect().right`) {
				t.Fatal("the pane is not beside the list")
			}
			reads, err := e.st.TicketReads(ctx, co.co.ID, co.admin.ID, []int64{mustID(t, second)})
			must(t, err)
			if _, ok := reads[mustID(t, second)]; !ok {
				t.Fatal("opening the ticket in the pane did not mark it read")
			}
			if got := text(t, ctx, "#pane-close"); !strings.Contains(got, tc.close) {
				t.Fatalf("close link %q", got)
			}
			// Presence runs for the pane's ticket.
			waitTrue(t, ctx, "presence started", `document.getElementById("presence") !== null`, 5*time.Second)
			screenshot(t, ctx, "split-"+tc.lang)

			// Reply from the pane.
			run(t, ctx, "reply", chromedp.SendKeys(chromedp.ID("reply-text"), "Seu pedido sai hoje."), chromedp.Click(chromedp.ID("send-reply")))
			waitTrue(t, ctx, "back on the inbox with the ticket", `location.pathname === "/inbox" && location.search.indexOf("t=`+second+`") >= 0 && !!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+second+`"]') && !!document.querySelector(".flash")`, 15*time.Second)
			if got := text(t, ctx, ".flash"); !strings.Contains(got, tc.sent) {
				t.Fatalf("flash %q, want %q", got, tc.sent)
			}
			if n := outbound(t, e, co.co.ID, mustID(t, second)); n != 1 {
				t.Fatalf("%d replies after sending from the pane, want 1", n)
			}
			if !eval[bool](t, ctx, `document.querySelector("#ticket-pane .thread").textContent.indexOf("Seu pedido sai hoje.") >= 0`) {
				t.Fatal("the reply is not in the pane's thread")
			}

			// Reload keeps the ticket beside the list.
			run(t, ctx, "reload", chromedp.Reload())
			waitTrue(t, ctx, "the pane after reload", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+second+`"]') && document.readyState === "complete"`, 10*time.Second)

			// Another row, then back.
			eval[bool](t, ctx, `(window.splitMarker = 2, true)`)
			run(t, ctx, "open the first row", chromedp.Click(chromedp.CSS(`.ticket-row[data-ticket="`+first+`"] a`)))
			waitTrue(t, ctx, "the pane shows the first ticket", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+first+`"]') && location.search.indexOf("t=`+first+`") >= 0`, 10*time.Second)
			run(t, ctx, "back", chromedp.NavigateBack())
			waitTrue(t, ctx, "back shows the previous ticket", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+second+`"]') && location.search.indexOf("t=`+second+`") >= 0 && document.querySelector('#ticket-list .ticket-row[aria-current]').dataset.ticket === "`+second+`"`, 10*time.Second)
			if !eval[bool](t, ctx, `window.splitMarker === 2`) {
				t.Fatal("back reloaded the page")
			}

			// Esc closes the pane.
			eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur && document.activeElement.blur(), true)`)
			run(t, ctx, "Esc", chromedp.KeyEvent("\x1b"))
			waitTrue(t, ctx, "the pane is closed", `document.getElementById("ticket-pane").hidden && location.search.indexOf("t=") < 0`, 5*time.Second)
		})
	}
}

// TestBrowserSplitNarrow: on a phone (390x844) a row still opens the
// ticket page, full width.
func TestBrowserSplitNarrow(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	splitTickets(t, e, co, "pt-BR")
	ctx := browser(t, "pt-BR")
	run(t, ctx, "phone window", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	loginBrowser(t, ctx, e.srv.URL, "acme", co.admin.Email)
	run(t, ctx, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	id := eval[string](t, ctx, `document.querySelector("#ticket-list .ticket-row").dataset.ticket`)
	run(t, ctx, "open a row", chromedp.Click(chromedp.CSS(".ticket-row a")))
	waitTrue(t, ctx, "the ticket page", `location.pathname === "/tickets/`+id+`" && !!document.querySelector(".ticket-view") && !document.getElementById("ticket-list")`, 10*time.Second)
	screenshot(t, ctx, "split-narrow-pt-BR")
}

// TestBrowserSplitWithJavaScriptOff: at 1440 wide with scripts disabled,
// /inbox?t=ID shows the ticket beside the list, rendered by the server.
func TestBrowserSplitWithJavaScriptOff(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	splitTickets(t, e, co, "en")
	ctx := browser(t, "en")
	run(t, ctx, "wide window", chromedp.EmulateViewport(1440, 900))
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	must(t, err)
	run(t, ctx, "log in without JavaScript", chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), co.admin.Email),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	id := eval[string](t, ctx, `document.querySelectorAll("#ticket-list .ticket-row")[1].dataset.ticket`)
	run(t, ctx, "inbox with t", chromedp.Navigate(e.srv.URL+"/inbox?t="+id), chromedp.WaitVisible(chromedp.CSS("#ticket-pane .ticket-view")))
	if got := eval[string](t, ctx, `document.querySelector("#ticket-pane .ticket-view").dataset.ticket`); got != id {
		t.Fatalf("pane shows %s, want %s", got, id)
	}
	if got := eval[string](t, ctx, `document.querySelector('#ticket-list .ticket-row[aria-current]').dataset.ticket`); got != id {
		t.Fatalf("marked row %s, want %s", got, id)
	}
	if !eval[bool](t, ctx, `document.getElementById("ticket-pane").getBoundingClientRect().left >= document.querySelector(".inbox-main").getBoundingClientRect().right`) {
		t.Fatal("the pane is not beside the list")
	}
	if !eval[bool](t, ctx, `document.querySelector("#ticket-pane .thread").textContent.indexOf("não chegou") >= 0`) {
		t.Fatal("the pane has no thread")
	}
	screenshot(t, ctx, "split-no-javascript-en")
	// A note from the pane without JavaScript comes back to the pane.
	run(t, ctx, "note", chromedp.SendKeys(chromedp.ID("note"), "Checked with the carrier."), chromedp.Click(chromedp.ID("add-note")))
	waitTrue(t, ctx, "back on the inbox with the ticket", `location.pathname === "/inbox" && location.search.indexOf("t=`+id+`") >= 0 && !!document.querySelector("#ticket-pane .ticket-view") && document.querySelector("#ticket-pane .thread").textContent.indexOf("Checked with the carrier.") >= 0`, 10*time.Second)
}

// TestBrowserSplitPresence: presence and live updates follow the ticket
// in the pane. Ana (split inbox, 1440 wide) and Mariana (ticket page)
// see each other in the first ticket; when Ana opens another ticket in
// the pane, Mariana no longer sees her; a customer's new message on the
// ticket in Ana's pane shows the "new activity" notice there.
func TestBrowserSplitPresence(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	mariana, err := e.dir.CreateAgent(ctx, co.co.ID, directory.AgentInput{Email: "mariana@acme.test", Name: "Mariana Souza",
		Role: model.RoleAdmin, Password: adminPassword, Language: "pt-BR"})
	must(t, err)
	splitTickets(t, e, co, "pt-BR")
	tks, err := e.st.ListTickets(ctx, co.co.ID, storeAll)
	must(t, err)
	a, b := fmt.Sprint(tks[0].ID), fmt.Sprint(tks[1].ID)
	ana, mar := browserFor(t, "pt-BR", 150*time.Second), browserFor(t, "pt-BR", 150*time.Second)
	run(t, ana, "wide window", chromedp.EmulateViewport(1440, 900))
	loginBrowser(t, ana, e.srv.URL, "acme", co.admin.Email)
	loginBrowser(t, mar, e.srv.URL, "acme", mariana.Email)
	run(t, mar, "Mariana opens the ticket", chromedp.Navigate(e.srv.URL+"/tickets/"+a), chromedp.WaitVisible(chromedp.ID("reply-text")))
	run(t, ana, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	run(t, ana, "Ana opens it in the pane", chromedp.Click(chromedp.CSS(`.ticket-row[data-ticket="`+a+`"] a`)))
	waitTrue(t, ana, "Ana sees Mariana in the pane", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+a+`"]') && document.getElementById("presence").textContent.indexOf("Mariana Souza") >= 0`, 10*time.Second)
	waitTrue(t, mar, "Mariana sees Ana", `document.getElementById("presence").textContent.indexOf("Ana Admin") >= 0`, 10*time.Second)
	screenshot(t, ana, "split-presence-pt-BR")

	run(t, ana, "Ana opens the other ticket", chromedp.Click(chromedp.CSS(`.ticket-row[data-ticket="`+b+`"] a`)))
	waitTrue(t, ana, "the pane shows the other ticket", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+b+`"]')`, 10*time.Second)
	waitTrue(t, mar, "Ana left Mariana's ticket", `document.getElementById("presence").textContent.indexOf("Ana Admin") < 0`, 10*time.Second)
	if eval[bool](t, ana, `document.getElementById("presence").textContent.indexOf("Mariana Souza") >= 0`) {
		t.Fatal("the pane of the other ticket shows Mariana")
	}

	// The customer writes again on the ticket in Ana's pane.
	waitTrue(t, ana, "live events connected", `document.body.dataset.live === "on"`, 10*time.Second)
	tb := tks[1]
	msgs, err := e.st.ListMessages(ctx, co.co.ID, tb.ID)
	must(t, err)
	reply := strings.Replace(string(plainMail(msgs[0].From.String(), "Re: "+tb.Subject, "split-re@cliente.test", "Ainda não chegou!")),
		"MIME-Version", "In-Reply-To: <"+msgs[0].MessageID+">\r\nMIME-Version", 1)
	e.deliver(t, co.ch, []byte(reply))
	waitTrue(t, ana, "the new activity notice in the pane", `!document.getElementById("ticket-live").hidden`, 10*time.Second)
}

// TestBrowserInboxBulkBarEmpty: the bulk bar is not shown on an empty
// inbox, and appears when the first ticket arrives live.
func TestBrowserInboxBulkBarEmpty(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	ctx := browser(t, "en")
	loginBrowser(t, ctx, e.srv.URL, "acme", co.admin.Email)
	run(t, ctx, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-empty")))
	visible := `(function () { var b = document.getElementById("bulk-form"); return !!b && b.getBoundingClientRect().height > 0; })()`
	if eval[bool](t, ctx, visible) {
		t.Fatal("the bulk bar shows on an empty inbox")
	}
	screenshot(t, ctx, "inbox-empty-no-bulk-en")
	waitTrue(t, ctx, "live events connected", `document.body.dataset.live === "on"`, 10*time.Second)
	e.deliver(t, co.ch, plainMail("Carla <carla@cliente.test>", "Second copy", "bulk-live@cliente.test", "Please send it again."))
	waitTrue(t, ctx, "the row and the bar", `!!document.querySelector(".ticket-row") && `+visible, 10*time.Second)
}

// TestBrowserSplitKeepsListScroll: with a long list scrolled down,
// opening a ticket beside it (a click, then k and o) keeps the list where
// it was.
func TestBrowserSplitKeepsListScroll(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	for i := 1; i <= 30; i++ {
		e.deliver(t, co.ch, plainMail(fmt.Sprintf("Cliente %d <c%d@cliente.test>", i, i), fmt.Sprintf("Pedido %d", i),
			fmt.Sprintf("scroll%d@cliente.test", i), "Olá"))
	}
	ctx := browser(t, "pt-BR")
	run(t, ctx, "wide window", chromedp.EmulateViewport(1440, 900))
	loginBrowser(t, ctx, e.srv.URL, "acme", co.admin.Email)
	run(t, ctx, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
	// Open one ticket so the list is its own scrolling column.
	run(t, ctx, "open the first row", chromedp.Click(chromedp.CSS(".ticket-row a")))
	waitTrue(t, ctx, "the pane", `!!document.querySelector("#ticket-pane .ticket-view")`, 10*time.Second)
	scrolled := eval[float64](t, ctx, `(function () { var m = document.querySelector(".inbox-main"); m.scrollTop = m.scrollHeight; return m.scrollTop; })()`)
	if scrolled < 500 {
		t.Fatalf("the list scrolled only %v px: not a scrolling column", scrolled)
	}
	id := eval[string](t, ctx, `(function () { var rows = document.querySelectorAll("#ticket-list .ticket-row"); var r = rows[rows.length - 1]; r.querySelector("a").click(); return r.dataset.ticket; })()`)
	waitTrue(t, ctx, "the last ticket in the pane", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+id+`"]')`, 10*time.Second)
	if got := eval[float64](t, ctx, `document.querySelector(".inbox-main").scrollTop`); got != scrolled {
		t.Fatalf("list scroll %v after opening, was %v", got, scrolled)
	}
	// k selects the row above, o opens it beside the list.
	eval[bool](t, ctx, `(document.activeElement && document.activeElement.blur && document.activeElement.blur(), true)`)
	run(t, ctx, "k o", chromedp.KeyEvent("k"), chromedp.KeyEvent("o"))
	prev := eval[string](t, ctx, `(function () { var rows = document.querySelectorAll("#ticket-list .ticket-row"); return rows[rows.length - 2].dataset.ticket; })()`)
	waitTrue(t, ctx, "k o opened the row above", `!!document.querySelector('#ticket-pane .ticket-view[data-ticket="`+prev+`"]') && location.search.indexOf("t=`+prev+`") >= 0`, 10*time.Second)
	if got := eval[float64](t, ctx, `document.querySelector(".inbox-main").scrollTop`); got < scrolled-200 {
		t.Fatalf("list scroll %v after k o, was %v", got, scrolled)
	}
	screenshot(t, ctx, "split-scrolled-pt-BR")
}
