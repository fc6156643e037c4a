package ui_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// identityEnv is the channel env with what the audit's fixes need: the
// identity service (DNS through dns, codes mailed through the mail
// stack's Postfix as the relay), the relay check and the DKIM/SPF records
// with their DNS state.
type identityEnv struct {
	*channelEnv
	dns *dnstest.Server
	ids *identity.Service
}

func newIdentityEnv(t *testing.T, ms *mailstack.Stack) *identityEnv {
	t.Helper()
	ie := &identityEnv{dns: dnstest.Start(t)}
	var relayCfg smtpout.Config
	var mailer identity.Mailer
	if ms != nil {
		_, port, _ := strings.Cut(ms.SubmissionAddr, ":")
		var p int
		fmt.Sscan(port, &p)
		relayCfg = smtpout.Config{Server: model.ServerConf{Host: "127.0.0.1", Port: p, Encryption: "starttls", Username: ms.Address("support")},
			Auth: smtpout.PasswordAuth(ms.Address("support"), ms.Password("support")), TLS: ms.TLSConfig(), DialTimeout: 10 * time.Second}
		relay := smtpout.New(relayCfg, nil)
		t.Cleanup(func() { relay.Close() })
		mailer = relay
	}
	res := resolver.New(ie.dns.Addr())
	ie.channelEnv = newChannelEnvWith(t, nil, nil, func(ce *channelEnv, d *ui.Deps) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		ie.ids = identity.New(ce.st, res, mailer, clock.System{}, log, identity.Config{From: "Atende <no-reply@inbound.atende.test>",
			Reserved: []string{"inbound.atende.test"}})
		signer := signing.New(ce.st, ce.box, clock.System{})
		d.Identities = ie.ids
		d.SendingDNS = func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error) {
			k, err := signer.EnsureKey(ctx, companyID, domain)
			if err != nil {
				return nil, err
			}
			return signing.CheckPublished(ctx, res, signing.DNSRecords(k, "127.0.0.1")), nil
		}
		if ms != nil {
			d.CheckRelay = func(ctx context.Context) error {
				s := smtpout.New(relayCfg, nil)
				defer s.Close()
				return s.Check(ctx)
			}
		}
	})
	return ie
}

var codeInMail = regexp.MustCompile(`(\d{4}) (\d{4})`)

// mailedCode waits for the code mail in user's Dovecot INBOX.
func mailedCode(t *testing.T, ms *mailstack.Stack, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var msgs []mailstack.Message
	var err error
	for ctx.Err() == nil {
		ms.FlushPostfixQueue(ctx)
		if msgs, err = ms.Messages(ctx, user, "INBOX"); err == nil && len(msgs) > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(msgs) == 0 {
		t.Fatalf("no code mail reached %s: %v\n%s", user, err, ms.Logs())
	}
	raw := string(msgs[len(msgs)-1].Raw)
	if !strings.Contains(raw, "Auto-Submitted: auto-generated") {
		t.Fatalf("code mail:\n%s", raw)
	}
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	_, body, _ := strings.Cut(raw, "\n\n")
	dec, _ := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	m := codeInMail.FindStringSubmatch(string(dec))
	if m == nil {
		t.Fatalf("no code in:\n%s", dec)
	}
	return m[1] + m[2]
}

func value(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

// TestBrowserVerifyDomainAndAddress is issue #13's "as an admin would":
// the channel page says its addresses are not verified and its DKIM/SPF
// records are not published; the admin follows "verify the domain", sees
// the TXT record to publish, it is published on the DNS server the server
// asks (dnstest through --dns-resolver), "Verificar" says "Verificado";
// the DKIM and SPF records are published and the channel page says
// "publicado"; "Testar conexão" of the internal channel checks the relay
// (the mail stack's Postfix), the From and the records (issue #15, items
// 12 and 13); an address is verified with the code mailed to it through
// Postfix into its Dovecot mailbox; a new external channel shows the From
// fields. In pt-BR and English, with screenshots of every page.
func TestBrowserVerifyDomainAndAddress(t *testing.T) {
	ms := mailstack.StartT(t, mailstack.Options{})
	cases := []struct {
		name, lang, accept, user                                                                      string
		unverified, notFound, published, verified, domainOK, ready, codeSent, addrOK, fromHint, relay string
	}{
		{"pt-BR", "pt-BR", "pt-BR,pt;q=0.9", "alice", "não verificado", "não encontrado", "publicado", "Verificado", "Domínio verificado.",
			"Tudo pronto para enviar", "Código enviado.", "Endereço verificado.", "Usar e-mail (de)", "Relay de saída conectado e autenticado."},
		{"en", "en", "en-US,en;q=0.9", "bob", "not verified", "not found", "published", "Verified", "Domain verified.",
			"Ready to send", "Code sent.", "Address verified.", "Use as From address", "Outgoing relay connected and authenticated."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newIdentityEnv(t, ms)
			c := e.company(t, "acme", tc.lang)
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/channels"]`)))

			// The notices an upgraded installation gets at start.
			if _, err := e.ids.SweepUnverified(ctx); err != nil {
				t.Fatal(err)
			}
			run(t, bctx, "notices", chromedp.Navigate(e.srv.URL+"/admin/notices"), chromedp.WaitVisible(chromedp.CSS(".notice-item")))
			screenshot(t, bctx, "admin-notices-unverified-"+tc.name)

			// The channel list and page say what is missing.
			run(t, bctx, "channel list", chromedp.Navigate(e.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.CSS(".channel-row .unverified")))
			screenshot(t, bctx, "channels-unverified-"+tc.name)
			run(t, bctx, "channel page", chromedp.Navigate(fmt.Sprintf("%s/channels/%d", e.srv.URL, c.ch.ID)), chromedp.WaitVisible(chromedp.ID("ch-dns")))
			if got := text(t, bctx, `#ch-verification li[data-address="suporte@acme.test"] .badge`); got != tc.unverified {
				t.Fatalf("primary shows %q, want %q", got, tc.unverified)
			}
			for _, k := range []string{"dkim", "spf"} {
				if got := text(t, bctx, ".dns-"+k+" .dns-state"); got != tc.notFound {
					t.Fatalf("%s record shows %q, want %q", k, got, tc.notFound)
				}
			}
			screenshot(t, bctx, "channel-dns-unpublished-"+tc.name)

			// Verify the domain from the channel page's link.
			run(t, bctx, "verify domain link", chromedp.Click(chromedp.CSS(`#ch-verification li[data-address="suporte@acme.test"] .verify-domain`)),
				chromedp.WaitVisible(chromedp.ID("add-domain")))
			if got := value(t, bctx, "id-domain"); got != "acme.test" {
				t.Fatalf("domain prefilled %q", got)
			}
			run(t, bctx, "add domain", chromedp.Click(chromedp.ID("add-domain")), chromedp.WaitVisible(chromedp.ID("txt-record")))
			txt := value(t, bctx, "txt-value")
			if !strings.HasPrefix(txt, "atende-verification=") || text(t, bctx, "#txt-record tbody td:nth-child(2)") != "acme.test" {
				t.Fatalf("record to publish: %q", txt)
			}
			screenshot(t, bctx, "identity-domain-pending-"+tc.name)
			// Checked before publishing: not found yet, and what was found.
			e.dns.SetTXT("acme.test", "v=spf1 include:_spf.example.test ~all")
			run(t, bctx, "check too early", chromedp.Click(chromedp.ID("check-domain")), chromedp.WaitVisible(chromedp.ID("dns-found")))
			if got := text(t, bctx, "#identity-status"); got == tc.verified {
				t.Fatal("verified without the record")
			}
			if !strings.Contains(text(t, bctx, "#dns-found"), "v=spf1 include:_spf.example.test ~all") {
				t.Fatalf("found: %s", text(t, bctx, "#dns-found"))
			}
			e.dns.SetTXT("acme.test", "v=spf1 include:_spf.example.test ~all", txt)
			run(t, bctx, "check", chromedp.Click(chromedp.ID("check-domain")), chromedp.WaitVisible(chromedp.CSS(`#identity-status[data-verified="1"]`)))
			if got, flash := text(t, bctx, "#identity-status"), text(t, bctx, ".flash"); got != tc.verified || flash != tc.domainOK {
				t.Fatalf("after publishing: status %q, flash %q", got, flash)
			}
			screenshot(t, bctx, "identity-domain-verified-"+tc.name)

			// Publish DKIM and SPF as the channel page shows them.
			run(t, bctx, "channel page again", chromedp.Navigate(fmt.Sprintf("%s/channels/%d", e.srv.URL, c.ch.ID)), chromedp.WaitVisible(chromedp.ID("ch-dns")))
			if got := text(t, bctx, `#ch-verification li[data-address="suporte@acme.test"] .badge`); got != tc.verified {
				t.Fatalf("primary after verifying the domain: %q", got)
			}
			dkimName := text(t, bctx, ".dns-dkim td:nth-child(2)")
			e.dns.SetTXT(dkimName, eval[string](t, bctx, `document.querySelector(".dns-dkim input").value`))
			e.dns.SetTXT("acme.test", eval[string](t, bctx, `document.querySelector(".dns-spf input").value`), txt)
			run(t, bctx, "reload", chromedp.Navigate(fmt.Sprintf("%s/channels/%d", e.srv.URL, c.ch.ID)), chromedp.WaitVisible(chromedp.ID("ch-dns")))
			for _, k := range []string{"dkim", "spf"} {
				if got := text(t, bctx, ".dns-"+k+" .dns-state"); got != tc.published {
					t.Fatalf("%s record shows %q after publishing", k, got)
				}
			}
			// "Testar conexão" of the internal channel (before: errors about
			// the hidden external fields).
			run(t, bctx, "test internal", chromedp.Click(chromedp.ID("test-connection")), chromedp.WaitVisible(chromedp.CSS("#conn-test .test-result")))
			got := text(t, bctx, "#conn-test")
			if !strings.Contains(got, tc.ready) || !strings.Contains(got, tc.relay) || strings.Contains(got, "IMAP") {
				t.Fatalf("internal test says %q", got)
			}
			screenshot(t, bctx, "channel-internal-test-"+tc.name)

			// An address by a code mailed to it.
			addr := ms.Address(tc.user)
			run(t, bctx, "identities", chromedp.Navigate(e.srv.URL+"/admin/identities"), chromedp.WaitVisible(chromedp.ID("add-address")),
				chSetField("id-address", addr), chromedp.Click(chromedp.ID("add-address")), chromedp.WaitVisible(chromedp.ID("code-sent")))
			if flash := text(t, bctx, ".flash"); flash != tc.codeSent {
				t.Fatalf("after adding the address: %q", flash)
			}
			screenshot(t, bctx, "identity-address-code-"+tc.name)
			code := mailedCode(t, ms, tc.user)
			run(t, bctx, "confirm", chSetField("id-code", code[:4]+" "+code[4:]), chromedp.Click(chromedp.ID("confirm-code")),
				chromedp.WaitVisible(chromedp.CSS(`#identity-status[data-verified="1"]`)))
			if got, flash := text(t, bctx, "#identity-status"), text(t, bctx, ".flash"); got != tc.verified || flash != tc.addrOK {
				t.Fatalf("after the code: status %q, flash %q", got, flash)
			}
			if ok, err := e.ids.CanSendAs(ctx, c.co.ID, addr); !ok || err != nil {
				t.Fatalf("the company does not own %s: %v", addr, err)
			}
			run(t, bctx, "list", chromedp.Navigate(e.srv.URL+"/admin/identities"), chromedp.WaitVisible(chromedp.ID("identities")))
			if n := eval[int](t, bctx, `document.querySelectorAll("#identities .identity-verified").length`); n != 2 {
				t.Fatalf("%d verified identities listed", n)
			}
			screenshot(t, bctx, "identities-"+tc.name)

			// External connection: the From name and email are there (issue
			// #15, item 13: "Usar e-mail (de)").
			run(t, bctx, "new external channel", chromedp.Navigate(e.srv.URL+"/channels/new"), chromedp.WaitVisible(chromedp.ID("channel-form")),
				chSetField("ch-connection", "external"), chromedp.WaitVisible(chromedp.ID("ch-provider")))
			if !eval[bool](t, bctx, `(function(){var el=document.getElementById("ch-from-email"); return el.offsetParent !== null})()`) ||
				!eval[bool](t, bctx, `document.getElementById("ch-from-name").offsetParent !== null`) {
				t.Fatal("the external connection hides the From fields")
			}
			if hint := text(t, bctx, `.conn-from small[data-conn="external"]`); !strings.Contains(hint, tc.fromHint) {
				t.Fatalf("From hint %q", hint)
			}
			screenshot(t, bctx, "channel-external-from-"+tc.name)
		})
	}
}

// The From of an external channel is saved from the form (it sends as it
// through its own SMTP: no verification needed).
func TestExternalChannelFromSaved(t *testing.T) {
	e := newIdentityEnv(t, nil)
	c := e.company(t, "acme", "en")
	cl := e.client(t, "en")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := cl.post("/channels/new", "/channels/new", url.Values{"name": {"Externo"}, "connection": {"external"}, "primary_email": {"vendas@acme.test"},
		"provider": {"gmail"}, "account_kind": {"business"}, "auth": {"password"}, "imap.username": {"vendas@acme.test"}, "imap_password": {"app pw"},
		"from_name": {"Vendas ACME"}, "from_email": {"ofertas@acme.test"}, "action": {"save"}})
	wantRedirect(t, p, "/channels")
	chs, err := e.dir.ListChannels(ctx, c.co.ID)
	must(t, err)
	var got *model.Channel
	for i := range chs {
		if chs[i].Name == "Externo" {
			got = &chs[i]
		}
	}
	if got == nil || got.Settings.FromName != "Vendas ACME" || got.Settings.FromEmail != "ofertas@acme.test" {
		t.Fatalf("saved %+v", got)
	}
}

// Notices about unverified addresses read in the admin's language and
// link to the identities page; the notice page never shows the address as
// a "code".
func TestUnverifiedNotices(t *testing.T) {
	e := newIdentityEnv(t, nil)
	c := e.company(t, "acme", "en")
	if _, err := e.ids.SweepUnverified(ctx); err != nil {
		t.Fatal(err)
	}
	must(t, e.st.CreateNotice(ctx, &store.Notice{CompanyID: c.co.ID, ChannelID: c.ch.ID, Kind: identity.NoticeRefused,
		Code: "suporte@acme.test 2026-11-21", Title: "E-mail recusado para suporte@acme.test", Body: "..."}))
	cl := e.client(t, "en")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := cl.get("/admin/notices")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "Address not verified", "Mail refused: address not verified", `href="/admin/identities"`,
		"The channel &#34;Suporte&#34; uses suporte@acme.test", "On 2026-11-21 mail arrived for suporte@acme.test")
	if strings.Contains(p.body, "Code:") {
		t.Fatalf("address shown as a code:\n%s", p.body)
	}
}

// Issue #13, item 10, through the login form (failed before: next
// "/\t/evil.test" was kept and the browser went to //evil.test).
func TestLoginNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	c := e.company(t, "acme", "")
	cl := e.client(t, "")
	page := cl.get("/login?next=%2F%09%2Fevil.test")
	if strings.Contains(page.body, "evil.test") {
		t.Fatalf("login page keeps the next:\n%s", page.body)
	}
	p := cl.post("/login", "/login", url.Values{"company": {"acme"}, "email": {c.admin.Email}, "password": {adminPassword}, "next": {"/\t/evil.test"}})
	wantRedirect(t, p, "/inbox")
	if loc := p.header.Get("Location"); loc != "/inbox" {
		t.Fatalf("redirected to %q", loc)
	}
}

// The channel form with the server's policies: an unverified relay From
// and a mailbox server on an internal network are field errors in the
// admin's language (issue #13, items 3 and 5, on the form).
func TestChannelFormPolicies(t *testing.T) {
	for _, tc := range []struct{ lang, from, host string }{
		{"pt-BR", "Este endereço não foi verificado pela empresa", "Este servidor fica numa rede interna"},
		{"en", "This address is not verified by the company", "This server is on an internal network"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newIdentityEnv(t, nil)
			c := e.company(t, "acme", tc.lang)
			e.dns.SetA("imap.evil.test", "10.0.0.5")
			e.dir.SetPolicies(directory.Policies{Senders: e.ids, Hosts: netguard.New(resolver.New(e.dns.Addr()), nil)})
			cl := e.client(t, tc.lang)
			wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
			p := cl.post("/channels/new", "/channels/new", url.Values{"name": {"Vendas"}, "connection": {"internal"}, "primary_email": {"vendas@beta.test"},
				"action": {"save"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, tc.from)
			p = cl.post("/channels/new", "/channels/new", url.Values{"name": {"Externo"}, "connection": {"external"}, "primary_email": {"x@beta.test"},
				"provider": {"other"}, "account_kind": {"business"}, "auth": {"password"}, "imap.host": {"imap.evil.test"}, "imap.port": {"993"},
				"imap.encryption": {"tls"}, "imap.username": {"x@beta.test"}, "imap_password": {"pw"}, "smtp.host": {"169.254.169.254"},
				"smtp.port": {"465"}, "smtp.encryption": {"tls"}, "action": {"save"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, tc.host)
			if n := strings.Count(p.body, tc.host); n != 2 {
				t.Fatalf("%d host errors, want IMAP and SMTP", n)
			}
			// The connection test refuses the same hosts before connecting.
			form := url.Values{"name": {"Externo"}, "connection": {"external"}, "provider": {"other"}, "imap.host": {"imap.evil.test"},
				"imap.port": {"993"}, "imap.encryption": {"tls"}, "imap.username": {"x@beta.test"}, "imap_password": {"pw"}, "channel_id": {"0"},
				"smtp.host": {"smtp.public.test"}, "smtp.port": {"465"}, "smtp.encryption": {"tls"}}
			p = cl.post("/channels/new", "/channels/test-connection", form)
			wantContains(t, p, tc.host)
		})
	}
}
