package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/inbound/smtpin"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// Menu Canais (admins only): the channel list with status, the channel
// form (blocks "E-mail" and "Definir tipos de conexão") with its
// connection test, and the rule editor (channels/{id}/rule, rules.go).
// Passwords go from the form to the secrets box or the connection test
// and are never rendered back.

// channelRoutes registers the channel pages on mux.
func (h *handler) channelRoutes(mux *http.ServeMux, funcs template.FuncMap) {
	fm := template.FuncMap{
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"blankFilter": func() filterRow { return filterRow{Index: -1, Kind: filterKinds[0]} },
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
	}
	for k, f := range funcs {
		fm[k] = f
	}
	for _, p := range []string{"channels", "channel", "rule"} {
		h.pages[p] = template.Must(template.New(p).Funcs(fm).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	mux.HandleFunc("GET /channels", h.channelAdmin(h.channelList))
	mux.HandleFunc("GET /channels/new", h.channelAdmin(h.channelNew))
	mux.HandleFunc("POST /channels/new", h.channelAdmin(h.channelSubmit))
	mux.HandleFunc("GET /channels/{id}", h.channelAdmin(h.channelEdit))
	mux.HandleFunc("POST /channels/{id}", h.channelAdmin(h.channelSubmit))
	mux.HandleFunc("POST /channels/test-connection", h.channelAdmin(h.channelTestPart))
	mux.HandleFunc("POST /channels/{id}/regenerate-address", h.channelAdmin(h.channelRegenerate))
	mux.HandleFunc("GET /channels/{id}/rule", h.channelAdmin(h.rulePage))
	mux.HandleFunc("POST /channels/{id}/rule", h.channelAdmin(h.ruleSubmit))
}

// admin guards an admin-only page.
func (h *handler) channelAdmin(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return h.agent(func(w http.ResponseWriter, r *http.Request, s *session) {
		if !s.P.IsAdmin() {
			h.errorPage(w, r, s.L, http.StatusForbidden, "ch.forbidden")
			return
		}
		fn(w, r, s)
	})
}

// channelRow is one line of the channel list.
type channelRow struct {
	Ch       model.Channel
	State    string // connected, syncing, idle, error, reconnect_needed, disabled, pending
	Done     int64
	Total    int64
	Percent  int64
	Error    string
	Sending  string // outbox status line, "" when unknown
	Internal bool
	// NoRule: the rule sends tickets to no team, so only admins see them.
	NoRule bool
	// Unverified lists the channel's addresses its company has not
	// verified (mail to them is refused, the relay does not send as them).
	Unverified []string
}

func (h *handler) channelList(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	cs, err := h.Directory.ListChannels(ctx, s.P.CompanyID)
	if err != nil {
		h.channelFail(w, r, s, err)
		return
	}
	// One query for every channel's sync status and one for every
	// address's verification (not one per channel).
	sts, err := h.Store.ListChannelStatus(ctx, s.P.CompanyID)
	if err != nil {
		h.channelFail(w, r, s, err)
		return
	}
	byChannel := map[int64]*store.ChannelStatus{}
	for i := range sts {
		byChannel[sts[i].ChannelID] = &sts[i]
	}
	var verified map[string]identity.Status
	if h.Identities != nil {
		var all []string
		for i := range cs {
			all = append(all, identity.ChannelAddresses(&cs[i])...)
		}
		if verified, err = h.Identities.Statuses(ctx, s.P.CompanyID, all); err != nil {
			h.channelFail(w, r, s, err)
			return
		}
	}
	rows := make([]channelRow, 0, len(cs))
	for i := range cs {
		ch := &cs[i]
		row := channelRow{Ch: *ch, Internal: ch.Incoming == model.ConnInternal, NoRule: ch.Settings.Rule.DefaultTeamID == 0}
		st, ok := byChannel[ch.ID]
		switch {
		case !ok:
			row.State = string(store.SyncIdle)
			if ch.Incoming == model.ConnExternal {
				row.State = "pending"
			}
		default:
			row.State, row.Done, row.Total, row.Error = string(st.State), st.Done, st.Total, st.LastError
			if st.Total > 0 {
				row.Percent = min(100, st.Done*100/st.Total)
			}
		}
		if !ch.Enabled {
			row.State = "disabled"
		}
		if h.Identities != nil {
			for _, a := range identity.ChannelAddresses(ch) {
				if verified[a] != identity.StatusVerified {
					row.Unverified = append(row.Unverified, a)
				}
			}
		}
		if h.SendingStatus != nil {
			ss, err := h.SendingStatus(ctx, ch)
			if err != nil {
				h.channelFail(w, r, s, err)
				return
			}
			if ss.Quota > 0 {
				row.Sending = s.L.T("ch.sent_quota", ss.SentToday, ss.Quota)
			} else {
				row.Sending = s.L.T("ch.sent_unlimited", ss.SentToday)
			}
			if ss.Queued > 0 {
				row.Sending += " · " + s.L.T("ch.queued", ss.Queued)
			}
			if ss.Paused != "" {
				row.Sending += " · " + s.L.T("ch.paused", ss.Paused)
			}
		}
		rows = append(rows, row)
	}
	v := s.view(s.L.T("ch.title"))
	v.Page = rows
	if r.URL.Query().Get("saved") != "" {
		v.Flash = s.L.T("ch.saved")
	}
	if r.URL.Query().Get("oauth") == "error" {
		v.Error = s.L.oauthError(r.URL.Query().Get("reason"))
	}
	h.render(w, r, http.StatusOK, "channels", "layout", v)
}

func (h *handler) channelFail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	h.Log.Error("ui: channels", "path", r.URL.Path, "err", err)
	h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
}

// channelPresetView is a provider preset as the form's JS reads it.
type channelPresetView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	IMAPHost    string `json:"imap_host"`
	IMAPPort    int    `json:"imap_port"`
	IMAPEnc     string `json:"imap_enc"`
	SMTPHost    string `json:"smtp_host"`
	SMTPPort    int    `json:"smtp_port"`
	SMTPEnc     string `json:"smtp_enc"`
	AppPassword bool   `json:"app_password"`
	OAuth       bool   `json:"oauth"`
}

// OAuthConnections is what the channel form uses of oauth.Tokens.
type OAuthConnections interface {
	Pending(ctx context.Context, companyID, channelID int64) (*oauth.Pending, error)
	AcceptPending(ctx context.Context, companyID, channelID int64) (*model.Channel, error)
	DiscardPending(ctx context.Context, companyID, channelID int64) error
}

var _ OAuthConnections = (*oauth.Tokens)(nil)

// oauthPendingView is a connection that signed in as another account than
// the channel's address, waiting for the admin.
type oauthPendingView struct {
	Provider, Account, Expected string
}

// oauthError is the admin's message for a failed OAuth connection
// (oauth.Reason codes).
func (l Localizer) oauthError(reason string) string {
	k := "ch.oauth_err." + reason
	if _, ok := catalog[l.Lang][k]; !ok {
		k = "ch.oauth_err.failed"
	}
	return l.T(k)
}

// channelPage is the channel form.
type channelPage struct {
	OAuthPending   *oauthPendingView
	ID             int64
	Inbound        string // inbound address (internal channels)
	Presets        []providers.Preset
	PresetsJSON    string
	OAuth          []string // providers with a configured OAuth client
	HasPassword    bool
	Test           *testResult
	Lang           string
	PersonalQuota  int
	OAuthAvailable bool
	CanRegenerate  bool // internal channel and Deps.RegenerateAddress set
	// Addresses are the channel's addresses with their verification
	// (package identity); nil without Deps.Identities.
	Addresses []addressStatus
	// DNS is the DKIM/SPF records of the relay From domain with what the
	// resolver found (internal outgoing connection).
	DNS       []dnsRow
	DNSDomain string
}

// addressStatus is one address of the channel and whether the company
// owns it.
type addressStatus struct {
	Address, Domain, Role string // role: primary, additional, from
	Status                identity.Status
}

// dnsRow is a record to publish and what the DNS has.
type dnsRow struct {
	signing.RecordStatus
	ID string // element id of its value (copy button)
}

// testResult is a connection test shown in the page language.
type testResult struct {
	OK       bool
	Internal bool     // the internal connection's test (relay, DNS)
	Passed   []string // what an internal test found in order
	Problems []testProblem
	Errors   map[string]string
}

type testProblem struct {
	Error bool
	Text  string
}

func (h *handler) presets() (string, []providers.Preset) {
	all := providers.All()
	pv := make([]channelPresetView, 0, len(all))
	for _, p := range all {
		pv = append(pv, channelPresetView{p.ID, p.Name, p.IMAP.Host, p.IMAP.Port, p.IMAP.Encryption, p.SMTP.Host, p.SMTP.Port, p.SMTP.Encryption, p.AppPassword, p.OAuth})
	}
	b, _ := json.Marshal(pv)
	return string(b), all
}

func (h *handler) channelView(s *session, id int64) (*view, *channelPage) {
	js, all := h.presets()
	pg := &channelPage{ID: id, Presets: all, PresetsJSON: js, OAuth: h.OAuthProviders, Lang: s.L.Lang, PersonalQuota: 25}
	title := s.L.T("ch.new")
	if id != 0 {
		title = s.L.T("ch.edit")
	}
	v := s.view(title)
	v.Form = map[string]string{}
	v.Page = pg
	return v, pg
}

func (h *handler) channelNew(w http.ResponseWriter, r *http.Request, s *session) {
	v, _ := h.channelView(s, 0)
	v.Form = map[string]string{"connection": "internal", "imap.encryption": "tls", "smtp.encryption": "tls", "auth": "password", "account_kind": "business"}
	h.render(w, r, http.StatusOK, "channel", "layout", v)
}

func (h *handler) channelEdit(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	ch, err := h.Directory.GetChannel(r.Context(), s.P.CompanyID, id)
	if err != nil {
		h.channelFail(w, r, s, err)
		return
	}
	v, pg := h.channelView(s, id)
	v.Form = channelForm(ch)
	switch r.URL.Query().Get("flash") {
	case "regenerated":
		v.Flash = s.L.T("ch.regenerated")
	case "not_regenerated":
		v.Error = s.L.T("ch.regen_unconfirmed")
	}
	if err := h.fillChannelPage(r.Context(), s, ch, pg); err != nil {
		h.channelFail(w, r, s, err)
		return
	}
	switch r.URL.Query().Get("oauth") { // back from the provider (api.oauthCallback)
	case "connected":
		if u := ch.Settings.SMTP.Username; u != "" && oauth.UsesOAuth(ch) {
			v.Flash = s.L.T("ch.oauth_connected", u)
		}
	case "error":
		v.Error = s.L.oauthError(r.URL.Query().Get("reason"))
	}
	h.render(w, r, http.StatusOK, "channel", "layout", v)
}

func (h *handler) fillChannelPage(ctx context.Context, s *session, ch *model.Channel, pg *channelPage) error {
	if h.InboundDomain != "" && ch.Incoming == model.ConnInternal {
		co, err := h.Store.GetCompany(ctx, s.P.CompanyID)
		if err != nil {
			return err
		}
		pg.Inbound = smtpin.InboundAddress(co.Slug, ch.InboundToken, h.InboundDomain)
	}
	pg.CanRegenerate = h.RegenerateAddress != nil && ch.Incoming == model.ConnInternal
	if err := h.fillVerification(ctx, s, ch, pg); err != nil {
		return err
	}
	if h.Secrets != nil {
		_, err := h.Secrets.ChannelSecret(ctx, h.Store, s.P.CompanyID, ch.ID, secrets.IMAPPassword)
		pg.HasPassword = err == nil
	}
	if h.OAuth != nil {
		p, err := h.OAuth.Pending(ctx, s.P.CompanyID, ch.ID)
		switch {
		case err == nil:
			pg.OAuthPending = &oauthPendingView{Provider: p.Provider, Account: p.Email, Expected: p.Expected}
		case !errors.Is(err, oauth.ErrNoPending):
			h.Log.Warn("ui: pending oauth connection", "channel", ch.ID, "err", err)
		}
	}
	return nil
}

// fillVerification adds the channel's addresses with their verification
// and, for a channel sending through the relay, the DNS records of its
// From domain with what the resolver finds.
func (h *handler) fillVerification(ctx context.Context, s *session, ch *model.Channel, pg *channelPage) error {
	if h.Identities != nil {
		addrs := identity.ChannelAddresses(ch)
		st, err := h.Identities.Statuses(ctx, s.P.CompanyID, addrs)
		if err != nil {
			return err
		}
		from := directory.RelayFrom(ch)
		for _, a := range addrs {
			role := "additional"
			switch {
			case a == model.NormalizeEmail(ch.Settings.PrimaryEmail):
				role = "primary"
			case a == from:
				role = "from"
			}
			pg.Addresses = append(pg.Addresses, addressStatus{Address: a, Domain: identity.DomainOf(a), Role: role, Status: st[a]})
		}
	}
	if from := directory.RelayFrom(ch); from != "" && h.SendingDNS != nil {
		pg.DNSDomain = identity.DomainOf(from)
		recs, err := h.SendingDNS(ctx, s.P.CompanyID, pg.DNSDomain)
		if err != nil {
			h.Log.Warn("ui: channel DNS records", "channel", ch.ID, "err", err)
			return nil
		}
		for i, r := range recs {
			pg.DNS = append(pg.DNS, dnsRow{RecordStatus: r, ID: "dns-value-" + strconv.Itoa(i)})
		}
	}
	return nil
}

// channelForm is a stored channel as form values (never a password).
func channelForm(ch *model.Channel) map[string]string {
	st := ch.Settings
	b := func(v bool) string {
		if v {
			return "on"
		}
		return ""
	}
	f := map[string]string{
		"name": ch.Name, "signature": st.Signature, "show_quote": b(st.ShowQuote), "forward_new_ticket": b(st.ForwardNewTicket),
		"connection": string(ch.Incoming), "primary_email": st.PrimaryEmail, "additional_emails": strings.Join(st.AdditionalEmails, "\n"),
		"from_name": st.FromName, "from_email": st.FromEmail, "carbon_copy": st.CarbonCopy, "provider": st.Provider,
		"account_kind": string(st.AccountKind), "auth": st.IMAP.Auth, "enabled": b(ch.Enabled),
		"imap.host": st.IMAP.Host, "imap.encryption": st.IMAP.Encryption, "imap.username": st.IMAP.Username,
		"smtp.host": st.SMTP.Host, "smtp.encryption": st.SMTP.Encryption, "smtp.username": st.SMTP.Username,
	}
	if st.IMAP.Port != 0 {
		f["imap.port"] = strconv.Itoa(st.IMAP.Port)
	}
	if st.SMTP.Port != 0 {
		f["smtp.port"] = strconv.Itoa(st.SMTP.Port)
	}
	if ch.Outgoing == model.ConnOffice365 {
		f["outgoing"] = string(model.ConnOffice365)
	}
	f["folders"] = strings.Join(st.Folders, ", ")
	if f["folders"] == "" {
		f["folders"] = "INBOX"
	}
	f["after_import"], f["move_to"] = st.AfterImport, st.MoveTo
	if st.CopyToSent {
		f["copy_to_sent"] = "on"
	}
	f["sent_folder"] = st.SentFolder
	switch {
	case st.HistoryDays == -1:
		f["history"] = "all"
	case st.HistoryDays > 0:
		f["history"], f["history_days"] = "days", strconv.Itoa(st.HistoryDays)
	default:
		f["history"] = "none"
	}
	if f["auth"] == "" {
		f["auth"] = "password"
	}
	return f
}

// channelFormFields are the text fields of the channel form shown again after
// a failed save or a test (no passwords).
var channelFormFields = []string{"name", "signature", "show_quote", "no_quote", "forward_new_ticket", "connection", "primary_email",
	"additional_emails", "from_name", "from_email", "carbon_copy", "provider", "account_kind", "auth", "enabled",
	"imap.host", "imap.port", "imap.encryption", "imap.username", "smtp.host", "smtp.port", "smtp.encryption", "smtp.username",
	"outgoing", "folders", "after_import", "move_to", "history", "history_days", "copy_to_sent", "sent_folder", "oauth_accept"}

// channelPatch reads the channel form. Port fields that are not numbers
// are field errors.
func channelPatch(r *http.Request, v *directory.ValidationError) directory.ChannelPatch {
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	str := func(k string) *string { s := val(k); return &s }
	on := func(k string) bool { return r.PostFormValue(k) != "" }
	var p directory.ChannelPatch
	p.Name = str("name")
	sig := r.PostFormValue("signature")
	p.Signature = &sig
	quote := on("show_quote") && !on("no_quote")
	p.ShowQuote = &quote
	fwd := on("forward_new_ticket")
	p.ForwardNewTicket = &fwd
	if on("has_enabled") {
		enabled := on("enabled")
		p.Enabled = &enabled
	}
	conn := model.Connection(val("connection"))
	out := conn
	if val("outgoing") == string(model.ConnOffice365) {
		out = model.ConnOffice365
	}
	p.Incoming, p.Outgoing = &conn, &out
	p.PrimaryEmail = str("primary_email")
	extra := []string{}
	for _, l := range strings.FieldsFunc(r.PostFormValue("additional_emails"), func(c rune) bool { return c == '\n' || c == ',' || c == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			extra = append(extra, l)
		}
	}
	p.AdditionalEmails = extra
	p.FromName, p.FromEmail, p.CarbonCopy = str("from_name"), str("from_email"), str("carbon_copy")
	if conn == model.ConnExternal {
		p.Provider = str("provider")
		kind := model.AccountKind(val("account_kind"))
		p.AccountKind = &kind
		auth := val("auth")
		srv := func(name string) *model.ServerConf {
			c := model.ServerConf{Host: val(name + ".host"), Encryption: val(name + ".encryption"), Username: val(name + ".username"), Auth: auth}
			if name == "smtp" && c.Username == "" {
				c.Username = val("imap.username")
			}
			if ps := val(name + ".port"); ps != "" {
				n, err := strconv.Atoi(ps)
				if err != nil {
					*v = append(*v, directory.FieldError{Field: name + ".port", Message: "must be between 1 and 65535"})
				}
				c.Port = n
			}
			return &c
		}
		p.IMAP, p.SMTP = srv("imap"), srv("smtp")
		folders := []string{}
		for _, f := range strings.Split(r.PostFormValue("folders"), ",") {
			if f = strings.TrimSpace(f); f != "" {
				folders = append(folders, f)
			}
		}
		p.Folders = folders // empty: the directory's default INBOX
		after, moveTo := val("after_import"), val("move_to")
		p.AfterImport, p.MoveTo = &after, &moveTo
		copySent, sentFolder := val("copy_to_sent") == "on", val("sent_folder")
		p.CopyToSent, p.SentFolder = &copySent, &sentFolder
		days := 0
		switch val("history") {
		case "all":
			days = -1
		case "days":
			n, err := strconv.Atoi(val("history_days"))
			if err != nil || n < 1 {
				*v = append(*v, directory.FieldError{Field: "history_days", Message: "must be a whole number of days"})
			}
			days = n
		case "", "none":
		default:
			*v = append(*v, directory.FieldError{Field: "history", Message: "must be none, days or all"})
		}
		p.HistoryDays = &days
	}
	return p
}

var reChannelSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugFor derives a channel slug from its name.
func channelSlug(name string, n int) string {
	s := strings.Trim(reChannelSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(s) > 50 {
		s = strings.Trim(s[:50], "-")
	}
	if s == "" {
		s = "canal"
	}
	if n > 1 {
		s += "-" + strconv.Itoa(n)
	}
	return s
}

func (h *handler) channelSubmit(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	var id int64
	if r.PathValue("id") != "" {
		var err error
		if id, err = strconv.ParseInt(r.PathValue("id"), 10, 64); err != nil {
			h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
			return
		}
	}
	v, pg := h.channelView(s, id)
	for _, k := range channelFormFields {
		v.Form[k] = r.PostFormValue(k)
	}
	var cur *model.Channel
	if id != 0 {
		var err error
		if cur, err = h.Directory.GetChannel(ctx, s.P.CompanyID, id); err != nil {
			h.channelFail(w, r, s, err)
			return
		}
		if err := h.fillChannelPage(ctx, s, cur, pg); err != nil {
			h.channelFail(w, r, s, err)
			return
		}
	}
	if r.PostFormValue("action") == "test" {
		pg.Test = h.runTest(r, s, id)
		v.Errors = pg.Test.Errors
		h.render(w, r, http.StatusOK, "channel", "layout", v)
		return
	}
	var ve directory.ValidationError
	p := channelPatch(r, &ve)
	imapPW, smtpPW := r.PostFormValue("imap_password"), r.PostFormValue("smtp_password")
	external := p.Incoming != nil && *p.Incoming == model.ConnExternal
	if external && imapPW != "" && h.Secrets == nil {
		ve = append(ve, directory.FieldError{Field: "imap_password", Message: "secrets box not configured"})
	}
	acceptOAuth := id != 0 && h.OAuth != nil && r.PostFormValue("oauth_accept") != ""
	if external && imapPW == "" && !pg.HasPassword && r.PostFormValue("auth") != "oauth" && !acceptOAuth {
		ve = append(ve, directory.FieldError{Field: "imap_password", Message: "required"})
	}
	// A saved password is only for the server it was saved for: a new
	// host, port, user or encryption forgets it, so ask for it now.
	if external && imapPW == "" && pg.HasPassword && cur != nil && r.PostFormValue("auth") != "oauth" && len(ve) == 0 {
		if next, err := h.Directory.ConnectionSettings(ctx, s.P.CompanyID, id, p); err == nil && !directory.SameServer(cur.Settings.IMAP, next.Settings.IMAP) {
			ve = append(ve, directory.FieldError{Field: "imap_password", Message: api.MsgSecretElsewhere})
		}
	}
	if len(imapPW) > 1024 || len(smtpPW) > 1024 {
		ve = append(ve, directory.FieldError{Field: "imap_password", Message: "must be at most 1024 bytes"})
	}
	var ch *model.Channel
	var err error
	if len(ve) == 0 {
		if id == 0 {
			ch, err = h.createChannel(ctx, s.P.CompanyID, p)
		} else {
			ch, err = h.Directory.UpdateChannel(ctx, s.P.CompanyID, id, p)
		}
		if errors.As(err, &ve) {
			err = nil
		} else if err != nil {
			h.channelFail(w, r, s, err)
			return
		}
	}
	if len(ve) > 0 {
		v.Errors = s.L.channelErrors(ve)
		v.Error = s.L.T("ch.fix_errors")
		h.render(w, r, http.StatusUnprocessableEntity, "channel", "layout", v)
		return
	}
	if external && imapPW != "" {
		if smtpPW == "" {
			smtpPW = imapPW
		}
		err := h.Store.Tx(ctx, func(q store.Queries) error {
			if err := h.Secrets.PutChannelSecret(ctx, q, s.P.CompanyID, ch.ID, secrets.IMAPPassword, imapPW); err != nil {
				return err
			}
			return h.Secrets.PutChannelSecret(ctx, q, s.P.CompanyID, ch.ID, secrets.SMTPPassword, smtpPW)
		})
		if err != nil {
			h.channelFail(w, r, s, fmt.Errorf("ui: store channel password: %w", err))
			return
		}
	}
	// The OAuth connection that signed in as another account: the admin
	// ticked "use it" or, having seen the notice, saved without it.
	next := "/channels?saved=1"
	if id == 0 {
		// A new channel's tickets go nowhere until its rule names a team.
		next = fmt.Sprintf("/channels/%d/rule?new=1", ch.ID)
	}
	if acceptOAuth {
		if _, err := h.OAuth.AcceptPending(ctx, s.P.CompanyID, ch.ID); errors.Is(err, oauth.ErrNoPending) {
			next = fmt.Sprintf("/channels/%d?oauth=error&reason=pending_expired", ch.ID)
		} else if err != nil {
			h.channelFail(w, r, s, fmt.Errorf("ui: accept oauth connection: %w", err))
			return
		}
	} else if id != 0 && h.OAuth != nil && r.PostFormValue("oauth_pending") != "" {
		if err := h.OAuth.DiscardPending(ctx, s.P.CompanyID, ch.ID); err != nil {
			h.channelFail(w, r, s, fmt.Errorf("ui: drop oauth connection: %w", err))
			return
		}
	}
	if h.ChannelChanged != nil {
		h.ChannelChanged(ctx)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// createChannel creates a channel from the form's patch, deriving the
// slug from the name.
func (h *handler) createChannel(ctx context.Context, companyID int64, p directory.ChannelPatch) (*model.Channel, error) {
	in := directory.ChannelInput{Name: *p.Name, Incoming: *p.Incoming, Outgoing: *p.Outgoing, PrimaryEmail: *p.PrimaryEmail, SettingsPatch: p.SettingsPatch}
	for n := 1; ; n++ {
		in.Slug = channelSlug(in.Name, n)
		ch, err := h.Directory.CreateChannel(ctx, companyID, in)
		var ve directory.ValidationError
		if n < 20 && errors.As(err, &ve) && len(ve) == 1 && ve[0].Field == "slug" {
			continue
		}
		return ch, err
	}
}

// runTest runs the connection test of the submitted form.
func (h *handler) runTest(r *http.Request, s *session, id int64) *testResult {
	ctx := r.Context()
	res := &testResult{}
	var ve directory.ValidationError
	p := channelPatch(r, &ve)
	if p.Incoming != nil && *p.Incoming == model.ConnInternal && *p.Outgoing == model.ConnInternal {
		return h.runInternalTest(r, s, id, p, ve)
	}
	ext := model.ConnExternal
	p.Incoming = &ext
	var ch *model.Channel
	if len(ve) == 0 {
		var err error
		ch, err = h.Directory.ConnectionSettings(ctx, s.P.CompanyID, id, p)
		if !errors.As(err, &ve) && err != nil {
			h.Log.Error("ui: connection settings", "err", err)
			res.Problems = append(res.Problems, testProblem{true, s.L.T("err.internal")})
			return res
		}
	}
	imapPW, smtpPW := r.PostFormValue("imap_password"), r.PostFormValue("smtp_password")
	if len(ve) == 0 && imapPW == "" && id != 0 && h.Secrets != nil {
		// A saved password goes only to the server it was saved for.
		saved, err := h.Directory.GetChannel(ctx, s.P.CompanyID, id)
		if err != nil {
			h.Log.Error("ui: connection test", "err", err)
			res.Problems = append(res.Problems, testProblem{true, s.L.T("err.internal")})
			return res
		}
		switch {
		case !directory.SameServer(saved.Settings.IMAP, ch.Settings.IMAP):
			ve = append(ve, directory.FieldError{Field: "imap_password", Message: api.MsgSecretElsewhere})
		case ch.Outgoing == model.ConnExternal && smtpPW == "" && !directory.SameServer(saved.Settings.SMTP, ch.Settings.SMTP):
			ve = append(ve, directory.FieldError{Field: "smtp_password", Message: api.MsgSecretElsewhere})
		default:
			if pw, err := h.Secrets.ChannelSecret(ctx, h.Store, s.P.CompanyID, id, secrets.IMAPPassword); err == nil {
				imapPW = pw
				if smtpPW == "" {
					if pw, err := h.Secrets.ChannelSecret(ctx, h.Store, s.P.CompanyID, id, secrets.SMTPPassword); err == nil {
						smtpPW = pw
					}
				}
			}
		}
	}
	if imapPW == "" && !slices.ContainsFunc(ve, func(f directory.FieldError) bool { return f.Field == "imap_password" }) {
		ve = append(ve, directory.FieldError{Field: "imap_password", Message: "required"})
	}
	if len(ve) > 0 {
		res.Errors = s.L.channelErrors(ve)
		res.Problems = append(res.Problems, testProblem{true, s.L.T("ch.fix_errors")})
		return res
	}
	if h.CheckConnection == nil {
		res.Problems = append(res.Problems, testProblem{true, s.L.T("ch.test_unavailable")})
		return res
	}
	if smtpPW == "" {
		smtpPW = imapPW
	}
	rep := h.CheckConnection(ctx, ch.Settings, imapPW, smtpPW, imapsync.CheckOptions{SkipSMTP: ch.Outgoing != model.ConnExternal})
	res.OK = rep.OK()
	for _, pr := range rep.Problems {
		res.Problems = append(res.Problems, testProblem{pr.Severity == providers.SeverityError, pr.Message(s.L.Lang)})
	}
	return res
}

// runInternalTest is "Testar conexão" for an internal channel: the relay
// reachable and authenticated, the From verified, DKIM and SPF published.
func (h *handler) runInternalTest(r *http.Request, s *session, id int64, p directory.ChannelPatch, ve directory.ValidationError) *testResult {
	ctx := r.Context()
	res := &testResult{}
	var ch *model.Channel
	if len(ve) == 0 {
		var err error
		ch, err = h.Directory.ConnectionSettings(ctx, s.P.CompanyID, id, p)
		if !errors.As(err, &ve) && err != nil {
			h.Log.Error("ui: connection settings", "err", err)
			res.Problems = append(res.Problems, testProblem{true, s.L.T("err.internal")})
			return res
		}
	}
	if len(ve) > 0 {
		res.Errors = s.L.channelErrors(ve)
		res.Problems = append(res.Problems, testProblem{true, s.L.T("ch.fix_errors")})
		return res
	}
	rep, err := api.InternalCheck(ctx, ch, h.CheckRelay, h.Identities, h.SendingDNS)
	if err != nil {
		h.Log.Error("ui: internal connection test", "err", err)
		res.Problems = append(res.Problems, testProblem{true, s.L.T("err.internal")})
		return res
	}
	res.OK = rep.OK()
	res.Internal = true
	if rep.RelayOK {
		res.Passed = append(res.Passed, s.L.T("ch.test_relay_ok"))
	}
	if rep.FromStatus == identity.StatusVerified {
		res.Passed = append(res.Passed, s.L.T("ch.test_from_ok", rep.From))
	}
	for _, rec := range rep.Records {
		if rec.State == signing.Published {
			res.Passed = append(res.Passed, s.L.T("ch.test_record_ok", strings.ToUpper(rec.Kind), rec.Name))
		}
	}
	for _, pr := range rep.Problems {
		res.Problems = append(res.Problems, testProblem{pr.Severity == providers.SeverityError, pr.In(s.L.Lang)})
	}
	return res
}

// channelTestPart answers the form's "Testar conexão" button (fetch):
// the result as an HTML fragment, the form stays as typed.
func (h *handler) channelTestPart(w http.ResponseWriter, r *http.Request, s *session) {
	id, _ := strconv.ParseInt(r.PostFormValue("channel_id"), 10, 64)
	if id < 0 {
		id = 0
	}
	v := s.view("")
	v.Page = &channelPage{Test: h.runTest(r, s, id)}
	h.render(w, r, http.StatusOK, "channel", "testresult", v)
}

// channelRegenerate answers "Gerar novo endereço": an internal channel
// gets a new inbound address (the old one stops receiving mail) once the
// admin ticked the confirmation.
func (h *handler) channelRegenerate(w http.ResponseWriter, r *http.Request, s *session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || h.RegenerateAddress == nil {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	ctx := r.Context()
	ch, err := h.Directory.GetChannel(ctx, s.P.CompanyID, id)
	if err != nil {
		h.channelFail(w, r, s, err)
		return
	}
	path := "/channels/" + strconv.FormatInt(id, 10)
	if ch.Incoming != model.ConnInternal {
		h.errorPage(w, r, s.L, http.StatusConflict, "ch.regen_internal_only")
		return
	}
	if r.PostFormValue("confirm") == "" {
		http.Redirect(w, r, path+"?flash=not_regenerated", http.StatusSeeOther)
		return
	}
	if _, err := h.RegenerateAddress(ctx, s.P.CompanyID, id); err != nil {
		h.channelFail(w, r, s, fmt.Errorf("ui: regenerate inbound address: %w", err))
		return
	}
	http.Redirect(w, r, path+"?flash=regenerated", http.StatusSeeOther)
}
