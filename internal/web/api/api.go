package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Checker is one readiness check (database reachable, blob dir writable).
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function to Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// Deps is what the handlers need. Without Auth only the probes are served.
type Deps struct {
	Log    *slog.Logger
	Checks map[string]Checker
	// ReadyInfo, optional, adds facts to /readyz's answer (the node's name
	// and the mailbox leases it holds).
	ReadyInfo func() map[string]any

	Store     store.Store
	Auth      *auth.HTTP
	Directory *directory.Service
	Tickets   *ticket.Service
	Hub       *Hub // live events and webhook fan-out
	// DNSRecords returns the records to publish for a company's sending
	// domain (DKIM key created on first use); nil disables the endpoint.
	DNSRecords func(ctx context.Context, companyID int64, domain string) ([]signing.Record, error)
	// Secrets seals channel passwords (PUT /channels/{id}/credentials) and
	// opens them for a connection test of a saved channel.
	Secrets *secrets.Box
	// InboundDomain is the domain of internal channels' inbound addresses
	// (shown as inbound_address in the channel view; "" hides it).
	InboundDomain string
	// ChannelChanged is called after a channel or its credentials were
	// saved (reload the IMAP sync, refresh the SMTP address table); nil
	// does nothing.
	ChannelChanged func(ctx context.Context)
	// CheckConnection runs a connection test (imapsync.CheckConnection
	// with the server's TLS config filled in); nil disables the endpoint.
	CheckConnection func(ctx context.Context, s model.ChannelSettings, imapPassword, smtpPassword string, o imapsync.CheckOptions) *imapsync.CheckReport
	// SendingStatus is a channel's outbound queue status
	// (outbox.Service.ChannelStatus); nil leaves it out of the status.
	SendingStatus func(ctx context.Context, ch *model.Channel) (outbox.Status, error)
	// RegenerateAddress gives a channel a new inbound token and returns
	// its new inbound address (smtpin.RegenerateAddress); nil disables the
	// endpoint.
	RegenerateAddress func(ctx context.Context, companyID, channelID int64) (string, error)
	// OAuth enables "Connect with Google / Microsoft" (GET
	// /api/v1/channels/{id}/oauth/start, GET /oauth/callback); nil answers
	// 503 oauth_not_configured.
	OAuth *OAuthDeps
	// Heartbeat is how often the event stream sends a keep-alive comment
	// (default 20 s).
	Heartbeat time.Duration
	// Hosts refuses webhook URLs on internal networks (netguard.Guard);
	// nil skips the check.
	Hosts directory.HostChecker
	// Identities are the domains and addresses companies verify; nil
	// answers 503 on /identities and leaves verification out of channels.
	Identities *identity.Service
	// SendingDNS is DNSRecords with what the resolver finds for each
	// record (GET /channels/{id}/dns, and the internal connection test).
	SendingDNS func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error)
	// CheckRelay connects to the relay and authenticates (the connection
	// test of internal channels); nil: no relay configured.
	CheckRelay func(ctx context.Context) error
	// NoticeText is an admin notice's title and body in the language of
	// the request, and that language (ui.APINoticeText: Accept-Language
	// among the UI's catalogs, else English; the stored text for a notice
	// without a message key); nil answers the stored pt-BR text.
	NoticeText func(r *http.Request, n *store.Notice) (lang, title, body string)
}

// access says who may call a route.
type access int

const (
	public    access = iota // no authentication
	agentOnly               // any authenticated agent of the company
	adminOnly               // admins only
)

// route is one line of the route table.
type route struct {
	method, path string
	access       access
	h            http.HandlerFunc
}

// routes is the whole API: every method and path in one place (the
// OpenAPI test walks it).
func (d Deps) routes() []route {
	return []route{
		{"GET", "/api/v1/openapi.json", public, d.openAPI},
		{"GET", "/api/v1/setup", public, d.setupStatus},
		{"POST", "/api/v1/setup", public, d.setup},
		{"POST", "/api/v1/auth/login", public, d.login},
		{"POST", "/api/v1/auth/logout", agentOnly, d.logout},
		{"GET", "/api/v1/me", agentOnly, d.me},
		{"PATCH", "/api/v1/me", agentOnly, d.updateMe},
		{"GET", "/api/v1/settings", agentOnly, d.getSettings},
		{"PATCH", "/api/v1/settings", adminOnly, d.updateSettings},

		{"GET", "/api/v1/tokens", adminOnly, d.listTokens},
		{"POST", "/api/v1/tokens", adminOnly, d.createToken},
		{"DELETE", "/api/v1/tokens/{id}", adminOnly, d.revokeToken},

		{"GET", "/api/v1/agents", agentOnly, d.listAgents},
		{"POST", "/api/v1/agents", adminOnly, d.createAgent},
		{"GET", "/api/v1/agents/{id}", agentOnly, d.getAgent},
		{"PATCH", "/api/v1/agents/{id}", adminOnly, d.updateAgent},

		{"GET", "/api/v1/teams", agentOnly, d.listTeams},
		{"POST", "/api/v1/teams", adminOnly, d.createTeam},
		{"GET", "/api/v1/teams/{id}", agentOnly, d.getTeam},
		{"PUT", "/api/v1/teams/{id}/members/{agent_id}", adminOnly, d.addMember},
		{"DELETE", "/api/v1/teams/{id}/members/{agent_id}", adminOnly, d.removeMember},

		{"GET", "/api/v1/channels", agentOnly, d.listChannels},
		{"POST", "/api/v1/channels", adminOnly, d.createChannel},
		{"GET", "/api/v1/channels/{id}", agentOnly, d.getChannel},
		{"PATCH", "/api/v1/channels/{id}", adminOnly, d.updateChannel},
		{"GET", "/api/v1/channels/{id}/rule", adminOnly, d.getRule},
		{"PUT", "/api/v1/channels/{id}/rule", adminOnly, d.putRule},
		{"GET", "/api/v1/channels/{id}/dns", adminOnly, d.channelDNS},
		{"PUT", "/api/v1/channels/{id}/credentials", adminOnly, d.putCredentials},
		{"POST", "/api/v1/channels/test-connection", adminOnly, d.testConnection},
		{"GET", "/api/v1/channels/{id}/status", agentOnly, d.channelStatus},
		{"POST", "/api/v1/channels/{id}/inbound-address", adminOnly, d.regenerateInboundAddress},
		{"GET", "/api/v1/channels/{id}/oauth/start", adminOnly, d.oauthStart},
		{"GET", "/oauth/callback", public, d.oauthCallback},

		{"GET", "/api/v1/notices", adminOnly, d.listNotices},
		{"POST", "/api/v1/notices/{id}/read", adminOnly, d.readNotice},

		{"GET", "/api/v1/tickets", agentOnly, d.listTickets},
		{"GET", "/api/v1/tickets/{id}", agentOnly, d.getTicket},
		{"POST", "/api/v1/tickets/{id}/notes", agentOnly, d.addNote},
		{"POST", "/api/v1/tickets/{id}/replies", agentOnly, d.reply},
		{"POST", "/api/v1/tickets/{id}/forwards", agentOnly, d.forward},
		{"POST", "/api/v1/tickets/{id}/assign", agentOnly, d.assign},
		{"POST", "/api/v1/tickets/{id}/status", agentOnly, d.setStatus},
		{"POST", "/api/v1/tickets/{id}/merge", agentOnly, d.merge},
		{"POST", "/api/v1/tickets/{id}/replies/{message_id}/cancel", agentOnly, d.cancelReply},
		{"GET", "/api/v1/tickets/{id}/draft", agentOnly, d.getDraft},
		{"PUT", "/api/v1/tickets/{id}/draft", agentOnly, d.putDraft},
		{"DELETE", "/api/v1/tickets/{id}/draft", agentOnly, d.deleteDraft},
		{"POST", "/api/v1/tickets/{id}/draft/files", agentOnly, d.addDraftFiles},
		{"GET", "/api/v1/tickets/{id}/draft/files/{attachment_id}", agentOnly, d.draftFile},
		{"DELETE", "/api/v1/tickets/{id}/draft/files/{attachment_id}", agentOnly, d.deleteDraftFile},
		{"PUT", "/api/v1/tickets/{id}/snooze", agentOnly, d.snoozeTicket},
		{"DELETE", "/api/v1/tickets/{id}/snooze", agentOnly, d.unsnoozeTicket},
		{"GET", "/api/v1/tickets/{id}/activity", agentOnly, d.timeline},
		{"GET", "/api/v1/tickets/{id}/canned-replies/{canned_id}", agentOnly, d.renderCanned},
		{"POST", "/api/v1/tickets/bulk", agentOnly, d.bulk},

		{"GET", "/api/v1/canned-replies", agentOnly, d.listCanned},
		{"POST", "/api/v1/canned-replies", agentOnly, d.createCanned},
		{"GET", "/api/v1/canned-replies/{id}", agentOnly, d.getCanned},
		{"PATCH", "/api/v1/canned-replies/{id}", agentOnly, d.updateCanned},
		{"DELETE", "/api/v1/canned-replies/{id}", agentOnly, d.deleteCanned},
		{"POST", "/api/v1/canned-replies/{id}/attachments", agentOnly, d.addCannedFiles},
		{"GET", "/api/v1/canned-replies/{id}/attachments/{attachment_id}", agentOnly, d.cannedAttachment},

		{"GET", "/api/v1/contacts", agentOnly, d.listContacts},
		{"GET", "/api/v1/contacts/{id}", agentOnly, d.getContact},
		{"PATCH", "/api/v1/contacts/{id}", agentOnly, d.updateContact},

		{"GET", "/api/v1/reports", adminOnly, d.report},

		{"GET", "/api/v1/identities", adminOnly, d.listIdentities},
		{"POST", "/api/v1/identities", adminOnly, d.createIdentity},
		{"GET", "/api/v1/identities/{id}", adminOnly, d.getIdentity},
		{"DELETE", "/api/v1/identities/{id}", adminOnly, d.deleteIdentity},
		{"POST", "/api/v1/identities/{id}/check", adminOnly, d.checkIdentity},
		{"POST", "/api/v1/identities/{id}/code", adminOnly, d.sendIdentityCode},
		{"POST", "/api/v1/identities/{id}/confirm", adminOnly, d.confirmIdentity},

		{"GET", "/api/v1/webhooks", adminOnly, d.listWebhooks},
		{"POST", "/api/v1/webhooks", adminOnly, d.createWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", adminOnly, d.deleteWebhook},

		{"GET", "/api/v1/events", agentOnly, d.events},
	}
}

// Handler builds the route table.
func Handler(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.ready)
	if d.Auth == nil {
		return mux
	}
	for _, rt := range d.routes() {
		mux.Handle(rt.method+" "+rt.path, d.guard(rt))
	}
	mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "not_found", "No such API endpoint.", nil)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// JSON is never sniffed into HTML (the server's edge sets it too).
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}

// guard authenticates and authorizes a request before its handler.
func (d Deps) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if rt.access == public {
			rt.h(w, r)
			return
		}
		p, err := d.Auth.Authenticate(r)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		if err := auth.CheckCSRF(r, p); err != nil {
			problem(w, http.StatusForbidden, "csrf", "Missing or invalid CSRF token (send the X-CSRF-Token header from GET /api/v1/me).", nil)
			return
		}
		if rt.access == adminOnly && !p.IsAdmin() {
			problem(w, http.StatusForbidden, "forbidden", "Only admins may do this.", nil)
			return
		}
		rt.h(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

func (d Deps) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	status := http.StatusOK
	out := map[string]string{}
	for name, c := range d.Checks {
		if err := c.Check(ctx); err != nil {
			status = http.StatusServiceUnavailable
			out[name] = err.Error()
			d.Log.Warn("readiness check failed", "check", name, "err", err)
		} else {
			out[name] = "ok"
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	// The details (database errors name hosts and users; the node's
	// leases name companies) only for a logged-in admin; everyone else
	// (load balancers) learns ready or not.
	body := map[string]any{"ready": status == http.StatusOK}
	if d.Auth != nil {
		if p, err := d.Auth.Authenticate(r); err == nil && p.IsAdmin() {
			body["checks"] = out
			if d.ReadyInfo != nil {
				for k, v := range d.ReadyInfo() {
					if _, taken := body[k]; !taken {
						body[k] = v
					}
				}
			}
		}
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
