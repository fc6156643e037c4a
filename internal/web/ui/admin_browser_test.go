package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/atende-helpdesk/atende/internal/store"
)

// TestBrowserAdmin: in real Chromium, an admin creates a team and an
// agent, adds the agent to the team, creates an API token (shown once,
// then only its name) and revokes it.
func TestBrowserAdmin(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "pt-BR")
	must(t, e.st.CreateNotice(ctx, &store.Notice{CompanyID: co.co.ID, ChannelID: co.ch.ID, Kind: store.NoticeForwardingConfirmation,
		Title: "Confirmação de encaminhamento do Gmail", Body: "Use o código abaixo para confirmar o encaminhamento.", Code: "583920174",
		Link: "https://mail.google.com/mail/vf-example", CreatedAt: time.Now().UTC()}))
	ctx := browser(t, "pt-BR,pt;q=0.9")
	reqs := record(t, ctx)

	run(t, ctx, "log in", chromedp.Navigate(e.srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")),
		chromedp.SetValue(chromedp.ID("company"), "acme"),
		chromedp.SendKeys(chromedp.ID("email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin"]`)))
	run(t, ctx, "open admin", chromedp.Click(chromedp.CSS(`a[href="/admin"]`)), chromedp.WaitVisible(chromedp.ID("create-agent")))
	if got := text(t, ctx, `.admin-nav a[aria-current="page"]`); got != "Agentes" {
		t.Fatalf("current admin section %q", got)
	}

	// Create an agent.
	run(t, ctx, "create agent",
		chromedp.SendKeys(chromedp.ID("name"), "Carla Costa"),
		chromedp.SendKeys(chromedp.ID("email"), "carla@acme.test"),
		chromedp.SendKeys(chromedp.ID("password"), "senha-segura-9"),
		chromedp.SetValue(chromedp.ID("language"), "en"),
		chromedp.Click(chromedp.ID("create-agent")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(t, ctx, ".flash"); got != "Agente criado." {
		t.Fatalf("flash %q", got)
	}
	if got := text(t, ctx, "#agents tbody"); !strings.Contains(got, "Carla Costa") || !strings.Contains(got, "carla@acme.test") {
		t.Fatalf("agent list %q", got)
	}

	// Create a team and add the agent.
	run(t, ctx, "create team", chromedp.Click(chromedp.CSS(`.admin-nav a[href="/admin/teams"]`)), chromedp.WaitVisible(chromedp.ID("create-team")),
		chromedp.SendKeys(chromedp.ID("team-name"), "Suporte Nível 2"),
		chromedp.Click(chromedp.ID("create-team")),
		chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := text(t, ctx, ".flash"); got != "Equipe criada." {
		t.Fatalf("flash %q", got)
	}
	team := `[...document.querySelectorAll("article.team")].find(a => a.querySelector("h3").textContent.trim() === "Suporte Nível 2")`
	teamID := eval[string](t, ctx, `(() => {
		const a = `+team+`;
		const sel = a.querySelector("select[name=agent_id]");
		const o = [...sel.options].find(o => o.text.startsWith("Carla Costa"));
		if (!o) return "";
		sel.value = o.value;
		return a.id;
	})()`)
	if teamID == "" {
		t.Fatal("no add-member choice for the new agent")
	}
	run(t, ctx, "add member", chromedp.Click(chromedp.CSS("#"+teamID+" button.add-member")),
		chromedp.WaitVisible(chromedp.CSS("#"+teamID+" .members")))
	if got := text(t, ctx, "#"+teamID+" .members"); !strings.Contains(got, "Carla Costa") {
		t.Fatalf("team members %q", got)
	}
	screenshot(t, ctx, "admin-teams-pt-BR")
	if got := text(t, ctx, ".flash"); got != "Agente adicionado à equipe." {
		t.Fatalf("flash %q", got)
	}

	// Create an API token: shown once.
	run(t, ctx, "create token", chromedp.Click(chromedp.CSS(`.admin-nav a[href="/admin/tokens"]`)), chromedp.WaitVisible(chromedp.ID("create-token")),
		chromedp.SendKeys(chromedp.ID("token-name"), "Integração ERP"),
		chromedp.Click(chromedp.ID("create-token")),
		chromedp.WaitVisible(chromedp.ID("new-token")))
	tok := eval[string](t, ctx, `document.getElementById("new-token").value`)
	if !strings.HasPrefix(tok, "atd_") || len(tok) < 20 {
		t.Fatalf("token shown %q", tok)
	}
	if got := text(t, ctx, "#tokens tbody"); !strings.Contains(got, "Integração ERP") {
		t.Fatalf("token list %q", got)
	}
	// The copy button puts the token on the clipboard and says so.
	run(t, ctx, "copy token", chromedp.Click(chromedp.CSS(`button[data-copy="new-token"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("new-token-status").textContent !== ""`,
		chromedp.WithPollingTimeout(3*time.Second))); err != nil {
		t.Fatalf("copy button did nothing: %v", err)
	}
	if got := text(t, ctx, "#new-token-status"); got != "Copiado para a área de transferência." {
		t.Fatalf("copy status %q", got)
	}
	screenshot(t, ctx, "admin-token-created-pt-BR")
	run(t, ctx, "reload tokens", chromedp.Navigate(e.srv.URL+"/admin/tokens"), chromedp.WaitVisible(chromedp.ID("tokens")))
	if eval[bool](t, ctx, `!!document.getElementById("new-token") || document.documentElement.outerHTML.includes(`+jsString(tok)+`)`) {
		t.Fatal("token shown again after reload")
	}
	if got := text(t, ctx, "#tokens tbody"); !strings.Contains(got, "Integração ERP") {
		t.Fatalf("token list after reload %q", got)
	}
	run(t, ctx, "revoke token", chromedp.Click(chromedp.CSS("#tokens button.revoke")), chromedp.WaitVisible(chromedp.ID("tokens-empty")))
	if got := text(t, ctx, ".flash"); got != "Token de API revogado." {
		t.Fatalf("flash %q", got)
	}

	// The unread notice shows on the nav badge until marked read.
	if got := text(t, ctx, `a[href="/admin"] .badge [aria-hidden]`); got != "1" {
		t.Fatalf("nav badge %q", got)
	}
	run(t, ctx, "notices", chromedp.Click(chromedp.CSS(`.admin-nav a[href="/admin/notices"]`)), chromedp.WaitVisible(chromedp.CSS(".notice-item.unread")))
	if got := text(t, ctx, ".notice-item .code"); got != "583920174" {
		t.Fatalf("notice code %q", got)
	}
	screenshot(t, ctx, "admin-notices-pt-BR")
	run(t, ctx, "mark read", chromedp.Click(chromedp.CSS(".notice-item button")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if eval[bool](t, ctx, `!!document.querySelector('a[href="/admin"] .badge') || !!document.querySelector(".notice-item.unread")`) {
		t.Fatal("notice still unread after mark as read")
	}

	run(t, ctx, "agents page", chromedp.Navigate(e.srv.URL+"/admin/agents"), chromedp.WaitVisible(chromedp.ID("agents")))
	screenshot(t, ctx, "admin-agents-pt-BR")
	if bad, n := reqs.external(); len(bad) > 0 || n == 0 {
		t.Fatalf("requests outside loopback: %v (of %d)", bad, n)
	}
}

// jsString quotes s as a JavaScript string literal (tokens are URL-safe).
func jsString(s string) string { return `"` + s + `"` }
