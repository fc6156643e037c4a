package model

import (
	"fmt"
	"strings"
	"time"
)

// Company is a tenant: everything else belongs to exactly one company.
type Company struct {
	ID   int64
	Slug string // lowercase, [a-z0-9-], unique; used in inbound addresses and the CLI
	Name string
	// Language is what its customers read in automatic text: quote and
	// forward headers ("pt-BR" or "en").
	Language string
	// TimeZone is an IANA name ("America/Sao_Paulo"): dates in quote and
	// forward headers, and the UI's zone for agents who have none.
	TimeZone  string
	CreatedAt time.Time
}

// Location is the company's time zone (UTC when unset or unknown).
func (c *Company) Location() *time.Location { return LoadLocation(c.TimeZone) }

// DefaultTimeZone is a new company's time zone.
const DefaultTimeZone = "America/Sao_Paulo"

// ValidTimeZone reports whether name is an IANA time zone this program
// knows ("UTC" included; "" and "Local" are not).
func ValidTimeZone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \\") {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// LoadLocation returns the named zone, UTC for "" or an unknown name.
func LoadLocation(name string) *time.Location {
	if !ValidTimeZone(name) {
		return time.UTC
	}
	loc, _ := time.LoadLocation(name)
	return loc
}

// ValidEmail reports whether s is a plain address we can send to:
// local@domain, no display name, and a domain with a dot
// ("gerente@cliente" is a typo, not an address).
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 || strings.ContainsAny(s, "\r\n\t <>,;\"()[]\\") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "-") {
		return false
	}
	local := s[:at]
	return !strings.HasPrefix(local, ".") && !strings.HasSuffix(local, ".") && !strings.Contains(local, "..")
}

// Role is what an agent may do.
type Role string

// Agent roles.
const (
	RoleAdmin Role = "admin" // manages channels, teams, agents and rules
	RoleAgent Role = "agent" // works the tickets of their teams
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent }

// Agent is a support person using Atende.
type Agent struct {
	ID           int64
	CompanyID    int64
	Email        string // lowercase; unique per company
	Name         string
	Role         Role
	PasswordHash string // argon2id PHC string; "" = cannot log in with a password
	Signature    string // personal signature (HTML); wins over the channel's when set
	Language     string // "pt-BR" or "en"
	// TimeZone is the IANA zone the UI shows times in; "" = not known
	// yet (the company's zone is used, the browser's is saved on login).
	TimeZone  string
	Disabled  bool
	CreatedAt time.Time
}

// Team is a group of agents; a channel's default team receives its tickets.
type Team struct {
	ID        int64
	CompanyID int64
	Name      string
	CreatedAt time.Time
}

// Contact is a customer who writes to support.
type Contact struct {
	ID        int64
	CompanyID int64
	Email     string // lowercase; unique per company
	Name      string
	CreatedAt time.Time
}

// NormalizeEmail lowercases and trims an address for storage and lookup.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// TicketStatus is where a ticket is in its life.
type TicketStatus string

// Ticket statuses.
const (
	StatusOpen     TicketStatus = "open"
	StatusPending  TicketStatus = "pending"
	StatusResolved TicketStatus = "resolved"
	StatusClosed   TicketStatus = "closed"
)

// Valid reports whether s is a known status.
func (s TicketStatus) Valid() bool {
	switch s {
	case StatusOpen, StatusPending, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Ticket is a conversation with a contact (the seeds' "atendimento").
type Ticket struct {
	ID            int64
	CompanyID     int64
	Number        int64 // per-company sequence, starting at 1
	ChannelID     int64
	ContactID     int64
	TeamID        int64 // 0 = none
	AssigneeID    int64 // 0 = unassigned
	Subject       string
	Status        TicketStatus
	Priority      string // low|normal|high|urgent
	ReplyToken    string // unguessable; used in the plus-address of outbound mail
	Tags          []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastMessageAt time.Time
	// ActivityAt is the last customer activity: creation, the newest
	// inbound message or a reopening (the inbox's default order).
	ActivityAt time.Time
}

// Direction says where a message came from.
type Direction string

// Message directions.
const (
	DirIn   Direction = "in"   // from a contact
	DirOut  Direction = "out"  // from an agent (or automatic) to contacts
	DirNote Direction = "note" // internal note, never sent
)

// MessageStatus is the delivery state of a message.
type MessageStatus string

// Message statuses. Inbound messages and notes are "received"/"stored".
const (
	MsgReceived MessageStatus = "received"
	MsgStored   MessageStatus = "stored" // notes
	MsgQueued   MessageStatus = "queued"
	MsgSent     MessageStatus = "sent"
	MsgFailed   MessageStatus = "failed"
)

// Flags are facts about a message other features act on. Bits 24 and
// up are the store's own (how it keeps the row), never a message's.
type Flags uint32

// Message flags.
const (
	FlagAutoSubmitted Flags = 1 << iota // auto-reply, vacation notice
	FlagBulk                            // list or bulk mail
	FlagBounce                          // delivery status notification
	FlagDMARCFail                       // sender failed DMARC: show a warning
	FlagForwarded                       // a forward: opened a new ticket
	FlagAutoReply                       // we sent it automatically (initial message)
)

// Has reports whether all bits of f2 are set.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// Address is one mailbox.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// String formats the address for display (not for headers).
func (a Address) String() string {
	if a.Name == "" {
		return a.Address
	}
	return fmt.Sprintf("%s <%s>", a.Name, a.Address)
}

// Message is one email (or note) on a ticket.
type Message struct {
	ID         int64
	CompanyID  int64
	TicketID   int64
	ChannelID  int64
	Direction  Direction
	Status     MessageStatus
	AuthorID   int64 // agent who wrote it (out, note); 0 for inbound
	From       Address
	To         []Address
	Cc         []Address
	Bcc        []Address
	Subject    string
	MessageID  string   // Message-ID header without brackets; "" if missing
	InReplyTo  string   // first In-Reply-To id without brackets
	References []string // without brackets, oldest first
	Date       time.Time
	Text       string // plain text body
	HTML       string // sanitized HTML body
	ReplyText  string // what the sender wrote in this message (quotes stripped)
	RawKey     string // blob key of the raw RFC 5322 bytes; "" for notes
	Size       int64  // raw size in bytes
	Flags      Flags
	// DedupeKey makes re-delivery idempotent: unique per company for
	// inbound messages ("" for outbound and notes).
	DedupeKey string
	InboundID int64 // the inbound row it came from; 0 otherwise
	Error     string
	Meta      map[string]string // small extras (auth results, bounce status...)
	CreatedAt time.Time
	// Search is the full-text vector computed ahead of the insert
	// (store.Messages.PrecomputeSearch, PostgreSQL), so the writing
	// transaction does not compute it; nil: the insert computes it.
	Search *SearchVector
}

// SearchVector is a message's full-text vector (PostgreSQL tsvector text)
// and the fields it was computed from: the store uses it only when the
// message it inserts still has exactly those fields (the same strings:
// comparing them costs nothing when they share their bytes, as a message
// and its probe do).
type SearchVector struct {
	Subject, FromName, FromAddress, Text string
	Vector                               string
}

// Attachment is a file on a message; bytes live in the blob store.
type Attachment struct {
	ID          int64
	CompanyID   int64
	MessageID   int64
	BlobKey     string
	Filename    string
	ContentType string
	Size        int64
	ContentID   string // without brackets
	Inline      bool
}

// ValidSlug reports whether s can be a company or channel slug:
// 1 to 40 characters of a-z, 0-9 and '-', not starting or ending with '-'.
// (40 keeps inbound addresses <slug>-<token>@domain within RFC 5321's
// 64-character local part.)
func ValidSlug(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// OneLine makes a header text (a subject, a display name) safe to store
// and to write back into a header: control characters (CR, LF, tab, NUL,
// DEL, C1) become spaces, runs of spaces one space, and the ends are
// trimmed. A customer's encoded Subject can decode to a line break, and
// one stored as is made every reply to that ticket fail.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
	}) &&
		!strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
