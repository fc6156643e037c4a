package api

import (
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// JSON shapes of the API. Secrets (password hashes, token hashes, webhook
// secrets after creation) never appear.

type agentView struct {
	ID        int64      `json:"id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      model.Role `json:"role"`
	Signature string     `json:"signature"`
	Language  string     `json:"language"`
	Disabled  bool       `json:"disabled"`
	HasPass   bool       `json:"has_password"`
	CreatedAt time.Time  `json:"created_at"`
}

func viewAgent(a *model.Agent) agentView {
	return agentView{a.ID, a.Email, a.Name, a.Role, a.Signature, a.Language, a.Disabled, a.PasswordHash != "", a.CreatedAt}
}

type teamView struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Members   []agentView `json:"members,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

type ticketView struct {
	ID            int64              `json:"id"`
	Number        int64              `json:"number"`
	ChannelID     int64              `json:"channel_id"`
	ContactID     int64              `json:"contact_id"`
	TeamID        int64              `json:"team_id"`
	AssigneeID    int64              `json:"assignee_id"`
	Subject       string             `json:"subject"`
	Status        model.TicketStatus `json:"status"`
	Priority      string             `json:"priority"`
	Tags          []string           `json:"tags"`
	CreatedAt     time.Time          `json:"created_at"`
	UpdatedAt     time.Time          `json:"updated_at"`
	LastMessageAt time.Time          `json:"last_message_at"`
	ActivityAt    time.Time          `json:"activity_at"`
	// SnippetHTML (search results only) is an escaped excerpt of the best
	// matching message with each match in <mark>.
	SnippetHTML string `json:"snippet_html,omitempty"`
}

func viewTicket(t *model.Ticket) ticketView {
	tags := t.Tags
	if tags == nil {
		tags = []string{}
	}
	return ticketView{t.ID, t.Number, t.ChannelID, t.ContactID, t.TeamID, t.AssigneeID, t.Subject, t.Status, t.Priority, tags,
		t.CreatedAt, t.UpdatedAt, t.LastMessageAt, t.ActivityAt, ""}
}

type attachmentView struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	ContentID   string `json:"content_id,omitempty"`
	Inline      bool   `json:"inline"`
}

type messageView struct {
	ID          int64               `json:"id"`
	TicketID    int64               `json:"ticket_id"`
	Direction   model.Direction     `json:"direction"`
	Status      model.MessageStatus `json:"status"`
	AuthorID    int64               `json:"author_id,omitempty"`
	From        model.Address       `json:"from"`
	To          []model.Address     `json:"to"`
	Cc          []model.Address     `json:"cc"`
	Subject     string              `json:"subject"`
	Date        time.Time           `json:"date,omitzero"`
	Text        string              `json:"text"`
	HTML        string              `json:"html,omitempty"`
	ReplyText   string              `json:"reply_text,omitempty"`
	DMARCFail   bool                `json:"dmarc_fail,omitempty"`
	Error       string              `json:"error,omitempty"`
	Attachments []attachmentView    `json:"attachments"`
	CreatedAt   time.Time           `json:"created_at"`
	// UndoUntil is when a reply held for the undo delay leaves (POST
	// .../replies with "undo": true); until then POST
	// .../replies/{message_id}/cancel takes it back.
	UndoUntil time.Time `json:"undo_until,omitzero"`
}

func viewMessage(m *model.Message, atts []model.Attachment) messageView {
	nz := func(a []model.Address) []model.Address {
		if a == nil {
			return []model.Address{}
		}
		return a
	}
	v := messageView{ID: m.ID, TicketID: m.TicketID, Direction: m.Direction, Status: m.Status, AuthorID: m.AuthorID, From: m.From,
		To: nz(m.To), Cc: nz(m.Cc), Subject: m.Subject, Date: m.Date, Text: m.Text, HTML: m.HTML, ReplyText: m.ReplyText,
		DMARCFail: m.Flags.Has(model.FlagDMARCFail), Error: m.Error, Attachments: []attachmentView{}, CreatedAt: m.CreatedAt}
	if m.Status == model.MsgQueued {
		v.UndoUntil = ticket.UndoUntil(m)
	}
	for _, a := range atts {
		v.Attachments = append(v.Attachments, attachmentView{a.ID, a.Filename, a.ContentType, a.Size, a.ContentID, a.Inline})
	}
	return v
}

type ticketDetailView struct {
	ticketView
	Contact    contactView   `json:"contact"`
	Messages   []messageView `json:"messages"`
	MergedInto int64         `json:"merged_into,omitempty"`
}

type contactView struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func viewDetail(d *ticket.Detail) ticketDetailView {
	v := ticketDetailView{ticketView: viewTicket(&d.Ticket), Contact: contactView{d.Contact.ID, d.Contact.Email, d.Contact.Name},
		Messages: []messageView{}, MergedInto: d.MergedInto}
	for i := range d.Messages {
		v.Messages = append(v.Messages, viewMessage(&d.Messages[i].Message, d.Messages[i].Attachments))
	}
	return v
}

type tokenView struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	AgentID    int64     `json:"agent_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	Token      string    `json:"token,omitempty"` // only in the creation response
}

func viewToken(t *store.APIToken) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, AgentID: t.AgentID, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

type webhookView struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"` // only in the creation response
}

func viewWebhook(w *store.Webhook) webhookView {
	return webhookView{ID: w.ID, URL: w.URL, Events: w.Events, Enabled: w.Enabled, CreatedAt: w.CreatedAt}
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
