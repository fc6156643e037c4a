package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/testutil/outboxtest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// customerEnv is env whose store, UI, tickets and ingest read a fake
// clock ("hoje 03:00" must not depend on the day the test runs; the
// login sessions keep the wall clock, which the browser's cookies live
// by), with the blob store at hand.
type customerEnv struct {
	*env
	bl  *blob.FS
	clk *clock.Fake
}

func newCustomerEnv(t *testing.T) *customerEnv {
	t.Helper()
	dir := t.TempDir()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clk)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{st: st}
	e.auth = auth.New(st, clock.System{}, log, auth.Config{Params: fast, MaxAccountFailures: 3})
	e.dir = directory.New(st, e.auth.HashPassword, log)
	e.hub = api.NewHub(st, clock.System{}, log)
	e.tickets = ticket.New(st, bl, nil, e.hub, clk, log)
	e.ingest = ingest.New(st, bl, clk, log, ingest.Config{AuthServID: authServID})
	ah := &auth.HTTP{Svc: e.auth}
	apiH := api.Handler(api.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Hub: e.hub, Heartbeat: 200 * time.Millisecond})
	uiH := ui.New(ui.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Blobs: bl, Clock: clk})
	e.srv = httptest.NewServer(ui.Combine(apiH, uiH))
	t.Cleanup(e.srv.Close)
	return &customerEnv{env: e, bl: bl, clk: clk}
}

// pngPixel is a real 1x1 PNG (the browser must decode it).
var pngPixel, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

// htmlMailWithImage is a customer's HTML mail with an inline image (cid:)
// and a PDF, the way Gmail or Outlook send it.
func htmlMailWithImage(from, to, subject, msgID string, date time.Time) []byte {
	b64 := mailmix.Base64Lines
	return []byte("From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nDate: " + date.Format(time.RFC1123Z) +
		"\r\nMessage-ID: <" + msgID + ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n" +
		"--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<html><body><p>Olá, a caixa chegou <b>amassada</b>:</p><p><img src=\"cid:caixa.foto@cliente\" alt=\"foto da caixa\" width=\"40\" height=\"40\"></p></body></html>\r\n" +
		"--rel\r\nContent-Type: image/png; name=\"caixa.png\"\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <caixa.foto@cliente>\r\nContent-Disposition: inline; filename=\"caixa.png\"\r\n\r\n" +
		b64(pngPixel) + "--rel--\r\n" +
		"--mix\r\nContent-Type: application/pdf; name=\"nota.pdf\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"nota.pdf\"\r\n\r\n" +
		b64([]byte("%PDF-1.4\n% nota fiscal\n")) + "--mix--\r\n")
}

// switchSender delivers through Postfix to Dovecot, or fails with the
// error fail returns.
type switchSender struct {
	ms   *mailstack.Stack
	mu   sync.Mutex
	fail error
}

func (s *switchSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	s.mu.Lock()
	fail := s.fail
	s.mu.Unlock()
	if fail != nil {
		return fail
	}
	b, err := io.ReadAll(raw)
	if err != nil {
		return err
	}
	return s.ms.SendSMTP(ctx, from, to, b)
}

func (s *switchSender) set(err error) { s.mu.Lock(); s.fail = err; s.mu.Unlock() }

type rejected struct{}

func (rejected) Error() string {
	return "smtp: 550 5.1.1 <bob@nowhere.test>: Recipient address rejected: User unknown in virtual mailbox table"
}
func (rejected) SMTPStatus() (int, string, string) {
	return 550, "5.1.1", "<bob@nowhere.test>: Recipient address rejected: User unknown in virtual mailbox table"
}

// mimeLeaf is one part of a parsed message, its body read (a part's
// body cannot be read after the next part).
type mimeLeaf struct {
	header message.Header
	body   []byte
}

func mimeLeaves(t *testing.T, raw []byte) map[string][]mimeLeaf {
	t.Helper()
	e, err := message.Read(bytes.NewReader(raw))
	must(t, err)
	out := map[string][]mimeLeaf{}
	var walk func(e *message.Entity, path string)
	walk = func(e *message.Entity, path string) {
		ct, _, _ := e.Header.ContentType()
		path += "/" + ct
		if mr := e.MultipartReader(); mr != nil {
			for {
				p, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					return
				}
				must(t, err)
				walk(p, path)
			}
		}
		b, err := io.ReadAll(e.Body)
		must(t, err)
		out[path] = append(out[path], mimeLeaf{e.Header, b})
	}
	walk(e, "")
	return out
}

func body(l mimeLeaf) string { return strings.ReplaceAll(string(l.body), "\r\n", "\n") }

// TestBrowserCustomerMail (issue 15, items 1, 2, 4, 8, 9, 10 and 14) in
// pt-BR and English: a customer's HTML mail with an inline image and a
// PDF; the agent (browser in Manaus) sees friendly times in their zone,
// the image, the priority and tags a rule set; a malformed Cc is refused;
// the reply with the channel's plain signature and the quote reaches the
// customer's Dovecot mailbox carrying the image again as a related part;
// a refused send shows a translated banner, "Tentar novamente" sends the
// same message, and the admins get one notice; the 404 page keeps the
// navigation; the header stays small on a phone.
func TestBrowserCustomerMail(t *testing.T) {
	ms := mailstack.StartT(t, mailstack.Options{})
	bob := ms.Address("bob")
	type texts struct {
		lang, accept, wrote, today, retryBanner, retried, autoLabel, high, ccErr, notice, noRule string
	}
	cases := []texts{
		{"pt-BR", "pt-BR,pt;q=0.9", "Em %s, Bob Cliente <" + bob + "> escreveu:", "hoje 03:00",
			"O servidor do destinatário recusou esta mensagem.", "A mensagem voltou para a fila de envio.", "Resposta automática", "Alta",
			"e-mail", "Mensagem não enviada", ""},
		{"en", "en-US,en;q=0.9", "On %s, Bob Cliente <" + bob + "> wrote:", "today 03:00",
			"The recipient's server refused this message.", "The message is back in the send queue.", "Automatic reply", "High",
			"email", "Message not sent", ""},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			e := newCustomerEnv(t)
			c := e.company(t, "acme", tc.lang)
			co, err := e.dir.UpdateCompanySettings(ctx, c.co.ID, directory.CompanySettings{Language: tc.lang, TimeZone: "America/Sao_Paulo"})
			must(t, err)
			c.ch.Settings.FromEmail, c.ch.Settings.FromName = ms.Address("support"), "Loja Exemplo"
			c.ch.Settings.ShowQuote = true
			c.ch.Settings.Signature = "Equipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922"
			c.ch.Settings.Rule = model.ChannelRule{DefaultTeamID: c.team.ID, Filters: []model.RuleFilter{
				{Kind: "subject_contains", Value: "amassada", TeamID: c.team.ID, Priority: "high", Tags: []string{"vip", "avaria"}}}}
			must(t, e.st.UpdateChannel(ctx, c.ch))
			_ = co

			// The customer wrote two hours before the fake clock's now
			// (09:00 UTC): 07:00 UTC is 04:00 in São Paulo (the quote
			// header, the company's zone) and 03:00 in Manaus (the agent).
			sent := e.clk.Now().Add(-2 * time.Hour)
			subject := "Caixa amassada " + tc.lang
			e.deliver(t, c.ch, htmlMailWithImage("Bob Cliente <"+bob+">", "Suporte <suporte@acme.test>", subject, "caixa-"+tc.lang+"@cliente.test", sent))
			tks, err := e.st.ListTickets(ctx, c.co.ID, store.TicketFilter{})
			must(t, err)
			if len(tks) != 1 {
				t.Fatalf("tickets %+v", tks)
			}
			tk := tks[0]
			// An automatic reply on the thread.
			auto := &model.Message{CompanyID: c.co.ID, TicketID: tk.ID, ChannelID: c.ch.ID, Direction: model.DirOut, Status: model.MsgSent,
				Flags: model.FlagAutoReply, From: model.Address{Address: ms.Address("support")}, To: []model.Address{{Address: bob}},
				Text: "Recebemos sua mensagem.", CreatedAt: sent.Add(time.Minute), Date: sent.Add(time.Minute)}
			must(t, e.st.CreateMessage(ctx, auto))

			bctx := browser(t, tc.accept)
			_, err = chromedp.Call(bctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/Manaus"})
			must(t, err)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(".ticket-row")))
			// Item 8: the browser's zone is saved on the first page.
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.body.dataset.zoneSaved === "America/Manaus"`, chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the browser's time zone was not saved: %v", err)
			}
			if a, _ := e.st.GetAgent(ctx, c.co.ID, c.admin.ID); a.TimeZone != "America/Manaus" {
				t.Fatalf("agent zone %q", a.TimeZone)
			}

			run(t, bctx, "open ticket", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-reply")))
			// Item 8: friendly time in the agent's zone, the whole stamp in the title.
			if got := text(t, bctx, ".msg-in header time"); got != tc.today {
				t.Fatalf("message time %q, want %q", got, tc.today)
			}
			if title := eval[string](t, bctx, `document.querySelector(".msg-in header time").title`); !strings.Contains(title, "03:00:00 -04:00 (America/Manaus)") {
				t.Fatalf("time title %q", title)
			}
			// Item 1: the inline image shows in the ticket view (no 404).
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`(function(){var f=document.querySelector(".msg-in iframe.msg-frame");
				var i=f&&f.contentDocument&&f.contentDocument.querySelector("img"); return !!(i&&i.complete&&i.naturalWidth===1)})()`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the customer's inline image does not load in the ticket view: %v", err)
			}
			// Item 9 (label): the automatic reply says so.
			if got := text(t, bctx, fmt.Sprintf("#m%d .msg-kind", auto.ID)); got != tc.autoLabel {
				t.Fatalf("automatic reply labelled %q", got)
			}
			// Item 10: the rule's priority and tags, shown in the ticket.
			if got := text(t, bctx, "#priority-badge"); got != tc.high {
				t.Fatalf("priority %q", got)
			}
			if got := eval[string](t, bctx, `Array.from(document.querySelectorAll(".tag-line .tag")).map(function(x){return x.textContent}).join(",")`); got != "vip,avaria" {
				t.Fatalf("tags %q", got)
			}
			// Item 2: the preview shows the signature's three lines.
			if got := eval[string](t, bctx, `document.querySelector("#signature-preview .text").innerText`); got != "Equipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922" {
				t.Fatalf("signature preview %q", got)
			}

			// Item 4: "gerente@cliente" is refused, nothing is queued.
			run(t, bctx, "reply with a bad Cc",
				chromedp.SendKeys(chromedp.ID("cc"), "gerente@cliente"),
				chromedp.SendKeys(chromedp.ID("reply-text"), "Vamos trocar o produto.\nEnviamos outro amanhã."),
				chromedp.Click(chromedp.ID("send-reply")),
				chromedp.WaitVisible(chromedp.ID("cc-err")))
			if got := text(t, bctx, "#cc-err"); !strings.Contains(strings.ToLower(got), strings.ToLower(tc.ccErr)) {
				t.Fatalf("Cc error %q", got)
			}
			if n, _ := e.st.CountMessages(ctx, c.co.ID); n != 2 {
				t.Fatalf("messages = %d after a refused reply", n)
			}
			run(t, bctx, "reply", chSetField("cc", ""), chromedp.Click(chromedp.ID("send-reply")),
				chromedp.WaitVisible(chromedp.CSS(".flash")))

			snd := &switchSender{ms: ms}
			ob := outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: snd})
			drain := func() {
				e.clk.Advance(11 * time.Second) // the undo-send delay (issue 16)
				outboxtest.Drain(t, ob)
			}
			drain()
			box, err := ms.WaitMessages(ctx, "bob", "INBOX", 1)
			must(t, err)
			raw := box[len(box)-1].Raw
			parts := mimeLeaves(t, raw)
			htmls := parts["/multipart/related/multipart/alternative/text/html"]
			imgs := parts["/multipart/related/image/png"]
			texts := parts["/multipart/related/multipart/alternative/text/plain"]
			if len(htmls) != 1 || len(imgs) != 1 || len(texts) != 1 {
				t.Fatalf("structure of the reply in the customer's mailbox: %v\n%s", keys(parts), raw)
			}
			cid := strings.Trim(imgs[0].header.Get("Content-Id"), "<>")
			h, plain := body(htmls[0]), body(texts[0])
			imgBytes := imgs[0].body
			// Item 1: the HTML references the related part's Content-ID, never an internal URL.
			if cid != "caixa.foto@cliente" || !strings.Contains(h, `src="cid:`+cid+`"`) || strings.Contains(h, `src="cid/`) ||
				!bytes.Equal(imgBytes, pngPixel) {
				t.Fatalf("inline image: cid %q\n%s", cid, h)
			}
			// Item 2: the signature's lines in both alternatives.
			if !strings.Contains(plain, "-- \nEquipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922\n") ||
				!strings.Contains(h, "Equipe de Suporte<br>") || !strings.Contains(h, "Loja Exemplo Ltda<br>") {
				t.Fatalf("signature lines lost:\n%s\n%s", plain, h)
			}
			if !strings.Contains(h, "Vamos trocar o produto.<br>") {
				t.Fatalf("the agent's line break was lost:\n%s", h)
			}
			// Item 3 (headers): the quote header in the company's language
			// and zone: 07:00 UTC is 04:00 in São Paulo.
			sp, _ := time.LoadLocation("America/Sao_Paulo")
			layout := map[string]string{"pt-BR": "02/01/2006 15:04", "en": "Mon, Jan 2, 2006 at 15:04"}[tc.lang]
			wrote := fmt.Sprintf(tc.wrote, sent.In(sp).Format(layout))
			if !strings.Contains(wrote, " 04:00,") || !strings.Contains(plain, wrote) {
				t.Fatalf("quote header, want %q:\n%s", wrote, plain)
			}

			// The reply in the ticket view shows the quoted image too.
			run(t, bctx, "reload", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-reply")))
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`(function(){var fs=document.querySelectorAll(".msg-out iframe.msg-frame");
				var f=fs[fs.length-1]; var i=f&&f.contentDocument&&f.contentDocument.querySelector("img"); return !!(i&&i.complete&&i.naturalWidth===1)})()`,
				chromedp.WithPollingTimeout(5*time.Second)))
			if err != nil {
				t.Fatalf("the quoted image does not load in the reply's view: %v", err)
			}
			screenshot(t, bctx, "ticket-customer-"+tc.lang)

			// Item 9: the next reply is refused for good by the server.
			snd.set(rejected{})
			run(t, bctx, "second reply", chromedp.SendKeys(chromedp.ID("reply-text"), "Segue o código de rastreio."),
				chromedp.Click(chromedp.ID("send-reply")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			drain()
			msgs, err := e.st.ListMessages(ctx, c.co.ID, tk.ID)
			must(t, err)
			failed := msgs[len(msgs)-1]
			if failed.Status != model.MsgFailed {
				t.Fatalf("second reply %+v", failed)
			}
			run(t, bctx, "see the failure", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)),
				chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("fail-%d", failed.ID))))
			if got := text(t, bctx, fmt.Sprintf("#fail-%d .send-failed-text", failed.ID)); !strings.HasPrefix(got, tc.retryBanner) {
				t.Fatalf("failure banner %q", got)
			}
			if got := eval[string](t, bctx, fmt.Sprintf(`document.querySelector("#fail-%d pre").textContent`, failed.ID)); !strings.Contains(got, "User unknown") {
				t.Fatalf("server text %q", got)
			}
			screenshot(t, bctx, "ticket-failed-"+tc.lang)
			snd.set(nil)
			run(t, bctx, "retry", chromedp.Click(chromedp.ID(fmt.Sprintf("retry-%d", failed.ID))), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, bctx, ".flash"); got != tc.retried {
				t.Fatalf("after retry: %q", got)
			}
			drain()
			box, err = ms.WaitMessages(ctx, "bob", "INBOX", 2)
			must(t, err)
			if got := box[len(box)-1]; !strings.Contains(string(got.Raw), "<"+failed.MessageID+">") {
				t.Fatalf("the retried message has another Message-ID:\n%s", got.Raw)
			}
			if m, _ := e.st.GetMessage(ctx, c.co.ID, failed.ID); m.Status != model.MsgSent {
				t.Fatalf("retried message %+v", m)
			}
			ns, err := e.st.ListNotices(ctx, c.co.ID, store.NoticeFilter{})
			must(t, err)
			if len(ns) != 1 || ns[0].Kind != outbox.NoticeSendFailed {
				t.Fatalf("admin notices %+v", ns)
			}
			run(t, bctx, "admin notices", chromedp.Navigate(e.srv.URL+"/admin/notices"), chromedp.WaitVisible(chromedp.CSS(".notice-item")))
			if got := text(t, bctx, ".notice-item h3"); !strings.Contains(got, tc.notice) {
				t.Fatalf("notice heading %q", got)
			}

			// Item 10: the agent edits priority and tags.
			run(t, bctx, "edit tags", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("save-details")),
				chSetField("priority", "urgent"), chSetField("tags", "vip, troca"),
				chromedp.Click(chromedp.ID("save-details")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got, _ := e.st.GetTicket(ctx, c.co.ID, tk.ID); got.Priority != "urgent" || strings.Join(got.Tags, ",") != "vip,troca" {
				t.Fatalf("ticket after edit %+v", got)
			}

			// Item 14: the 404 page keeps the navigation; the favicon is served.
			run(t, bctx, "404", chromedp.Navigate(e.srv.URL+"/nao-existe"), chromedp.WaitVisible(chromedp.CSS(".top nav")))
			if !eval[bool](t, bctx, `!!document.querySelector('.top nav a[href="/inbox"]') && !!document.querySelector('main a[href="/inbox"]')`) {
				t.Fatal("the 404 page lost the navigation")
			}
			if ok := eval[bool](t, bctx, `(function(){var l=document.querySelector('link[rel="icon"]'); return !!l})()`); !ok {
				t.Fatal("no favicon link")
			}
			screenshot(t, bctx, "notfound-"+tc.lang)
			// A phone: the header stays small.
			_, err = chromedp.Call(bctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 1, Mobile: true})
			must(t, err)
			run(t, bctx, "phone", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-reply")))
			if hgt := eval[float64](t, bctx, `document.querySelector("header.top").getBoundingClientRect().height`); hgt > 90 {
				screenshot(t, bctx, "header-phone-"+tc.lang)
				t.Fatalf("header is %v px tall on a phone", hgt)
			}
			if w := eval[float64](t, bctx, `document.documentElement.scrollWidth`); w > 390 {
				t.Logf("wide: %s", eval[string](t, bctx, `Array.from(document.querySelectorAll("body *")).filter(function(e){return e.getBoundingClientRect().right>391}).slice(0,8).map(function(e){return e.tagName+"#"+e.id+"."+e.className+" "+Math.round(e.getBoundingClientRect().right)}).join(", ")`))
				t.Fatalf("ticket view %v px wide on a phone", w)
			}
			screenshot(t, bctx, "header-phone-"+tc.lang)
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
