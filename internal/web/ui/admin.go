package ui

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// The admin pages (menu "Administração"): agents, teams, API tokens,
// webhooks and admin notices. Admins only; agents get a translated 403.

// adminPages are the admin templates; each is parsed with the layout and
// the admin section menu.
var adminPages = []string{"admin_agents", "admin_agent", "admin_teams", "admin_tokens", "admin_webhooks", "admin_notices",
	"admin_identities", "admin_identity"}

// parseAdminPages adds the admin templates to h.pages.
func (h *handler) parseAdminPages(funcs template.FuncMap) {
	for _, p := range adminPages {
		h.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/admin_nav.html", "templates/"+p+".html"))
	}
}

// adminRoutes registers the admin pages on mux.
func (h *handler) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", h.adminOnly(func(w http.ResponseWriter, r *http.Request, s *session) {
		http.Redirect(w, r, "/admin/agents", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /admin/agents", h.adminOnly(h.adminAgents))
	mux.HandleFunc("POST /admin/agents", h.adminOnly(h.adminCreateAgent))
	mux.HandleFunc("GET /admin/agents/{id}", h.adminOnly(h.adminAgent))
	mux.HandleFunc("POST /admin/agents/{id}", h.adminOnly(h.adminUpdateAgent))
	mux.HandleFunc("GET /admin/teams", h.adminOnly(h.adminTeams))
	mux.HandleFunc("POST /admin/teams", h.adminOnly(h.adminCreateTeam))
	mux.HandleFunc("POST /admin/teams/{id}/members", h.adminOnly(h.adminAddMember))
	mux.HandleFunc("POST /admin/teams/{id}/members/{aid}/remove", h.adminOnly(h.adminRemoveMember))
	mux.HandleFunc("GET /admin/tokens", h.adminOnly(h.adminTokens))
	mux.HandleFunc("POST /admin/tokens", h.adminOnly(h.adminCreateToken))
	mux.HandleFunc("POST /admin/tokens/{id}/revoke", h.adminOnly(h.adminRevokeToken))
	mux.HandleFunc("GET /admin/webhooks", h.adminOnly(h.adminWebhooks))
	mux.HandleFunc("POST /admin/webhooks", h.adminOnly(h.adminCreateWebhook))
	mux.HandleFunc("POST /admin/webhooks/{id}/delete", h.adminOnly(h.adminDeleteWebhook))
	mux.HandleFunc("GET /admin/notices", h.adminOnly(h.adminNotices))
	mux.HandleFunc("POST /admin/notices/{id}/read", h.adminOnly(h.adminReadNotice))
	h.identityRoutes(mux)
}

// adminOnly guards an admin page: a logged-in admin, else a 403 page.
func (h *handler) adminOnly(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return h.agent(func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.P.IsAdmin() {
			h.errorPage(w, r, s.L, http.StatusForbidden, "admin.forbidden")
			return
		}
		fn(w, r, s)
	})
}

// adminFieldMessage translates the admin services' validation messages,
// falling back to the shared translations.
func adminFieldMessage(l Localizer, msg string) string {
	switch {
	case msg == "the company needs at least one active admin":
		return l.T("admin.err.last_admin")
	case msg == "an agent with this email already exists":
		return l.T("admin.err.agent_exists")
	case msg == "a team with this name already exists":
		return l.T("admin.err.team_exists")
	case msg == "must be admin or agent":
		return l.T("admin.err.role")
	case msg == "must be one of the languages the UI speaks":
		return l.T("err.invalid_language")
	case msg == "must be an absolute http(s) URL":
		return l.T("admin.err.url")
	case strings.HasPrefix(msg, "choose at least one") || strings.HasPrefix(msg, "must be one of "):
		return l.T("admin.err.events")
	case msg == "required, at most 100 characters":
		return l.T("admin.err.token_name")
	}
	return l.fieldMessage(msg)
}

func adminFieldErrors(l Localizer, v directory.ValidationError) map[string]string {
	out := map[string]string{}
	for _, fe := range v {
		f := fe.Field
		if strings.HasPrefix(f, "events[") {
			f = "events"
		}
		if _, dup := out[f]; !dup {
			out[f] = adminFieldMessage(l, fe.Message)
		}
	}
	return out
}

// adminFail shows err: field errors on the form (re-rendered by show with
// status 422), 404 for another company's ids, 500 otherwise. It reports
// whether err was nil.
func (h *handler) adminFail(w http.ResponseWriter, r *http.Request, s *session, err error, show func(status int, v *view)) bool {
	var ve directory.ValidationError
	switch {
	case err == nil:
		return true
	case errors.As(err, &ve) && show == nil:
		v := s.view(s.L.T("err.title"))
		v.Error = s.L.T("err.invalid", strings.Join(values(adminFieldErrors(s.L, ve)), " "))
		h.render(w, r, http.StatusUnprocessableEntity, "error", "layout", v)
	case errors.As(err, &ve):
		v := s.view("")
		v.Error = s.L.T("err.form")
		v.Errors = adminFieldErrors(s.L, ve)
		v.Form = map[string]string{}
		for k, vals := range r.PostForm {
			if k != "csrf_token" && len(vals) > 0 {
				v.Form[k] = vals[0]
			}
		}
		show(http.StatusUnprocessableEntity, v)
	case errors.Is(err, store.ErrNotFound):
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
	default:
		h.Log.Error("ui: admin", "path", r.URL.Path, "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
	}
	return false
}

// adminFlash shows the translated confirmation of ?ok=key.
func adminFlash(r *http.Request, s *session, v *view) {
	if ok := r.URL.Query().Get("ok"); ok != "" && strings.Trim(ok, "abcdefghijklmnopqrstuvwxyz_") == "" {
		if msg := s.L.T("admin.ok." + ok); !strings.HasPrefix(msg, "!") {
			v.Flash = msg
		}
	}
}

// adminView starts an admin page's view.
func adminView(r *http.Request, s *session, v *view, section string) *view {
	if v == nil {
		v = s.view("")
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	v.Title = s.L.T("admin." + section + ".title")
	v.Body = "admin admin-" + section
	if v.Flash == "" {
		adminFlash(r, s, v)
	}
	return v
}

// adminSection is what every admin page gets in view.Page.
type adminSection struct {
	Section string
	Unread  int // unread notices, for the section menu
}

func (h *handler) section(r *http.Request, s *session, name string) (adminSection, error) {
	n, err := h.Store.CountUnreadNotices(r.Context(), s.P.CompanyID)
	if err != nil {
		return adminSection{}, fmt.Errorf("ui: count notices: %w", err)
	}
	return adminSection{Section: name, Unread: n}, nil
}

// --- Agents ---

type agentRow struct {
	ID                      int64
	Name, Email, Role, Lang string
	Disabled, Admin, Self   bool
	Created                 string
}

type agentsPage struct {
	adminSection
	Agents []agentRow
}

func (h *handler) adminAgents(w http.ResponseWriter, r *http.Request, s *session) {
	h.showAgents(w, r, s, http.StatusOK, nil)
}

func (h *handler) showAgents(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	v = adminView(r, s, v, "agents")
	sec, err := h.section(r, s, "agents")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	as, err := h.Directory.ListAgents(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &agentsPage{adminSection: sec}
	for _, a := range as {
		p.Agents = append(p.Agents, agentRow{ID: a.ID, Name: a.Name, Email: a.Email, Role: string(a.Role), Lang: a.Language,
			Disabled: a.Disabled, Admin: a.Role == model.RoleAdmin, Self: a.ID == s.P.AgentID, Created: s.when(a.CreatedAt).Text})
	}
	if v.Form["role"] == "" {
		v.Form["role"] = string(model.RoleAgent)
	}
	if v.Form["language"] == "" {
		v.Form["language"] = s.L.Lang
	}
	v.Page = p
	h.render(w, r, status, "admin_agents", "layout", v)
}

func (h *handler) adminCreateAgent(w http.ResponseWriter, r *http.Request, s *session) {
	in := directory.AgentInput{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"),
		Role: model.Role(r.PostFormValue("role")), Password: r.PostFormValue("password"), Language: r.PostFormValue("language")}
	var err error
	if in.Password == "" {
		err = directory.Invalid("password", "required")
	} else {
		_, err = h.Directory.CreateAgent(r.Context(), s.P.CompanyID, in)
	}
	if !h.adminFail(w, r, s, err, func(st int, v *view) {
		delete(v.Form, "password")
		h.showAgents(w, r, s, st, v)
	}) {
		return
	}
	http.Redirect(w, r, "/admin/agents?ok=agent_created", http.StatusSeeOther)
}

type agentPage struct {
	adminSection
	Agent *model.Agent
}

func (h *handler) adminAgent(w http.ResponseWriter, r *http.Request, s *session) {
	h.showAgent(w, r, s, http.StatusOK, nil)
}

func (h *handler) showAgent(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	a, err := h.Directory.GetAgent(r.Context(), s.P.CompanyID, pathID(r, "id"))
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	sec, err := h.section(r, s, "agents")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	v = adminView(r, s, v, "agents")
	v.Title = s.L.T("admin.agent.title", a.Name)
	if status == http.StatusOK {
		v.Form = map[string]string{"name": a.Name, "role": string(a.Role), "language": a.Language, "signature": a.Signature}
		if a.Disabled {
			v.Form["disabled"] = "on"
		}
	}
	v.Page = &agentPage{adminSection: sec, Agent: a}
	h.render(w, r, status, "admin_agent", "layout", v)
}

func (h *handler) adminUpdateAgent(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	name, sig, lang := r.PostFormValue("name"), r.PostFormValue("signature"), r.PostFormValue("language")
	role := model.Role(r.PostFormValue("role"))
	disabled := r.PostFormValue("disabled") != ""
	p := directory.AgentPatch{Name: &name, Role: &role, Signature: &sig, Language: &lang, Disabled: &disabled}
	if pw := r.PostFormValue("password"); pw != "" {
		p.Password = &pw
	}
	_, err := h.Directory.UpdateAgent(r.Context(), s.P.CompanyID, id, p)
	if !h.adminFail(w, r, s, err, func(st int, v *view) {
		delete(v.Form, "password")
		if disabled {
			v.Form["disabled"] = "on"
		}
		h.showAgent(w, r, s, st, v)
	}) {
		return
	}
	if id == s.P.AgentID && (role != model.RoleAdmin || disabled) {
		// No longer an admin (or signed out): the admin pages would refuse.
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/agents/%d?ok=agent_saved", id), http.StatusSeeOther)
}

// --- Teams ---

type teamRow struct {
	ID      int64
	Name    string
	Members []model.Agent
	Others  []model.Agent // active agents not in the team
}

type teamsPage struct {
	adminSection
	Teams []teamRow
}

func (h *handler) adminTeams(w http.ResponseWriter, r *http.Request, s *session) {
	h.showTeams(w, r, s, http.StatusOK, nil)
}

func (h *handler) showTeams(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	v = adminView(r, s, v, "teams")
	sec, err := h.section(r, s, "teams")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	ts, err := h.Directory.ListTeams(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	as, err := h.Directory.ListAgents(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &teamsPage{adminSection: sec}
	for _, t := range ts {
		_, members, err := h.Directory.GetTeam(r.Context(), s.P.CompanyID, t.ID)
		if !h.adminFail(w, r, s, err, nil) {
			return
		}
		row := teamRow{ID: t.ID, Name: t.Name, Members: members}
		for _, a := range as {
			if !a.Disabled && !slices.ContainsFunc(members, func(m model.Agent) bool { return m.ID == a.ID }) {
				row.Others = append(row.Others, a)
			}
		}
		p.Teams = append(p.Teams, row)
	}
	v.Page = p
	h.render(w, r, status, "admin_teams", "layout", v)
}

func (h *handler) adminCreateTeam(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := h.Directory.CreateTeam(r.Context(), s.P.CompanyID, directory.TeamInput{Name: r.PostFormValue("name")})
	if !h.adminFail(w, r, s, err, func(st int, v *view) { h.showTeams(w, r, s, st, v) }) {
		return
	}
	http.Redirect(w, r, "/admin/teams?ok=team_created", http.StatusSeeOther)
}

func (h *handler) adminAddMember(w http.ResponseWriter, r *http.Request, s *session) {
	teamID := pathID(r, "id")
	agentID, _ := strconv.ParseInt(r.PostFormValue("agent_id"), 10, 64)
	var err error
	if agentID <= 0 {
		err = directory.ValidationError{{Field: fmt.Sprintf("agent_id_%d", teamID), Message: "required"}}
	} else {
		err = h.Directory.AddMember(r.Context(), s.P.CompanyID, teamID, agentID)
	}
	if !h.adminFail(w, r, s, err, func(st int, v *view) { h.showTeams(w, r, s, st, v) }) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/teams?ok=member_added#team-%d", teamID), http.StatusSeeOther)
}

func (h *handler) adminRemoveMember(w http.ResponseWriter, r *http.Request, s *session) {
	teamID := pathID(r, "id")
	err := h.Directory.RemoveMember(r.Context(), s.P.CompanyID, teamID, pathID(r, "aid"))
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/teams?ok=member_removed#team-%d", teamID), http.StatusSeeOther)
}

// --- API tokens ---

type tokenRow struct {
	ID                      int64
	Name, Created, LastUsed string
}

type tokensPage struct {
	adminSection
	Tokens  []tokenRow
	Created string // the raw token just created, shown once
	NewName string
}

func (h *handler) adminTokens(w http.ResponseWriter, r *http.Request, s *session) {
	h.showTokens(w, r, s, http.StatusOK, nil, "", "")
}

func (h *handler) showTokens(w http.ResponseWriter, r *http.Request, s *session, status int, v *view, raw, name string) {
	v = adminView(r, s, v, "tokens")
	sec, err := h.section(r, s, "tokens")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	ts, err := h.Auth.Svc.ListAPITokens(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &tokensPage{adminSection: sec, Created: raw, NewName: name}
	for _, t := range ts {
		if !t.RevokedAt.IsZero() {
			continue
		}
		last := s.when(t.LastUsedAt).Text
		if last == "" {
			last = s.L.T("admin.tokens.never")
		}
		p.Tokens = append(p.Tokens, tokenRow{ID: t.ID, Name: t.Name, Created: s.when(t.CreatedAt).Text, LastUsed: last})
	}
	v.Page = p
	h.render(w, r, status, "admin_tokens", "layout", v)
}

func (h *handler) adminCreateToken(w http.ResponseWriter, r *http.Request, s *session) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	var err error
	var raw string
	if n := utf8.RuneCountInString(name); n == 0 || n > 100 {
		err = directory.Invalid("name", "required, at most 100 characters")
	} else {
		raw, _, err = h.Auth.Svc.CreateAPIToken(r.Context(), s.P, name)
	}
	if !h.adminFail(w, r, s, err, func(st int, v *view) { h.showTokens(w, r, s, st, v, "", "") }) {
		return
	}
	// Shown once: rendered in the answer to the POST, never stored.
	v := s.view("")
	v.Flash = s.L.T("admin.ok.token_created")
	h.showTokens(w, r, s, http.StatusCreated, v, raw, name)
}

func (h *handler) adminRevokeToken(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.Auth.Svc.RevokeAPIToken(r.Context(), s.P.CompanyID, pathID(r, "id"))
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	http.Redirect(w, r, "/admin/tokens?ok=token_revoked", http.StatusSeeOther)
}

// --- Webhooks ---

type webhookRow struct {
	ID      int64
	URL     string
	Events  []string
	Enabled bool
	Created string
}

type webhooksPage struct {
	adminSection
	Hooks   []webhookRow
	Events  []string
	Checked map[string]bool
	Secret  string // the signing secret just created, shown once
	NewURL  string
}

func (h *handler) adminWebhooks(w http.ResponseWriter, r *http.Request, s *session) {
	h.showWebhooks(w, r, s, http.StatusOK, nil, nil, "")
}

func (h *handler) showWebhooks(w http.ResponseWriter, r *http.Request, s *session, status int, v *view, created *store.Webhook, secret string) {
	v = adminView(r, s, v, "webhooks")
	sec, err := h.section(r, s, "webhooks")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	hs, err := h.Store.ListWebhooks(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &webhooksPage{adminSection: sec, Events: ticket.EventTypes, Checked: map[string]bool{}}
	if status != http.StatusOK && created == nil {
		for _, e := range r.PostForm["events"] {
			p.Checked[e] = true
		}
	}
	if created != nil {
		p.Secret, p.NewURL = secret, created.URL
	}
	for _, wh := range hs {
		p.Hooks = append(p.Hooks, webhookRow{ID: wh.ID, URL: wh.URL, Events: wh.Events, Enabled: wh.Enabled, Created: s.when(wh.CreatedAt).Text})
	}
	v.Page = p
	h.render(w, r, status, "admin_webhooks", "layout", v)
}

// adminCreateWebhook stores a webhook through the same validation as the
// REST API (api.NewWebhook).
func (h *handler) adminCreateWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	hook, secret, err := api.NewWebhook(r.Context(), h.Store, api.WebhookPolicy{Box: h.Secrets, Hosts: h.Hosts}, s.P.CompanyID, r.PostFormValue("url"), r.PostForm["events"])
	if !h.adminFail(w, r, s, err, func(st int, v *view) { h.showWebhooks(w, r, s, st, v, nil, "") }) {
		return
	}
	vw := s.view("")
	vw.Flash = s.L.T("admin.ok.webhook_created")
	h.showWebhooks(w, r, s, http.StatusCreated, vw, hook, secret)
}

func (h *handler) adminDeleteWebhook(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.Store.DeleteWebhook(r.Context(), s.P.CompanyID, pathID(r, "id"))
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	http.Redirect(w, r, "/admin/webhooks?ok=webhook_deleted", http.StatusSeeOther)
}

// --- Notices ---

type noticeRow struct {
	ID                            int64
	Kind, Title, Body, Code, Link string
	Channel, Created              string
	Read, Forwarding, Reconnect   bool
	SafeLink                      bool
	// SendFailed: a message could not be sent; TicketURL opens it.
	SendFailed bool
	TicketURL  string
	// Unverified and Refused are identity's notices about an address the
	// company has not verified (Code holds the address).
	Unverified, Refused bool
	// KindLabel names the other kinds ("notice.kind.<kind>", else the kind).
	KindLabel string
}

type noticesPage struct {
	adminSection
	Notices []noticeRow
}

func (h *handler) adminNotices(w http.ResponseWriter, r *http.Request, s *session) {
	v := adminView(r, s, nil, "notices")
	sec, err := h.section(r, s, "notices")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	ns, err := h.Store.ListNotices(r.Context(), s.P.CompanyID, store.NoticeFilter{Limit: 200})
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	names, err := h.names(r, s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &noticesPage{adminSection: sec}
	for _, n := range ns {
		link := strings.ToLower(n.Link)
		p.Notices = append(p.Notices, noticeRow{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Code: n.Code, Link: n.Link,
			Channel: names.channels[n.ChannelID], Created: s.when(n.CreatedAt).Text, Read: !n.ReadAt.IsZero(),
			Forwarding: n.Kind == store.NoticeForwardingConfirmation, Reconnect: n.Kind == store.NoticeReconnect,
			SendFailed: n.Kind == outbox.NoticeSendFailed, TicketURL: internalTicketURL(n.Link),
			SafeLink:   strings.HasPrefix(link, "https://") || strings.HasPrefix(link, "http://"),
			Unverified: n.Kind == identity.NoticeUnverified, Refused: n.Kind == identity.NoticeRefused})
		row := &p.Notices[len(p.Notices)-1]
		var fromCatalog bool
		row.Title, row.Body, fromCatalog = NoticeText(s.L.Lang, &n)
		row.KindLabel = noticeKindLabel(s.L, n.Kind)
		if !fromCatalog && (row.Unverified || row.Refused) {
			// Written before notices had keys: the stored text is
			// Portuguese, the address and day are in the code.
			addr, day, _ := strings.Cut(n.Code, " ")
			row.Title = addr
			if row.Unverified {
				row.Body = s.L.T("admin.notice.unverified_body", addr, row.Channel)
			} else {
				row.Body = s.L.T("admin.notice.refused_body", addr, day, row.Channel)
			}
		}
	}
	v.Page = p
	h.render(w, r, http.StatusOK, "admin_notices", "layout", v)
}

// internalTicketURL is link when it is one of our ticket paths
// ("/tickets/12#m34"), else "".
func internalTicketURL(link string) string {
	rest, ok := strings.CutPrefix(link, "/tickets/")
	if !ok || rest == "" || strings.ContainsAny(rest, "/?\\ ") {
		return ""
	}
	return link
}

func (h *handler) adminReadNotice(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.Store.MarkNoticeRead(r.Context(), s.P.CompanyID, pathID(r, "id"), time.Time{})
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	http.Redirect(w, r, "/admin/notices?ok=notice_read", http.StatusSeeOther)
}
