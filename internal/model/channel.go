package model

import "time"

// Connection is how mail reaches, or leaves, a channel.
type Connection string

// Connection kinds (Usedesk seed: "Definir tipos de conexão").
const (
	// ConnInternal: the customer forwards mail to the channel's inbound
	// address on Atende's SMTP server; replies go through Atende's relay.
	ConnInternal Connection = "internal"
	// ConnExternal: Atende reads the mailbox over IMAP and sends through its SMTP.
	ConnExternal Connection = "external"
	// ConnOffice365: outgoing through Office 365 SMTP with OAuth.
	ConnOffice365 Connection = "office365"
)

// Valid reports whether c is a known connection.
func (c Connection) Valid() bool {
	return c == ConnInternal || c == ConnExternal || c == ConnOffice365
}

// AccountKind decides the default daily send quota (Conecta seed).
type AccountKind string

// Account kinds.
const (
	AccountPersonal AccountKind = "personal" // ~25 mails a day
	AccountBusiness AccountKind = "business"
)

// Channel is a connected mailbox (menu Canais).
type Channel struct {
	ID        int64
	CompanyID int64
	Slug      string // unique per company
	Name      string // required
	Enabled   bool
	// Incoming and Outgoing connections; see Connection.
	Incoming Connection
	Outgoing Connection
	// InboundToken is the unguessable part of the inbound address
	// <company-slug>-<token>@<inbound domain>; unique across companies.
	InboundToken string
	Settings     ChannelSettings
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ChannelSettings are a channel's non-secret options, stored as one JSON
// document so later features add fields without a migration per field.
// Secrets (passwords, OAuth tokens) never live here.
type ChannelSettings struct {
	// Block "E-mail" (Usedesk seed).
	Signature        string `json:"signature,omitempty"`          // channel signature (HTML)
	ShowQuote        bool   `json:"show_quote,omitempty"`         // show quote in reply
	ForwardNewTicket bool   `json:"forward_new_ticket,omitempty"` // forward creates a new ticket

	// Addresses.
	PrimaryEmail     string   `json:"primary_email,omitempty"`
	AdditionalEmails []string `json:"additional_emails,omitempty"`
	FromName         string   `json:"from_name,omitempty"`
	FromEmail        string   `json:"from_email,omitempty"`
	CarbonCopy       string   `json:"carbon_copy,omitempty"` // archive address, hidden copy of outgoing mail

	// External connection.
	Provider    string      `json:"provider,omitempty"`
	AccountKind AccountKind `json:"account_kind,omitempty"`
	DailyQuota  int         `json:"daily_quota,omitempty"` // 0 = default for AccountKind
	IMAP        ServerConf  `json:"imap,omitzero"`
	SMTP        ServerConf  `json:"smtp,omitzero"`
	Folders     []string    `json:"folders,omitempty"`      // default INBOX
	AfterImport string      `json:"after_import,omitempty"` // ""/"none", "mark_read", "move"
	MoveTo      string      `json:"move_to,omitempty"`
	HistoryDays int         `json:"history_days,omitempty"` // 0 none, -1 all, N days
	// CopyToSent appends every message sent through the mailbox's SMTP to
	// its SentFolder (default "Sent") by IMAP, for providers whose SMTP
	// does not keep a copy (Gmail and Office 365 do; many hosts don't).
	CopyToSent bool   `json:"copy_to_sent,omitempty"`
	SentFolder string `json:"sent_folder,omitempty"`

	// Rule (Conecta seed: Canais → Ações → Regra).
	Rule ChannelRule `json:"rule,omitzero"`
}

// ChannelRule routes a channel's new tickets: a default team, ordered "+"
// filters (first match wins) and the optional initial message
// (auto-reply). Evaluated by internal/routing.
type ChannelRule struct {
	DefaultTeamID      int64        `json:"default_team_id,omitempty"`
	Filters            []RuleFilter `json:"filters,omitempty"`
	SendInitialMessage bool         `json:"send_initial_message,omitempty"`
	InitialMessage     string       `json:"initial_message,omitempty"`
}

// RuleFilter is one "+" row: a condition and what it does.
type RuleFilter struct {
	Kind               string   `json:"kind"` // sender_address, sender_domain, recipient_address, subject_contains, body_contains
	Value              string   `json:"value"`
	TeamID             int64    `json:"team_id,omitempty"`
	AssigneeID         int64    `json:"assignee_id,omitempty"`
	Priority           string   `json:"priority,omitempty"`
	Tags               []string `json:"tags,omitempty"`
	SendInitialMessage *bool    `json:"send_initial_message,omitempty"`
}

// ServerConf is one IMAP or SMTP endpoint (password kept elsewhere).
type ServerConf struct {
	Host       string `json:"host,omitempty"`
	Port       int    `json:"port,omitempty"`
	Encryption string `json:"encryption,omitempty"` // "tls", "starttls", "none" (insecure, explicit)
	Username   string `json:"username,omitempty"`
	Auth       string `json:"auth,omitempty"` // "password" or "oauth"
}

// Addresses returns every address mail for this channel may arrive at,
// lowercased: the primary and additional emails and the From address.
func (c *Channel) Addresses() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = NormalizeEmail(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	add(c.Settings.PrimaryEmail)
	for _, a := range c.Settings.AdditionalEmails {
		add(a)
	}
	add(c.Settings.FromEmail)
	add(c.Settings.IMAP.Username)
	return out
}
