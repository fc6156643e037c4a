package ui_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// o365Channel is acme's "Vendas" channel: forwarded mail in, replies out
// through Office 365 (the form's "Conectar com Microsoft").
func o365Channel(t testing.TB, e *channelEnv, companyID int64) *model.Channel {
	t.Helper()
	ch, err := e.dir.CreateChannel(ctx, companyID, directory.ChannelInput{Slug: "vendas", Name: "Vendas", PrimaryEmail: "vendas@acme.test",
		Incoming: model.ConnInternal, Outgoing: model.ConnOffice365})
	must(t, err)
	return ch
}

// microsoftServer is the test provider in Microsoft's shape.
func microsoftServer(t *testing.T, email string) *oauthtest.Server {
	ms := oauthtest.New(t, email)
	ms.SetTenant("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")
	return ms
}

// connectVia runs "Connect with Microsoft" as the logged-in client cl
// (start, the provider's consent, the callback) and returns where the
// callback sends the browser.
func connectVia(t *testing.T, cl *client, startPath string) string {
	t.Helper()
	p := cl.get(startPath)
	if p.status != http.StatusFound {
		t.Fatalf("start: %d %s", p.status, p.body)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(p.header.Get("Location"))
	must(t, err)
	res.Body.Close()
	cb, err := url.Parse(res.Header.Get("Location"))
	must(t, err)
	p = cl.get(cb.RequestURI())
	if p.status != http.StatusFound && p.status != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", p.status, p.body)
	}
	return p.header.Get("Location")
}

// TestChannelOAuthMismatch (issue 20), in English: another account than the
// channel's is shown on the form and changes nothing until the admin ticks
// "use it" and saves; saving without it drops the connection; a refused ID
// token comes back to the form with a clear message.
func TestChannelOAuthMismatch(t *testing.T) {
	ms := microsoftServer(t, "joao@acme.test")
	e := newOAuthChannelEnv(t, nil, ms, "microsoft")
	c := e.company(t, "acme", "en")
	ch := o365Channel(t, e, c.co.ID)
	cl := e.client(t, "en")
	wantRedirect(t, cl.login("acme", c.admin.Email, adminPassword), "/inbox")
	path := fmt.Sprintf("/channels/%d", ch.ID)
	start := fmt.Sprintf("/api/v1/channels/%d/oauth/start?provider=microsoft", ch.ID)
	form := url.Values{"name": {"Vendas"}, "connection": {"internal"}, "outgoing": {"office365"}, "primary_email": {"vendas@acme.test"},
		"has_enabled": {"1"}, "enabled": {"on"}, "action": {"save"}}

	if got := connectVia(t, cl, start); got != path+"?oauth=mismatch" {
		t.Fatalf("callback sent the browser to %q", got)
	}
	page := cl.get(path + "?oauth=mismatch")
	wantContains(t, page, `id="oauth-mismatch"`, "You signed in as joao@acme.test, but this channel&#39;s address is vendas@acme.test.",
		"personal account instead of the channel&#39;s mailbox", `name="oauth_accept"`, "Use joao@acme.test as this channel&#39;s mailbox",
		`id="oauth-reconnect" href="/api/v1/channels/`+idStr(ch.ID)+`/oauth/start?provider=microsoft"`)
	if got, _ := e.st.GetChannel(ctx, c.co.ID, ch.ID); got.Settings.SMTP.Auth == oauth.AuthOAuth {
		t.Fatalf("channel connected before the admin chose: %+v", got.Settings.SMTP)
	}

	// Saved without ticking: the connection is dropped, the channel as it was.
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("oauth_pending", "1")
	wantRedirect(t, cl.post(path, path, f), "/channels?saved=1")
	if _, err := e.tokens.Pending(ctx, c.co.ID, ch.ID); !errors.Is(err, oauth.ErrNoPending) {
		t.Fatalf("pending after saving without it: %v", err)
	}
	if p := cl.get(path); strings.Contains(p.body, `id="oauth-mismatch"`) {
		t.Fatal("notice still shown")
	}

	// Connected again as the same account, ticked and saved: it is the
	// channel's mailbox now.
	connectVia(t, cl, start)
	f.Set("oauth_accept", "1")
	wantRedirect(t, cl.post(path, path, f), "/channels?saved=1")
	got, err := e.st.GetChannel(ctx, c.co.ID, ch.ID)
	must(t, err)
	if s := got.Settings; s.SMTP.Username != "joao@acme.test" || s.SMTP.Auth != oauth.AuthOAuth ||
		s.PrimaryEmail != "vendas@acme.test" || got.Outgoing != model.ConnOffice365 {
		t.Fatalf("after accepting: outgoing %s %+v", got.Outgoing, s)
	}
	if tok, err := e.tokens.Access(ctx, c.co.ID, ch.ID, false); err != nil || !ms.Active(tok) {
		t.Fatalf("token after accepting: %v", err)
	}

	// Ticked after the pending connection expired or was dropped elsewhere.
	connectVia(t, cl, start)
	ms.SetEmail("maria@fabrikam.test")
	connectVia(t, cl, start)
	must(t, e.tokens.DiscardPending(ctx, c.co.ID, ch.ID))
	p := cl.post(path, path, f)
	wantRedirect(t, p, path+"?oauth=error&reason=pending_expired")
	wantContains(t, cl.get(p.header.Get("Location")), "The channel was saved, but the OAuth connection that waited for your decision had expired")

	// A refused ID token: back on the form, told why, nothing changed.
	ms.SetEmail("vendas@acme.test")
	ms.SetIDTokenClaims(func(c map[string]any) { c["aud"] = "11111111-2222-3333-4444-555555555555" })
	loc := connectVia(t, cl, start)
	if loc != path+"?oauth=error&reason=id_token_audience" {
		t.Fatalf("refused ID token sent the browser to %q", loc)
	}
	wantContains(t, cl.get(loc), `id="form-error">`+"Connection refused: ", "Connection refused: the provider issued the identity for another application",
		"ATENDE_MICROSOFT_CLIENT_ID")
	ms.SetIDTokenClaims(nil)
	if got, _ := e.st.GetChannel(ctx, c.co.ID, ch.ID); got.Settings.SMTP.Username != "joao@acme.test" {
		t.Fatalf("a refused connection changed the login: %q", got.Settings.SMTP.Username)
	}
	// Unknown reasons get the generic message; a forged state lands on the list.
	wantContains(t, cl.get(path+"?oauth=error&reason=<script>"), "The OAuth connection did not finish because of an error talking to the provider")
	wantContains(t, cl.get("/channels?oauth=error&reason=bad_state"), "the provider&#39;s answer does not match this browser")

	// The channel's own mailbox: connected at once, flash names it.
	if got := connectVia(t, cl, start); got != path+"?oauth=connected" {
		t.Fatalf("callback sent the browser to %q", got)
	}
	wantContains(t, cl.get(path+"?oauth=connected"), "Account connected with OAuth: vendas@acme.test.")
	if _, err := e.st.GetSecret(ctx, c.co.ID, ch.ID, oauth.PendingSecret); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pending secret left: %v", err)
	}
	if _, err := e.box.ChannelSecret(ctx, e.st, c.co.ID, ch.ID, secrets.OAuthToken); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserOAuthConnectMismatch: in Chromium, as an admin would: the
// channel form's "Conectar com Microsoft" goes to the provider (the test
// server signs in as a personal account), comes back to the form with
// the mismatch notice in pt-BR, and "Conectar com outra conta" with the
// shared mailbox connects it.
func TestBrowserOAuthConnectMismatch(t *testing.T) {
	ms := microsoftServer(t, "joao@acme.test")
	e := newOAuthChannelEnv(t, nil, ms, "microsoft")
	c := e.company(t, "acme", "pt-BR")
	ch := o365Channel(t, e, c.co.ID)
	ctx := browser(t, "pt-BR,pt;q=0.9")
	reqs := record(t, ctx)
	run(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
		chromedp.SetValue(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin"]`)))
	run(t, ctx, "open the channel", chromedp.Navigate(fmt.Sprintf("%s/channels/%d", e.srv.URL, ch.ID)),
		chromedp.WaitVisible(chromedp.CSS("#o365-block a.button")))
	if got := text(t, ctx, "#o365-block a.button"); got != "Conectar com Microsoft" {
		t.Fatalf("button %q", got)
	}
	run(t, ctx, "connect with Microsoft", chromedp.Click(chromedp.CSS("#o365-block a.button")), chromedp.WaitVisible(chromedp.ID("oauth-mismatch")))
	notice := text(t, ctx, "#oauth-mismatch")
	for _, want := range []string{"Você entrou como joao@acme.test, mas o endereço deste canal é vendas@acme.test.",
		"Um engano comum é entrar com a sua conta pessoal em vez da caixa do canal. Nada mudou no canal",
		"Usar joao@acme.test como a caixa deste canal"} {
		if !strings.Contains(notice, want) {
			t.Fatalf("notice %q lacks %q", notice, want)
		}
	}
	if u := eval[string](t, ctx, "location.pathname + location.search"); u != fmt.Sprintf("/channels/%d?oauth=mismatch", ch.ID) {
		t.Fatalf("landed on %s", u)
	}
	screenshot(t, ctx, "channel-oauth-mismatch-pt-BR")
	if got, _ := e.st.GetChannel(ctx, c.co.ID, ch.ID); got.Settings.SMTP.Auth == oauth.AuthOAuth {
		t.Fatal("connected before the admin chose")
	}

	ms.SetEmail("vendas@acme.test")
	run(t, ctx, "connect with the right account", chromedp.Click(chromedp.ID("oauth-reconnect")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(t, ctx, ".flash"); got != "Conta conectada por OAuth: vendas@acme.test." {
		t.Fatalf("flash %q", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("#oauth-mismatch").length`); n != 0 {
		t.Fatal("the notice is still shown")
	}
	screenshot(t, ctx, "channel-oauth-connected-pt-BR")
	got, err := e.st.GetChannel(ctx, c.co.ID, ch.ID)
	must(t, err)
	if got.Settings.SMTP.Username != "vendas@acme.test" || got.Settings.SMTP.Auth != oauth.AuthOAuth || ms.UserInfoRequests() != 0 {
		t.Fatalf("after connecting: %+v (userinfo %d)", got.Settings.SMTP, ms.UserInfoRequests())
	}
	if bad, n := reqs.external(); len(bad) > 0 || n == 0 {
		t.Fatalf("requests outside loopback: %v (of %d)", bad, n)
	}
}
