package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/inbound/smtpin"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
)

var ctx = context.Background()

var fast = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// tenant is one company's fixtures.
type tenant struct {
	co                 *model.Company
	admin, agent       *model.Agent
	adminTok, agentTok string
	tokenID            int64
	team, team2        *model.Team
	ch                 *model.Channel
	mine, other        *model.Ticket // in the agent's team / another team
	webhookID          int64
	noticeID           int64
	identityID         int64
	contact            *model.Contact
	// cannedID is the company's canned reply with one file (cannedAttID).
	cannedID, cannedAttID int64
}

type env struct {
	st   store.Store
	srv  *httptest.Server
	auth *auth.Service
	hub  *api.Hub
	dir  *directory.Service
	box  *secrets.Box
	// changed counts ChannelChanged calls.
	changed atomic.Int64
	// oauth is the test OAuth2 provider behind OAuthDeps ("google";
	// oauth_test adds "microsoft" to tokens.Clients); logs
	// captures the API's log output (oauth_test greps it for tokens).
	oauth  *oauthtest.Server
	tokens *oauth.Tokens
	logs   *lockedBuffer
	// ids verifies domains through dns and mails codes to mail.
	ids  *identity.Service
	dns  *dnstest.Server
	mail *codeMailbox
	a, b *tenant
	now  time.Time
	// tickets is the API's ticket service and bl its blob store (the
	// outbox of the undo test reads attachments from it).
	tickets *ticket.Service
	bl      blob.Store
	clk     *clock.Fake // the clock of the store and every service
}

func dialects(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
}

func openStore(t testing.TB, dialect string, clk clock.Clock) store.Store {
	t.Helper()
	return teststore.Open(t, dialect, clk)
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newEnv(t testing.TB, dialect string) *env {
	t.Helper()
	clk := testclock.New(t)
	return newEnvWith(t, openStore(t, dialect, clk), clk)
}

// newEnvWith serves the API over st (opened on clk) with two companies of
// fixtures.
func newEnvWith(t testing.TB, st store.Store, clk *clock.Fake) *env {
	t.Helper()
	e := &env{st: st, now: clk.Now(), logs: &lockedBuffer{}, clk: clk}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.auth = auth.New(st, clk, log, auth.Config{Params: fast, MaxAccountFailures: 3})
	e.dir = directory.New(st, e.auth.HashPassword, log)
	e.hub = api.NewHub(st, clk, log)
	bl, err := blob.NewFS(filepath.Join(t.TempDir(), "blobs"))
	must(t, err)
	tickets := ticket.New(st, bl, nil, e.hub, clk, log)
	e.tickets, e.bl = tickets, bl
	box, err := secrets.NewBox(secrets.NewKey())
	must(t, err)
	e.box = box
	e.oauth = oauthtest.New(t, "suporte@gmail.test")
	oauthClients := oauth.Clients{"google": &oauth.Client{Provider: oauth.Provider{ID: "google", Endpoint: e.oauth.Endpoint(),
		Scopes: oauth.Google.Scopes, Issuers: []string{e.oauth.IssuerTemplate()}, UserInfoURL: e.oauth.UserInfoURL()},
		ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret}}
	e.oauth.SetNow(clk.Now) // the provider dates its ID tokens by the test's clock too
	e.tokens = &oauth.Tokens{Clients: oauthClients, Box: box, Store: st, Now: clk.Now}
	signer := signing.New(st, box, clk)
	out := outbox.New(st, bl, clk, log, outbox.Config{})
	e.dns = dnstest.Start(t)
	e.mail = &codeMailbox{}
	e.ids = identity.New(st, resolver.New(e.dns.Addr()), e.mail, clk, log, identity.Config{From: "Atende <no-reply@inbound.atende.test>",
		Reserved: []string{"inbound.atende.test"}})
	h := api.Handler(api.Deps{Log: log, Store: st, Auth: &auth.HTTP{Svc: e.auth}, Directory: e.dir, Tickets: tickets, Hub: e.hub,
		Secrets: box, InboundDomain: "inbound.atende.test",
		ChannelChanged:  func(context.Context) { e.changed.Add(1) },
		CheckConnection: imapsync.CheckConnection,
		SendingStatus:   out.ChannelStatus,
		RegenerateAddress: func(ctx context.Context, companyID, channelID int64) (string, error) {
			return smtpin.RegenerateAddress(ctx, st, "inbound.atende.test", companyID, channelID)
		},
		OAuth:      &api.OAuthDeps{Clients: oauthClients, Tokens: e.tokens, Now: clk.Now},
		Identities: e.ids,
		NoticeText: ui.APINoticeText,
		// Webhook URLs on internal networks are refused, loopback (the
		// tests' receivers) allowed as with --allow-private-hosts.
		Hosts: netguard.New(resolver.New(e.dns.Addr()), loopbackAllowed),
		SendingDNS: func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error) {
			k, err := signer.EnsureKey(ctx, companyID, domain)
			if err != nil {
				return nil, err
			}
			return signing.CheckPublished(ctx, resolver.New(e.dns.Addr()), signing.DNSRecords(k, "relay.acme.test")), nil
		},
		Heartbeat: 50 * time.Millisecond, DNSRecords: func(ctx context.Context, companyID int64, domain string) ([]signing.Record, error) {
			k, err := signer.EnsureKey(ctx, companyID, domain)
			if err != nil {
				return nil, err
			}
			return signing.DNSRecords(k, "relay.acme.test"), nil
		}})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	oauthClients["google"].RedirectURL = e.srv.URL + "/oauth/callback"
	e.a = e.tenant(t, "acme")
	e.b = e.tenant(t, "beta")
	return e
}

// loopbackAllowed is --allow-private-hosts 127.0.0.0/8,::1.
var loopbackAllowed, _ = netguard.ParseAllowList("127.0.0.0/8,::1")

// codeMailbox records the mail identity sends (address codes).
type codeMailbox struct {
	mu   sync.Mutex
	msgs []string
}

func (m *codeMailbox) Send(_ context.Context, from string, to []string, raw io.Reader) error {
	b, _ := io.ReadAll(raw)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, string(b))
	return nil
}

var codeRE = regexp.MustCompile(`(\d{4}) (\d{4})`)

// lastCode is the code of the last mail.
func (m *codeMailbox) lastCode(t testing.TB) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no code mailed")
	}
	c := codeRE.FindStringSubmatch(m.msgs[len(m.msgs)-1])
	if c == nil {
		t.Fatalf("no code in %s", m.msgs[len(m.msgs)-1])
	}
	return c[1] + c[2]
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) tenant(t testing.TB, slug string) *tenant {
	t.Helper()
	tn := &tenant{}
	var err error
	tn.co, err = e.dir.CreateCompany(ctx, directory.CompanyInput{Slug: slug, Name: strings.ToUpper(slug)})
	must(t, err)
	tn.admin, err = e.dir.CreateAgent(ctx, tn.co.ID, directory.AgentInput{Email: "admin@" + slug + ".test", Name: "Admin", Role: model.RoleAdmin, Password: "admin password"})
	must(t, err)
	tn.agent, err = e.dir.CreateAgent(ctx, tn.co.ID, directory.AgentInput{Email: "agent@" + slug + ".test", Name: "Agent", Role: model.RoleAgent, Password: "agent password"})
	must(t, err)
	tn.team, err = e.dir.CreateTeam(ctx, tn.co.ID, directory.TeamInput{Name: "N1"})
	must(t, err)
	tn.team2, err = e.dir.CreateTeam(ctx, tn.co.ID, directory.TeamInput{Name: "N2"})
	must(t, err)
	must(t, e.dir.AddMember(ctx, tn.co.ID, tn.team.ID, tn.agent.ID))
	tn.ch, err = e.dir.CreateChannel(ctx, tn.co.ID, directory.ChannelInput{Slug: "suporte", Name: "Suporte", PrimaryEmail: "suporte@" + slug + ".test"})
	must(t, err)
	raw, tok, err := e.auth.CreateAPIToken(ctx, &auth.Principal{CompanyID: tn.co.ID, AgentID: tn.admin.ID}, "admin")
	must(t, err)
	tn.adminTok, tn.tokenID = raw, tok.ID
	tn.agentTok, _, err = e.auth.CreateAPIToken(ctx, &auth.Principal{CompanyID: tn.co.ID, AgentID: tn.agent.ID}, "agent")
	must(t, err)
	tn.contact, err = e.st.UpsertContact(ctx, tn.co.ID, "cliente@"+slug+"-cliente.com.br", "Cliente")
	must(t, err)
	tn.mine = e.ticket(t, tn, "Boleto atrasado", tn.team.ID)
	tn.other = e.ticket(t, tn, "Nota fiscal", tn.team2.ID)
	w := &store.Webhook{CompanyID: tn.co.ID, URL: "http://127.0.0.1:1/hook", Secret: "s", Events: []string{"ticket.updated"}, Enabled: false}
	must(t, e.st.CreateWebhook(ctx, w))
	tn.webhookID = w.ID
	n := &store.Notice{CompanyID: tn.co.ID, ChannelID: tn.ch.ID, Kind: store.NoticeForwardingConfirmation, Title: "Confirme o encaminhamento do Gmail",
		Body: "suporte@" + slug + ".test quer encaminhar", Code: "123456789", Link: "https://mail-settings.google.com/mail/vf-%5B" + slug + "%5D"}
	must(t, e.st.CreateNotice(ctx, n))
	tn.noticeID = n.ID
	idn := &store.Identity{CompanyID: tn.co.ID, Kind: store.IdentityDomain, Value: slug + ".test", Token: "tok" + slug}
	must(t, e.st.CreateIdentity(ctx, idn))
	tn.identityID = idn.ID
	admin := ticket.Actor{CompanyID: tn.co.ID, AgentID: tn.admin.ID, Admin: true}
	c, err := e.tickets.CreateCanned(ctx, admin, ticket.CannedInput{Title: "Boas-vindas", Scope: ticket.CannedCompany,
		Body:        "Olá {{contato.nome}}, ticket {{ticket.numero}}.",
		Attachments: []ticket.Attachment{{Filename: "guia.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 " + slug)}}})
	must(t, err)
	tn.cannedID, tn.cannedAttID = c.ID, c.Attachments[0].ID
	return tn
}

func (e *env) ticket(t testing.TB, tn *tenant, subject string, teamID int64) *model.Ticket {
	t.Helper()
	tk := &model.Ticket{CompanyID: tn.co.ID, ChannelID: tn.ch.ID, ContactID: tn.contact.ID, TeamID: teamID, Subject: subject,
		ReplyToken: fmt.Sprintf("rt-%d", time.Now().UnixNano())}
	must(t, e.st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
	m := &model.Message{CompanyID: tn.co.ID, TicketID: tk.ID, ChannelID: tn.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
		From: model.Address{Address: tn.contact.Email}, Subject: subject, Text: "Olá", MessageID: fmt.Sprintf("m%d@cliente", tk.ID)}
	must(t, e.st.CreateMessage(ctx, m))
	must(t, e.st.CreateAttachment(ctx, &model.Attachment{CompanyID: tn.co.ID, MessageID: m.ID, BlobKey: "k", Filename: "boleto.pdf", ContentType: "application/pdf", Size: 10}))
	return tk
}

// resp is a decoded response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem decodes a problem document and checks its content type.
func (r resp) problem(t testing.TB) api.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q for %d %s", ct, r.status, r.body)
	}
	var p api.Problem
	r.json(t, &p)
	if p.Status != r.status || p.Code == "" || p.Title == "" || !strings.HasPrefix(p.Type, "urn:atende:problem:") {
		t.Fatalf("bad problem %+v", p)
	}
	return p
}

func (r resp) fields() map[string]string {
	var p api.Problem
	json.Unmarshal(r.body, &p)
	out := map[string]string{}
	for _, f := range p.Errors {
		out[f.Field] = f.Message
	}
	return out
}

type reqOpt func(*http.Request)

func bearer(tok string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func header(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

func cookie(c *http.Cookie) reqOpt { return func(r *http.Request) { r.AddCookie(c) } }

func (e *env) do(t testing.TB, method, path string, body any, opts ...reqOpt) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		must(t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	must(t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	res, err := http.DefaultClient.Do(req)
	must(t, err)
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, data}
}
