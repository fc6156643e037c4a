package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

var missingKey = regexp.MustCompile(`![a-z_]+\.[a-z_]+`)

func noMissing(t *testing.T, p page) {
	t.Helper()
	if m := missingKey.FindString(p.body); m != "" {
		t.Fatalf("untranslated key %s in page", m)
	}
}

func TestSetupFlow(t *testing.T) {
	cases := []struct {
		name, lang                                  string
		required, slugErr, passErr, done, wrongPass string
	}{
		{"pt-BR", "pt-BR,pt;q=0.9", "Campo obrigatório.", "Use de 1 a 63 letras minúsculas", "A senha precisa ter pelo menos 10 caracteres.",
			"Empresa criada.", "E-mail, senha ou empresa incorretos."},
		{"en", "en-US,en;q=0.9", "This field is required.", "Use 1 to 63 lowercase letters", "The password must have at least 10 characters.",
			"Company created.", "Wrong email, password or company."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(t, tc.lang)
			wantRedirect(t, c.get("/"), "/setup")
			wantRedirect(t, c.get("/login"), "/setup")
			p := c.get("/setup")
			wantStatus(t, p, http.StatusOK)
			noMissing(t, p)
			if !strings.Contains(p.header.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Fatalf("page CSP %q", p.header.Get("Content-Security-Policy"))
			}

			// No form token: refused, nothing created.
			bad := c.do("POST", "/setup", url.Values{"company_name": {"ACME"}, "company_slug": {"acme"}, "admin_name": {"Ana"},
				"admin_email": {"ana@acme.test"}, "admin_password": {"senha-segura-1"}, "csrf_token": {"forged"}})
			wantStatus(t, bad, http.StatusForbidden)
			if need, _ := e.dir.NeedsSetup(ctx); !need {
				t.Fatal("setup ran without a valid form token")
			}

			p = c.post("/setup", "/setup", url.Values{"company_name": {""}, "company_slug": {"Not A Slug"}, "admin_name": {"Ana"},
				"admin_email": {"ana@acme.test"}, "admin_password": {"curta"}})
			wantStatus(t, p, http.StatusUnprocessableEntity)
			wantContains(t, p, tc.required, tc.slugErr, tc.passErr, `value="Ana"`)
			noMissing(t, p)

			p = c.post("/setup", "/setup", url.Values{"company_name": {"ACME Ltda"}, "company_slug": {"acme"}, "admin_name": {"Ana"},
				"admin_email": {"ana@acme.test"}, "admin_password": {"senha-segura-1"}})
			wantRedirect(t, p, "/login?setup=done")
			wantRedirect(t, c.get("/setup"), "/login")
			p = c.get(p.header.Get("Location"))
			wantStatus(t, p, http.StatusOK)
			wantContains(t, p, tc.done, `value="acme"`, `value="ana@acme.test"`)

			p = c.login("acme", "ana@acme.test", "wrong password")
			wantStatus(t, p, http.StatusUnauthorized)
			wantContains(t, p, tc.wrongPass)

			wantRedirect(t, c.login("acme", "ana@acme.test", "senha-segura-1"), "/inbox")
			p = c.get("/inbox")
			wantStatus(t, p, http.StatusOK)
			wantContains(t, p, `id="inbox-empty"`)
			noMissing(t, p)
		})
	}
}

func TestLoginLockout(t *testing.T) {
	for _, tc := range []struct{ name, lang, want string }{
		{"pt-BR", "", "Muitas tentativas sem sucesso. Por segurança, espere até "},
		{"en", "en", "Too many failed attempts. For your security, wait until "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			co := e.company(t, "acme", "")
			c := e.client(t, tc.lang)
			for i := 0; i < 3; i++ {
				wantStatus(t, c.login("acme", co.admin.Email, "nope nope nope"), http.StatusUnauthorized)
			}
			p := c.login("acme", co.admin.Email, adminPassword) // right password, still locked
			wantStatus(t, p, http.StatusTooManyRequests)
			wantContains(t, p, tc.want, " UTC (")
			p = c.login("acme", co.admin.Email, "")
			wantStatus(t, p, http.StatusUnprocessableEntity)
		})
	}
}

func TestPagesNeedSession(t *testing.T) {
	e := newEnv(t)
	e.company(t, "acme", "")
	c := e.client(t, "")
	wantRedirect(t, c.get("/inbox?status=open"), "/login?next=%2Finbox%3Fstatus%3Dopen")
	wantStatus(t, c.get("/inbox/list"), http.StatusUnauthorized)
	wantStatus(t, c.get("/tickets/1/messages/1/body"), http.StatusUnauthorized)
	wantStatus(t, c.get("/api/v1/me"), http.StatusUnauthorized) // the API still answers its own paths
	wantStatus(t, c.get("/healthz"), http.StatusOK)
	if p := c.get("/oauth/callback"); strings.Contains(p.body, "Página não encontrada") {
		t.Fatalf("/oauth/callback answered by the UI: %d %s", p.status, p.body)
	}
	wantStatus(t, c.get("/nope"), http.StatusNotFound)
	p := c.get("/static/app.js")
	wantStatus(t, p, http.StatusOK)
	wantContains(t, p, "EventSource")
}

// htmlMail is an HTML message with a remote image and a quoted history.
func htmlMail(from, subject, msgID string, extraHeaders string) []byte {
	return []byte("From: " + from + "\r\nTo: suporte@acme.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + msgID + ">\r\n" + extraHeaders +
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Meu boleto venceu.\r\n\r\nEm 1 de junho, Suporte escreveu:\r\n> Segue o boleto.\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<p>Meu boleto venceu.</p><img src="http://tracker.example.net/pixel.gif" alt="logo"><blockquote>Segue o boleto.</blockquote>` +
		"\r\n--b--\r\n")
}

func TestTicketView(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	e.deliver(t, co.ch, htmlMail("Cliente <cliente@example.com>", "Boleto vencido", "m1@example.com",
		"Authentication-Results: "+authServID+"; dmarc=fail header.from=example.com\r\n"))
	page, err := e.tickets.List(ctx, ticket.Actor{CompanyID: co.co.ID, Admin: true}, ticket.Filter{})
	must(t, err)
	if len(page.Tickets) != 1 {
		t.Fatalf("%d tickets", len(page.Tickets))
	}
	tk := page.Tickets[0]
	d, err := e.tickets.Get(ctx, ticket.Actor{CompanyID: co.co.ID, Admin: true}, tk.ID)
	must(t, err)
	msg := d.Messages[0]

	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	p := c.get("/inbox")
	wantContains(t, p, "Boleto vencido", "cliente@example.com", fmt.Sprintf(`href="/tickets/%d"`, tk.ID))
	list := c.get("/inbox/list?q=boleto")
	wantStatus(t, list, http.StatusOK)
	if strings.Contains(list.body, "<html") || !strings.Contains(list.body, "Boleto vencido") {
		t.Fatalf("list fragment:\n%s", list.body)
	}
	if l := c.get("/inbox/list?status=closed"); strings.Contains(l.body, "Boleto vencido") {
		t.Fatal("status filter ignored")
	}

	tp := fmt.Sprintf("/tickets/%d", tk.ID)
	p = c.get(tp)
	wantStatus(t, p, http.StatusOK)
	noMissing(t, p)
	wantContains(t, p, "o remetente não passou na verificação de autenticidade (DMARC)", "Exibir imagens", "Mostrar texto citado",
		`sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"`)
	if strings.Contains(p.body, "allow-scripts") || strings.Contains(p.body, "tracker.example.net") {
		t.Fatal("ticket page allows scripts in the frame or leaks the remote image URL")
	}

	body := c.get(fmt.Sprintf("%s/messages/%d/body", tp, msg.ID))
	wantStatus(t, body, http.StatusOK)
	if got := body.header.Get("Content-Security-Policy"); got != ui.FrameCSP {
		t.Fatalf("frame CSP %q", got)
	}
	wantContains(t, body, `data-remote-src="http://tracker.example.net/pixel.gif"`, `src=""`)
	img := c.get(fmt.Sprintf("%s/messages/%d/body?images=1", tp, msg.ID))
	wantContains(t, img, `src="http://tracker.example.net/pixel.gif"`)
	if !strings.Contains(img.header.Get("Content-Security-Policy"), "img-src 'self' data: http: https:") {
		t.Fatalf("images CSP %q", img.header.Get("Content-Security-Policy"))
	}
	wantStatus(t, c.get(fmt.Sprintf("%s/messages/%d/body", tp, msg.ID+100)), http.StatusNotFound)

	// Another company's admin sees neither the ticket nor its body.
	other := e.company(t, "beta", "")
	c2 := e.client(t, "")
	wantRedirect(t, c2.login("beta", other.admin.Email, adminPassword), "/inbox")
	wantStatus(t, c2.get(tp), http.StatusNotFound)
	wantStatus(t, c2.get(fmt.Sprintf("%s/messages/%d/body", tp, msg.ID)), http.StatusNotFound)

	// An agent outside the ticket's team gets what a missing ticket gets
	// (issue #13, item 14: 403 told that the ticket exists). (A ticket of
	// no team and no assignee is every agent's: issue 15, item 6.)
	routed, err := e.st.GetTicket(ctx, co.co.ID, tk.ID)
	must(t, err)
	routed.TeamID = co.team.ID
	must(t, e.st.UpdateTicket(ctx, routed))
	c3 := e.client(t, "en")
	wantRedirect(t, c3.login("acme", co.agent.Email, adminPassword), "/inbox")
	p = c3.get(tp)
	missing := c3.get("/tickets/999999")
	wantStatus(t, p, http.StatusNotFound)
	wantContains(t, p, "Página não encontrada.") // the agent's language (pt-BR) wins over Accept-Language
	if p.body != missing.body {
		t.Fatalf("not my team:\n%s\nmissing:\n%s", p.body, missing.body)
	}
}

func TestTicketActions(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "en")
	e.deliver(t, co.ch, plainMail("cliente@example.com", "Pedido 42", "p42@example.com", "Onde está meu pedido?"))
	admin := ticket.Actor{CompanyID: co.co.ID, Admin: true}
	pg, err := e.tickets.List(ctx, admin, ticket.Filter{})
	must(t, err)
	tk := pg.Tickets[0]
	tp := fmt.Sprintf("/tickets/%d", tk.ID)
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")

	// Forms without the session's CSRF token are refused.
	p := c.do("POST", tp+"/notes", url.Values{"note": {"sem token"}})
	wantStatus(t, p, http.StatusForbidden)
	wantContains(t, p, "Your form session expired.")

	cases := []struct {
		name, path string
		form       url.Values
		status     int
		want       []string
	}{
		{"empty note", "/notes", url.Values{"note": {"  "}}, http.StatusUnprocessableEntity, []string{"This field is required."}},
		{"note", "/notes", url.Values{"note": {"Cliente VIP, priorizar."}}, http.StatusSeeOther, nil},
		{"bad address", "/replies", url.Values{"to": {"not an address"}, "text": {"Olá"}}, http.StatusUnprocessableEntity,
			[]string{"Enter an email address such as", `value="not an address"`}},
		{"empty reply", "/replies", url.Values{"to": {"cliente@example.com"}, "text": {""}}, http.StatusUnprocessableEntity, []string{"This field is required."}},
		{"reply", "/replies", url.Values{"to": {""}, "cc": {"Gerente <gerente@example.com>"}, "text": {"Seu pedido sai amanhã."}},
			http.StatusSeeOther, nil},
		{"empty forward", "/forwards", url.Values{"fwd_to": {""}, "fwd_text": {"Veja abaixo."}}, http.StatusUnprocessableEntity,
			[]string{"This field is required.", "<details class=\"card composer forward\" open>"}},
		{"forward", "/forwards", url.Values{"fwd_to": {"logistica@parceiro.example"}, "fwd_text": {"Podem verificar?"}}, http.StatusSeeOther, nil},
		{"bad status", "/status", url.Values{"status": {"sleeping"}}, http.StatusUnprocessableEntity, []string{"Invalid status."}},
		{"status", "/status", url.Values{"status": {"pending"}}, http.StatusSeeOther, nil},
		{"bad assignee", "/assign", url.Values{"team": {"0"}, "assignee": {"99999"}}, http.StatusUnprocessableEntity, []string{"No such active agent."}},
		{"assign", "/assign", url.Values{"team": {fmt.Sprint(co.team.ID)}, "assignee": {fmt.Sprint(co.agent.ID)}}, http.StatusSeeOther, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			p := c.post(tp, tp+tc.path, tc.form)
			wantStatus(t, p, tc.status)
			wantContains(t, p, tc.want...)
			noMissing(t, p)
		})
	}
	c.t = t
	d, err := e.tickets.Get(ctx, admin, tk.ID)
	must(t, err)
	if d.Ticket.Status != model.StatusPending || d.Ticket.TeamID != co.team.ID || d.Ticket.AssigneeID != co.agent.ID {
		t.Fatalf("ticket after actions: %+v", d.Ticket)
	}
	var notes, outs, fwds int
	var outID int64
	for _, m := range d.Messages {
		switch m.Direction {
		case model.DirNote:
			notes++
			if m.Text != "Cliente VIP, priorizar." {
				t.Fatalf("note %q", m.Text)
			}
		case model.DirOut:
			if m.To[0].Address == "logistica@parceiro.example" {
				fwds++
				continue
			}
			outs++
			outID = m.ID
			// An empty To is the service's default: the contact.
			if len(m.To) != 1 || m.To[0].Address != "cliente@example.com" || len(m.Cc) != 1 || m.Cc[0].Address != "gerente@example.com" ||
				m.Cc[0].Name != "Gerente" {
				t.Fatalf("reply to %+v cc %+v", m.To, m.Cc)
			}
		}
	}
	if notes != 1 || outs != 1 || fwds != 1 {
		t.Fatalf("%d notes, %d replies, %d forwards", notes, outs, fwds)
	}
	p = c.get(tp + "?ok=sent")
	wantContains(t, p, "Reply queued for sending.", "Internal note", "Cliente VIP, priorizar.", "Agent reply (Ana Admin)", `<dd class="msg-status">Queued</dd>`, "gerente@example.com",
		fmt.Sprintf(`id="m%d"`, outID))
	noMissing(t, p)
	wantContains(t, c.get(fmt.Sprintf("%s/messages/%d/body", tp, outID)), "Seu pedido sai amanhã.")
}

func TestLanguageSetting(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	c := e.client(t, "en") // the agent's pt-BR setting wins over the browser
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")
	wantContains(t, c.get("/inbox"), `<html lang="pt-BR">`, "Atendimentos")
	wantRedirect(t, c.post("/inbox", "/me/language", url.Values{"language": {"en"}}), "/inbox")
	p := c.get("/inbox")
	wantContains(t, p, `<html lang="en">`, "No tickets here.", `<option value="en" selected lang="en">`)
	noMissing(t, p)
	p = c.post("/inbox", "/me/language", url.Values{"language": {"fr"}})
	wantStatus(t, p, http.StatusUnprocessableEntity)
	wantContains(t, p, "Unsupported language: choose one of the languages in the list.")
	a, err := e.dir.GetAgent(ctx, co.co.ID, co.admin.ID)
	must(t, err)
	if a.Language != "en" {
		t.Fatalf("language %q", a.Language)
	}
}
