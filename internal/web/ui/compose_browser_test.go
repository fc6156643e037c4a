package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/testutil/outboxtest"
)

// countingSender delivers through Postfix to Dovecot and counts what
// the outbox hands to the relay.
type countingSender struct {
	ms *mailstack.Stack
	mu sync.Mutex
	n  int
}

func (s *countingSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	b, err := io.ReadAll(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.n++
	s.mu.Unlock()
	return s.ms.SendSMTP(ctx, from, to, b)
}

func (s *countingSender) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

// TestBrowserComposer (issue 16) in pt-BR and English: an admin creates a
// company canned reply with variables and a file on "Respostas prontas";
// in a ticket, typing "/" offers it and Enter inserts it filled in on the
// server (an unknown variable stays as is) and its file is kept with the
// draft; the toolbar writes Markdown; the draft, text and files, is saved
// while typing and survives a reload (inserting the reply again adds its
// file once); a pasted image is placed in the text at the cursor
// (![name](attachment:name)) and kept with the draft at once, ticked, with
// its thumbnail; "Enviar e resolver" holds the reply for the
// undo delay and "Desfazer" takes it back (the relay receives nothing,
// the text and both files return to the draft, the status is restored);
// sent again as it came back and left alone, it reaches the customer's
// Dovecot mailbox exactly once with
// the right values, the HTML rendered from the Markdown, the image pasted
// mid-text as a multipart/related part referenced by cid: at that place
// (the text part names it), the canned file as an attachment; the ticket
// view shows the agent's message with the image inline.
func TestBrowserComposer(t *testing.T) {
	ms := mailstack.StartT(t, mailstack.Options{})
	bob := ms.Address("bob")
	type texts struct{ lang, accept, held, undone, resolved, image, imageText string }
	for _, tc := range []texts{
		{"pt-BR", "pt-BR,pt;q=0.9", "Resposta na fila de envio. Ainda dá para desfazer.", "Envio desfeito. O texto e os arquivos voltaram para o rascunho.", "Resolvido",
			"imagem-colada-1.png", "[imagem: imagem-colada-1.png]"},
		{"en", "en-US,en;q=0.9", "Reply queued for sending. You can still undo it.", "Sending undone. The text and files are back in your draft.", "Resolved",
			"pasted-image-1.png", "[image: pasted-image-1.png]"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			shot := screenshotPNG(t)
			shotB64 := base64.StdEncoding.EncodeToString(shot)
			e := newCustomerEnv(t)
			c := e.company(t, "acme", tc.lang)
			c.ch.Settings.FromEmail, c.ch.Settings.FromName = ms.Address("support"), "Loja Exemplo"
			c.ch.Settings.Rule = model.ChannelRule{DefaultTeamID: c.team.ID}
			must(t, e.st.UpdateChannel(ctx, c.ch))
			subject := "Pedido atrasado " + tc.lang
			e.deliver(t, c.ch, []byte("From: Bob Cliente <"+bob+">\r\nTo: Suporte <suporte@acme.test>\r\nSubject: "+subject+
				"\r\nDate: "+e.clk.Now().Add(-time.Hour).Format(time.RFC1123Z)+"\r\nMessage-ID: <atraso-"+tc.lang+"@cliente.test>\r\nMIME-Version: 1.0\r\n"+
				"Content-Type: text/plain; charset=utf-8\r\n\r\nMeu pedido não chegou.\r\n"))
			tks, err := e.st.ListTickets(ctx, c.co.ID, store.TicketFilter{})
			must(t, err)
			tk := tks[0]
			snd := &countingSender{ms: ms}
			ob := outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: snd})
			drain := func() { outboxtest.Drain(t, ob) }
			before, err := ms.Messages(ctx, "bob", "INBOX")
			if err != nil {
				before = nil
			}

			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(".ticket-row")))

			// Respostas prontas: a company one with variables and a file.
			pdf := filepath.Join(t.TempDir(), "prazos.pdf")
			must(t, os.WriteFile(pdf, []byte("%PDF-1.4\n% prazos de entrega\n"), 0o644))
			cannedBody := "Olá {{contato.nome}}, seu atendimento é o #{{ticket.numero}}.\n\n- prazo: 3 dias\n\n**{{agente.nome}}**, {{empresa.nome}} {{desconhecida}}"
			run(t, bctx, "canned page", chromedp.Navigate(e.srv.URL+"/canned"), chromedp.WaitVisible(chromedp.ID("canned-create")),
				chromedp.SendKeys(chromedp.ID("canned-title"), "Prazo de entrega"),
				chSetField("canned-body", cannedBody), chSetField("canned-scope", "company"),
				chromedp.SetUploadFiles(chromedp.ID("canned-files"), []string{pdf}),
				chromedp.Click(chromedp.ID("canned-create")), chromedp.WaitVisible(chromedp.CSS("#canned-list .flash, .flash")))
			cs, err := e.st.ListCannedReplies(ctx, c.co.ID, 0)
			must(t, err)
			if len(cs) != 1 || cs[0].AgentID != 0 || cs[0].Body != cannedBody {
				t.Fatalf("canned replies %+v", cs)
			}
			screenshot(t, bctx, "canned-"+tc.lang)

			// "/" in the composer: the menu, Enter inserts the filled text.
			run(t, bctx, "open ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-resolve")),
				chromedp.WaitVisible(chromedp.CSS(".md-toolbar")),
				chromedp.SendKeys(chromedp.ID("reply-text"), "/praz"),
				chromedp.WaitVisible(chromedp.CSS("#canned-menu li")))
			screenshot(t, bctx, "composer-slash-"+tc.lang)
			run(t, bctx, "insert", enterKey())
			want := fmt.Sprintf("Olá Bob Cliente, seu atendimento é o #%d.", tk.Number)
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](fmt.Sprintf(`document.getElementById("reply-text").value.indexOf(%q) === 0`, want),
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("canned reply not inserted: %q", eval[string](t, bctx, `document.getElementById("reply-text").value`))
			}
			val := eval[string](t, bctx, `document.getElementById("reply-text").value`)
			if !strings.Contains(val, "**Ana Admin**, ACME {{desconhecida}}") || strings.Contains(val, "/praz") {
				t.Fatalf("inserted text %q", val)
			}
			// Its file is kept with the draft, ticked.
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`(function(){var li=document.querySelectorAll("#draft-files li[data-id]");
				return li.length===1 && li[0].querySelector("input[name=draft_file]").checked && li[0].querySelector(".draft-name").textContent==="prazos.pdf"})()`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the canned reply's file is not kept with the draft: %v", err)
			}
			// Toolbar: a new line made a bullet.
			run(t, bctx, "toolbar", chromedp.SendKeys(chromedp.ID("reply-text"), "\nrastreio enviado"),
				chromedp.Click(chromedp.CSS(`.md-toolbar button[data-md="ul"]`)))
			if v := eval[string](t, bctx, `document.getElementById("reply-text").value`); !strings.Contains(v, "\n- rastreio enviado") {
				t.Fatalf("toolbar list: %q", v)
			}
			// The draft is saved on the server and survives a reload.
			var d *store.Draft
			for i := 0; i < 50; i++ {
				if d, err = e.st.GetDraft(ctx, c.co.ID, tk.ID, c.admin.ID); err == nil && strings.Contains(d.Body, "rastreio") {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			must(t, err)
			if !strings.HasPrefix(d.Body, want) || !strings.Contains(d.Body, "- rastreio enviado") {
				t.Fatalf("draft %q", d.Body)
			}
			run(t, bctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("send-resolve")))
			if v := eval[string](t, bctx, `document.getElementById("reply-text").value`); v != d.Body {
				t.Fatalf("after reload the composer holds %q", v)
			}
			// The canned reply's file survived the reload too; inserting the
			// reply again does not add it twice.
			if got := eval[string](t, bctx, `Array.prototype.map.call(document.querySelectorAll("#draft-files li[data-id]"), function(li){
				return (li.querySelector("input[name=draft_file]").checked ? "+" : "-") + li.querySelector(".draft-name").textContent}).join(",")`); got != "+prazos.pdf" {
				t.Fatalf("files after reload: %q", got)
			}
			run(t, bctx, "insert again", chSetField("reply-text", ""), chromedp.SendKeys(chromedp.ID("reply-text"), "/prazo"),
				chromedp.WaitVisible(chromedp.CSS("#canned-menu li")), enterKey())
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelectorAll("#draft-files li[data-id] input:checked").length === 1 && document.getElementById("reply-text").value.indexOf("Olá") === 0`,
				chromedp.WithPollingTimeout(5*time.Second)))
			must(t, err)
			// A pasted image becomes an attachment, placed where the cursor
			// is: after the first line.
			ok := eval[bool](t, bctx, `(function(){var b=atob("`+shotB64+`"), a=new Uint8Array(b.length); for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);
				var ta=document.getElementById("reply-text"), at=ta.value.indexOf("\n"); ta.focus(); ta.setSelectionRange(at, at);
				var dt=new DataTransfer(); dt.items.add(new File([a],"image.png",{type:"image/png"}));
				var ev=new ClipboardEvent("paste",{clipboardData:dt,bubbles:true,cancelable:true});
				document.getElementById("reply-text").dispatchEvent(ev); return document.getElementById("attachments").files.length===1})()`)
			if !ok {
				t.Fatal("the pasted image is not in the form's files")
			}
			ref := "![" + tc.image + "](attachment:" + tc.image + ")"
			text := eval[string](t, bctx, `document.getElementById("reply-text").value`)
			if !strings.HasPrefix(text, want+ref+"\n") {
				t.Fatalf("the pasted image is not placed at the cursor: %q", text)
			}
			// It is kept on the server with the draft at once: listed
			// under the text, ticked, with its thumbnail, and out of the
			// file input (so it goes once).
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`(function(){var li=Array.prototype.filter.call(document.querySelectorAll("#draft-files li[data-id]"), function(l){return !!l.querySelector("img.draft-thumb")})[0], i=li&&li.querySelector("img.draft-thumb");
				return !!i && li.querySelector("input[name=draft_file]").checked && li.querySelector(".draft-name").textContent===`+fmt.Sprintf("%q", tc.image)+` &&
				i.complete && i.naturalWidth===160 && document.getElementById("attachments").files.length===0 && document.getElementById("pending-images").hidden})()`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the pasted image is not kept with the draft: %v", err)
			}
			if fs, err := e.st.ListDraftFiles(ctx, c.co.ID, tk.ID, c.admin.ID); err != nil || len(fs) != 2 || fs[1].Filename != tc.image || fs[1].Size != int64(len(shot)) {
				t.Fatalf("draft files on the server: %+v %v", fs, err)
			}
			screenshot(t, bctx, "composer-pasted-"+tc.lang)

			// "Enviar e resolver", then "Desfazer" within the delay.
			run(t, bctx, "send and resolve", chromedp.Click(chromedp.ID("send-resolve")), chromedp.WaitVisible(chromedp.CSS("form.undo-held button.undo")))
			if got := text2(t, bctx, ".flash"); got != tc.held {
				t.Fatalf("flash %q", got)
			}
			if got, _ := e.st.GetTicket(ctx, c.co.ID, tk.ID); got.Status != model.StatusResolved {
				t.Fatalf("status %s after send and resolve", got.Status)
			}
			screenshot(t, bctx, "composer-held-"+tc.lang)
			e.clk.Advance(5 * time.Second)
			drain()
			if snd.count() != 0 {
				ms, _ := e.st.ListMessages(ctx, c.co.ID, tk.ID)
				for _, m := range ms {
					t.Logf("message %d %s %s meta %v created %v", m.ID, m.Direction, m.Status, m.Meta, m.CreatedAt)
				}
				t.Fatalf("the reply left before the undo delay ended (now %v)", e.clk.Now())
			}
			run(t, bctx, "undo", chromedp.Click(chromedp.CSS("form.undo-held button.undo")))
			waitFlash(t, bctx, tc.undone)
			if v := eval[string](t, bctx, `document.getElementById("reply-text").value`); v != text {
				t.Fatalf("after undo the composer holds %q, want %q", v, text)
			}
			// The files came back too, ticked: the pasted image and the
			// canned reply's PDF.
			if got := eval[string](t, bctx, `Array.prototype.map.call(document.querySelectorAll("#draft-files li[data-id]"), function(li){
				return (li.querySelector("input[name=draft_file]").checked ? "+" : "-") + li.querySelector(".draft-name").textContent}).join(",")`); got != "+prazos.pdf,+"+tc.image {
				t.Fatalf("files after undo: %q", got)
			}
			screenshot(t, bctx, "composer-undone-"+tc.lang)
			if got, _ := e.st.GetTicket(ctx, c.co.ID, tk.ID); got.Status == model.StatusResolved {
				t.Fatal("status still resolved after undo")
			}
			e.clk.Advance(time.Minute)
			drain()
			if snd.count() != 0 {
				t.Fatalf("an undone reply reached the relay (%d)", snd.count())
			}

			// Sent again as it came back, and left alone.
			run(t, bctx, "send and resolve again", chromedp.Click(chromedp.ID("send-resolve")), chromedp.WaitVisible(chromedp.CSS("form.undo-held")))
			e.clk.Advance(11 * time.Second)
			drain()
			e.clk.Advance(time.Hour)
			drain()
			box, err := ms.WaitMessages(ctx, "bob", "INBOX", len(before)+1)
			must(t, err)
			if snd.count() != 1 || len(box) != len(before)+1 {
				t.Fatalf("relay got %d, mailbox has %d new", snd.count(), len(box)-len(before))
			}
			raw := box[len(box)-1].Raw
			parts := mimeLeaves(t, raw)
			// mixed( related( alternative(text, html), the pasted image ), the canned PDF )
			plain := parts["/multipart/mixed/multipart/related/multipart/alternative/text/plain"]
			htmls := parts["/multipart/mixed/multipart/related/multipart/alternative/text/html"]
			pngs := parts["/multipart/mixed/multipart/related/image/png"]
			pdfs := parts["/multipart/mixed/application/pdf"]
			if len(plain) != 1 || len(htmls) != 1 || len(pdfs) != 1 || len(pngs) != 1 || len(parts) != 4 {
				t.Fatalf("structure of the reply in the mailbox: %v\n%s", keys(parts), raw)
			}
			p, h := body(plain[0]), body(htmls[0])
			if !strings.Contains(p, want) || !strings.Contains(p, "{{desconhecida}}") || !strings.Contains(p, "Ana Admin") {
				t.Fatalf("text part:\n%s", p)
			}
			if !strings.Contains(p, want+tc.imageText+"\n") || strings.Contains(p, "attachment:") || strings.Contains(p, "![") {
				t.Fatalf("the text part does not name the image where it was pasted:\n%s", p)
			}
			cid := strings.Trim(pngs[0].header.Get("Content-Id"), "<>")
			disp, dparams, _ := mime.ParseMediaType(pngs[0].header.Get("Content-Disposition"))
			if cid == "" || disp != "inline" || dparams["filename"] != tc.image {
				t.Fatalf("inline image part: %v", pngs[0].header)
			}
			at, img, list := strings.Index(h, want), strings.Index(h, `src="cid:`+cid+`"`), strings.Index(h, "<li>prazo: 3 dias</li>")
			if at < 0 || img < at || list < img || strings.Count(h, "<img") != 1 || strings.Contains(h, "attachment:") {
				t.Fatalf("the HTML does not show the image (cid:%s) where it was pasted:\n%s", cid, h)
			}
			if !strings.Contains(h, "Olá Bob Cliente, seu atendimento é o #"+fmt.Sprint(tk.Number)) || !strings.Contains(h, "<strong>Ana Admin</strong>, ACME {{desconhecida}}") ||
				!strings.Contains(h, "<li>prazo: 3 dias</li>") || strings.Contains(h, "/tickets/") || strings.Contains(h, e.srv.URL) {
				t.Fatalf("HTML part:\n%s", h)
			}
			if string(pdfs[0].body) != "%PDF-1.4\n% prazos de entrega\n" || !strings.Contains(pdfs[0].header.Get("Content-Disposition"), "prazos.pdf") {
				t.Fatalf("canned file part %q %q", pdfs[0].header.Get("Content-Disposition"), pdfs[0].body)
			}
			if string(pngs[0].body) != string(shot) {
				t.Fatal("pasted image part differs")
			}
			if _, err := e.st.GetDraft(ctx, c.co.ID, tk.ID, c.admin.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("draft after send: %v", err)
			}
			run(t, bctx, "after sending", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-resolve")))
			if n := eval[int](t, bctx, `document.querySelectorAll("form.undo-held").length`); n != 0 {
				t.Fatalf("%d held replies shown after sending", n)
			}
			if got := text2(t, bctx, ".badge.status-resolved"); got != tc.resolved {
				t.Fatalf("status badge %q", got)
			}
			// The agent's own message shows the image inline (the message's
			// cid/ URL, loaded), and lists only the PDF as a file.
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`(function(){var fs=document.querySelectorAll(".msg-out iframe.msg-frame");
				var f=fs[fs.length-1]; var i=f&&f.contentDocument&&f.contentDocument.querySelector("img");
				return !!(i&&i.complete&&i.naturalWidth===160&&i.getAttribute("src").indexOf("cid/")===0)})()`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the pasted image does not show in the sent message: %v", err)
			}
			if got := eval[string](t, bctx, `(function(){var ms=document.querySelectorAll(".msg-out"); return ms[ms.length-1].textContent})()`); !strings.Contains(got, "prazos.pdf") || strings.Contains(got, tc.image) {
				t.Fatalf("files listed with the sent message: %q", got)
			}
			screenshot(t, bctx, "composer-sent-"+tc.lang)
		})
	}
}

// waitFlash waits (across a navigation) for the page's flash to say want.
func waitFlash(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	got := ""
	for i := 0; i < 100; i++ {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var f=document.querySelector(".flash"); return f ? f.textContent.trim() : ""})()`))
		if err == nil {
			if got = v; got == want {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("flash %q, want %q", got, want)
}

// text2 is text for elements that may carry extra spaces.
func text2(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.Join(strings.Fields(text(t, ctx, sel)), " ")
}

// screenshotPNG is a 160×90 PNG standing in for a pasted screenshot:
// a window with a title bar and a button, big enough to be seen in the
// artifacts.
func screenshotPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 90))
	for y := 0; y < 90; y++ {
		for x := 0; x < 160; x++ {
			c := color.RGBA{0xf5, 0xf7, 0xfa, 0xff}
			switch {
			case y < 16:
				c = color.RGBA{0x10, 0x2a, 0x43, 0xff}
			case x >= 100 && x < 148 && y >= 62 && y < 80:
				c = color.RGBA{0x1d, 0x4e, 0xd8, 0xff}
			case x < 2 || x >= 158 || y >= 88:
				c = color.RGBA{0xcb, 0xd2, 0xd9, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	return b.Bytes()
}

// enterKey presses Enter as a keyboard does, down and up. chromedp's
// KeyEvent("\r") also sends a separate "char" event, which types a newline
// even when the page prevented the keydown; racing the canned reply's
// asynchronous insert, that stray newline landed before or after the
// inserted text (and the pasted image after it, one run in several).
func enterKey() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, k := range kb.Encode('\r') {
			if k.Type == kb.KeyChar {
				continue
			}
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, *k); err != nil {
				return err
			}
		}
		return nil
	})
}
