package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/directory"
)

// TestBrowserFinishing (issue 15 item 14) in pt-BR and English: the
// "Gerar novo endereço" checkbox sits next to its label, a long address
// in the channel list wraps between words (not inside one), Salvar is the
// primary button, the channel form says "Nome/E-mail do remetente", and
// the favicon is served.
func TestBrowserFinishing(t *testing.T) {
	for _, tc := range []struct{ lang, accept, fromName, fromEmail string }{
		{"pt-BR", "pt-BR,pt;q=0.9", "Nome do remetente", "E-mail do remetente"},
		{"en", "en-US,en;q=0.9", "Sender name", "Sender email"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newChannelEnv(t, nil)
			c := e.company(t, "acme", tc.lang)
			long, err := e.dir.CreateChannel(ctx, c.co.ID, directory.ChannelInput{Slug: "atendimento", Name: "Atendimento ao consumidor",
				PrimaryEmail: "atendimento.ao.consumidor.departamento.comercial@lojaexemplocomercio.com.br"})
			must(t, err)
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/channels"]`)))
			// A narrow window, where the address must wrap somewhere.
			_, err = chromedp.Call(bctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 700, Height: 900, DeviceScaleFactor: 1})
			must(t, err)
			run(t, bctx, "channel list", chromedp.Navigate(e.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.ID("channel-add")))
			// Each word of the address keeps to one line: the span's text
			// never breaks inside the local part or the domain.
			broken := eval[bool](t, bctx, fmt.Sprintf(`(function(){var s=document.querySelector('tr[data-channel="%d"] td .address');
				var bad=false; s.childNodes.forEach(function(n){ if(n.nodeType!==3) return;
					var r=document.createRange(); r.selectNodeContents(n); if(r.getClientRects().length>1) bad=true; });
				return bad || s.textContent.indexOf("atendimento.ao.consumidor")!==0})()`, long.ID))
			if broken {
				screenshot(t, bctx, "channels-address-"+tc.lang)
				t.Fatal("the address breaks inside a word in the channel list")
			}
			if w := eval[float64](t, bctx, `document.documentElement.scrollWidth`); w > 700 {
				screenshot(t, bctx, "channels-narrow-"+tc.lang)
				t.Fatalf("the channel list is %v px wide in a 700 px window", w)
			}
			screenshot(t, bctx, "channels-narrow-"+tc.lang)
			_, err = chromedp.Call(bctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
			must(t, err)
			run(t, bctx, "edit internal channel", chromedp.Navigate(fmt.Sprintf("%s/channels/%d", e.srv.URL, c.ch.ID)),
				chromedp.WaitVisible(chromedp.ID("regenerate-address")))
			// The checkbox and its text are side by side, the text right after the box.
			gap := eval[float64](t, bctx, `(function(){var i=document.querySelector('#regenerate-form input[name="confirm"]');
				var l=i.closest("label"); var r=document.createRange(); r.selectNodeContents(l); r.setStartAfter(i);
				var tb=r.getBoundingClientRect(), ib=i.getBoundingClientRect();
				return Math.abs(tb.left-ib.right) + Math.abs((tb.top+tb.bottom)/2-(ib.top+ib.bottom)/2)})()`)
			if gap > 24 {
				screenshot(t, bctx, "channel-regenerate-"+tc.lang)
				t.Fatalf("the confirmation checkbox is %v px away from its label", gap)
			}
			if !eval[bool](t, bctx, `document.getElementById("save-channel").classList.contains("primary") &&
				getComputedStyle(document.getElementById("save-channel")).color === "rgb(255, 255, 255)"`) {
				t.Fatal("Salvar is not the primary button")
			}
			page := eval[string](t, bctx, `document.getElementById("channel-form").innerText`)
			if !strings.Contains(page, tc.fromName) || !strings.Contains(page, tc.fromEmail) {
				t.Fatalf("sender labels missing (%q, %q)", tc.fromName, tc.fromEmail)
			}
			screenshot(t, bctx, "channel-edit-"+tc.lang)
			status := eval[int](t, bctx, `(function(){var x=new XMLHttpRequest(); x.open("GET", document.querySelector('link[rel="icon"]').href, false); x.send(); return x.status})()`)
			if status != 200 {
				t.Fatalf("favicon: HTTP %d", status)
			}
		})
	}
}
