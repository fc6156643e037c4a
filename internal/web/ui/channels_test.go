package ui_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/inbound/smtpin"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

// channelEnv is env with the channel setup dependencies: the secrets box,
// a connection test trusting tlsCfg's CAs and a ChannelChanged counter.
type channelEnv struct {
	*env
	box     *secrets.Box
	bl      *blob.FS
	changed chan struct{}
	// tokens is the OAuth token store when the env has a provider
	// (newOAuthChannelEnv).
	tokens *oauth.Tokens
}

func newChannelEnv(t testing.TB, tlsCfg *tls.Config, oauthProviders ...string) *channelEnv {
	t.Helper()
	return newOAuthChannelEnv(t, tlsCfg, nil, oauthProviders...)
}

// newOAuthChannelEnv is newChannelEnv with "Connect with Microsoft" served
// by the test provider ms (nil: no OAuth behind the buttons).
func newOAuthChannelEnv(t testing.TB, tlsCfg *tls.Config, ms *oauthtest.Server, oauthProviders ...string) *channelEnv {
	t.Helper()
	return newChannelEnvWith(t, tlsCfg, ms, nil, oauthProviders...)
}

// newChannelEnvWith is newOAuthChannelEnv with more UI dependencies set
// by more (the identity service, the relay check, the DNS records).
func newChannelEnvWith(t testing.TB, tlsCfg *tls.Config, ms *oauthtest.Server, more func(*channelEnv, *ui.Deps), oauthProviders ...string) *channelEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clock.System{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	must(t, err)
	box, err := secrets.NewBox(secrets.NewKey())
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := &env{st: st}
	e.auth = auth.New(st, clock.System{}, log, auth.Config{Params: fast, MaxAccountFailures: 3})
	e.dir = directory.New(st, e.auth.HashPassword, log)
	e.hub = api.NewHub(st, clock.System{}, log)
	e.tickets = ticket.New(st, bl, nil, e.hub, clock.System{}, log)
	e.ingest = ingest.New(st, bl, clock.System{}, log, ingest.Config{AuthServID: authServID})
	ce := &channelEnv{env: e, box: box, bl: bl, changed: make(chan struct{}, 16)}
	ah := &auth.HTTP{Svc: e.auth}
	check := func(ctx context.Context, s model.ChannelSettings, imapPW, smtpPW string, o imapsync.CheckOptions) *imapsync.CheckReport {
		o.TLS = tlsCfg
		o.Timeout = 5 * time.Second
		return imapsync.CheckConnection(ctx, s, imapPW, smtpPW, o)
	}
	changed := func(context.Context) {
		select {
		case ce.changed <- struct{}{}:
		default:
		}
	}
	var oauthDeps *api.OAuthDeps
	var pending ui.OAuthConnections
	var microsoft *oauth.Client
	var apiChanged func(context.Context)
	if ms != nil {
		apiChanged = changed
		microsoft = &oauth.Client{Provider: oauth.Provider{ID: "microsoft", Endpoint: ms.Endpoint(), Scopes: oauth.Microsoft.Scopes,
			Issuers: []string{ms.IssuerTemplate()}}, ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret}
		clients := oauth.Clients{"microsoft": microsoft}
		ce.tokens = &oauth.Tokens{Clients: clients, Box: box, Store: st}
		oauthDeps, pending = &api.OAuthDeps{Clients: clients, Tokens: ce.tokens}, ce.tokens
	}
	apiH := api.Handler(api.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Hub: e.hub, Heartbeat: 200 * time.Millisecond,
		Secrets: box, CheckConnection: check, OAuth: oauthDeps, ChannelChanged: apiChanged})
	uiDeps := ui.Deps{Log: log, Store: st, Auth: ah, Directory: e.dir, Tickets: e.tickets, Blobs: bl,
		Secrets: box, InboundDomain: "inbound.atende.test", CheckConnection: check, ChannelChanged: changed,
		SendingStatus: outbox.New(st, bl, clock.System{}, log, outbox.Config{}).ChannelStatus, OAuthProviders: oauthProviders, OAuth: pending,
		RegenerateAddress: func(ctx context.Context, companyID, channelID int64) (string, error) {
			return smtpin.RegenerateAddress(ctx, st, "inbound.atende.test", companyID, channelID)
		}}
	if more != nil {
		more(ce, &uiDeps)
	}
	uiH := ui.New(uiDeps)
	e.srv = httptest.NewServer(ui.Combine(apiH, uiH))
	t.Cleanup(e.srv.Close)
	if microsoft != nil {
		microsoft.RedirectURL = e.srv.URL + "/oauth/callback"
	}
	return ce
}

// TestChannelPagesAdminOnly: an agent gets 403 on every channel page;
// an admin sees the list with the "Regra" action.
func TestChannelPagesAdminOnly(t *testing.T) {
	e := newChannelEnv(t, nil)
	c := e.company(t, "acme", "pt-BR")
	ag := e.client(t, "pt-BR")
	wantRedirect(t, ag.login("acme", c.agent.Email, adminPassword), "/inbox")
	for _, p := range []string{"/channels", "/channels/new", fmt.Sprintf("/channels/%d", c.ch.ID), fmt.Sprintf("/channels/%d/rule", c.ch.ID)} {
		wantStatus(t, ag.get(p), 403)
	}
	ad := e.client(t, "pt-BR")
	wantRedirect(t, ad.login("acme", c.admin.Email, adminPassword), "/inbox")
	p := ad.get("/channels")
	wantStatus(t, p, 200)
	wantContains(t, p, "Canais", "Suporte", "Regra", "Ações", `href="/channels/new"`)
	p = ad.get(fmt.Sprintf("/channels/%d", c.ch.ID))
	wantContains(t, p, "acme-"+c.ch.InboundToken+"@inbound.atende.test", "Copiar", "Exibir uma citação na resposta", "Encaminhamento — um novo ticket")
}

// TestRuleValidation: the rule editor shows the directory's field errors
// next to each input, in both languages, and saves a valid rule.
func TestRuleValidation(t *testing.T) {
	cases := []struct {
		lang, required, domain string
	}{
		{"pt-BR", "Campo obrigatório", "Informe um domínio, como empresa.com.br, sem @."},
		{"en", "required", "Enter a domain such as company.com, without @."},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			e := newChannelEnv(t, nil)
			c := e.company(t, "acme", tc.lang)
			cl := e.client(t, tc.lang)
			wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
			path := fmt.Sprintf("/channels/%d/rule", c.ch.ID)
			p := cl.post(path, path, url.Values{"default_team_id": {""}, "filter_kind": {"sender_domain"}, "filter_value": {"@cliente.com"},
				"filter_team": {""}, "filter_assignee": {""}, "filter_priority": {""}, "filter_tags": {""}})
			wantStatus(t, p, 422)
			if !strings.Contains(strings.ToLower(p.body), strings.ToLower(tc.required)) {
				t.Fatalf("no required error %q:\n%s", tc.required, p.body)
			}
			p = cl.post(path, path, url.Values{"default_team_id": {idStr(c.team.ID)}, "filter_kind": {"sender_domain"}, "filter_value": {"@cliente.com"},
				"filter_team": {""}, "filter_assignee": {""}, "filter_priority": {""}, "filter_tags": {""}})
			wantStatus(t, p, 422)
			wantContains(t, p, tc.domain, `value="@cliente.com"`)
			p = cl.post(path, path, url.Values{"default_team_id": {idStr(c.team.ID)}, "filter_kind": {"sender_domain"}, "filter_value": {"cliente.com"},
				"filter_team": {idStr(c.team.ID)}, "filter_assignee": {""}, "filter_priority": {"high"}, "filter_tags": {"vip, b2b"}})
			wantRedirect(t, p, path+"?saved=1")
			ch, err := e.dir.GetChannel(ctx, c.co.ID, c.ch.ID)
			must(t, err)
			r := ch.Settings.Rule
			if r.DefaultTeamID != c.team.ID || len(r.Filters) != 1 || r.Filters[0].Value != "cliente.com" || r.Filters[0].Priority != "high" ||
				strings.Join(r.Filters[0].Tags, "|") != "vip|b2b" {
				t.Fatalf("saved rule %+v", r)
			}
		})
	}
}

func idStr(n int64) string { return fmt.Sprint(n) }

// setField sets an input or select by id through the page's own events.
func chSetField(id, value string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(function(){var el=document.getElementById(%q); el.value=%q;
			el.dispatchEvent(new Event("input",{bubbles:true})); el.dispatchEvent(new Event("change",{bubbles:true})); return true})()`, id, value))(ctx, tg)
		return chromedp.Void{}, err
	}
}

// TestBrowserChannelSetup: an admin opens Canais → +, fills an external
// channel for a real Dovecot mailbox, tests it with a wrong password (the
// precise authentication error in the page language), then with the
// right one (success), saves it, and routes a sender domain to a second
// team in the rule editor.
func TestBrowserChannelSetup(t *testing.T) {
	ms := mailstack.StartT(t, mailstack.Options{})
	_, imapPort, _ := strings.Cut(ms.IMAPAddr, ":")
	_, subPort, _ := strings.Cut(ms.SubmissionAddr, ":")
	user := ms.Address("alice")
	cases := []struct {
		name, lang, accept, authErr, ok, saved, ruleSaved, idle, portErr string
	}{
		{"pt-BR", "pt-BR", "pt-BR,pt;q=0.9", "Falha na autenticação IMAP em localhost", "Conexão bem-sucedida.", "Canal salvo. Agora defina para qual equipe vão os atendimentos.", "Regra salva.", "Em espera",
			"Informe uma porta entre 1 e 65535."},
		{"en", "en", "en-US,en;q=0.9", "IMAP authentication failed on localhost", "Connection succeeded.", "Channel saved. Now choose which team gets its tickets.", "Rule saved.", "Idle",
			"Enter a port between 1 and 65535."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newChannelEnv(t, ms.TLSConfig())
			c := e.company(t, "acme", tc.lang)
			vendas, err := e.dir.CreateTeam(ctx, c.co.ID, directory.TeamInput{Name: "Vendas"})
			must(t, err)
			bctx := browser(t, tc.accept)
			run(t, bctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
				chromedp.SendKeys(chromedp.ID("company"), "acme"),
				chromedp.SendKeys(chromedp.ID("email"), c.admin.Email),
				chromedp.SendKeys(chromedp.ID("password"), adminPassword),
				chromedp.Click(chromedp.ID("login-submit")),
				chromedp.WaitVisible(chromedp.CSS(`a[href="/channels"]`)))
			run(t, bctx, "open Canais", chromedp.Click(chromedp.CSS(`.top nav a[href="/channels"]`)), chromedp.WaitVisible(chromedp.ID("channel-add")))
			screenshot(t, bctx, "channels-list-"+tc.name)
			run(t, bctx, "open +", chromedp.Click(chromedp.ID("channel-add")), chromedp.WaitVisible(chromedp.ID("channel-form")))
			run(t, bctx, "fill external channel",
				chromedp.SendKeys(chromedp.ID("ch-name"), "Suporte Dovecot"),
				chSetField("ch-connection", "external"),
				chromedp.WaitVisible(chromedp.ID("ch-provider")),
				chSetField("ch-provider", "gmail"))
			if eval[bool](t, bctx, `document.getElementById("app-password-tip").hidden`) {
				t.Fatal("Gmail does not show the app password tip")
			}
			if got := eval[string](t, bctx, `document.getElementById("imap-host").value`); got != "imap.gmail.com" {
				t.Fatalf("Gmail preset filled IMAP host %q", got)
			}
			run(t, bctx, "personal account warning", chromedp.Click(chromedp.CSS(`input[name="account_kind"][value="personal"]`)))
			if eval[bool](t, bctx, `document.getElementById("personal-warning").hidden`) {
				t.Fatal("personal account shows no daily limit warning")
			}
			run(t, bctx, "provider other", chSetField("ch-provider", "other"),
				chromedp.Click(chromedp.CSS(`input[name="account_kind"][value="business"]`)),
				chSetField("ch-primary", user),
				chSetField("imap-host", "localhost"), chSetField("imap-port", imapPort), chSetField("imap-enc", "starttls"),
				chSetField("imap-user", user), chSetField("imap-pass", "senha-errada"),
				chSetField("smtp-host", "localhost"), chSetField("smtp-port", subPort), chSetField("smtp-enc", "starttls"))
			if !eval[bool](t, bctx, `document.getElementById("app-password-tip").hidden`) {
				t.Fatal("provider Other still shows the app password tip")
			}
			screenshot(t, bctx, "channel-form-"+tc.name)
			test := func(what string) string {
				t.Helper()
				run(t, bctx, what, chromedp.Click(chromedp.ID("test-connection")), chromedp.WaitVisible(chromedp.CSS("#conn-test .test-result")))
				return text(t, bctx, "#conn-test")
			}
			run(t, bctx, "bad port", chSetField("imap-port", "abc"))
			test("test bad port")
			if got, want := text(t, bctx, "#imap-port + .field-error"), tc.portErr; got != want {
				t.Fatalf("port error next to the input %q, want %q", got, want)
			}
			run(t, bctx, "good port", chSetField("imap-port", imapPort))
			got := test("test wrong password")
			if n := eval[int](t, bctx, `document.querySelectorAll(".field-error.from-test").length`); n != 0 {
				t.Fatalf("%d stale field errors after a new test", n)
			}
			if !strings.Contains(got, tc.authErr) {
				t.Fatalf("wrong password test says %q, want %q", got, tc.authErr)
			}
			if eval[string](t, bctx, `document.getElementById("imap-pass").value`) != "senha-errada" {
				t.Fatal("the test cleared the typed password")
			}
			run(t, bctx, "right password", chSetField("imap-pass", ms.Users[user]))
			got = test("test right password")
			if !strings.Contains(got, tc.ok) {
				t.Fatalf("right password test says %q, want %q", got, tc.ok)
			}
			screenshot(t, bctx, "channel-test-ok-"+tc.name)
			run(t, bctx, "save", chromedp.Click(chromedp.ID("save-channel")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, bctx, ".flash"); got != tc.saved {
				t.Fatalf("after save: %q", got)
			}
			select {
			case <-e.changed:
			default:
				t.Fatal("ChannelChanged not called after save")
			}
			chs, err := e.dir.ListChannels(ctx, c.co.ID)
			must(t, err)
			var ch *model.Channel
			for i := range chs {
				if chs[i].Name == "Suporte Dovecot" {
					ch = &chs[i]
				}
			}
			if ch == nil || ch.Incoming != model.ConnExternal || ch.Settings.IMAP.Host != "localhost" || ch.Settings.IMAP.Encryption != "starttls" ||
				fmt.Sprint(ch.Settings.IMAP.Port) != imapPort || ch.Settings.IMAP.Username != user || ch.Settings.Provider != "other" {
				t.Fatalf("saved channel %+v", ch)
			}
			pw, err := e.box.ChannelSecret(ctx, e.st, c.co.ID, ch.ID, secrets.IMAPPassword)
			must(t, err)
			if pw != ms.Users[user] {
				t.Fatal("stored IMAP password differs")
			}
			if html := eval[string](t, bctx, `document.documentElement.outerHTML`); strings.Contains(html, ms.Users[user]) {
				t.Fatal("the password appears in the page")
			}
			// Issue 15 item 6: saving a new channel leads to its rule, and
			// the list flags a channel whose tickets go to no team.
			if path := eval[string](t, bctx, `location.pathname`); path != fmt.Sprintf("/channels/%d/rule", ch.ID) {
				t.Fatalf("after saving a new channel the browser is at %s, want its rule", path)
			}
			run(t, bctx, "list before the rule", chromedp.Navigate(e.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.ID("channel-add")))
			noRule := map[string]string{"pt-BR": "Sem regra: os atendimentos não vão para nenhuma equipe", "en": "No rule: its tickets go to no team"}[tc.name]
			if got := text(t, bctx, fmt.Sprintf(`tr[data-channel="%d"] .no-rule`, ch.ID)); !strings.Contains(got, noRule) {
				t.Fatalf("channel without a rule flagged %q, want %q", got, noRule)
			}
			screenshot(t, bctx, "channels-saved-"+tc.name)

			// Rule: default team Financeiro, sender domain cliente.com.br → Vendas.
			// The list's Regra link (followed by URL: a click that navigates
			// while chromedp queries the old document flakes under load).
			ruleURL := eval[string](t, bctx, fmt.Sprintf(`document.querySelector('tr[data-channel="%d"] .rule-link').href`, ch.ID))
			run(t, bctx, "open rule", chromedp.Navigate(ruleURL),
				chromedp.WaitVisible(chromedp.ID("rule-form")),
				chSetField("rule-team", idStr(c.team.ID)),
				chromedp.Click(chromedp.ID("add-filter")),
				chromedp.WaitVisible(chromedp.CSS(`#filters [data-filter] input[name="filter_value"]`)))
			eval[bool](t, bctx, fmt.Sprintf(`(function(){var r=document.querySelector("#filters [data-filter]");
				r.querySelector("[name=filter_kind]").value="sender_domain"; r.querySelector("[name=filter_value]").value="cliente.com.br";
				r.querySelector("[name=filter_team]").value="%d"; return true})()`, vendas.ID))
			screenshot(t, bctx, "channel-rule-"+tc.name)
			run(t, bctx, "save rule", chromedp.Click(chromedp.ID("save-rule")), chromedp.WaitVisible(chromedp.CSS(".flash")))
			if got := text(t, bctx, ".flash"); got != tc.ruleSaved {
				t.Fatalf("after rule save: %q", got)
			}
			ch, err = e.dir.GetChannel(ctx, c.co.ID, ch.ID)
			must(t, err)
			r := ch.Settings.Rule
			if r.DefaultTeamID != c.team.ID || len(r.Filters) != 1 || r.Filters[0].Kind != "sender_domain" || r.Filters[0].Value != "cliente.com.br" ||
				r.Filters[0].TeamID != vendas.ID {
				t.Fatalf("saved rule %+v", r)
			}
			if n := eval[int](t, bctx, `document.querySelectorAll("#filters [data-filter]").length`); n != 1 {
				t.Fatalf("rule page shows %d filters after save", n)
			}
			// Filter labels are readable whole ("Domínio do remetente").
			if clipped := eval[bool](t, bctx, `(function(){var s=document.querySelector("#filters [name=filter_kind]");
				var c=document.createElement("canvas").getContext("2d"); c.font=getComputedStyle(s).font;
				return c.measureText(s.options[s.selectedIndex].text).width > s.clientWidth - 24})()`); clipped {
				t.Fatal("the rule filter's kind is cut off")
			}
			run(t, bctx, "list after the rule", chromedp.Navigate(e.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.ID("channel-add")))
			if eval[bool](t, bctx, fmt.Sprintf(`!!document.querySelector('tr[data-channel="%d"] .no-rule')`, ch.ID)) {
				t.Fatal("a channel with a rule is still flagged")
			}

			// The saved channel syncs: the IMAP manager picks it up, its
			// status turns idle on the list, and a mail sent to the mailbox
			// over SMTP shows up in the open inbox, routed to Vendas.
			mgr := imapsync.NewManager(e.st, e.ingest, e.box, clock.System{}, nil, imapsync.Config{TLS: ms.TLSConfig(), BackoffMin: 200 * time.Millisecond})
			wctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); mgr.Run(wctx) }()
			go func() {
				defer wg.Done()
				e.ingest.Run(wctx, ingest.WorkerConfig{Poll: 100 * time.Millisecond, Notifier: e.hub})
			}()
			t.Cleanup(func() { stop(); wg.Wait() })
			deadline := time.Now().Add(20 * time.Second)
			for {
				st, err := e.st.GetChannelStatus(ctx, c.co.ID, ch.ID)
				if err == nil && st.State == store.SyncIdle {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("channel never idle: %+v %v", st, err)
				}
				time.Sleep(100 * time.Millisecond)
			}
			run(t, bctx, "channel list", chromedp.Navigate(e.srv.URL+"/channels"), chromedp.WaitVisible(chromedp.ID("channel-add")))
			if got, want := text(t, bctx, fmt.Sprintf(`tr[data-channel="%d"] .state`, ch.ID)), tc.idle; got != want {
				t.Fatalf("channel state %q, want %q", got, want)
			}
			run(t, bctx, "inbox", chromedp.Navigate(e.srv.URL+"/inbox"), chromedp.WaitVisible(chromedp.ID("inbox-empty")))
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.body.dataset.live === "on"`, chromedp.WithPollingTimeout(5*time.Second)))
			must(t, err)
			eval[bool](t, bctx, `window.__sameDocument = true`)
			raw := strings.Replace(string(plainMail("Carla Cliente <carla@cliente.com.br>", "Pedido 4471 atrasado", "imap-live-"+tc.name+"@cliente.com.br",
				"Meu pedido não chegou.")), "To: Suporte <suporte@acme.test>", "To: <"+user+">", 1)
			// Sent with swaks, the real SMTP client, to Postfix, which
			// delivers to Dovecot; IDLE tells the sync loop (Dovecot adds a
			// fixed 500 ms to every IDLE notification).
			eml := filepath.Join(t.TempDir(), "mail.eml")
			must(t, os.WriteFile(eml, []byte(raw), 0o644))
			sent := time.Now()
			if out, err := ms.Swaks(ctx, "--from", "carla@cliente.com.br", "--to", user, "--data", eml); err != nil {
				t.Fatalf("swaks: %v\n%s", err, out)
			}
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`!!document.querySelector(".ticket-row")`, chromedp.WithPollingTimeout(20*time.Second)))
			if err != nil {
				t.Fatalf("the mail never appeared in the inbox: %v", err)
			}
			elapsed := time.Since(sent)
			t.Logf("swaks -> Postfix -> Dovecot -> IMAP IDLE -> ticket -> inbox row without reload: %v", elapsed)
			if elapsed > 2*time.Second {
				t.Errorf("the mail took %v to appear in the open inbox, want under 2 s", elapsed)
			}
			if !eval[bool](t, bctx, `window.__sameDocument === true`) {
				t.Fatal("the inbox reloaded")
			}
			row := text(t, bctx, ".ticket-row")
			if !strings.Contains(row, "Pedido 4471 atrasado") || !strings.Contains(row, "Vendas") {
				t.Fatalf("inbox row %q: want the subject, routed to Vendas", row)
			}
			screenshot(t, bctx, "channel-synced-inbox-"+tc.name)

			// The agent answers a customer with a colleague in Cc and the
			// personal signature; the reply leaves through the mailbox's own
			// SMTP and reaches the customer's (and the Cc's) Dovecot mailbox.
			c.admin.Signature = "<p>Ana Admin — ACME " + tc.name + "</p>"
			must(t, e.st.UpdateAgent(ctx, c.admin))
			subject := "Troca de produto " + tc.name
			bobRaw := strings.Replace(string(plainMail("Bob <bob@example.test>", subject, "reply-"+tc.name+"@example.test", "Quero trocar.")),
				"To: Suporte <suporte@acme.test>", "To: <"+user+">", 1)
			must(t, ms.SendSMTP(ctx, "bob@example.test", []string{user}, []byte(bobRaw)))
			_, err = chromedp.Run(bctx, chromedp.Poll[bool](`document.querySelectorAll(".ticket-row").length === 2`, chromedp.WithPollingTimeout(20*time.Second)))
			must(t, err)
			found, err := e.st.ListTickets(ctx, c.co.ID, store.TicketFilter{Query: subject})
			if err != nil || len(found) != 1 {
				t.Fatalf("ticket %q: %v %v", subject, found, err)
			}
			tk := found[0]
			run(t, bctx, "reply with Cc", chromedp.Navigate(fmt.Sprintf("%s/tickets/%d", e.srv.URL, tk.ID)), chromedp.WaitVisible(chromedp.ID("send-reply")),
				chromedp.SendKeys(chromedp.ID("cc"), "carol@example.test"),
				chromedp.SendKeys(chromedp.ID("reply-text"), "Pode trocar, Bob."),
				chromedp.Click(chromedp.ID("send-reply")))
			var out *model.Message
			waitUntil(t, 10*time.Second, "the queued reply", func() bool {
				msgs, _ := e.st.ListMessages(ctx, c.co.ID, tk.ID)
				for i := range msgs {
					if msgs[i].Direction == model.DirOut {
						out = &msgs[i]
					}
				}
				return out != nil
			})
			saved, err := e.st.GetChannel(ctx, c.co.ID, ch.ID)
			must(t, err)
			replyPW, err := e.box.ChannelSecret(ctx, e.st, c.co.ID, ch.ID, secrets.IMAPPassword)
			must(t, err)
			mailbox := smtpout.New(smtpout.Config{Server: saved.Settings.SMTP, Auth: smtpout.PasswordAuth(user, replyPW), TLS: ms.TLSConfig()},
				slog.New(slog.DiscardHandler))
			defer mailbox.Close()
			sender := outbox.New(e.st, e.bl, clock.System{}, slog.New(slog.DiscardHandler), outbox.Config{Sender: mailboxSender{mailbox}})
			waitUntil(t, 20*time.Second, "the reply sent", func() bool {
				sender.ProcessDue(ctx)
				m, _ := e.st.GetMessage(ctx, c.co.ID, out.ID)
				return m.Status == model.MsgSent
			})
			// The subtests share the mail stack: wait for this subtest's
			// reply (Bob's mailbox may hold the previous language's).
			var last mailstack.Message
			waitUntil(t, 20*time.Second, "the reply in Bob's mailbox", func() bool {
				box, _ := ms.Messages(ctx, "bob", "INBOX")
				for _, m := range box {
					if m.Header.Get("In-Reply-To") == "<reply-"+tc.name+"@example.test>" {
						last = m
						return true
					}
				}
				return false
			})
			rawReply := string(last.Raw)
			if !strings.Contains(rawReply, "Pode trocar, Bob.") || !strings.Contains(rawReply, "atende-signature\"><p>Ana Admin") || !strings.Contains(rawReply, "ACME "+tc.name) ||
				!strings.Contains(last.Header.Get("Cc"), "carol@example.test") ||
				last.Header.Get("In-Reply-To") != "<reply-"+tc.name+"@example.test>" {
				t.Fatalf("reply in Bob's mailbox:\n%s", rawReply)
			}
			waitUntil(t, 20*time.Second, "the reply in Carol's mailbox (Cc)", func() bool {
				box, _ := ms.Messages(ctx, "carol", "INBOX")
				for _, m := range box {
					if m.Header.Get("In-Reply-To") == "<reply-"+tc.name+"@example.test>" {
						return true
					}
				}
				return false
			})
		})
	}
}

// mailboxSender sends through one mailbox's SMTP (what atende serve's
// channel sender does for external channels).
type mailboxSender struct{ s *smtpout.Sender }

func (m mailboxSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	return m.s.Send(ctx, from, to, raw)
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestChannelListStatus: each sync state renders with its label, the
// syncing progress bar and the error message, in both languages.
func TestChannelListStatus(t *testing.T) {
	cases := []struct {
		lang                                       string
		syncing, errLabel, reconnect, disab, quota string
	}{
		{"pt-BR", "Sincronizando 3/12", "Erro", "Reconexão necessária", "Desativado", "0 de 25 e-mails enviados hoje"},
		{"en", "Syncing 3/12", "Error", "Reconnect needed", "Disabled", "0 of 25 emails sent today"},
	}
	for _, tc := range cases {
		t.Run(tc.lang, func(t *testing.T) {
			e := newChannelEnv(t, nil)
			c := e.company(t, "acme", tc.lang)
			mk := func(slug string) *model.Channel {
				ch, err := e.dir.CreateChannel(ctx, c.co.ID, directory.ChannelInput{Slug: slug, Name: "Canal " + slug, PrimaryEmail: slug + "@acme.test"})
				must(t, err)
				return ch
			}
			put := func(ch *model.Channel, st store.SyncState, done, total int64, msg string) {
				must(t, e.st.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: c.co.ID, ChannelID: ch.ID, State: st, Done: done, Total: total,
					LastError: msg, UpdatedAt: time.Now()}))
			}
			syncing, failing, reconnect, off := mk("a"), mk("b"), mk("c"), mk("d")
			personal := model.AccountPersonal
			_, err := e.dir.CreateChannel(ctx, c.co.ID, directory.ChannelInput{Slug: "gmail", Name: "Gmail pessoal", PrimaryEmail: "acme@gmail.com",
				Incoming: model.ConnExternal, Outgoing: model.ConnExternal, SettingsPatch: directory.SettingsPatch{Provider: new("gmail"),
					AccountKind: &personal, IMAP: &model.ServerConf{Username: "acme@gmail.com"}}})
			must(t, err)
			put(syncing, store.SyncSyncing, 3, 12, "")
			put(failing, store.SyncError, 0, 0, "Tempo esgotado ao conectar em imap.acme.test")
			put(reconnect, store.SyncReconnectNeeded, 0, 0, "Falha na autenticação IMAP")
			_, err = e.dir.UpdateChannel(ctx, c.co.ID, off.ID, directory.ChannelPatch{Enabled: new(bool)})
			must(t, err)
			cl := e.client(t, tc.lang)
			wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
			p := cl.get("/channels")
			wantStatus(t, p, 200)
			wantContains(t, p, tc.syncing, `<progress max="100" value="25"`, tc.errLabel, "Tempo esgotado ao conectar em imap.acme.test",
				tc.reconnect, "Falha na autenticação IMAP", tc.disab, tc.quota, fmt.Sprintf(`href="/channels/%d/rule"`, failing.ID))
		})
	}
}

// TestChannelEditKeepsPassword: the edit form never shows the stored
// password; saving with the password left blank keeps it, a new one
// replaces it, and field errors come back translated.
func TestChannelEditKeepsPassword(t *testing.T) {
	e := newChannelEnv(t, nil, "google", "microsoft")
	c := e.company(t, "acme", "en")
	cl := e.client(t, "en")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	form := url.Values{"name": {"Mailbox"}, "connection": {"external"}, "primary_email": {"box@acme.test"}, "provider": {"other"},
		"account_kind": {"business"}, "auth": {"password"}, "imap.host": {"imap.acme.test"}, "imap.port": {"993"}, "imap.encryption": {"tls"},
		"imap.username": {"box@acme.test"}, "imap_password": {"first-secret-pw"}, "smtp.host": {"smtp.acme.test"}, "smtp.port": {"465"},
		"smtp.encryption": {"tls"}, "action": {"save"}}
	wantRedirect(t, cl.post("/channels/new", "/channels/new", form), "/channels/")
	chs, err := e.dir.ListChannels(ctx, c.co.ID)
	must(t, err)
	ch := chs[len(chs)-1]
	if ch.Slug != "mailbox" || ch.Settings.SMTP.Username != "box@acme.test" {
		t.Fatalf("created %+v", ch)
	}
	path := fmt.Sprintf("/channels/%d", ch.ID)
	p := cl.get(path)
	wantContains(t, p, "Password saved (leave blank to keep it)", `value="imap.acme.test"`,
		fmt.Sprintf(`href="/api/v1/channels/%d/oauth/start?provider=google">Connect with Google`, ch.ID),
		fmt.Sprintf(`href="/api/v1/channels/%d/oauth/start?provider=microsoft">Connect with Microsoft`, ch.ID))
	if strings.Contains(p.body, "first-secret-pw") {
		t.Fatal("the edit form shows the password")
	}
	form.Set("imap_password", "")
	form.Set("name", "Mailbox 2")
	wantRedirect(t, cl.post(path, path, form), "/channels?saved=1")
	pw, err := e.box.ChannelSecret(ctx, e.st, c.co.ID, ch.ID, secrets.IMAPPassword)
	must(t, err)
	if pw != "first-secret-pw" {
		t.Fatalf("blank password replaced the stored one: %q", pw)
	}
	form.Set("imap_password", "second-secret-pw")
	form.Set("imap.port", "99999")
	form.Set("imap.host", "bad host")
	p = cl.post(path, path, form)
	wantStatus(t, p, 422)
	wantContains(t, p, "Enter a port between 1 and 65535.", "Enter a host name such as imap.company.com.", "Please fix the highlighted fields.")
	if strings.Contains(p.body, "second-secret-pw") {
		t.Fatal("the failed save echoes the password")
	}
	form.Set("imap.port", "993")
	form.Set("imap.host", "imap.acme.test")
	wantRedirect(t, cl.post(path, path, form), "/channels?saved=1")
	pw, err = e.box.ChannelSecret(ctx, e.st, c.co.ID, ch.ID, secrets.SMTPPassword)
	must(t, err)
	if pw != "second-secret-pw" {
		t.Fatalf("SMTP password %q, want the new IMAP one", pw)
	}
	if len(e.changed) != 3 {
		t.Fatalf("ChannelChanged called %d times, want 3", len(e.changed))
	}
	wantContains(t, cl.get(path), `name="enabled" id="ch-enabled" checked> Channel enabled (untick to pause syncing and sending)`)
	form.Set("has_enabled", "1") // the edit form's checkbox, unticked
	wantRedirect(t, cl.post(path, path, form), "/channels?saved=1")
	got, err := e.dir.GetChannel(ctx, c.co.ID, ch.ID)
	must(t, err)
	if got.Enabled {
		t.Fatal("unticking 'enabled' left the channel enabled")
	}
	wantContains(t, cl.get("/channels"), `class="state state-disabled"`)
}

// TestChannelTestWithoutJS: "Testar conexão" also works as a plain form
// submit (the page comes back with the result and without the password),
// and the fetch endpoint answers the same result as a fragment.
func TestChannelTestWithoutJS(t *testing.T) {
	e := newChannelEnv(t, nil)
	c := e.company(t, "acme", "pt-BR")
	cl := e.client(t, "pt-BR")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close() // nothing listens there now
	form := url.Values{"name": {"Caixa"}, "connection": {"external"}, "primary_email": {"caixa@acme.test"}, "provider": {"other"},
		"auth": {"password"}, "imap.host": {"127.0.0.1"}, "imap.port": {port}, "imap.encryption": {"tls"}, "imap.username": {"caixa@acme.test"},
		"imap_password": {"segredo-de-teste"}, "smtp.host": {"127.0.0.1"}, "smtp.port": {port}, "smtp.encryption": {"tls"}, "action": {"test"}}
	p := cl.post("/channels/new", "/channels/new", form)
	wantStatus(t, p, 200)
	wantContains(t, p, "A conexão falhou.", "O servidor IMAP 127.0.0.1", "recusou a conexão", `value="Caixa"`)
	if strings.Contains(p.body, "segredo-de-teste") {
		t.Fatal("the test result page echoes the password")
	}
	p = cl.post("/channels/new", "/channels/test-connection", form)
	wantStatus(t, p, 200)
	wantContains(t, p, `class="test-result failed"`, "recusou a conexão")
	if strings.Contains(p.body, "<html") {
		t.Fatal("the fetch answer is a whole page")
	}
	form.Set("imap.port", "abc")
	form.Del("imap_password")
	p = cl.post("/channels/new", "/channels/test-connection", form)
	wantContains(t, p, `data-field="imap.port"`, "Informe uma porta entre 1 e 65535.", `data-field="imap_password"`, "Campo obrigatório.")
	if n, _ := e.dir.ListChannels(ctx, c.co.ID); len(n) != 1 {
		t.Fatalf("a connection test created a channel: %d channels", len(n))
	}
}

// TestChannelOffice365Outgoing: "Office 365 (saída)" stores Outgoing
// office365 with the chosen incoming connection and offers the Microsoft
// OAuth link.
func TestChannelOffice365Outgoing(t *testing.T) {
	e := newChannelEnv(t, nil, "microsoft")
	c := e.company(t, "acme", "pt-BR")
	cl := e.client(t, "pt-BR")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	wantContains(t, cl.get("/channels/new"), `<option value="office365">Office 365 (saída)</option>`)
	form := url.Values{"name": {"Vendas"}, "connection": {"internal"}, "outgoing": {"office365"}, "primary_email": {"vendas@acme.test"}, "action": {"save"}}
	wantRedirect(t, cl.post("/channels/new", "/channels/new", form), "/channels/")
	chs, err := e.dir.ListChannels(ctx, c.co.ID)
	must(t, err)
	ch := chs[len(chs)-1]
	if ch.Name != "Vendas" || ch.Incoming != model.ConnInternal || ch.Outgoing != model.ConnOffice365 {
		t.Fatalf("saved incoming %q outgoing %q (%s), want internal/office365", ch.Incoming, ch.Outgoing, ch.Name)
	}
	path := fmt.Sprintf("/channels/%d", ch.ID)
	wantContains(t, cl.get(path), `<option value="office365" selected>Office 365 (saída)</option>`,
		fmt.Sprintf(`href="/api/v1/channels/%d/oauth/start?provider=microsoft">Conectar com Microsoft`, ch.ID))
	form.Set("outgoing", "")
	wantRedirect(t, cl.post(path, path, form), "/channels?saved=1")
	got, err := e.dir.GetChannel(ctx, c.co.ID, ch.ID)
	must(t, err)
	if got.Outgoing != model.ConnInternal {
		t.Fatalf("outgoing %q after choosing 'same as incoming', want internal", got.Outgoing)
	}
}

// TestChannelImportSettings: folders, after-import action and first-sync
// history are saved, shown again, and their field errors are translated.
func TestChannelImportSettings(t *testing.T) {
	e := newChannelEnv(t, nil)
	c := e.company(t, "acme", "en")
	cl := e.client(t, "en")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	form := url.Values{"name": {"Mailbox"}, "connection": {"external"}, "primary_email": {"box@acme.test"}, "provider": {"other"},
		"account_kind": {"business"}, "auth": {"password"}, "imap.host": {"imap.acme.test"}, "imap.port": {"993"}, "imap.encryption": {"tls"},
		"imap.username": {"box@acme.test"}, "imap_password": {"a-secret-pw"}, "smtp.host": {"smtp.acme.test"}, "smtp.port": {"465"},
		"smtp.encryption": {"tls"}, "folders": {" INBOX , Suporte/Clientes "}, "after_import": {"move"}, "move_to": {"Arquivo"},
		"history": {"days"}, "history_days": {"30"}, "copy_to_sent": {"on"}, "sent_folder": {"Itens Enviados"}, "action": {"save"}}
	wantRedirect(t, cl.post("/channels/new", "/channels/new", form), "/channels/")
	chs, err := e.dir.ListChannels(ctx, c.co.ID)
	must(t, err)
	ch := chs[len(chs)-1]
	st := ch.Settings
	if !st.CopyToSent || st.SentFolder != "Itens Enviados" {
		t.Fatalf("copy to sent %v folder %q", st.CopyToSent, st.SentFolder)
	}
	if strings.Join(st.Folders, "|") != "INBOX|Suporte/Clientes" || st.AfterImport != "move" || st.MoveTo != "Arquivo" || st.HistoryDays != 30 {
		t.Fatalf("saved folders %q after %q move_to %q history %d", st.Folders, st.AfterImport, st.MoveTo, st.HistoryDays)
	}
	path := fmt.Sprintf("/channels/%d", ch.ID)
	wantContains(t, cl.get(path), `value="INBOX, Suporte/Clientes"`, `name="after_import" value="move" checked`, `value="Arquivo"`, `name="copy_to_sent" checked`, `value="Itens Enviados"`,
		`name="history" value="days" checked`, `name="history_days" inputmode="numeric" value="30"`)

	form.Set("imap_password", "")
	form.Set("folders", "")
	form.Set("after_import", "mark_read")
	form.Set("history", "all")
	form.Del("copy_to_sent") // an unticked checkbox is not sent
	wantRedirect(t, cl.post(path, path, form), "/channels?saved=1")
	got, err := e.dir.GetChannel(ctx, c.co.ID, ch.ID)
	must(t, err)
	st = got.Settings
	if st.CopyToSent {
		t.Fatal("unticking 'copy to Sent' did not save")
	}
	if strings.Join(st.Folders, "|") != "INBOX" || st.AfterImport != "mark_read" || st.MoveTo != "" || st.HistoryDays != -1 {
		t.Fatalf("resaved folders %q after %q move_to %q history %d", st.Folders, st.AfterImport, st.MoveTo, st.HistoryDays)
	}

	cases := []struct {
		name string
		lang string
		set  map[string]string
		want []string
	}{
		{"move without folder en", "en", map[string]string{"after_import": "move", "move_to": ""}, []string{"Enter the folder to move the mail to."}},
		{"repeated folder en", "en", map[string]string{"folders": "INBOX, INBOX"}, []string{"This folder is listed twice."}},
		{"bad days en", "en", map[string]string{"history": "days", "history_days": "abc"}, []string{"Enter a number of days between 1 and 36500."}},
		{"move without folder pt", "pt-BR", map[string]string{"after_import": "move", "move_to": ""}, []string{"Informe a pasta para onde mover os e-mails."}},
		{"bad days pt", "pt-BR", map[string]string{"history": "days", "history_days": "99999"}, []string{"Informe um número de dias entre 1 e 36500."}},
	}
	pt := e.company(t, "beta", "pt-BR") // the page language is the admin's
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			co, slug, p := c, "acme", path
			if tc.lang == "pt-BR" {
				co, slug, p = pt, "beta", fmt.Sprintf("/channels/%d", pt.ch.ID)
			}
			lc := e.client(t, tc.lang)
			wantRedirect(t, lc.login(slug, co.admin.Email, adminPassword), "/inbox")
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			f.Set("imap_password", "another-secret-pw")
			for k, v := range tc.set {
				f.Set(k, v)
			}
			pg := lc.post(p, p, f)
			wantStatus(t, pg, 422)
			wantContains(t, pg, tc.want...)
			if strings.Contains(pg.body, "another-secret-pw") {
				t.Fatal("the failed save echoes the password")
			}
		})
	}
}

// TestChannelRegenerateAddress: the edit page's "Gerar novo endereço"
// needs the confirmation, then replaces the inbound address.
func TestChannelRegenerateAddress(t *testing.T) {
	e := newChannelEnv(t, nil)
	c := e.company(t, "acme", "pt-BR")
	cl := e.client(t, "pt-BR")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	path := fmt.Sprintf("/channels/%d", c.ch.ID)
	old := "acme-" + c.ch.InboundToken + "@inbound.atende.test"
	wantContains(t, cl.get(path), old, "Gerar novo endereço", `name="confirm" value="1" required`)
	wantRedirect(t, cl.post(path, path+"/regenerate-address", url.Values{}), path+"?flash=not_regenerated")
	if got, err := e.dir.GetChannel(ctx, c.co.ID, c.ch.ID); err != nil || got.InboundToken != c.ch.InboundToken {
		t.Fatalf("unconfirmed regeneration changed the token: %v %v", got, err)
	}
	wantRedirect(t, cl.post(path, path+"/regenerate-address", url.Values{"confirm": {"1"}}), path+"?flash=regenerated")
	got, err := e.dir.GetChannel(ctx, c.co.ID, c.ch.ID)
	must(t, err)
	if got.InboundToken == "" || got.InboundToken == c.ch.InboundToken {
		t.Fatalf("token %q, want a new one (old %q)", got.InboundToken, c.ch.InboundToken)
	}
	p := cl.get(path + "?flash=regenerated")
	wantContains(t, p, "acme-"+got.InboundToken+"@inbound.atende.test", "Novo endereço de entrada gerado.")
	if strings.Contains(p.body, old) {
		t.Fatal("the page still shows the old inbound address")
	}
}
