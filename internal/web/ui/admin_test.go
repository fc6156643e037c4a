package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// adminEnv is two companies (acme, outra) with an admin logged in at acme
// and an agent client logged in at acme.
type adminEnv struct {
	e            *env
	acme, outra  *company
	admin, agent *client
}

func newAdminEnv(t *testing.T, lang string) *adminEnv {
	t.Helper()
	e := newEnv(t)
	a := &adminEnv{e: e}
	a.acme = e.company(t, "acme", lang)
	a.outra = e.company(t, "outra", lang)
	accept := map[string]string{"pt-BR": "pt-BR,pt;q=0.9", "en": "en-US,en;q=0.9"}[lang]
	a.admin = e.client(t, accept)
	wantRedirect(t, a.admin.login("acme", "admin@acme.test", adminPassword), "/inbox")
	a.agent = e.client(t, accept)
	wantRedirect(t, a.agent.login("acme", "bruno@acme.test", adminPassword), "/inbox")
	return a
}

var adminLangs = []struct {
	name, lang, forbidden, required, email, lastAdmin, exists string
}{
	{"pt-BR", "pt-BR", "Esta página é só para administradores.", "Campo obrigatório.", "Informe um endereço de e-mail",
		"A empresa precisa de pelo menos um administrador ativo.", "Já existe um agente com este e-mail."},
	{"en", "en", "This page is for admins only.", "This field is required.", "Enter an email address",
		"The company needs at least one active admin.", "An agent with this email already exists."},
}

// TestAdminForbiddenForAgents: every admin page and action answers an
// agent with a translated 403 and changes nothing.
func TestAdminForbiddenForAgents(t *testing.T) {
	for _, tc := range adminLangs {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdminEnv(t, tc.lang)
			for _, path := range []string{"/admin", "/admin/agents", fmt.Sprintf("/admin/agents/%d", a.acme.admin.ID), "/admin/teams",
				"/admin/tokens", "/admin/webhooks", "/admin/notices"} {
				p := a.agent.get(path)
				wantStatus(t, p, http.StatusForbidden)
				wantContains(t, p, tc.forbidden)
				noMissing(t, p)
			}
			posts := map[string]url.Values{
				"/admin/agents": {"name": {"Intrusa"}, "email": {"intrusa@acme.test"}, "role": {"admin"}, "password": {"senha-segura-9"}},
				fmt.Sprintf("/admin/agents/%d", a.acme.agent.ID): {"name": {"Bruno"}, "role": {"admin"}, "language": {"en"}},
				"/admin/teams": {"name": {"Intrusos"}},
				fmt.Sprintf("/admin/teams/%d/members", a.acme.team.ID): {"agent_id": {fmt.Sprint(a.acme.agent.ID)}},
				"/admin/tokens":   {"name": {"roubado"}},
				"/admin/webhooks": {"url": {"https://evil.example.com/"}, "events": {"ticket.created"}},
			}
			for path, form := range posts {
				p := a.agent.post("/inbox", path, form)
				wantStatus(t, p, http.StatusForbidden)
				wantContains(t, p, tc.forbidden)
			}
			as, err := a.e.dir.ListAgents(ctx, a.acme.co.ID)
			must(t, err)
			ts, err := a.e.dir.ListTeams(ctx, a.acme.co.ID)
			must(t, err)
			toks, err := a.e.auth.ListAPITokens(ctx, a.acme.co.ID)
			must(t, err)
			hooks, err := a.e.st.ListWebhooks(ctx, a.acme.co.ID)
			must(t, err)
			ag, err := a.e.dir.GetAgent(ctx, a.acme.co.ID, a.acme.agent.ID)
			must(t, err)
			if len(as) != 2 || len(ts) != 1 || len(toks) != 0 || len(hooks) != 0 || ag.Role != model.RoleAgent {
				t.Fatalf("an agent changed admin data: %d agents, %d teams, %d tokens, %d webhooks, role %s", len(as), len(ts), len(toks), len(hooks), ag.Role)
			}
			// The nav of an agent has no admin link.
			if p := a.agent.get("/inbox"); strings.Contains(p.body, `href="/admin"`) {
				t.Fatal("agent sees the admin link")
			}
		})
	}
}

func TestAdminCSRF(t *testing.T) {
	a := newAdminEnv(t, "pt-BR")
	for _, path := range []string{"/admin/agents", "/admin/teams", "/admin/tokens", "/admin/webhooks"} {
		p := a.admin.do("POST", path, url.Values{"name": {"Sem token"}, "email": {"x@acme.test"}, "password": {"senha-segura-9"},
			"role": {"agent"}, "url": {"https://example.com/"}, "events": {"ticket.created"}, "csrf_token": {"forjado"}})
		wantStatus(t, p, http.StatusForbidden)
	}
	as, _ := a.e.dir.ListAgents(ctx, a.acme.co.ID)
	ts, _ := a.e.dir.ListTeams(ctx, a.acme.co.ID)
	if len(as) != 2 || len(ts) != 1 {
		t.Fatalf("forged posts created things: %d agents, %d teams", len(as), len(ts))
	}
}

func TestAdminAgents(t *testing.T) {
	for _, tc := range adminLangs {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdminEnv(t, tc.lang)
			wantRedirect(t, a.admin.get("/admin"), "/admin/agents")
			p := a.admin.get("/admin/agents")
			wantStatus(t, p, http.StatusOK)
			wantContains(t, p, "Ana Admin", "bruno@acme.test")
			noMissing(t, p)
			if strings.Contains(p.body, "outra.test") {
				t.Fatal("another company's agents listed")
			}

			// Field errors next to each input, the values kept (not the password).
			p = a.admin.post("/admin/agents", "/admin/agents", url.Values{"name": {""}, "email": {"não-é-email"}, "role": {"agent"},
				"language": {"en"}, "password": {"curta"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="name-err">`+tc.required, `id="email-err">`+tc.email, `id="password-err"`, `value="não-é-email"`)
			if strings.Contains(p.body, `value="curta"`) {
				t.Fatal("password echoed back")
			}
			noMissing(t, p)
			p = a.admin.post("/admin/agents", "/admin/agents", url.Values{"name": {"Sem Senha"}, "email": {"sem@acme.test"}, "role": {"agent"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="password-err">`+tc.required)
			p = a.admin.post("/admin/agents", "/admin/agents", url.Values{"name": {"Outro Bruno"}, "email": {"BRUNO@acme.test"},
				"role": {"agent"}, "password": {"senha-segura-9"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="email-err">`+tc.exists)

			// Success.
			p = a.admin.post("/admin/agents", "/admin/agents", url.Values{"name": {"Carla Costa"}, "email": {"carla@acme.test"},
				"role": {"admin"}, "language": {"en"}, "password": {"senha-segura-9"}})
			wantRedirect(t, p, "/admin/agents?ok=agent_created")
			as, err := a.e.dir.ListAgents(ctx, a.acme.co.ID)
			must(t, err)
			var carla *model.Agent
			for i := range as {
				if as[i].Email == "carla@acme.test" {
					carla = &as[i]
				}
			}
			if carla == nil || carla.Role != model.RoleAdmin || carla.Language != "en" || carla.Name != "Carla Costa" {
				t.Fatalf("created agent %+v", carla)
			}
			wantContains(t, a.admin.get("/admin/agents?ok=agent_created"), "Carla Costa", "carla@acme.test")
			// The new agent can log in with the initial password.
			cc := a.e.client(t, "")
			wantRedirect(t, cc.login("acme", "carla@acme.test", "senha-segura-9"), "/inbox")

			// Edit: name, language, personal signature.
			edit := fmt.Sprintf("/admin/agents/%d", a.acme.agent.ID)
			p = a.admin.get(edit)
			wantStatus(t, p, http.StatusOK)
			wantContains(t, p, `value="Bruno Agente"`)
			noMissing(t, p)
			p = a.admin.post(edit, edit, url.Values{"name": {"Bruno Silva"}, "role": {"agent"}, "language": {"en"},
				"signature": {"Bruno · Suporte"}})
			wantRedirect(t, p, edit+"?ok=agent_saved")
			ag, err := a.e.dir.GetAgent(ctx, a.acme.co.ID, a.acme.agent.ID)
			must(t, err)
			if ag.Name != "Bruno Silva" || ag.Language != "en" || ag.Signature != "Bruno · Suporte" || ag.Disabled {
				t.Fatalf("edited agent %+v", ag)
			}
			p = a.admin.post(edit, edit, url.Values{"name": {""}, "role": {"agent"}, "language": {"en"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="name-err">`+tc.required)

			// Disable: the agent's session ends.
			p = a.admin.post(edit, edit, url.Values{"name": {"Bruno Silva"}, "role": {"agent"}, "language": {"en"}, "disabled": {"on"}})
			wantRedirect(t, p, edit+"?ok=agent_saved")
			if ag, _ = a.e.dir.GetAgent(ctx, a.acme.co.ID, a.acme.agent.ID); !ag.Disabled {
				t.Fatal("agent not disabled")
			}
			wantRedirect(t, a.agent.get("/inbox"), "/login")

			// The last active admin: demote carla first is fine (Ana stays),
			// then Ana can be neither demoted nor disabled.
			cEdit := fmt.Sprintf("/admin/agents/%d", carla.ID)
			// Carla (an admin) demotes herself: back to the inbox, no admin pages.
			wantRedirect(t, cc.post(cEdit, cEdit, url.Values{"name": {"Carla Costa"}, "role": {"agent"}, "language": {"en"}}), "/inbox")
			wantStatus(t, cc.get("/admin/agents"), http.StatusForbidden)
			wantRedirect(t, a.admin.post(cEdit, cEdit, url.Values{"name": {"Carla Costa"}, "role": {"agent"}, "language": {"en"}}), cEdit)
			self := fmt.Sprintf("/admin/agents/%d", a.acme.admin.ID)
			p = a.admin.post(self, self, url.Values{"name": {"Ana Admin"}, "role": {"agent"}, "language": {tc.lang}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="role-err">`+tc.lastAdmin)
			p = a.admin.post(self, self, url.Values{"name": {"Ana Admin"}, "role": {"admin"}, "language": {tc.lang}, "disabled": {"on"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="disabled-err">`+tc.lastAdmin, `id="disabled" name="disabled" value="on" checked`)
			if ana, _ := a.e.dir.GetAgent(ctx, a.acme.co.ID, a.acme.admin.ID); ana.Role != model.RoleAdmin || ana.Disabled {
				t.Fatalf("last admin changed: %+v", ana)
			}

			// Another company's agent: 404 on view and edit, nothing changed.
			other := fmt.Sprintf("/admin/agents/%d", a.outra.agent.ID)
			wantStatus(t, a.admin.get(other), http.StatusNotFound)
			wantStatus(t, a.admin.post(self, other, url.Values{"name": {"Roubado"}, "role": {"admin"}, "language": {"en"}}), http.StatusNotFound)
			if o, _ := a.e.dir.GetAgent(ctx, a.outra.co.ID, a.outra.agent.ID); o.Name != "Bruno Agente" || o.Role != model.RoleAgent {
				t.Fatalf("other company's agent changed: %+v", o)
			}
			wantStatus(t, a.admin.get("/admin/agents/999999"), http.StatusNotFound)
		})
	}
}

func TestAdminTeams(t *testing.T) {
	a := newAdminEnv(t, "pt-BR")
	p := a.admin.get("/admin/teams")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "Financeiro", "Nenhum membro ainda.")
	noMissing(t, p)

	p = a.admin.post("/admin/teams", "/admin/teams", url.Values{"name": {"  "}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, `id="team-name-err">Campo obrigatório.`)
	p = a.admin.post("/admin/teams", "/admin/teams", url.Values{"name": {"Financeiro"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, `id="team-name-err">Já existe uma equipe com este nome.`)

	wantRedirect(t, a.admin.post("/admin/teams", "/admin/teams", url.Values{"name": {"Suporte Nível 2"}}), "/admin/teams?ok=team_created")
	ts, err := a.e.dir.ListTeams(ctx, a.acme.co.ID)
	must(t, err)
	var n2 *model.Team
	for i := range ts {
		if ts[i].Name == "Suporte Nível 2" {
			n2 = &ts[i]
		}
	}
	if n2 == nil {
		t.Fatalf("team not created: %+v", ts)
	}

	add := fmt.Sprintf("/admin/teams/%d/members", n2.ID)
	p = a.admin.post("/admin/teams", add, url.Values{"agent_id": {""}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, fmt.Sprintf(`id="add-%d-err">Campo obrigatório.`, n2.ID))
	wantRedirect(t, a.admin.post("/admin/teams", add, url.Values{"agent_id": {fmt.Sprint(a.acme.agent.ID)}}), "/admin/teams?ok=member_added")
	_, members, err := a.e.dir.GetTeam(ctx, a.acme.co.ID, n2.ID)
	must(t, err)
	if len(members) != 1 || members[0].ID != a.acme.agent.ID {
		t.Fatalf("members %+v", members)
	}
	p = a.admin.get("/admin/teams?ok=member_added")
	wantContains(t, p, "Agente adicionado à equipe.", fmt.Sprintf(`action="/admin/teams/%d/members/%d/remove"`, n2.ID, a.acme.agent.ID))

	// Another company's agent or team: 404, nothing added.
	wantStatus(t, a.admin.post("/admin/teams", add, url.Values{"agent_id": {fmt.Sprint(a.outra.agent.ID)}}), http.StatusNotFound)
	otherAdd := fmt.Sprintf("/admin/teams/%d/members", a.outra.team.ID)
	wantStatus(t, a.admin.post("/admin/teams", otherAdd, url.Values{"agent_id": {fmt.Sprint(a.acme.agent.ID)}}), http.StatusNotFound)
	otherRemove := fmt.Sprintf("/admin/teams/%d/members/%d/remove", a.outra.team.ID, a.outra.agent.ID)
	must(t, a.e.dir.AddMember(ctx, a.outra.co.ID, a.outra.team.ID, a.outra.agent.ID))
	wantStatus(t, a.admin.post("/admin/teams", otherRemove, url.Values{}), http.StatusNotFound)
	if _, m, _ := a.e.dir.GetTeam(ctx, a.outra.co.ID, a.outra.team.ID); len(m) != 1 {
		t.Fatalf("other company's team members changed: %+v", m)
	}

	remove := fmt.Sprintf("/admin/teams/%d/members/%d/remove", n2.ID, a.acme.agent.ID)
	wantRedirect(t, a.admin.post("/admin/teams", remove, url.Values{}), "/admin/teams?ok=member_removed")
	if _, m, _ := a.e.dir.GetTeam(ctx, a.acme.co.ID, n2.ID); len(m) != 0 {
		t.Fatalf("member not removed: %+v", m)
	}
}

var tokenRE = regexp.MustCompile(`value="(atd_[^"]+)"`)

func TestAdminTokens(t *testing.T) {
	for _, tc := range []struct{ name, lang, once, nameErr, never string }{
		{"pt-BR", "pt-BR", "Copie o token agora", "Informe um nome de até 100 caracteres.", "Nunca usado"},
		{"en", "en", "Copy the token now", "Enter a name of at most 100 characters.", "Never used"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdminEnv(t, tc.lang)
			p := a.admin.post("/admin/tokens", "/admin/tokens", url.Values{"name": {""}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, `id="token-name-err">`+tc.nameErr)
			noMissing(t, p)

			p = a.admin.post("/admin/tokens", "/admin/tokens", url.Values{"name": {"Integração ERP"}})
			wantStatus(t, p, http.StatusCreated)
			wantContains(t, p, tc.once, "Integração ERP", tc.never)
			noMissing(t, p)
			m := tokenRE.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("token not shown:\n%s", p.body)
			}
			raw := m[1]
			// The token works on the API.
			req, _ := http.NewRequest("GET", a.e.srv.URL+"/api/v1/tickets", nil)
			req.Header.Set("Authorization", "Bearer "+raw)
			res, err := http.DefaultClient.Do(req)
			must(t, err)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("new token: API answered %d", res.StatusCode)
			}
			// Shown once: the list has its name and last use, not the token.
			p = a.admin.get("/admin/tokens")
			wantContains(t, p, "Integração ERP")
			if strings.Contains(p.body, raw) || strings.Contains(p.body, tc.never) {
				t.Fatalf("token shown again or last use missing:\n%s", p.body)
			}
			toks, err := a.e.auth.ListAPITokens(ctx, a.acme.co.ID)
			must(t, err)
			if len(toks) != 1 {
				t.Fatalf("tokens %+v", toks)
			}

			// Another company's token: 404, still valid.
			other, _, err := a.e.auth.CreateAPIToken(ctx, &auth.Principal{CompanyID: a.outra.co.ID, AgentID: a.outra.admin.ID, Role: model.RoleAdmin}, "outra")
			must(t, err)
			otoks, _ := a.e.auth.ListAPITokens(ctx, a.outra.co.ID)
			wantStatus(t, a.admin.post("/admin/tokens", fmt.Sprintf("/admin/tokens/%d/revoke", otoks[0].ID), url.Values{}), http.StatusNotFound)
			if _, err := a.e.auth.Bearer(ctx, other); err != nil {
				t.Fatalf("other company's token revoked: %v", err)
			}

			wantRedirect(t, a.admin.post("/admin/tokens", fmt.Sprintf("/admin/tokens/%d/revoke", toks[0].ID), url.Values{}), "/admin/tokens?ok=token_revoked")
			p = a.admin.get("/admin/tokens?ok=token_revoked")
			wantContains(t, p, `id="tokens-empty"`)
			if strings.Contains(p.body, "Integração ERP") {
				t.Fatal("revoked token still listed")
			}
			res, err = http.DefaultClient.Do(req)
			must(t, err)
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("revoked token: API answered %d", res.StatusCode)
			}
		})
	}
}

func TestAdminWebhooks(t *testing.T) {
	a := newAdminEnv(t, "en")
	p := a.admin.post("/admin/webhooks", "/admin/webhooks", url.Values{"url": {"ftp://example.com/x"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, `id="hook-url-err">Enter a full http(s) address`, `id="events-err">Choose at least one event`)
	noMissing(t, p)
	p = a.admin.post("/admin/webhooks", "/admin/webhooks", url.Values{"url": {"https://example.com/hook"}, "events": {"ticket.created", "ticket.deleted"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, `id="events-err">Choose at least one event`, `value="ticket.created" checked`)

	p = a.admin.post("/admin/webhooks", "/admin/webhooks", url.Values{"url": {"https://example.com/hook"}, "events": {"message.received", "ticket.created"}})
	wantStatus(t, p, http.StatusCreated)
	wantContains(t, p, "Copy the signing secret now", "https://example.com/hook")
	noMissing(t, p)
	hooks, err := a.e.st.ListWebhooks(ctx, a.acme.co.ID)
	must(t, err)
	if len(hooks) != 1 || hooks[0].URL != "https://example.com/hook" || strings.Join(hooks[0].Events, ",") != "message.received,ticket.created" {
		t.Fatalf("webhooks %+v", hooks)
	}
	if !strings.HasPrefix(hooks[0].Secret, "whsec_") || !strings.Contains(p.body, `value="`+hooks[0].Secret+`"`) {
		t.Fatal("signing secret not shown")
	}
	p = a.admin.get("/admin/webhooks")
	wantContains(t, p, "https://example.com/hook", "<code>message.received</code>")
	if strings.Contains(p.body, hooks[0].Secret) {
		t.Fatal("secret shown twice")
	}

	other := &store.Webhook{CompanyID: a.outra.co.ID, URL: "https://outra.example.com/", Secret: "whsec_x", Events: []string{"ticket.created"}, Enabled: true}
	must(t, a.e.st.CreateWebhook(ctx, other))
	wantStatus(t, a.admin.post("/admin/webhooks", fmt.Sprintf("/admin/webhooks/%d/delete", other.ID), url.Values{}), http.StatusNotFound)
	if _, err := a.e.st.GetWebhook(ctx, a.outra.co.ID, other.ID); err != nil {
		t.Fatalf("other company's webhook deleted: %v", err)
	}
	wantRedirect(t, a.admin.post("/admin/webhooks", fmt.Sprintf("/admin/webhooks/%d/delete", hooks[0].ID), url.Values{}), "/admin/webhooks?ok=webhook_deleted")
	if hs, _ := a.e.st.ListWebhooks(ctx, a.acme.co.ID); len(hs) != 0 {
		t.Fatalf("webhook not deleted: %+v", hs)
	}
}

var badgeRE = regexp.MustCompile(`href="/admin">[^<]*<span class="badge"[^>]*><span aria-hidden="true">(\d+)</span>`)

func TestAdminNotices(t *testing.T) {
	for _, tc := range []struct{ name, lang, title, mark, empty string }{
		{"pt-BR", "pt-BR", "Confirmação de encaminhamento", "Marcar como lido", "Nenhum aviso."},
		{"en", "en", "Forwarding confirmation", "Mark as read", "No notices."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdminEnv(t, tc.lang)
			p := a.admin.get("/admin/notices")
			wantStatus(t, p, http.StatusOK)
			wantContains(t, p, tc.empty)
			if badgeRE.MatchString(p.body) {
				t.Fatal("badge without notices")
			}
			now := time.Now().UTC()
			fwd := &store.Notice{CompanyID: a.acme.co.ID, ChannelID: a.acme.ch.ID, Kind: store.NoticeForwardingConfirmation,
				Title: "Gmail Forwarding Confirmation", Body: "Código de confirmação: 123456789", Code: "123456789",
				Link: "https://mail.google.com/mail/vf-abc", CreatedAt: now}
			must(t, a.e.st.CreateNotice(ctx, fwd))
			rec := &store.Notice{CompanyID: a.acme.co.ID, ChannelID: a.acme.ch.ID, Kind: store.NoticeReconnect, Title: "OAuth", CreatedAt: now}
			must(t, a.e.st.CreateNotice(ctx, rec))
			hostile := &store.Notice{CompanyID: a.acme.co.ID, Kind: store.NoticeForwardingConfirmation, Code: "x1", Link: "javascript:alert(1)", CreatedAt: now}
			must(t, a.e.st.CreateNotice(ctx, hostile))
			other := &store.Notice{CompanyID: a.outra.co.ID, Kind: store.NoticeReconnect, Title: "Outra empresa", CreatedAt: now}
			must(t, a.e.st.CreateNotice(ctx, other))

			p = a.admin.get("/inbox")
			if m := badgeRE.FindStringSubmatch(p.body); m == nil || m[1] != "3" {
				t.Fatalf("nav badge %v, want 3", m)
			}
			if strings.Contains(a.agent.get("/inbox").body, `class="badge" title=`) {
				t.Fatal("agent sees the admin badge")
			}
			p = a.admin.get("/admin/notices")
			wantContains(t, p, tc.title, "123456789", `href="https://mail.google.com/mail/vf-abc"`, " · Suporte", tc.mark)
			noMissing(t, p)
			if strings.Contains(p.body, `href="javascript:`) || strings.Contains(p.body, "Outra empresa") {
				t.Fatal("unsafe link or another company's notice shown")
			}

			wantStatus(t, a.admin.post("/admin/notices", fmt.Sprintf("/admin/notices/%d/read", other.ID), url.Values{}), http.StatusNotFound)
			if n, _ := a.e.st.CountUnreadNotices(ctx, a.outra.co.ID); n != 1 {
				t.Fatal("other company's notice marked read")
			}
			wantRedirect(t, a.admin.post("/admin/notices", fmt.Sprintf("/admin/notices/%d/read", fwd.ID), url.Values{}), "/admin/notices?ok=notice_read")
			if n, _ := a.e.st.CountUnreadNotices(ctx, a.acme.co.ID); n != 2 {
				t.Fatalf("unread %d, want 2", n)
			}
			p = a.admin.get("/admin/notices")
			if m := badgeRE.FindStringSubmatch(p.body); m == nil || m[1] != "2" {
				t.Fatalf("nav badge %v, want 2", m)
			}
			if strings.Contains(p.body, fmt.Sprintf(`action="/admin/notices/%d/read"`, fwd.ID)) {
				t.Fatal("read notice still offers mark-as-read")
			}
		})
	}
}
