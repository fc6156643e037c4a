package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/inbound/smtpin"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Channel setup: the full channel view, credentials, the connection test,
// the channel status, inbound address regeneration and admin notices.
// Passwords are only ever read from request bodies and handed to the
// secrets box or the connection test; they are never logged or answered.

// serverView is one IMAP or SMTP endpoint (never a password).
type serverView struct {
	Host       string `json:"host"`
	Port       int    `json:"port"`
	Encryption string `json:"encryption"`
	Username   string `json:"username"`
	Auth       string `json:"auth"`
}

type channelView struct {
	ID               int64             `json:"id"`
	Slug             string            `json:"slug"`
	Name             string            `json:"name"`
	Enabled          bool              `json:"enabled"`
	Incoming         model.Connection  `json:"incoming"`
	Outgoing         model.Connection  `json:"outgoing"`
	InboundToken     string            `json:"inbound_token"`
	InboundAddress   string            `json:"inbound_address,omitempty"` // internal incoming only
	PrimaryEmail     string            `json:"primary_email"`
	Signature        string            `json:"signature"`
	ShowQuote        bool              `json:"show_quote"`
	ForwardNewTicket bool              `json:"forward_new_ticket"`
	AdditionalEmails []string          `json:"additional_emails"`
	FromName         string            `json:"from_name"`
	FromEmail        string            `json:"from_email"`
	CarbonCopy       string            `json:"carbon_copy"`
	Provider         string            `json:"provider"`
	AccountKind      model.AccountKind `json:"account_kind"`
	DailyQuota       int               `json:"daily_quota"`
	IMAP             serverView        `json:"imap"`
	SMTP             serverView        `json:"smtp"`
	Folders          []string          `json:"folders"`
	AfterImport      string            `json:"after_import"`
	MoveTo           string            `json:"move_to"`
	HistoryDays      int               `json:"history_days"`
	// Verification says, for each address mail is routed by and the relay
	// From, whether the company owns it: verified, unverified (mail to it
	// is refused, the relay does not send as it) or other_owner.
	Verification map[string]identity.Status `json:"verification,omitempty"`
	CreatedAt    time.Time                  `json:"created_at"`
	UpdatedAt    time.Time                  `json:"updated_at"`
}

// channelSummary is what a plain agent sees of a channel: enough to
// filter and recognise it, nothing of its configuration (no inbound
// token or address, no servers, rule or signature source).
type channelSummary struct {
	ID           int64            `json:"id"`
	Slug         string           `json:"slug"`
	Name         string           `json:"name"`
	Enabled      bool             `json:"enabled"`
	Incoming     model.Connection `json:"incoming"`
	Outgoing     model.Connection `json:"outgoing"`
	PrimaryEmail string           `json:"primary_email"`
	FromName     string           `json:"from_name"`
	FromEmail    string           `json:"from_email"`
}

func summarize(c *model.Channel) channelSummary {
	return channelSummary{c.ID, c.Slug, c.Name, c.Enabled, c.Incoming, c.Outgoing, c.Settings.PrimaryEmail, c.Settings.FromName, c.Settings.FromEmail}
}

func viewChannel(c *model.Channel, inboundAddress string) channelView {
	s := c.Settings
	nz := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	folders := s.Folders
	if len(folders) == 0 {
		folders = []string{"INBOX"}
	}
	sv := func(c model.ServerConf) serverView {
		return serverView{c.Host, c.Port, c.Encryption, c.Username, c.Auth}
	}
	v := channelView{ID: c.ID, Slug: c.Slug, Name: c.Name, Enabled: c.Enabled, Incoming: c.Incoming, Outgoing: c.Outgoing,
		InboundToken: c.InboundToken, PrimaryEmail: s.PrimaryEmail, Signature: s.Signature, ShowQuote: s.ShowQuote,
		ForwardNewTicket: s.ForwardNewTicket, AdditionalEmails: nz(s.AdditionalEmails), FromName: s.FromName, FromEmail: s.FromEmail,
		CarbonCopy: s.CarbonCopy, Provider: s.Provider, AccountKind: s.AccountKind, DailyQuota: s.DailyQuota,
		IMAP: sv(s.IMAP), SMTP: sv(s.SMTP), Folders: folders, AfterImport: s.AfterImport, MoveTo: s.MoveTo,
		HistoryDays: s.HistoryDays, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Incoming == model.ConnInternal {
		v.InboundAddress = inboundAddress
	}
	return v
}

// channelViews renders channels of one company, with their inbound
// addresses (which need the company's slug) and the verification of
// their addresses.
func (d Deps) channelViews(ctx context.Context, companyID int64, cs ...*model.Channel) ([]channelView, error) {
	slug := ""
	if d.InboundDomain != "" {
		co, err := d.Store.GetCompany(ctx, companyID)
		if err != nil {
			return nil, fmt.Errorf("api: channel view: %w", err)
		}
		slug = co.Slug
	}
	out := make([]channelView, 0, len(cs))
	for _, c := range cs {
		addr := ""
		if slug != "" {
			addr = smtpin.InboundAddress(slug, c.InboundToken, d.InboundDomain)
		}
		v := viewChannel(c, addr)
		if d.Identities != nil {
			st, err := d.Identities.Statuses(ctx, companyID, identity.ChannelAddresses(c))
			if err != nil {
				return nil, fmt.Errorf("api: channel view: %w", err)
			}
			v.Verification = st
		}
		out = append(out, v)
	}
	return out, nil
}

// replyChannel answers one channel: the whole configuration to admins, a
// summary to agents.
func (d Deps) replyChannel(w http.ResponseWriter, r *http.Request, status int, c *model.Channel) {
	if !principal(r).IsAdmin() {
		reply(w, status, summarize(c))
		return
	}
	vs, err := d.channelViews(r.Context(), c.CompanyID, c)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, status, vs[0])
}

// channelChanged tells the running components that a channel's settings
// or credentials changed.
func (d Deps) channelChanged(ctx context.Context) {
	if d.ChannelChanged != nil {
		d.ChannelChanged(ctx)
	}
}

func unavailable(w http.ResponseWriter) {
	problem(w, http.StatusServiceUnavailable, "unavailable", "This feature is not configured on this server.", nil)
}

// maxSecret bounds a password in a request.
const maxSecret = 1024

// credentialsInput is PUT /channels/{id}/credentials.
type credentialsInput struct {
	IMAPPassword string `json:"imap_password"`
	SMTPPassword string `json:"smtp_password"` // "" = the IMAP password
}

func checkSecret(v *directory.ValidationError, field, s string, required bool) {
	switch {
	case s == "" && required:
		*v = append(*v, directory.FieldError{Field: field, Message: "required"})
	case len(s) > maxSecret:
		*v = append(*v, directory.FieldError{Field: field, Message: fmt.Sprintf("must be at most %d bytes", maxSecret)})
	}
}

func (d Deps) putCredentials(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	if _, err := d.Directory.GetChannel(r.Context(), p.CompanyID, id); err != nil {
		d.fail(w, r, err)
		return
	}
	var in credentialsInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	var v directory.ValidationError
	checkSecret(&v, "imap_password", in.IMAPPassword, true)
	checkSecret(&v, "smtp_password", in.SMTPPassword, false)
	if len(v) > 0 {
		d.fail(w, r, v)
		return
	}
	if d.Secrets == nil {
		unavailable(w)
		return
	}
	if in.SMTPPassword == "" {
		in.SMTPPassword = in.IMAPPassword
	}
	err = d.Store.Tx(r.Context(), func(q store.Queries) error {
		if err := d.Secrets.PutChannelSecret(r.Context(), q, p.CompanyID, id, secrets.IMAPPassword, in.IMAPPassword); err != nil {
			return err
		}
		return d.Secrets.PutChannelSecret(r.Context(), q, p.CompanyID, id, secrets.SMTPPassword, in.SMTPPassword)
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.channelChanged(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

// connectionTestInput is POST /channels/test-connection: the settings to
// test (over the stored ones of channel_id, when given) and passwords
// (the stored ones of channel_id when left out).
type connectionTestInput struct {
	ChannelID int64 `json:"channel_id,omitempty"`
	directory.ChannelPatch
	IMAPPassword string `json:"imap_password,omitempty"`
	SMTPPassword string `json:"smtp_password,omitempty"`
}

type problemView struct {
	Code      providers.Code     `json:"code"`
	Severity  providers.Severity `json:"severity"`
	Server    string             `json:"server"`
	Host      string             `json:"host,omitempty"`
	Folder    string             `json:"folder,omitempty"`
	MessagePT string             `json:"message_pt"`
	MessageEN string             `json:"message_en"`
}

func viewProblem(p *providers.Problem) problemView {
	return problemView{p.Code, p.Severity, p.Server, p.Host, p.Folder, p.Message("pt-BR"), p.Message("en")}
}

type connectionTestView struct {
	OK bool `json:"ok"` // no problem is an error
	// Kind is "external" (IMAP/SMTP of the mailbox) or "internal" (the
	// relay and the DNS records of the From domain: see Internal).
	Kind        string          `json:"kind"`
	IMAPOK      bool            `json:"imap_ok"`
	SMTPOK      bool            `json:"smtp_ok"`
	SMTPChecked bool            `json:"smtp_checked"` // false when the channel does not send through its own SMTP
	IDLE        bool            `json:"idle"`
	Folders     []string        `json:"folders"`
	Problems    []problemView   `json:"problems"`
	Internal    *InternalReport `json:"internal,omitempty"`
}

// storedSecret returns a channel's stored secret, "" when there is none.
func (d Deps) storedSecret(ctx context.Context, companyID, channelID int64, name string) (string, error) {
	if d.Secrets == nil || channelID == 0 {
		return "", nil
	}
	s, err := d.Secrets.ChannelSecret(ctx, d.Store, companyID, channelID, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return s, err
}

// MsgSecretElsewhere: a stored password or token is only ever sent to
// the server (host, port, user, encryption) it was saved for.
const MsgSecretElsewhere = "required: the saved password is only sent to the saved server; enter it to test another host, port, user or encryption"

func (d Deps) testConnection(w http.ResponseWriter, r *http.Request) {
	var in connectionTestInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	var v directory.ValidationError
	if in.ChannelID < 0 {
		v = append(v, directory.FieldError{Field: "channel_id", Message: "must be a channel id"})
		in.ChannelID = 0
	}
	checkSecret(&v, "imap_password", in.IMAPPassword, false)
	checkSecret(&v, "smtp_password", in.SMTPPassword, false)
	ch, err := d.Directory.ConnectionSettings(r.Context(), p.CompanyID, in.ChannelID, in.ChannelPatch)
	var ve directory.ValidationError
	switch {
	case errors.As(err, &ve):
		v = append(v, ve...)
	case err != nil:
		d.fail(w, r, err)
		return
	}
	if len(v) > 0 {
		d.fail(w, r, v)
		return
	}
	if ch.Incoming == model.ConnInternal && ch.Outgoing == model.ConnInternal {
		rep, err := InternalCheck(r.Context(), ch, d.CheckRelay, d.Identities, d.SendingDNS)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		out := connectionTestView{OK: rep.OK(), Kind: "internal", Folders: []string{}, Problems: []problemView{}, Internal: rep}
		for _, pr := range rep.Problems {
			out.Problems = append(out.Problems, problemView{Code: providers.Code(pr.Code), Severity: pr.Severity, Server: "relay",
				MessagePT: pr.In("pt-BR"), MessageEN: pr.In("en")})
		}
		reply(w, http.StatusOK, out)
		return
	}
	if d.CheckConnection == nil {
		unavailable(w)
		return
	}
	// The stored secrets of channel_id, when the request brings none, and
	// only for the server they were saved for.
	var saved *model.Channel
	if in.ChannelID != 0 {
		if saved, err = d.Directory.GetChannel(r.Context(), p.CompanyID, in.ChannelID); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	sameIMAP := saved != nil && directory.SameServer(saved.Settings.IMAP, ch.Settings.IMAP)
	sameSMTP := saved != nil && directory.SameServer(saved.Settings.SMTP, ch.Settings.SMTP)
	imapPW, smtpPW := in.IMAPPassword, in.SMTPPassword
	if ch.Settings.IMAP.Auth == oauth.AuthOAuth && imapPW == "" && in.ChannelID != 0 {
		if !sameIMAP || !sameSMTP {
			d.fail(w, r, directory.Invalid("imap_password", MsgSecretElsewhere))
			return
		}
		// a connected OAuth mailbox: test with its access token
		if imapPW, err = d.oauthAccess(r.Context(), p.CompanyID, in.ChannelID); err != nil {
			d.failOAuth(w, r, err)
			return
		}
		smtpPW = imapPW
	}
	if imapPW == "" && in.ChannelID != 0 {
		if !sameIMAP {
			d.fail(w, r, directory.Invalid("imap_password", MsgSecretElsewhere))
			return
		}
		if imapPW, err = d.storedSecret(r.Context(), p.CompanyID, in.ChannelID, secrets.IMAPPassword); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	if imapPW == "" {
		msg := "required"
		if in.ChannelID != 0 {
			msg = "required: no password is saved for this channel"
		}
		d.fail(w, r, directory.Invalid("imap_password", msg))
		return
	}
	checkSMTP := ch.Outgoing == model.ConnExternal
	if smtpPW == "" && in.IMAPPassword == "" && in.ChannelID != 0 && checkSMTP {
		if !sameSMTP {
			d.fail(w, r, directory.Invalid("smtp_password", MsgSecretElsewhere))
			return
		}
		if smtpPW, err = d.storedSecret(r.Context(), p.CompanyID, in.ChannelID, secrets.SMTPPassword); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	if smtpPW == "" {
		smtpPW = imapPW
	}
	rep := d.CheckConnection(r.Context(), ch.Settings, imapPW, smtpPW,
		imapsync.CheckOptions{AllowInsecure: in.AllowInsecure, SkipSMTP: !checkSMTP})
	out := connectionTestView{OK: rep.OK(), Kind: "external", IMAPOK: rep.IMAPOK, SMTPOK: rep.SMTPOK, SMTPChecked: checkSMTP, IDLE: rep.IDLE,
		Folders: rep.Folders, Problems: []problemView{}}
	if out.Folders == nil {
		out.Folders = []string{}
	}
	for _, pr := range rep.Problems {
		out.Problems = append(out.Problems, viewProblem(pr))
	}
	reply(w, http.StatusOK, out)
}

type syncStatusView struct {
	State         store.SyncState `json:"state"`
	Done          int64           `json:"done"`
	Total         int64           `json:"total"`
	LastError     string          `json:"last_error,omitempty"`
	LastErrorCode string          `json:"last_error_code,omitempty"`
	LastErrorAt   time.Time       `json:"last_error_at,omitzero"`
	LastMessageAt time.Time       `json:"last_message_at,omitzero"`
	UpdatedAt     time.Time       `json:"updated_at,omitzero"`
}

type sendingStatusView struct {
	SentToday int       `json:"sent_today"`
	Quota     int       `json:"quota"` // 0 = unlimited
	Queued    int       `json:"queued"`
	ResumesAt time.Time `json:"resumes_at,omitzero"`
	Paused    string    `json:"paused,omitempty"`
	Text      string    `json:"text"`
}

type channelStatusView struct {
	ChannelID int64              `json:"channel_id"`
	Sync      syncStatusView     `json:"sync"`
	Sending   *sendingStatusView `json:"sending,omitempty"`
}

// Sync states the API adds to store.SyncState for channels without a
// status row.
const (
	syncPending  store.SyncState = "pending"  // external, not connected yet
	syncDisabled store.SyncState = "disabled" // the channel is switched off
)

func (d Deps) channelStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ch, err := d.Directory.GetChannel(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := channelStatusView{ChannelID: ch.ID}
	st, err := d.Store.GetChannelStatus(r.Context(), ch.CompanyID, ch.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		out.Sync.State = store.SyncIdle
		if ch.Incoming == model.ConnExternal {
			out.Sync.State = syncPending
		}
	case err != nil:
		d.fail(w, r, err)
		return
	default:
		out.Sync = syncStatusView{st.State, st.Done, st.Total, st.LastError, st.LastErrorCode, st.LastErrorAt, st.LastMessageAt, st.UpdatedAt}
	}
	if !ch.Enabled {
		out.Sync.State = syncDisabled
	}
	if d.SendingStatus != nil {
		s, err := d.SendingStatus(r.Context(), ch)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		out.Sending = &sendingStatusView{s.SentToday, s.Quota, s.Queued, s.ResumesAt, s.Paused, s.String()}
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) regenerateInboundAddress(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if d.RegenerateAddress == nil {
		unavailable(w)
		return
	}
	addr, err := d.RegenerateAddress(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]string{"address": addr})
}

type noticeView struct {
	ID        int64             `json:"id"`
	ChannelID int64             `json:"channel_id,omitempty"`
	Kind      string            `json:"kind"`
	Key       string            `json:"key,omitempty"`
	Params    map[string]string `json:"params,omitempty"`
	Language  string            `json:"language"`
	Title     string            `json:"title"`
	Body      string            `json:"body"`
	Code      string            `json:"code,omitempty"`
	Link      string            `json:"link,omitempty"`
	Read      bool              `json:"read"`
	CreatedAt time.Time         `json:"created_at"`
	ReadAt    time.Time         `json:"read_at,omitzero"`
}

// viewNotice is n with its title and body in the request's language
// (Deps.NoticeText); the stored pt-BR text when that is nil or n has no
// message key.
func (d Deps) viewNotice(r *http.Request, n *store.Notice) noticeView {
	lang, title, body := "pt-BR", n.Title, n.Body
	if d.NoticeText != nil {
		lang, title, body = d.NoticeText(r, n)
	}
	return noticeView{n.ID, n.ChannelID, n.Kind, n.Key, n.Params, lang, title, body, n.Code, n.Link, !n.ReadAt.IsZero(), n.CreatedAt, n.ReadAt}
}

// maxNotices is the largest page of GET /notices.
const maxNotices = 500

func (d Deps) listNotices(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query()
	var v directory.ValidationError
	var f store.NoticeFilter
	if s := q.Get("unread"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			v = append(v, directory.FieldError{Field: "unread", Message: "must be true or false"})
		}
		f.UnreadOnly = b
	}
	if s := q.Get("channel_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v = append(v, directory.FieldError{Field: "channel_id", Message: "must be a channel id"})
		}
		f.ChannelID = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxNotices {
			v = append(v, directory.FieldError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", maxNotices)})
		}
		f.Limit = n
	}
	if len(v) > 0 {
		d.fail(w, r, v)
		return
	}
	if f.ChannelID != 0 {
		if _, err := d.Directory.GetChannel(r.Context(), p.CompanyID, f.ChannelID); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	ns, err := d.Store.ListNotices(r.Context(), p.CompanyID, f)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	unread, err := d.Store.CountUnreadNotices(r.Context(), p.CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := struct {
		list[noticeView]
		Unread int `json:"unread"`
	}{list[noticeView]{Items: []noticeView{}}, unread}
	for i := range ns {
		out.Items = append(out.Items, d.viewNotice(r, &ns[i]))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) readNotice(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	if err := d.Store.MarkNoticeRead(r.Context(), p.CompanyID, id, time.Time{}); err != nil {
		d.fail(w, r, err)
		return
	}
	n, err := d.Store.GetNotice(r.Context(), p.CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, d.viewNotice(r, n))
}
