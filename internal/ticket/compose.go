package ticket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Message meta keys of a reply held for the undo-send delay.
const (
	MetaUndoUntil    = "undo_until"    // RFC 3339: the send is held until then
	MetaDraft        = "draft"         // the agent's Markdown, back in the draft on undo
	MetaStatusBefore = "status_before" // the ticket's status before "send and resolve"
)

// DelayedOutbox is an Outbox that can hold a send until a time (the
// undo-send delay) and take it back meanwhile.
type DelayedOutbox interface {
	EnqueueAt(ctx context.Context, q store.Queries, m *model.Message, runAt time.Time) error
	Cancel(ctx context.Context, q store.Queries, m *model.Message) (bool, error)
}

// EnqueueAt implements DelayedOutbox with outbox.EnqueueAt.
func (q Queue) EnqueueAt(ctx context.Context, qs store.Queries, m *model.Message, runAt time.Time) error {
	return outbox.EnqueueAt(ctx, qs, m, runAt)
}

// Cancel implements DelayedOutbox with outbox.Cancel.
func (q Queue) Cancel(ctx context.Context, qs store.Queries, m *model.Message) (bool, error) {
	return outbox.Cancel(ctx, qs, m)
}

// ErrTooLate is UndoReply's answer once the reply has left (or a worker
// is sending it).
var ErrTooLate = errors.New("ticket: the reply was already sent")

// UndoUntil is when a held reply leaves (zero when it is not held).
func UndoUntil(m *model.Message) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, m.Meta[MetaUndoUntil])
	return t
}

// MaxUndoSeconds bounds the undo-send delay an admin may set.
const MaxUndoSeconds = 120

// UndoSeconds is the actor's company's undo-send delay: how long a reply
// sent with undo is held before it leaves (0: replies leave at once).
func (s *Service) UndoSeconds(ctx context.Context, a Actor) (int, error) {
	n, err := s.store.UndoSeconds(ctx, a.CompanyID)
	if err != nil {
		return 0, fmt.Errorf("ticket: undo delay: %w", err)
	}
	return n, nil
}

// SetUndoSeconds sets the company's undo-send delay (admins only; 0 to
// MaxUndoSeconds). Replies already held keep the time they were given.
func (s *Service) SetUndoSeconds(ctx context.Context, a Actor, seconds int) error {
	if !a.Admin {
		return fmt.Errorf("ticket: undo delay: %w", ErrForbidden)
	}
	if seconds < 0 || seconds > MaxUndoSeconds {
		return directory.Invalid("undo_seconds", fmt.Sprintf("must be between 0 and %d seconds", MaxUndoSeconds))
	}
	if err := s.store.SetUndoSeconds(ctx, a.CompanyID, seconds); err != nil {
		return fmt.Errorf("ticket: set undo delay: %w", err)
	}
	return nil
}

// UndoReply takes back the agent's own reply still waiting in the outbox
// ("Desfazer"): the message is deleted, its text and files go back to
// the agent's draft and a status set with it is restored. ErrTooLate when it has
// left already.
func (s *Service) UndoReply(ctx context.Context, a Actor, id, messageID int64) (*model.Message, error) {
	d, ok := s.outbox.(DelayedOutbox)
	if !ok {
		return nil, fmt.Errorf("ticket: undo: %w", ErrTooLate)
	}
	var m *model.Message
	err := s.store.Tx(ctx, func(q store.Queries) error {
		t, err := s.load(ctx, q, a, id)
		if err != nil {
			return err
		}
		if m, err = q.GetMessage(ctx, a.CompanyID, messageID); err != nil {
			return err
		}
		if m.TicketID != t.ID || m.Direction != model.DirOut || m.AuthorID != a.AgentID {
			return fmt.Errorf("message %d: %w", messageID, ErrNotFound)
		}
		if UndoUntil(m).IsZero() {
			return ErrTooLate
		}
		atts, err := q.ListAttachments(ctx, a.CompanyID, m.ID)
		if err != nil {
			return err
		}
		ok, err := d.Cancel(ctx, q, m)
		if err != nil {
			return err
		}
		if !ok {
			return ErrTooLate
		}
		// The files go back with the text (their blobs stay: same keys).
		now := s.clk.Now().UTC()
		for _, at := range undoneFiles(m, atts) {
			if err := q.AddDraftFile(ctx, &store.DraftFile{CompanyID: a.CompanyID, TicketID: t.ID, AgentID: a.AgentID, BlobKey: at.BlobKey,
				Filename: at.Filename, ContentType: at.ContentType, Size: at.Size, CreatedAt: now}); err != nil {
				return err
			}
		}
		if before := model.TicketStatus(m.Meta[MetaStatusBefore]); before != "" && before.Valid() {
			t.Status = before
			if err := q.UpdateTicket(ctx, t); err != nil {
				return err
			}
		}
		return q.SaveDraft(ctx, &store.Draft{CompanyID: a.CompanyID, TicketID: t.ID, AgentID: a.AgentID, Body: m.Meta[MetaDraft],
			UpdatedAt: s.clk.Now().UTC()})
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: undo: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id})
	return m, nil
}

// MaxDraft bounds a draft (as a reply's text).
const MaxDraft = maxBody

// SaveDraft keeps the agent's unsent reply on a ticket; an empty text
// removes it.
func (s *Service) SaveDraft(ctx context.Context, a Actor, id int64, text string) error {
	if len(text) > MaxDraft {
		return directory.Invalid("text", fmt.Sprintf("must be at most %d bytes", MaxDraft))
	}
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return fmt.Errorf("ticket: save draft: %w", err)
	}
	if strings.TrimSpace(text) == "" {
		return s.store.DeleteDraft(ctx, a.CompanyID, id, a.AgentID)
	}
	return s.store.SaveDraft(ctx, &store.Draft{CompanyID: a.CompanyID, TicketID: id, AgentID: a.AgentID, Body: text, UpdatedAt: s.clk.Now().UTC()})
}

// Draft is the agent's draft on a ticket they may work ("" when none).
func (s *Service) Draft(ctx context.Context, a Actor, id int64) (string, error) {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return "", fmt.Errorf("ticket: draft: %w", err)
	}
	d, err := s.store.GetDraft(ctx, a.CompanyID, id, a.AgentID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ticket: draft: %w", err)
	}
	return d.Body, nil
}

// varRE finds {{ name }} variables.
var varRE = regexp.MustCompile(`\{\{\s*([a-zA-Z_.]+)\s*\}\}`)

// FillVariables replaces the {{variables}} vars knows; any other
// {{...}} stays as it is (never an error in front of the customer).
func FillVariables(text string, vars map[string]string) string {
	return varRE.ReplaceAllStringFunc(text, func(m string) string {
		name := varRE.FindStringSubmatch(m)[1]
		if v, ok := vars[strings.ToLower(name)]; ok {
			return v
		}
		return m
	})
}

// Variables of a canned reply on ticket t, in Portuguese and English.
func Variables(contact *model.Contact, t *model.Ticket, agent *model.Agent, company *model.Company) map[string]string {
	v := map[string]string{}
	set := func(val string, names ...string) {
		for _, n := range names {
			v[n] = val
		}
	}
	if contact != nil {
		name := contact.Name
		if strings.TrimSpace(name) == "" {
			name = contact.Email
		}
		first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
		set(name, "contato.nome", "contact.name")
		set(first, "contato.primeiro_nome", "contact.first_name")
		set(contact.Email, "contato.email", "contact.email")
	}
	if t != nil {
		set(fmt.Sprint(t.Number), "ticket.numero", "ticket.number")
		set(t.Subject, "ticket.assunto", "ticket.subject")
	}
	if agent != nil {
		set(agent.Name, "agente.nome", "agent.name")
		set(agent.Email, "agente.email", "agent.email")
	}
	if company != nil {
		set(company.Name, "empresa.nome", "company.name")
	}
	return v
}

// CannedScope is whose canned replies an actor manages.
const (
	CannedCompany = "company"
	CannedOwn     = "own"
)

// CannedInput creates or edits a canned reply.
type CannedInput struct {
	Title string `json:"title"`
	Body  string `json:"body"`
	// Scope is CannedCompany (admins only) or CannedOwn (default).
	Scope       string       `json:"scope"`
	Attachments []Attachment `json:"-"` // added to the reply's files
}

// MaxCannedTitle bounds a canned reply's title.
const MaxCannedTitle = 120

func checkCanned(in CannedInput) directory.ValidationError {
	var v directory.ValidationError
	title := cannedTitle(in.Title)
	switch {
	case title == "":
		v = append(v, directory.FieldError{Field: "title", Message: "required"})
	case utf8.RuneCountInString(title) > MaxCannedTitle:
		v = append(v, directory.FieldError{Field: "title", Message: fmt.Sprintf("must be at most %d characters", MaxCannedTitle)})
	}
	checkBody(&v, "body", in.Body)
	var total int
	for _, f := range in.Attachments {
		total += len(f.Data)
		if strings.ContainsAny(f.Filename, "\r\n") {
			v = append(v, directory.FieldError{Field: "attachments", Message: "file names must be one line"})
		}
	}
	if total > MaxAttachmentBytes {
		v = append(v, directory.FieldError{Field: "attachments", Message: "attachments exceed 25 MB"})
	}
	return v
}

// ListCanned are the company's canned replies and the actor's own.
func (s *Service) ListCanned(ctx context.Context, a Actor) ([]store.CannedReply, error) {
	l, err := s.store.ListCannedReplies(ctx, a.CompanyID, a.AgentID)
	if err != nil {
		return nil, fmt.Errorf("ticket: list canned replies: %w", err)
	}
	return l, nil
}

// GetCanned is one the actor may use (the company's or their own).
func (s *Service) GetCanned(ctx context.Context, a Actor, id int64) (*store.CannedReply, error) {
	c, err := s.store.GetCannedReply(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: canned reply: %w", err)
	}
	if c.AgentID != 0 && c.AgentID != a.AgentID {
		return nil, fmt.Errorf("ticket: canned reply %d: %w", id, ErrNotFound)
	}
	return c, nil
}

// CanEditCanned: admins edit the company's, everyone their own.
func (a Actor) CanEditCanned(c *store.CannedReply) bool {
	return (c.AgentID == 0 && a.Admin) || (c.AgentID != 0 && c.AgentID == a.AgentID)
}

func (s *Service) storeCannedFiles(ctx context.Context, a Actor, files []Attachment) ([]store.CannedAttachment, error) {
	var out []store.CannedAttachment
	for i, f := range files {
		if s.blobs == nil {
			return nil, errors.New("ticket: no blob store for attachments")
		}
		key, n, err := s.blobs.Put(ctx, bytes.NewReader(f.Data), 0)
		if err != nil {
			return nil, fmt.Errorf("ticket: store canned attachment %d: %w", i+1, err)
		}
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		out = append(out, store.CannedAttachment{CompanyID: a.CompanyID, BlobKey: key, Filename: f.Filename, ContentType: ct, Size: n})
	}
	return out, nil
}

// CreateCanned adds a canned reply: the company's (admins) or the actor's own.
func (s *Service) CreateCanned(ctx context.Context, a Actor, in CannedInput) (*store.CannedReply, error) {
	v := checkCanned(in)
	if in.Scope == CannedCompany && !a.Admin {
		v = append(v, directory.FieldError{Field: "scope", Message: "only admins manage the company's canned replies"})
	} else if in.Scope != "" && in.Scope != CannedCompany && in.Scope != CannedOwn {
		v = append(v, directory.FieldError{Field: "scope", Message: "must be company or own"})
	}
	if len(v) > 0 {
		return nil, v
	}
	c := &store.CannedReply{CompanyID: a.CompanyID, AgentID: a.AgentID, Title: cannedTitle(in.Title), Body: lf(in.Body),
		CreatedAt: s.clk.Now().UTC()}
	if in.Scope == CannedCompany {
		c.AgentID = 0
	}
	atts, err := s.storeCannedFiles(ctx, a, in.Attachments)
	if err != nil {
		return nil, err
	}
	c.Attachments = atts
	if err := s.store.Tx(ctx, func(q store.Queries) error { return q.CreateCannedReply(ctx, c) }); err != nil {
		return nil, fmt.Errorf("ticket: create canned reply: %w", err)
	}
	return c, nil
}

// UpdateCanned edits title and body, adds in.Attachments and removes the
// files listed in removeIDs.
func (s *Service) UpdateCanned(ctx context.Context, a Actor, id int64, in CannedInput, removeIDs []int64) (*store.CannedReply, error) {
	c, err := s.GetCanned(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !a.CanEditCanned(c) {
		return nil, fmt.Errorf("ticket: canned reply %d: %w", id, ErrForbidden)
	}
	if v := checkCanned(in); len(v) > 0 {
		return nil, v
	}
	atts, err := s.storeCannedFiles(ctx, a, in.Attachments)
	if err != nil {
		return nil, err
	}
	c.Title, c.Body = cannedTitle(in.Title), lf(in.Body)
	err = s.store.Tx(ctx, func(q store.Queries) error {
		if err := q.UpdateCannedReply(ctx, c); err != nil {
			return err
		}
		for _, rid := range removeIDs {
			if err := q.DeleteCannedAttachment(ctx, a.CompanyID, c.ID, rid); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		for i := range atts {
			atts[i].CannedID = c.ID
			if err := q.AddCannedAttachment(ctx, &atts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: update canned reply: %w", err)
	}
	return s.GetCanned(ctx, a, id)
}

// DeleteCanned removes one the actor may edit.
func (s *Service) DeleteCanned(ctx context.Context, a Actor, id int64) error {
	c, err := s.GetCanned(ctx, a, id)
	if err != nil {
		return err
	}
	if !a.CanEditCanned(c) {
		return fmt.Errorf("ticket: canned reply %d: %w", id, ErrForbidden)
	}
	return s.store.DeleteCannedReply(ctx, a.CompanyID, id)
}

// RenderedCanned is a canned reply filled for one ticket.
type RenderedCanned struct {
	ID          int64                    `json:"id"`
	Title       string                   `json:"title"`
	Text        string                   `json:"text"`
	Attachments []store.CannedAttachment `json:"-"`
}

// RenderCanned fills a canned reply's variables for ticket id, as the
// actor would send it.
func (s *Service) RenderCanned(ctx context.Context, a Actor, id, cannedID int64) (*RenderedCanned, error) {
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: canned reply: %w", err)
	}
	c, err := s.GetCanned(ctx, a, cannedID)
	if err != nil {
		return nil, err
	}
	contact, err := s.store.GetContact(ctx, a.CompanyID, t.ContactID)
	if err != nil {
		return nil, fmt.Errorf("ticket: canned reply: %w", err)
	}
	co, err := s.store.GetCompany(ctx, a.CompanyID)
	if err != nil {
		return nil, fmt.Errorf("ticket: canned reply: %w", err)
	}
	ag, err := s.store.GetAgent(ctx, a.CompanyID, a.AgentID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("ticket: canned reply: %w", err)
	}
	text := FillVariables(c.Body, Variables(contact, t, ag, co))
	return &RenderedCanned{ID: c.ID, Title: c.Title, Text: text, Attachments: c.Attachments}, nil
}

// CannedFiles reads the files of canned replies the actor may use, for a
// reply (attachment ids the composer carries after inserting one).
func (s *Service) CannedFiles(ctx context.Context, a Actor, cannedID int64, attIDs []int64) ([]Attachment, error) {
	c, err := s.GetCanned(ctx, a, cannedID)
	if err != nil {
		return nil, err
	}
	var out []Attachment
	for _, want := range attIDs {
		for _, at := range c.Attachments {
			if at.ID != want {
				continue
			}
			rc, err := s.blobs.Open(ctx, at.BlobKey)
			if err != nil {
				return nil, fmt.Errorf("ticket: canned attachment %d: %w", at.ID, err)
			}
			data, err := io.ReadAll(io.LimitReader(rc, MaxAttachmentBytes+1))
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("ticket: canned attachment %d: %w", at.ID, err)
			}
			out = append(out, Attachment{Filename: at.Filename, ContentType: at.ContentType, Data: data})
		}
	}
	return out, nil
}

// cannedTitle is the title on one line, spaces collapsed.
func cannedTitle(s string) string { return strings.Join(strings.Fields(s), " ") }

// lf is text with the CRLF line ends a browser submits made LF.
func lf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
