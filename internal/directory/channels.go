package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/routing"
	"github.com/atende-helpdesk/atende/internal/store"
)

// ChannelInput creates a channel: the record and every non-secret
// setting of the channel form (Canais → +). Passwords are set separately
// (PUT /channels/{id}/credentials).
type ChannelInput struct {
	Slug         string           `json:"slug"`
	Name         string           `json:"name"`
	Incoming     model.Connection `json:"incoming"` // default internal
	Outgoing     model.Connection `json:"outgoing"` // default internal
	PrimaryEmail string           `json:"primary_email"`
	SettingsPatch
}

// SettingsPatch is the non-secret channel settings a form sends; a nil
// field leaves the setting as it is (on creation: the default). IMAP and
// SMTP replace the whole block; empty host, port and encryption are then
// filled from the Provider preset (providers.Apply).
type SettingsPatch struct {
	Signature        *string            `json:"signature,omitempty"` // HTML, sanitized
	ShowQuote        *bool              `json:"show_quote,omitempty"`
	ForwardNewTicket *bool              `json:"forward_new_ticket,omitempty"`
	AdditionalEmails []string           `json:"additional_emails,omitempty"` // nil: unchanged; []: none
	FromName         *string            `json:"from_name,omitempty"`
	FromEmail        *string            `json:"from_email,omitempty"`
	CarbonCopy       *string            `json:"carbon_copy,omitempty"`
	Provider         *string            `json:"provider,omitempty"`
	AccountKind      *model.AccountKind `json:"account_kind,omitempty"`
	DailyQuota       *int               `json:"daily_quota,omitempty"`
	IMAP             *model.ServerConf  `json:"imap,omitempty"`
	SMTP             *model.ServerConf  `json:"smtp,omitempty"`
	Folders          []string           `json:"folders,omitempty"` // nil: unchanged; []: default INBOX
	AfterImport      *string            `json:"after_import,omitempty"`
	MoveTo           *string            `json:"move_to,omitempty"`
	HistoryDays      *int               `json:"history_days,omitempty"`
	CopyToSent       *bool              `json:"copy_to_sent,omitempty"`
	SentFolder       *string            `json:"sent_folder,omitempty"`
	// AllowInsecure must be true for an encryption "none" to be accepted;
	// it is a confirmation of this request, not a stored setting.
	AllowInsecure bool `json:"allow_insecure,omitempty"`
}

// Limits of channel settings.
const (
	MaxSignature        = 64 << 10 // bytes of signature HTML
	MaxAdditionalEmails = 50
	MaxFolders          = 50
	maxFolderName       = 255
	MaxDailyQuota       = 100000
	MaxHistoryDays      = 36500
)

var signaturePolicy = bluemonday.UGCPolicy()

// apply copies the set fields of p into s (not yet validated).
func (p *SettingsPatch) apply(s *model.ChannelSettings) {
	str := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	if p.Signature != nil {
		s.Signature = *p.Signature
	}
	if p.ShowQuote != nil {
		s.ShowQuote = *p.ShowQuote
	}
	if p.ForwardNewTicket != nil {
		s.ForwardNewTicket = *p.ForwardNewTicket
	}
	if p.AdditionalEmails != nil {
		s.AdditionalEmails = p.AdditionalEmails
	}
	str(&s.FromName, p.FromName)
	str(&s.FromEmail, p.FromEmail)
	str(&s.CarbonCopy, p.CarbonCopy)
	str(&s.Provider, p.Provider)
	if p.AccountKind != nil {
		s.AccountKind = *p.AccountKind
	}
	if p.DailyQuota != nil {
		s.DailyQuota = *p.DailyQuota
	}
	if p.IMAP != nil {
		s.IMAP = trimServer(*p.IMAP)
	}
	if p.SMTP != nil {
		s.SMTP = trimServer(*p.SMTP)
	}
	if p.Folders != nil {
		s.Folders = p.Folders
	}
	str(&s.AfterImport, p.AfterImport)
	str(&s.MoveTo, p.MoveTo)
	if p.HistoryDays != nil {
		s.HistoryDays = *p.HistoryDays
	}
	if p.CopyToSent != nil {
		s.CopyToSent = *p.CopyToSent
	}
	str(&s.SentFolder, p.SentFolder)
}

func trimServer(c model.ServerConf) model.ServerConf {
	c.Host = strings.TrimSpace(c.Host)
	c.Username = strings.TrimSpace(c.Username)
	c.Encryption = strings.ToLower(strings.TrimSpace(c.Encryption))
	c.Auth = strings.ToLower(strings.TrimSpace(c.Auth))
	return c
}

// checkSettings validates and normalizes s for a channel with these
// connections: it sanitizes the signature, normalizes addresses, applies
// the provider preset when a connection is not internal and checks what
// the external connection needs. Field names are the JSON names of
// ChannelInput.
func checkSettings(v *ValidationError, in, out model.Connection, s *model.ChannelSettings, allowInsecure bool) {
	before := len(*v)
	if len(s.Signature) > MaxSignature {
		v.add("signature", fmt.Sprintf("must be at most %d bytes", MaxSignature))
	} else {
		s.Signature = strings.TrimSpace(signaturePolicy.Sanitize(s.Signature))
	}
	optEmail := func(field string, addr *string) {
		if *addr == "" {
			return
		}
		n := len(*v)
		checkEmail(v, field, *addr)
		if len(*v) == n {
			*addr = model.NormalizeEmail(*addr)
		}
	}
	if len(s.AdditionalEmails) > MaxAdditionalEmails {
		v.add("additional_emails", fmt.Sprintf("at most %d addresses", MaxAdditionalEmails))
	} else {
		var emails []string
		seen := map[string]bool{model.NormalizeEmail(s.PrimaryEmail): true}
		for i, a := range s.AdditionalEmails {
			field := fmt.Sprintf("additional_emails[%d]", i)
			n := len(*v)
			checkEmail(v, field, a)
			if len(*v) > n {
				continue
			}
			a = model.NormalizeEmail(a)
			if seen[a] {
				v.add(field, "repeats another address of this channel")
				continue
			}
			seen[a] = true
			emails = append(emails, a)
		}
		s.AdditionalEmails = emails
	}
	if utf8.RuneCountInString(s.FromName) > maxName {
		v.add("from_name", fmt.Sprintf("must be at most %d characters", maxName))
	}
	optEmail("from_email", &s.FromEmail)
	optEmail("carbon_copy", &s.CarbonCopy)
	if s.Provider != "" {
		if _, ok := providers.Get(s.Provider); !ok {
			v.add("provider", "must be one of "+strings.Join(providers.IDs(), ", "))
		}
	}
	switch s.AccountKind {
	case "", model.AccountPersonal, model.AccountBusiness:
	default:
		v.add("account_kind", "must be personal or business")
	}
	if s.DailyQuota < -1 || s.DailyQuota > MaxDailyQuota {
		v.add("daily_quota", fmt.Sprintf("must be 0 (provider default), -1 (no limit) or up to %d", MaxDailyQuota))
	}
	if len(s.Folders) == 0 {
		s.Folders = []string{"INBOX"}
	} else if len(s.Folders) > MaxFolders {
		v.add("folders", fmt.Sprintf("at most %d folders", MaxFolders))
	} else {
		seen := map[string]bool{}
		for i, f := range s.Folders {
			field := fmt.Sprintf("folders[%d]", i)
			f = strings.TrimSpace(f)
			switch {
			case f == "":
				v.add(field, "required")
			case len(f) > maxFolderName || strings.ContainsAny(f, "\r\n\x00"):
				v.add(field, "not a valid folder name")
			case seen[f]:
				v.add(field, "listed twice")
			}
			seen[f] = true
			s.Folders[i] = f
		}
	}
	switch s.AfterImport {
	case "", "none":
		s.AfterImport, s.MoveTo = "", ""
	case "mark_read":
		s.MoveTo = ""
	case "move":
		if s.MoveTo == "" {
			v.add("move_to", "required when after_import is move")
		} else if len(s.MoveTo) > maxFolderName || strings.ContainsAny(s.MoveTo, "\r\n\x00") {
			v.add("move_to", "not a valid folder name")
		}
	default:
		v.add("after_import", "must be empty, mark_read or move")
	}
	if s.HistoryDays < -1 || s.HistoryDays > MaxHistoryDays {
		v.add("history_days", fmt.Sprintf("must be 0 (only new mail), -1 (all) or 1 to %d days", MaxHistoryDays))
	}
	if len(s.SentFolder) > maxFolderName || strings.ContainsAny(s.SentFolder, "\r\n\x00") {
		v.add("sent_folder", "not a valid folder name")
	}
	for _, srv := range []struct {
		name string
		c    model.ServerConf
	}{{"imap", s.IMAP}, {"smtp", s.SMTP}} {
		if srv.c.Port < 0 || srv.c.Port > 65535 {
			v.add(srv.name+".port", "must be between 1 and 65535")
		}
		switch srv.c.Encryption {
		case "", providers.TLS, providers.StartTLS:
		case providers.None:
			if !allowInsecure {
				v.add(srv.name+".encryption", "none sends the password unencrypted; set allow_insecure to true to confirm")
			} else if srv.c.Host != "" && insecureRemote(srv.c) {
				v.add(srv.name+".encryption", MsgInsecureRemote)
			}
		default:
			v.add(srv.name+".encryption", "must be tls, starttls or none")
		}
		switch srv.c.Auth {
		case "", "password", "oauth":
		default:
			v.add(srv.name+".auth", "must be password or oauth")
		}
		if len(srv.c.Host) > 253 || strings.ContainsAny(srv.c.Host, " /@:") {
			v.add(srv.name+".host", "must be a host name such as imap.empresa.com.br")
		}
		if len(srv.c.Username) > 320 {
			v.add(srv.name+".username", "must be at most 320 characters")
		}
	}
	if in == model.ConnInternal && out == model.ConnInternal {
		return
	}
	if len(*v) > before {
		return
	}
	providers.Apply(s)
	if in == model.ConnExternal {
		if s.IMAP.Host == "" {
			v.add("imap.host", "required for an external connection (or choose a provider)")
		}
		if s.IMAP.Port == 0 {
			v.add("imap.port", "required for an external connection")
		}
		if s.IMAP.Username == "" {
			v.add("imap.username", "required for an external connection")
		}
		if s.IMAP.Encryption == "" {
			s.IMAP.Encryption = providers.TLS
		}
	}
	if out == model.ConnExternal {
		if s.SMTP.Host == "" {
			v.add("smtp.host", "required for external sending (or choose a provider)")
		}
		if s.SMTP.Port == 0 {
			v.add("smtp.port", "required for external sending")
		}
		if s.SMTP.Encryption == "" {
			s.SMTP.Encryption = providers.TLS
		}
	}
}

// CreateChannel adds an enabled channel with a fresh inbound token.
func (s *Service) CreateChannel(ctx context.Context, companyID int64, in ChannelInput) (*model.Channel, error) {
	var v ValidationError
	if !model.ValidSlug(in.Slug) {
		v.add("slug", "use 1 to 63 lowercase letters, digits and '-', not starting or ending with '-'")
	}
	checkName(&v, "name", in.Name)
	if in.Incoming == "" {
		in.Incoming = model.ConnInternal
	}
	if in.Outgoing == "" {
		in.Outgoing = model.ConnInternal
	}
	connOK := checkConnections(&v, in.Incoming, in.Outgoing)
	checkEmail(&v, "primary_email", in.PrimaryEmail)
	settings := model.ChannelSettings{PrimaryEmail: model.NormalizeEmail(in.PrimaryEmail)}
	in.SettingsPatch.apply(&settings)
	if connOK {
		checkSettings(&v, in.Incoming, in.Outgoing, &settings, in.AllowInsecure)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	ch := &model.Channel{CompanyID: companyID, Slug: in.Slug, Name: strings.TrimSpace(in.Name), Enabled: true,
		Incoming: in.Incoming, Outgoing: in.Outgoing, InboundToken: inboundToken(), Settings: settings}
	if err := s.checkPolicies(ctx, ch, nil, &v); err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := s.store.CreateChannel(ctx, ch); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, Invalid("slug", "a channel with this slug already exists")
		}
		return nil, fmt.Errorf("directory: create channel: %w", err)
	}
	return ch, nil
}

func checkConnections(v *ValidationError, in, out model.Connection) bool {
	ok := true
	if in != model.ConnInternal && in != model.ConnExternal {
		v.add("incoming", "must be internal or external")
		ok = false
	}
	if !out.Valid() {
		v.add("outgoing", "must be internal, external or office365")
		ok = false
	}
	return ok
}

func inboundToken() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// ChannelPatch changes a channel: name, enabled, connections and any
// setting (see SettingsPatch); nil fields stay as they are. The whole
// result is validated.
type ChannelPatch struct {
	Name         *string           `json:"name,omitempty"`
	Enabled      *bool             `json:"enabled,omitempty"`
	Incoming     *model.Connection `json:"incoming,omitempty"`
	Outgoing     *model.Connection `json:"outgoing,omitempty"`
	PrimaryEmail *string           `json:"primary_email,omitempty"`
	SettingsPatch
}

// patched applies p to a copy of ch and validates the result.
func (p ChannelPatch) patched(ch model.Channel, requirePrimary bool) (*model.Channel, error) {
	var v ValidationError
	if p.Name != nil {
		checkName(&v, "name", *p.Name)
		ch.Name = strings.TrimSpace(*p.Name)
	}
	if p.Enabled != nil {
		ch.Enabled = *p.Enabled
	}
	if p.Incoming != nil {
		ch.Incoming = *p.Incoming
	}
	if p.Outgoing != nil {
		ch.Outgoing = *p.Outgoing
	}
	ch.Settings.AdditionalEmails = append([]string(nil), ch.Settings.AdditionalEmails...)
	ch.Settings.Folders = append([]string(nil), ch.Settings.Folders...)
	if p.PrimaryEmail != nil {
		ch.Settings.PrimaryEmail = strings.TrimSpace(*p.PrimaryEmail)
	}
	if requirePrimary || ch.Settings.PrimaryEmail != "" {
		n := len(v)
		checkEmail(&v, "primary_email", ch.Settings.PrimaryEmail)
		if len(v) == n {
			ch.Settings.PrimaryEmail = model.NormalizeEmail(ch.Settings.PrimaryEmail)
		}
	}
	connOK := checkConnections(&v, ch.Incoming, ch.Outgoing)
	p.SettingsPatch.apply(&ch.Settings)
	if connOK {
		checkSettings(&v, ch.Incoming, ch.Outgoing, &ch.Settings, p.AllowInsecure)
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return &ch, nil
}

// UpdateChannel applies p.
func (s *Service) UpdateChannel(ctx context.Context, companyID, id int64, p ChannelPatch) (*model.Channel, error) {
	cur, err := s.store.GetChannel(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	ch, err := p.patched(*cur, true)
	if err != nil {
		return nil, err
	}
	var v ValidationError
	if err := s.checkPolicies(ctx, ch, cur, &v); err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(q store.Queries) error {
		if err := q.UpdateChannel(ctx, ch); err != nil {
			return err
		}
		return forgetMovedSecrets(ctx, q, cur, ch)
	})
	if err != nil {
		return nil, fmt.Errorf("directory: update channel: %w", err)
	}
	return ch, nil
}

// ConnectionSettings is what a connection test checks: the settings of
// channel channelID (0: a channel not created yet) with p applied,
// validated like a save (the primary email is optional); the incoming
// connection is p's, else the saved channel's, else external. Nothing is stored. A channelID that is not
// the company's is a field error on "channel_id".
func (s *Service) ConnectionSettings(ctx context.Context, companyID, channelID int64, p ChannelPatch) (*model.Channel, error) {
	base := model.Channel{CompanyID: companyID, Incoming: model.ConnExternal, Outgoing: model.ConnInternal}
	if channelID != 0 {
		cur, err := s.store.GetChannel(ctx, companyID, channelID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, Invalid("channel_id", "no such channel")
		}
		if err != nil {
			return nil, fmt.Errorf("directory: connection settings: %w", err)
		}
		base = *cur
	}
	if p.Incoming == nil && channelID == 0 {
		ext := model.ConnExternal
		p.Incoming = &ext
	}
	ch, err := p.patched(base, false)
	if err != nil {
		return nil, err
	}
	var v ValidationError
	if err := s.checkHosts(ctx, ch, &v); err != nil {
		return nil, err
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	return ch, nil
}

// GetChannel of a company.
func (s *Service) GetChannel(ctx context.Context, companyID, id int64) (*model.Channel, error) {
	return s.store.GetChannel(ctx, companyID, id)
}

// ListChannels of a company.
func (s *Service) ListChannels(ctx context.Context, companyID int64) ([]model.Channel, error) {
	return s.store.ListChannels(ctx, companyID)
}

// ValidateRule checks r with routing's validator (field names turned into
// the stored rule's JSON names: "filters[0].action.team_id" becomes
// "filters[0].team_id") and checks that every team and assignee it names
// belongs to the company.
func (s *Service) ValidateRule(ctx context.Context, companyID int64, r model.ChannelRule) error {
	var v ValidationError
	if err := routing.FromModel(r).Validate(); err != nil {
		var re routing.ValidationError
		if !errors.As(err, &re) {
			return fmt.Errorf("directory: validate rule: %w", err)
		}
		for _, fe := range re {
			v.add(strings.Replace(fe.Field, ".action.", ".", 1), fe.Message)
		}
	}
	teams := map[int64]bool{}
	agents := map[int64]bool{}
	teamOK := func(id int64) (bool, error) {
		if ok, seen := teams[id]; seen {
			return ok, nil
		}
		_, err := s.store.GetTeam(ctx, companyID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		teams[id] = err == nil
		return err == nil, nil
	}
	agentOK := func(id int64) (bool, error) {
		if ok, seen := agents[id]; seen {
			return ok, nil
		}
		a, err := s.store.GetAgent(ctx, companyID, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
		agents[id] = err == nil && !a.Disabled
		return agents[id], nil
	}
	if r.DefaultTeamID > 0 {
		ok, err := teamOK(r.DefaultTeamID)
		if err != nil {
			return fmt.Errorf("directory: validate rule: %w", err)
		}
		if !ok {
			v.add("default_team_id", "no such team")
		}
	}
	for i, f := range r.Filters {
		if f.TeamID > 0 {
			ok, err := teamOK(f.TeamID)
			if err != nil {
				return fmt.Errorf("directory: validate rule: %w", err)
			}
			if !ok {
				v.add(fmt.Sprintf("filters[%d].team_id", i), "no such team")
			}
		}
		if f.AssigneeID > 0 {
			ok, err := agentOK(f.AssigneeID)
			if err != nil {
				return fmt.Errorf("directory: validate rule: %w", err)
			}
			if !ok {
				v.add(fmt.Sprintf("filters[%d].assignee_id", i), "no such active agent")
			}
		}
	}
	return v.err()
}

// SetRule validates r and stores it as the channel's rule.
func (s *Service) SetRule(ctx context.Context, companyID, channelID int64, r model.ChannelRule) (*model.Channel, error) {
	ch, err := s.store.GetChannel(ctx, companyID, channelID)
	if err != nil {
		return nil, err
	}
	if err := s.ValidateRule(ctx, companyID, r); err != nil {
		return nil, err
	}
	for i := range r.Filters {
		r.Filters[i].Value = strings.TrimSpace(r.Filters[i].Value)
	}
	ch.Settings.Rule = r
	if err := s.store.UpdateChannel(ctx, ch); err != nil {
		return nil, fmt.Errorf("directory: set rule: %w", err)
	}
	return ch, nil
}
