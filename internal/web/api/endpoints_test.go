package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

func principalOf(a *model.Agent) *auth.Principal {
	return &auth.Principal{CompanyID: a.CompanyID, AgentID: a.ID, Role: a.Role}
}

// call is one request of TestEndpoints.
type call struct {
	name   string
	route  string // "METHOD pattern" it exercises
	path   string
	tok    string
	body   any
	status int
	fields []string // expected field errors (422)
	check  func(t *testing.T, r resp)
}

// TestEndpoints exercises every route for success and, where it takes
// input, for field-level validation errors; a route of the table without
// a successful call here fails the test.
func TestEndpoints(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		adm, agt := a.adminTok, a.agentTok
		id := func(n int64) string { return fmt.Sprint(n) }
		var newAgentID, newTeamID, newChannelID, newTokenID, newHookID int64
		const imapPW = "app-pw-8c1d"
		imapHost, imapPort := startIMAP(t, "suporte@acme.test", imapPW, "Pedidos")
		calls := []call{
			{"setup status", "GET /api/v1/setup", "/api/v1/setup", "", nil, 200, nil, func(t *testing.T, r resp) {
				if string(r.body) != "{\"needs_setup\":false}\n" {
					t.Fatalf("body %s", r.body)
				}
			}},
			{"setup refused once done", "POST /api/v1/setup", "/api/v1/setup", "", map[string]any{"company": map[string]string{"slug": "new", "name": "N"},
				"admin": map[string]string{"email": "a@n.test", "name": "A", "password": "long password"}}, 409, nil, nil},
			{"setup validation", "", "/api/v1/setup", "", map[string]any{"company": map[string]string{"slug": "-"}, "admin": map[string]string{}}, 422,
				[]string{"company.slug", "company.name", "admin.email", "admin.name", "admin.password"}, nil},
			{"openapi", "GET /api/v1/openapi.json", "/api/v1/openapi.json", "", nil, 200, nil, nil},
			{"me", "GET /api/v1/me", "/api/v1/me", agt, nil, 200, nil, func(t *testing.T, r resp) {
				var me struct {
					Agent   struct{ ID int64 }
					TeamIDs []int64 `json:"team_ids"`
				}
				r.json(t, &me)
				if me.Agent.ID != a.agent.ID || len(me.TeamIDs) != 1 || me.TeamIDs[0] != a.team.ID || strings.Contains(string(r.body), "password_hash") {
					t.Fatalf("me %s", r.body)
				}
			}},
			{"patch me", "PATCH /api/v1/me", "/api/v1/me", agt, map[string]any{"signature": "Bia, N1", "language": "en"}, 200, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), `"signature":"Bia, N1"`) || !strings.Contains(string(r.body), `"role":"agent"`) {
					t.Fatalf("me %s", r.body)
				}
			}},
			{"patch me validation", "", "/api/v1/me", agt, map[string]any{"language": "fr", "name": ""}, 422, []string{"language", "name"}, nil},
			{"patch me password needs current", "", "/api/v1/me", agt, map[string]any{"password": "a new long password", "current_password": "wrong"}, 422, []string{"current_password"}, nil},
			{"patch me cannot change role", "", "/api/v1/me", agt, map[string]any{"role": "admin"}, 422, []string{"role"}, nil},
			// tokens
			{"create token", "POST /api/v1/tokens", "/api/v1/tokens", adm, map[string]any{"name": "zapier"}, 201, nil, func(t *testing.T, r resp) {
				var v struct {
					ID    int64
					Token string
				}
				r.json(t, &v)
				newTokenID = v.ID
				if !strings.HasPrefix(v.Token, "atd_") {
					t.Fatalf("token %s", r.body)
				}
				if r2 := e.do(t, "GET", "/api/v1/me", nil, bearer(v.Token)); r2.status != 200 {
					t.Fatalf("new token does not work: %d", r2.status)
				}
			}},
			{"token validation", "", "/api/v1/tokens", adm, map[string]any{"name": " "}, 422, []string{"name"}, nil},
			{"token unknown field", "", "/api/v1/tokens", adm, map[string]any{"nome": "x"}, 422, []string{"nome"}, nil},
			{"token bad json", "", "/api/v1/tokens", adm, "{", 400, nil, nil},
			{"list tokens", "GET /api/v1/tokens", "/api/v1/tokens", adm, nil, 200, nil, func(t *testing.T, r resp) {
				if strings.Contains(string(r.body), "atd_") || strings.Contains(string(r.body), "hash") {
					t.Fatalf("list leaks secrets: %s", r.body)
				}
				var l struct{ Items []json.RawMessage }
				r.json(t, &l)
				if len(l.Items) != 3 {
					t.Fatalf("tokens %s", r.body)
				}
			}},
			// agents
			{"create agent", "POST /api/v1/agents", "/api/v1/agents", adm, map[string]any{"email": "Carla@acme.test", "name": "Carla", "role": "agent", "language": "en"}, 201, nil,
				func(t *testing.T, r resp) {
					var v struct {
						ID    int64
						Email string
					}
					r.json(t, &v)
					newAgentID = v.ID
					if v.Email != "carla@acme.test" {
						t.Fatalf("agent %s", r.body)
					}
				}},
			{"agent validation", "", "/api/v1/agents", adm, map[string]any{"email": "nope", "role": "root", "language": "de", "password": "x"}, 422,
				[]string{"email", "name", "role", "language", "password"}, nil},
			{"agent wrong type", "", "/api/v1/agents", adm, map[string]any{"email": 5}, 422, []string{"email"}, nil},
			{"list agents", "GET /api/v1/agents", "/api/v1/agents", agt, nil, 200, nil, func(t *testing.T, r resp) {
				if strings.Contains(string(r.body), "beta.test") || !strings.Contains(string(r.body), "carla@acme.test") {
					t.Fatalf("agents %s", r.body)
				}
			}},
			{"get agent", "GET /api/v1/agents/{id}", "/api/v1/agents/" + id(a.admin.ID), agt, nil, 200, nil, nil},
			{"patch agent", "PATCH /api/v1/agents/{id}", "/api/v1/agents/" + id(a.agent.ID), adm, map[string]any{"signature": "<b>Agente</b>", "language": "en"}, 200, nil,
				func(t *testing.T, r resp) {
					if !strings.Contains(string(r.body), `"language":"en"`) {
						t.Fatalf("patched %s", r.body)
					}
				}},
			{"patch agent validation", "", "/api/v1/agents/" + id(a.agent.ID), adm, map[string]any{"name": "", "password": "short"}, 422, []string{"name", "password"}, nil},
			{"last admin stays", "", "/api/v1/agents/" + id(a.admin.ID), adm, map[string]any{"role": "agent"}, 422, []string{"role"}, nil},
			// teams
			{"create team", "POST /api/v1/teams", "/api/v1/teams", adm, map[string]any{"name": "Financeiro"}, 201, nil, func(t *testing.T, r resp) {
				var v struct{ ID int64 }
				r.json(t, &v)
				newTeamID = v.ID
			}},
			{"team validation", "", "/api/v1/teams", adm, map[string]any{"name": "N1"}, 422, []string{"name"}, nil},
			{"list teams", "GET /api/v1/teams", "/api/v1/teams", agt, nil, 200, nil, nil},
			{"add member", "PUT /api/v1/teams/{id}/members/{agent_id}", "", adm, nil, 204, nil, nil},
			{"get team", "GET /api/v1/teams/{id}", "", agt, nil, 200, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), "carla@acme.test") {
					t.Fatalf("members %s", r.body)
				}
			}},
			{"remove member", "DELETE /api/v1/teams/{id}/members/{agent_id}", "", adm, nil, 204, nil, nil},
			{"remove member again", "", "", adm, nil, 404, nil, nil},
			// channels and rules
			{"create channel", "POST /api/v1/channels", "/api/v1/channels", adm, map[string]any{"slug": "vendas", "name": "Vendas", "primary_email": "Vendas@Gmail.com", "incoming": "external",
				"provider": "gmail", "account_kind": "personal", "signature": `<p>Equipe <b>Vendas</b><script>alert(1)</script></p>`, "show_quote": true,
				"additional_emails": []string{"Contato@acme.test"}, "from_name": "ACME Vendas", "folders": []string{"INBOX", "Pedidos"},
				"after_import": "move", "move_to": "Importados", "history_days": 30}, 201, nil,
				func(t *testing.T, r resp) {
					var v struct {
						ID               int64
						InboundToken     string `json:"inbound_token"`
						InboundAddress   string `json:"inbound_address"`
						Signature        string
						ShowQuote        bool     `json:"show_quote"`
						AdditionalEmails []string `json:"additional_emails"`
						IMAP, SMTP       struct {
							Host       string
							Port       int
							Encryption string
							Username   string
						}
						Folders     []string
						AfterImport string `json:"after_import"`
						MoveTo      string `json:"move_to"`
						HistoryDays int    `json:"history_days"`
					}
					r.json(t, &v)
					newChannelID = v.ID
					if v.InboundToken == "" || v.InboundAddress != "" || v.Signature != "<p>Equipe <b>Vendas</b></p>" || !v.ShowQuote ||
						len(v.AdditionalEmails) != 1 || v.AdditionalEmails[0] != "contato@acme.test" ||
						v.IMAP.Host != "imap.gmail.com" || v.IMAP.Port != 993 || v.IMAP.Encryption != "tls" || v.IMAP.Username != "vendas@gmail.com" ||
						v.SMTP.Host != "smtp.gmail.com" || len(v.Folders) != 2 || v.AfterImport != "move" || v.MoveTo != "Importados" || v.HistoryDays != 30 {
						t.Fatalf("channel %s", r.body)
					}
				}},
			{"channel settings validation", "", "/api/v1/channels", adm, map[string]any{"slug": "novo", "name": "Novo", "primary_email": "novo@acme.test",
				"incoming": "external", "imap": map[string]any{"port": 70000, "encryption": "none"}, "additional_emails": []string{"x"}, "after_import": "move"}, 422,
				[]string{"imap.port", "imap.encryption", "additional_emails[0]", "move_to"}, nil},
			{"channel external needs imap host", "", "/api/v1/channels", adm, map[string]any{"slug": "novo", "name": "Novo", "primary_email": "novo@acme.test",
				"incoming": "external", "imap": map[string]any{"encryption": "none"}}, 422, []string{"imap.encryption"}, nil},
			{"channel external needs imap host 2", "", "/api/v1/channels", adm, map[string]any{"slug": "novo", "name": "Novo", "primary_email": "novo@acme.test",
				"incoming": "external", "imap": map[string]any{"encryption": "none"}, "allow_insecure": true}, 422, []string{"imap.host", "imap.port"}, nil},
			{"channel validation", "", "/api/v1/channels", adm, map[string]any{"slug": "suporte", "name": "x", "primary_email": "a@b.test"}, 422, []string{"slug"}, nil},
			{"list channels", "GET /api/v1/channels", "/api/v1/channels", agt, nil, 200, nil, nil},
			{"get channel", "GET /api/v1/channels/{id}", "/api/v1/channels/" + id(a.ch.ID), agt, nil, 200, nil, nil},
			{"patch channel", "PATCH /api/v1/channels/{id}", "/api/v1/channels/" + id(a.ch.ID), adm, map[string]any{"enabled": false}, 200, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), `"enabled":false`) {
					t.Fatalf("channel %s", r.body)
				}
			}},
			{"patch channel validation", "", "/api/v1/channels/" + id(a.ch.ID), adm, map[string]any{"name": " "}, 422, []string{"name"}, nil},
			{"patch channel settings", "", "/api/v1/channels/" + id(a.ch.ID), adm, map[string]any{"signature": `<b>Suporte</b><img src="https://acme.test/l.png" onerror="alert(1)">`,
				"show_quote": true, "additional_emails": []string{"Contato@acme.test"}}, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					Signature        string
					ShowQuote        bool     `json:"show_quote"`
					AdditionalEmails []string `json:"additional_emails"`
					InboundAddress   string   `json:"inbound_address"`
					InboundToken     string   `json:"inbound_token"`
					Enabled          bool
				}
				r.json(t, &v)
				if !strings.HasPrefix(v.Signature, "<b>Suporte</b><img") || strings.Contains(v.Signature, "onerror") || !v.ShowQuote || v.Enabled ||
					len(v.AdditionalEmails) != 1 || v.InboundAddress != "acme-"+v.InboundToken+"@inbound.atende.test" {
					t.Fatalf("patched channel %s", r.body)
				}
				if e.changed.Load() < 3 {
					t.Fatalf("ChannelChanged called %d times after create and patches", e.changed.Load())
				}
			}},
			{"patch channel to external needs imap", "", "/api/v1/channels/" + id(a.ch.ID), adm, map[string]any{"incoming": "external"}, 422,
				[]string{"imap.host", "imap.port"}, nil},
			// credentials, connection test, status, inbound address
			{"put credentials", "PUT /api/v1/channels/{id}/credentials", "/api/v1/channels/" + id(a.ch.ID) + "/credentials", adm, map[string]any{"imap_password": imapPW}, 204, nil,
				func(t *testing.T, r resp) {
					for _, name := range []string{secrets.IMAPPassword, secrets.SMTPPassword} {
						got, err := e.box.ChannelSecret(ctx, e.st, a.co.ID, a.ch.ID, name)
						if err != nil || got != imapPW {
							t.Fatalf("stored %s = %q, %v", name, got, err)
						}
					}
					if len(r.body) != 0 {
						t.Fatalf("credentials answered %s", r.body)
					}
					if v := e.do(t, "GET", "/api/v1/channels/"+id(a.ch.ID), nil, bearer(adm)); strings.Contains(string(v.body), imapPW) {
						t.Fatalf("channel view shows the password: %s", v.body)
					}
				}},
			{"credentials validation", "", "/api/v1/channels/" + id(a.ch.ID) + "/credentials", adm, map[string]any{"smtp_password": strings.Repeat("x", 2000)}, 422,
				[]string{"imap_password", "smtp_password"}, nil},
			{"test connection", "POST /api/v1/channels/test-connection", "/api/v1/channels/test-connection", adm, map[string]any{"provider": "gmail",
				"imap": map[string]any{"host": imapHost, "port": imapPort, "encryption": "none", "username": "suporte@acme.test"}, "allow_insecure": true,
				"imap_password": imapPW, "folders": []string{"INBOX", "Pedidos"}}, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					OK          bool
					IMAPOK      bool `json:"imap_ok"`
					SMTPChecked bool `json:"smtp_checked"`
					IDLE        bool
					Folders     []string
					Problems    []struct{ Code string }
				}
				r.json(t, &v)
				if !v.OK || !v.IMAPOK || v.SMTPChecked || !v.IDLE || len(v.Folders) != 2 || v.Folders[1] != "Pedidos" || len(v.Problems) != 0 ||
					strings.Contains(string(r.body), imapPW) {
					t.Fatalf("test %s", r.body)
				}
			}},
			{"test connection wrong password", "", "/api/v1/channels/test-connection", adm, map[string]any{"provider": "gmail",
				"imap": map[string]any{"host": imapHost, "port": imapPort, "encryption": "none", "username": "suporte@acme.test"}, "allow_insecure": true,
				"imap_password": "senha-errada-77"}, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					OK       bool
					IMAPOK   bool `json:"imap_ok"`
					Problems []struct {
						Code, Severity, Server string
						MessagePT              string `json:"message_pt"`
						MessageEN              string `json:"message_en"`
					}
				}
				r.json(t, &v)
				if v.OK || v.IMAPOK || len(v.Problems) != 1 || v.Problems[0].Code != "auth_failed" || v.Problems[0].Severity != "error" || v.Problems[0].Server != "imap" ||
					!strings.Contains(v.Problems[0].MessagePT, "senha de app") || !strings.Contains(v.Problems[0].MessageEN, "app password") ||
					strings.Contains(string(r.body), "senha-errada-77") {
					t.Fatalf("test %s", r.body)
				}
			}},
			// Issue #13, item 4 (failed before: the stored password went to
			// whatever host the request named, even without encryption): the
			// saved password only goes to the saved server (this channel saved
			// none); TestStoredSecretsStayWithTheirServer has the rest.
			{"test connection with the stored password elsewhere", "", "/api/v1/channels/test-connection", adm, map[string]any{"channel_id": a.ch.ID,
				"incoming": "external", "imap": map[string]any{"host": imapHost, "port": imapPort, "encryption": "none", "username": "suporte@acme.test"},
				"allow_insecure": true}, 422, []string{"imap_password"},
				func(t *testing.T, r resp) {
					got, _ := e.dir.GetChannel(ctx, a.co.ID, a.ch.ID)
					if got.Incoming != "internal" || got.Settings.IMAP.Host != "" {
						t.Fatalf("connection test changed the channel: %+v", got)
					}
				}},
			{"test connection validation", "", "/api/v1/channels/test-connection", adm, map[string]any{"imap": map[string]any{"encryption": "none"}, "imap_password": "x"}, 422,
				[]string{"imap.encryption"}, nil},
			{"test connection needs host", "", "/api/v1/channels/test-connection", adm, map[string]any{"imap_password": "x"}, 422,
				[]string{"imap.host", "imap.port", "imap.username"}, nil},
			{"test connection needs a password", "", "/api/v1/channels/test-connection", adm, map[string]any{"imap": map[string]any{"host": imapHost, "port": imapPort,
				"encryption": "none", "username": "u"}, "allow_insecure": true}, 422, []string{"imap_password"}, nil},
			{"test connection of another company's channel", "", "/api/v1/channels/test-connection", adm, map[string]any{"channel_id": e.b.ch.ID, "imap_password": "x"}, 422,
				[]string{"channel_id"}, nil},
			{"channel status", "GET /api/v1/channels/{id}/status", "", agt, nil, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					Sync struct {
						State string
					}
					Sending struct {
						Quota int
						Text  string
					}
				}
				r.json(t, &v)
				if v.Sync.State != "pending" || v.Sending.Quota != outbox.DefaultPersonalQuota || v.Sending.Text != fmt.Sprintf("0 of %d sent today", outbox.DefaultPersonalQuota) {
					t.Fatalf("status %s", r.body)
				}
				errAt := time.Date(2026, 6, 5, 10, 0, 0, 0, time.UTC)
				must(t, e.st.PutChannelStatus(ctx, &store.ChannelStatus{CompanyID: a.co.ID, ChannelID: newChannelID, State: store.SyncError, Done: 3, Total: 10,
					LastError: "Falha na autenticação", LastErrorCode: "auth_failed", LastErrorAt: errAt}))
				r2 := e.do(t, "GET", fmt.Sprintf("/api/v1/channels/%d/status", newChannelID), nil, bearer(agt))
				var s struct {
					Sync struct {
						State       string
						Done, Total int64
						LastErrorAt time.Time `json:"last_error_at"`
					}
				}
				r2.json(t, &s)
				if s.Sync.State != "error" || s.Sync.Done != 3 || s.Sync.Total != 10 || !s.Sync.LastErrorAt.Equal(errAt) ||
					!strings.Contains(string(r2.body), `"last_error_code":"auth_failed"`) {
					t.Fatalf("status with a row %s", r2.body)
				}
			}},
			{"status of a disabled internal channel", "", "/api/v1/channels/" + id(a.ch.ID) + "/status", agt, nil, 200, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), `"state":"disabled"`) {
					t.Fatalf("status %s", r.body)
				}
			}},
			{"regenerate inbound address", "POST /api/v1/channels/{id}/inbound-address", "/api/v1/channels/" + id(a.ch.ID) + "/inbound-address", adm, nil, 200, nil,
				func(t *testing.T, r resp) {
					var v struct{ Address string }
					r.json(t, &v)
					got, _ := e.dir.GetChannel(ctx, a.co.ID, a.ch.ID)
					if got.InboundToken == a.ch.InboundToken || v.Address != "acme-"+got.InboundToken+"@inbound.atende.test" {
						t.Fatalf("address %s (token %s)", r.body, got.InboundToken)
					}
					view := e.do(t, "GET", "/api/v1/channels/"+id(a.ch.ID), nil, bearer(adm))
					if !strings.Contains(string(view.body), `"inbound_address":"`+v.Address+`"`) {
						t.Fatalf("view %s", view.body)
					}
					// Issue #13, item 12 (failed before: plain agents read the
					// whole configuration): an agent's view has no token.
					view = e.do(t, "GET", "/api/v1/channels/"+id(a.ch.ID), nil, bearer(agt))
					if strings.Contains(string(view.body), got.InboundToken) || strings.Contains(string(view.body), "inbound") {
						t.Fatalf("agent's view %s", view.body)
					}
				}},
			// notices
			{"list notices", "GET /api/v1/notices", "/api/v1/notices?unread=true&channel_id=" + id(a.ch.ID), adm, nil, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					Items []struct {
						ID         int64
						Kind, Code string
						Link       string
						Read       bool
					}
					Unread int
				}
				r.json(t, &v)
				if len(v.Items) != 1 || v.Items[0].ID != a.noticeID || v.Items[0].Code != "123456789" || v.Items[0].Kind != "forwarding_confirmation" ||
					!strings.HasPrefix(v.Items[0].Link, "https://mail-settings.google.com/mail/vf-") || v.Items[0].Read || v.Unread != 1 {
					t.Fatalf("notices %s", r.body)
				}
			}},
			{"notices validation", "", "/api/v1/notices?unread=maybe&channel_id=x&limit=0", adm, nil, 422, []string{"unread", "channel_id", "limit"}, nil},
			{"notices of another company's channel", "", "/api/v1/notices?channel_id=" + id(e.b.ch.ID), adm, nil, 404, nil, nil},
			{"read notice", "POST /api/v1/notices/{id}/read", "/api/v1/notices/" + id(a.noticeID) + "/read", adm, nil, 200, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), `"read":true`) {
					t.Fatalf("notice %s", r.body)
				}
				l := e.do(t, "GET", "/api/v1/notices?unread=true", nil, bearer(adm))
				if !strings.Contains(string(l.body), `"items":[]`) || !strings.Contains(string(l.body), `"unread":0`) {
					t.Fatalf("unread after read %s", l.body)
				}
			}},
			{"put rule", "PUT /api/v1/channels/{id}/rule", "/api/v1/channels/" + id(a.ch.ID) + "/rule", adm, map[string]any{"default_team_id": a.team.ID,
				"filters": []map[string]any{{"kind": "sender_domain", "value": "cliente.com.br", "team_id": a.team2.ID, "priority": "high", "tags": []string{"vip"}}}}, 200, nil, nil},
			{"rule field errors", "", "/api/v1/channels/" + id(a.ch.ID) + "/rule", adm, map[string]any{"default_team_id": e.b.team.ID, "send_initial_message": true,
				"filters": []map[string]any{{"kind": "sender_address", "value": "not-an-address"}, {"kind": "subject_contains", "value": "x", "assignee_id": e.b.agent.ID}}}, 422,
				[]string{"default_team_id", "initial_message", "filters[0].value", "filters[1].assignee_id"}, nil},
			{"channel dns records", "GET /api/v1/channels/{id}/dns", "/api/v1/channels/" + id(a.ch.ID) + "/dns", adm, nil, 200, nil, func(t *testing.T, r resp) {
				var v struct {
					Domain  string
					Records []struct{ Type, Name, Value string }
				}
				r.json(t, &v)
				if v.Domain != "acme.test" || len(v.Records) != 2 || !strings.HasSuffix(v.Records[0].Name, "._domainkey.acme.test") ||
					!strings.HasPrefix(v.Records[0].Value, "v=DKIM1; k=rsa; p=") || v.Records[1].Value != "v=spf1 mx a:relay.acme.test ~all" {
					t.Fatalf("dns %s", r.body)
				}
			}},
			{"get rule", "GET /api/v1/channels/{id}/rule", "/api/v1/channels/" + id(a.ch.ID) + "/rule", adm, nil, 200, nil, func(t *testing.T, r resp) {
				var rule model.ChannelRule
				r.json(t, &rule)
				if rule.DefaultTeamID != a.team.ID || len(rule.Filters) != 1 || rule.Filters[0].TeamID != a.team2.ID || rule.Filters[0].Tags[0] != "vip" {
					t.Fatalf("rule %s", r.body)
				}
			}},
			// tickets
			{"list tickets as agent", "GET /api/v1/tickets", "/api/v1/tickets", agt, nil, 200, nil, func(t *testing.T, r resp) {
				var l struct{ Items []struct{ ID int64 } }
				r.json(t, &l)
				if len(l.Items) != 1 || l.Items[0].ID != a.mine.ID {
					t.Fatalf("agent sees %s", r.body)
				}
			}},
			{"list tickets query", "", "/api/v1/tickets?q=fiscal&status=open", adm, nil, 200, nil, func(t *testing.T, r resp) {
				var l struct{ Items []struct{ ID int64 } }
				r.json(t, &l)
				if len(l.Items) != 1 || l.Items[0].ID != a.other.ID {
					t.Fatalf("query found %s", r.body)
				}
			}},
			{"list tickets validation", "", "/api/v1/tickets?status=lost&team_id=x&cursor=%21", adm, nil, 422, []string{"team_id"}, nil},
			{"list tickets validation 2", "", "/api/v1/tickets?status=lost&cursor=%21", adm, nil, 422, []string{"status", "cursor"}, nil},
			{"get ticket", "GET /api/v1/tickets/{id}", "/api/v1/tickets/" + id(a.mine.ID), agt, nil, 200, nil, func(t *testing.T, r resp) {
				var d struct {
					Subject  string
					Contact  struct{ Email string }
					Messages []struct {
						Direction   string
						Attachments []struct{ Filename string }
					}
				}
				r.json(t, &d)
				if d.Subject != "Boleto atrasado" || d.Contact.Email != a.contact.Email || len(d.Messages) != 1 || d.Messages[0].Attachments[0].Filename != "boleto.pdf" {
					t.Fatalf("detail %s", r.body)
				}
			}},
			{"get ticket of another team", "", "/api/v1/tickets/" + id(a.other.ID), agt, nil, 404, nil, nil},
			{"note", "POST /api/v1/tickets/{id}/notes", "/api/v1/tickets/" + id(a.mine.ID) + "/notes", agt, map[string]any{"text": "cliente VIP"}, 201, nil, func(t *testing.T, r resp) {
				if !strings.Contains(string(r.body), `"direction":"note"`) {
					t.Fatalf("note %s", r.body)
				}
			}},
			{"note validation", "", "/api/v1/tickets/" + id(a.mine.ID) + "/notes", agt, map[string]any{"text": ""}, 422, []string{"text"}, nil},
			{"note on another team's ticket", "", "/api/v1/tickets/" + id(a.other.ID) + "/notes", agt, map[string]any{"text": "x"}, 404, nil, nil},
			{"reply", "POST /api/v1/tickets/{id}/replies", "/api/v1/tickets/" + id(a.mine.ID) + "/replies", agt, map[string]any{"text": "Segue o boleto."}, 202, nil,
				func(t *testing.T, r resp) {
					if !strings.Contains(string(r.body), `"status":"queued"`) || !strings.Contains(string(r.body), `"subject":"Re: Boleto atrasado [#1]"`) {
						t.Fatalf("reply %s", r.body)
					}
				}},
			{"reply validation", "", "/api/v1/tickets/" + id(a.mine.ID) + "/replies", agt, map[string]any{"text": "", "cc": []map[string]string{{"address": "bad"}}}, 422,
				[]string{"text", "cc[0].address"}, nil},
			{"forward", "POST /api/v1/tickets/{id}/forwards", "/api/v1/tickets/" + id(a.mine.ID) + "/forwards", agt, map[string]any{"text": "veja", "to": []map[string]string{{"address": "fin@acme.test"}}}, 202, nil, nil},
			{"forward validation", "", "/api/v1/tickets/" + id(a.mine.ID) + "/forwards", agt, map[string]any{"text": "veja"}, 422, []string{"to"}, nil},
			{"assign", "POST /api/v1/tickets/{id}/assign", "/api/v1/tickets/" + id(a.mine.ID) + "/assign", agt, map[string]any{"assignee_id": a.agent.ID}, 200, nil, nil},
			{"assign validation", "", "/api/v1/tickets/" + id(a.mine.ID) + "/assign", agt, map[string]any{"team_id": e.b.team.ID, "assignee_id": e.b.agent.ID}, 422,
				[]string{"team_id", "assignee_id"}, nil},
			{"status", "POST /api/v1/tickets/{id}/status", "/api/v1/tickets/" + id(a.mine.ID) + "/status", agt, map[string]any{"status": "resolved"}, 200, nil, nil},
			{"status validation", "", "/api/v1/tickets/" + id(a.mine.ID) + "/status", agt, map[string]any{"status": "archived"}, 422, []string{"status"}, nil},
			{"merge validation: other company", "", "/api/v1/tickets/" + id(a.other.ID) + "/merge", adm, map[string]any{"target_id": e.b.mine.ID}, 422, []string{"target_id"}, nil},
			{"merge validation: itself", "", "/api/v1/tickets/" + id(a.other.ID) + "/merge", adm, map[string]any{"target_id": a.other.ID}, 422, []string{"target_id"}, nil},
			{"merge", "POST /api/v1/tickets/{id}/merge", "/api/v1/tickets/" + id(a.other.ID) + "/merge", adm, map[string]any{"target_id": a.mine.ID}, 200, nil, func(t *testing.T, r resp) {
				det := e.do(t, "GET", "/api/v1/tickets/"+id(a.other.ID), nil, bearer(adm))
				var d struct {
					Status     string
					MergedInto int64 `json:"merged_into"`
					Messages   []any
				}
				det.json(t, &d)
				if d.Status != "closed" || d.MergedInto != a.mine.ID || len(d.Messages) != 0 {
					t.Fatalf("source after merge %s", det.body)
				}
			}},
			// webhooks
			{"create webhook", "POST /api/v1/webhooks", "/api/v1/webhooks", adm, map[string]any{"url": "https://hooks.example.com/atende", "events": []string{"ticket.created", "ticket.updated"}}, 201, nil,
				func(t *testing.T, r resp) {
					var v struct {
						ID     int64
						Secret string
					}
					r.json(t, &v)
					newHookID = v.ID
					if !strings.HasPrefix(v.Secret, "whsec_") {
						t.Fatalf("webhook %s", r.body)
					}
				}},
			{"webhook validation", "", "/api/v1/webhooks", adm, map[string]any{"url": "ftp://x", "events": []string{"ticket.exploded"}}, 422, []string{"url", "events[0]"}, nil},
			{"list webhooks", "GET /api/v1/webhooks", "/api/v1/webhooks", adm, nil, 200, nil, func(t *testing.T, r resp) {
				if strings.Contains(string(r.body), "whsec_") {
					t.Fatalf("secret listed: %s", r.body)
				}
			}},
			{"delete webhook", "DELETE /api/v1/webhooks/{id}", "", adm, nil, 204, nil, nil},
			{"revoke token", "DELETE /api/v1/tokens/{id}", "", adm, nil, 204, nil, nil},
			{"logout with token is a no-op", "POST /api/v1/auth/logout", "/api/v1/auth/logout", agt, nil, 204, nil, nil},
		}
		done := map[string]bool{}
		for _, c := range calls {
			path := c.path
			switch c.name { // ids known only after earlier calls
			case "add member", "get team", "remove member", "remove member again":
				path = fmt.Sprintf("/api/v1/teams/%d", newTeamID)
				if c.name != "get team" {
					path += fmt.Sprintf("/members/%d", newAgentID)
				}
			case "delete webhook":
				path = fmt.Sprintf("/api/v1/webhooks/%d", newHookID)
			case "revoke token":
				path = fmt.Sprintf("/api/v1/tokens/%d", newTokenID)
			case "channel status":
				path = fmt.Sprintf("/api/v1/channels/%d/status", newChannelID)
			}
			method := strings.Fields(c.route + " GET")[0]
			if c.route == "" {
				method = map[bool]string{true: "POST", false: "GET"}[c.body != nil]
				switch {
				case strings.HasPrefix(c.name, "patch"), c.name == "last admin stays":
					method = "PATCH"
				case c.name == "rule field errors", c.name == "credentials validation":
					method = "PUT"
				case c.name == "remove member again":
					method = "DELETE"
				}
			}
			var opts []reqOpt
			if c.tok != "" {
				opts = append(opts, bearer(c.tok))
			}
			r := e.do(t, method, path, c.body, opts...)
			if r.status != c.status {
				t.Fatalf("%s: %s %s = %d %s, want %d", c.name, method, path, r.status, r.body, c.status)
			}
			if r.status >= 400 {
				r.problem(t)
			}
			if c.fields != nil {
				got := r.fields()
				if len(got) != len(c.fields) {
					t.Fatalf("%s: field errors %v, want %v", c.name, got, c.fields)
				}
				for _, f := range c.fields {
					if got[f] == "" {
						t.Fatalf("%s: no error for %s in %v", c.name, f, got)
					}
				}
			}
			if c.check != nil {
				c.check(t, r)
			}
			if c.route != "" && r.status < 300 {
				done[c.route] = true
			}
		}
		_ = newChannelID
		// "Connect with Google": start (admin) and the provider's callback.
		for _, k := range oauthConnect(t, e, a) {
			done[k] = true
		}
		// Domains and addresses: claim, TXT record, DNS check, mailed code.
		for _, k := range identityFlow(t, e, a) {
			done[k] = true
		}
		// The agent workspace: canned replies, drafts, undo, snooze, bulk,
		// timeline, contacts, reports.
		for _, k := range workspaceFlow(t, e, a) {
			done[k] = true
		}
		for _, rt := range api.RouteTable() {
			k := rt.Method + " " + rt.Path
			if !done[k] && k != "POST /api/v1/auth/login" && k != "GET /api/v1/events" && k != "POST /api/v1/setup" {
				t.Errorf("route %s has no successful call in TestEndpoints", k)
			}
		}
	})
}
