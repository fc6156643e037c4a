package ticket

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/thread"
)

// Errors.
var (
	ErrNotFound  = store.ErrNotFound
	ErrForbidden = errors.New("ticket: not one of your tickets")
)

// Actor is who performs an operation.
type Actor struct {
	CompanyID int64
	AgentID   int64
	Admin     bool
	TeamIDs   []int64
}

// CanSee reports whether a may work ticket t (same company assumed).
func (a Actor) CanSee(t *model.Ticket) bool {
	if a.Admin || (t.AssigneeID != 0 && t.AssigneeID == a.AgentID) {
		return true
	}
	// Routed to nobody (no rule matched yet): every agent sees it, so no
	// ticket is invisible.
	if t.TeamID == 0 && t.AssigneeID == 0 {
		return true
	}
	for _, id := range a.TeamIDs {
		if id != 0 && id == t.TeamID {
			return true
		}
	}
	return false
}

// Event types sent to webhooks and live updates.
const (
	EventTicketCreated   = "ticket.created"
	EventTicketUpdated   = "ticket.updated"
	EventMessageReceived = "message.received"
	EventMessageSent     = "message.sent"
	// A channel (or the node: disk, database) has been failing for a
	// while, and works again (package alerts; ChannelID and Cause set,
	// TicketID 0).
	EventChannelFailing   = "channel.failing"
	EventChannelRecovered = "channel.recovered"
)

// EventTypes lists every event type.
var EventTypes = []string{EventTicketCreated, EventMessageReceived, EventMessageSent, EventTicketUpdated, EventChannelFailing, EventChannelRecovered}

// Event is something that happened to a ticket.
type Event struct {
	Type      string    `json:"type"`
	CompanyID int64     `json:"-"`
	TicketID  int64     `json:"ticket_id"`
	MessageID int64     `json:"message_id,omitempty"`
	At        time.Time `json:"at"`
	// Channel events (channel.failing, channel.recovered).
	ChannelID int64  `json:"channel_id,omitempty"`
	Cause     string `json:"cause,omitempty"`
	Detail    string `json:"detail,omitempty"`
	// The admin notice a channel.failing event wrote (store.Notice ID,
	// Key and Params): a receiver shows it in its own language.
	NoticeID     int64             `json:"notice_id,omitempty"`
	NoticeKey    string            `json:"notice_key,omitempty"`
	NoticeParams map[string]string `json:"notice_params,omitempty"`
}

// Publisher receives events after they are committed; it must not block.
type Publisher interface {
	Publish(ctx context.Context, ev Event)
}

// Outbox takes an outbound message just stored with status queued and
// its raw MIME in the blob store, inside the transaction that stored it
// (so the message and its send order commit together). Wake is called
// after the commit.
type Outbox interface {
	Enqueue(ctx context.Context, q store.Queries, m *model.Message) error
	// Requeue puts a failed message back in the queue as it is (same
	// Message-ID); false when it was not failed.
	Requeue(ctx context.Context, q store.Queries, m *model.Message, now time.Time) (bool, error)
	Wake()
}

// Queue is the default Outbox: internal/outbox's durable send queue.
type Queue struct {
	// WakeFunc, when set, nudges the outbox workers (outbox.Service.Wake).
	WakeFunc func()
}

// Enqueue implements Outbox with outbox.Enqueue.
func (q Queue) Enqueue(ctx context.Context, qs store.Queries, m *model.Message) error {
	return outbox.Enqueue(ctx, qs, m)
}

// Requeue implements Outbox with outbox.Requeue.
func (q Queue) Requeue(ctx context.Context, qs store.Queries, m *model.Message, now time.Time) (bool, error) {
	return outbox.Requeue(ctx, qs, m, now)
}

// Wake implements Outbox.
func (q Queue) Wake() {
	if q.WakeFunc != nil {
		q.WakeFunc()
	}
}

// Blobs stores composed raw messages and reads the quoted message's
// inline images (blob.Store).
type Blobs interface {
	Put(ctx context.Context, r io.Reader, max int64) (key string, size int64, err error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Service runs ticket operations.
type Service struct {
	store  store.Store
	blobs  Blobs
	outbox Outbox
	pub    Publisher
	clk    clock.Clock
	log    *slog.Logger
}

// New returns a Service. blobs keeps the composed replies; outbox nil
// means Queue{} (internal/outbox, without waking its workers); pub may be nil.
// clk is the program's one clock (package clock).
func New(st store.Store, blobs Blobs, outbox Outbox, pub Publisher, clk clock.Clock, log *slog.Logger) *Service {
	if outbox == nil {
		outbox = Queue{}
	}
	return &Service{store: st, blobs: blobs, outbox: outbox, pub: pub, clk: clk, log: log}
}

func (s *Service) publish(ctx context.Context, evs ...Event) {
	if s.pub == nil {
		return
	}
	for _, ev := range evs {
		if ev.At.IsZero() {
			ev.At = s.clk.Now().UTC()
		}
		s.pub.Publish(ctx, ev)
	}
}

// load returns a ticket the actor may work.
func (s *Service) load(ctx context.Context, q store.Queries, a Actor, id int64) (*model.Ticket, error) {
	t, err := q.GetTicket(ctx, a.CompanyID, id)
	if err != nil {
		return nil, err
	}
	if !a.CanSee(t) {
		return nil, fmt.Errorf("ticket %d: %w", id, ErrForbidden)
	}
	return t, nil
}

// Filter narrows List; zero values mean any.
type Filter struct {
	Status     model.TicketStatus
	TeamID     int64
	AssigneeID int64
	ChannelID  int64
	ContactID  int64
	Query      string
	// Priority (low, normal, high, urgent) and Tag narrow the list to
	// tickets a rule or an agent marked so.
	Priority string
	Tag      string
	// View is an inbox view (ViewAll when empty).
	View View
	// Sort is the order (last customer activity when empty); a search is
	// ranked by relevance instead.
	Sort   store.TicketSort
	Cursor string // from the previous Page's NextCursor
	Limit  int    // default 50, max 200
}

// View is one of the inbox's views.
type View string

// The inbox views. Mine, Unassigned, Teams and Open hold open and pending
// tickets (unless a status is asked for); none hides a ticket from every
// agent: tickets routed to nobody are in everyone's Unassigned.
const (
	ViewAll        View = "all"        // every ticket the agent may see
	ViewMine       View = "mine"       // assigned to the agent
	ViewUnassigned View = "unassigned" // no assignee
	ViewTeams      View = "teams"      // of the agent's teams
	ViewOpen       View = "open"       // open and pending
	ViewPending    View = "pending"
	ViewResolved   View = "resolved"
)

// Views in the inbox's order.
var Views = []View{ViewMine, ViewUnassigned, ViewTeams, ViewOpen, ViewPending, ViewResolved, ViewAll}

// Valid reports whether v is a known view ("" counts as ViewAll).
func (v View) Valid() bool {
	return v == "" || slices.Contains(Views, v)
}

// Page is one page of tickets.
type Page struct {
	Tickets []model.Ticket
	// Snippets (search only) maps a ticket ID to an excerpt of its best
	// matching message: plain text with matches between store.MarkStart
	// and store.MarkEnd.
	Snippets   map[int64]string
	NextCursor string // "" on the last page
}

// Cursors: "t<id>" (legacy, newest first), "k<sort>.<prio>.<unixnano>.<id>"
// (a keyset position in an order), "o<offset>" (search results).
func encodeCursor(sort store.TicketSort, t *model.Ticket) string {
	c := store.CursorOf(t)
	s := fmt.Sprintf("k%s.%d.%d.%d", sort, c.Priority, c.ActivityAt.UnixNano(), c.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func decodeCursor(c string, sf *store.TicketFilter) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 2 {
		return false
	}
	switch b[0] {
	case 't':
		id, err := strconv.ParseInt(string(b[1:]), 10, 64)
		sf.Before = id
		return err == nil && id > 0
	case 'o':
		n, err := strconv.Atoi(string(b[1:]))
		sf.Offset = n
		return err == nil && n > 0 && sf.Query != ""
	case 'k':
		parts := strings.Split(string(b[1:]), ".")
		if len(parts) != 4 || store.TicketSort(parts[0]) != sf.Sort {
			return false
		}
		prio, err1 := strconv.Atoi(parts[1])
		ns, err2 := strconv.ParseInt(parts[2], 10, 64)
		id, err3 := strconv.ParseInt(parts[3], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || id <= 0 {
			return false
		}
		sf.After = &store.TicketCursor{ID: id, Priority: prio, ActivityAt: time.Unix(0, ns).UTC()}
		return true
	}
	return false
}

var openStatuses = []model.TicketStatus{model.StatusOpen, model.StatusPending}

// List returns the actor's tickets matching f.
func (s *Service) List(ctx context.Context, a Actor, f Filter) (*Page, error) {
	var v directory.ValidationError
	sf := store.TicketFilter{Status: f.Status, TeamID: f.TeamID, AssigneeID: f.AssigneeID, ChannelID: f.ChannelID,
		ContactID: f.ContactID, Query: strings.TrimSpace(f.Query), Sort: f.Sort, Priority: f.Priority}
	if f.Priority != "" && !slices.Contains(Priorities, f.Priority) {
		v = append(v, directory.FieldError{Field: "priority", Message: "must be low, normal, high or urgent"})
	}
	if t := NormalizeTags([]string{f.Tag}); len(t) == 1 {
		sf.Tag = t[0]
		if utf8.RuneCountInString(sf.Tag) > MaxTagLen {
			v = append(v, directory.FieldError{Field: "tag", Message: fmt.Sprintf("each tag at most %d characters", MaxTagLen)})
		}
	}
	if sf.Sort == "" {
		sf.Sort = store.SortActivity
	}
	if f.Status != "" && !f.Status.Valid() {
		v = append(v, directory.FieldError{Field: "status", Message: "must be open, pending, resolved or closed"})
	}
	if !f.Sort.Valid() {
		v = append(v, directory.FieldError{Field: "sort", Message: "must be activity, newest, oldest or priority"})
	}
	if !f.View.Valid() {
		v = append(v, directory.FieldError{Field: "view", Message: "must be mine, unassigned, teams, open, pending, resolved or all"})
	}
	if f.Cursor != "" && !decodeCursor(f.Cursor, &sf) {
		v = append(v, directory.FieldError{Field: "cursor", Message: "invalid cursor"})
	}
	if utf8.RuneCountInString(sf.Query) > 200 {
		v = append(v, directory.FieldError{Field: "q", Message: "must be at most 200 characters"})
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 200:
		v = append(v, directory.FieldError{Field: "limit", Message: "must be between 1 and 200"})
	}
	if len(v) > 0 {
		return nil, v
	}
	if !a.Admin {
		sf.Visible = &store.TicketScope{TeamIDs: a.TeamIDs, AssigneeID: a.AgentID}
	}
	open := func() {
		if sf.Status == "" {
			sf.Statuses = openStatuses
		}
	}
	switch f.View {
	case ViewMine:
		sf.AssigneeID = a.AgentID
		open()
	case ViewUnassigned:
		sf.Unassigned = true
		open()
	case ViewTeams:
		// An agent without a team has no team tickets.
		sf.TeamIDs = append([]int64{}, a.TeamIDs...)
		open()
	case ViewOpen:
		open()
	case ViewPending:
		sf.Statuses = []model.TicketStatus{model.StatusPending}
	case ViewResolved:
		sf.Statuses = []model.TicketStatus{model.StatusResolved}
	}
	sf.Limit = limit + 1
	p := &Page{}
	if sf.Query != "" {
		hits, err := s.store.SearchTickets(ctx, a.CompanyID, sf)
		if err != nil {
			return nil, fmt.Errorf("ticket: search: %w", err)
		}
		p.Snippets = map[int64]string{}
		for i, h := range hits {
			if i == limit {
				p.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(sf.Offset+limit)))
				break
			}
			p.Tickets = append(p.Tickets, h.Ticket)
			if h.Snippet != "" {
				p.Snippets[h.Ticket.ID] = h.Snippet
			}
		}
		return p, nil
	}
	ts, err := s.store.ListTickets(ctx, a.CompanyID, sf)
	if err != nil {
		return nil, fmt.Errorf("ticket: list: %w", err)
	}
	p.Tickets = ts
	if len(ts) > limit {
		p.Tickets = ts[:limit]
		sort := sf.Sort
		if sf.Before != 0 {
			p.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("t" + strconv.FormatInt(ts[limit-1].ID, 10)))
		} else {
			p.NextCursor = encodeCursor(sort, &ts[limit-1])
		}
	}
	return p, nil
}

// Counts are the open and pending tickets of each inbox view of a.
func (s *Service) Counts(ctx context.Context, a Actor) (*store.TicketCounts, error) {
	c, err := s.store.CountTicketViews(ctx, a.CompanyID, store.TicketScope{TeamIDs: a.TeamIDs, AssigneeID: a.AgentID}, a.Admin)
	if err != nil {
		return nil, fmt.Errorf("ticket: counts: %w", err)
	}
	return c, nil
}

// MessageView is a message with its attachments.
type MessageView struct {
	model.Message
	Attachments []model.Attachment
}

// Detail is a ticket with its conversation.
type Detail struct {
	Ticket     model.Ticket
	Contact    model.Contact
	Messages   []MessageView
	MergedInto int64 // the ticket this one was merged into, 0 if none
}

// Get returns a ticket with its messages (oldest first) and attachments.
func (s *Service) Get(ctx context.Context, a Actor, id int64) (*Detail, error) {
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Ticket: *t}
	c, err := s.store.GetContact(ctx, a.CompanyID, t.ContactID)
	if err != nil {
		return nil, fmt.Errorf("ticket: contact: %w", err)
	}
	d.Contact = *c
	msgs, err := s.store.ListMessages(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: messages: %w", err)
	}
	// One query for every message's attachments (no query per message).
	all, err := s.store.ListTicketAttachments(ctx, a.CompanyID, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: attachments: %w", err)
	}
	byMsg := map[int64][]model.Attachment{}
	for _, at := range all {
		byMsg[at.MessageID] = append(byMsg[at.MessageID], at)
	}
	for _, m := range msgs {
		d.Messages = append(d.Messages, MessageView{Message: m, Attachments: byMsg[m.ID]})
	}
	if into, err := s.store.MergedInto(ctx, a.CompanyID, id); err == nil {
		d.MergedInto = into
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("ticket: merged into: %w", err)
	}
	return d, nil
}

const maxBody = 200000

func checkBody(v *directory.ValidationError, field, text string) {
	switch {
	case strings.TrimSpace(text) == "":
		*v = append(*v, directory.FieldError{Field: field, Message: "required"})
	case len(text) > maxBody:
		*v = append(*v, directory.FieldError{Field: field, Message: fmt.Sprintf("must be at most %d bytes", maxBody)})
	}
}

// AddNote adds an internal note (never sent).
func (s *Service) AddNote(ctx context.Context, a Actor, id int64, text string) (*model.Message, error) {
	var v directory.ValidationError
	checkBody(&v, "text", text)
	if len(v) > 0 {
		return nil, v
	}
	var m *model.Message
	err := s.store.Tx(ctx, func(q store.Queries) error {
		t, err := s.load(ctx, q, a, id)
		if err != nil {
			return err
		}
		now := s.clk.Now().UTC()
		m = &model.Message{CompanyID: a.CompanyID, TicketID: t.ID, ChannelID: t.ChannelID, Direction: model.DirNote,
			Status: model.MsgStored, AuthorID: a.AgentID, Text: text, CreatedAt: now}
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		return q.TouchTicket(ctx, a.CompanyID, t.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: add note: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id, MessageID: m.ID})
	return m, nil
}

// AssignInput changes team and/or assignee (nil = unchanged, 0 = none).
type AssignInput struct {
	TeamID     *int64 `json:"team_id,omitempty"`
	AssigneeID *int64 `json:"assignee_id,omitempty"`
}

// Assign sets the team and/or assignee; both must be the company's.
func (s *Service) Assign(ctx context.Context, a Actor, id int64, in AssignInput) (*model.Ticket, error) {
	var t *model.Ticket
	err := s.store.Tx(ctx, func(q store.Queries) error {
		var err error
		if t, err = s.load(ctx, q, a, id); err != nil {
			return err
		}
		var v directory.ValidationError
		if in.TeamID == nil && in.AssigneeID == nil {
			v = append(v, directory.FieldError{Field: "team_id", Message: "give team_id, assignee_id or both"})
		}
		if in.TeamID != nil && *in.TeamID != 0 {
			if _, err := q.GetTeam(ctx, a.CompanyID, *in.TeamID); errors.Is(err, store.ErrNotFound) {
				v = append(v, directory.FieldError{Field: "team_id", Message: "no such team"})
			} else if err != nil {
				return err
			}
		}
		if in.AssigneeID != nil && *in.AssigneeID != 0 {
			ag, err := q.GetAgent(ctx, a.CompanyID, *in.AssigneeID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && ag.Disabled) {
				v = append(v, directory.FieldError{Field: "assignee_id", Message: "no such active agent"})
			} else if err != nil {
				return err
			}
		}
		if len(v) > 0 {
			return v
		}
		before := *t
		if in.TeamID != nil {
			t.TeamID = *in.TeamID
		}
		if in.AssigneeID != nil {
			t.AssigneeID = *in.AssigneeID
		}
		if err := q.UpdateTicket(ctx, t); err != nil {
			return err
		}
		return s.recordAssign(ctx, q, a, &before, t)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: assign: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id})
	return t, nil
}

// SetStatus changes a ticket's status.
func (s *Service) SetStatus(ctx context.Context, a Actor, id int64, status model.TicketStatus) (*model.Ticket, error) {
	if !status.Valid() {
		return nil, directory.Invalid("status", "must be open, pending, resolved or closed")
	}
	var t *model.Ticket
	err := s.store.Tx(ctx, func(q store.Queries) error {
		var err error
		if t, err = s.load(ctx, q, a, id); err != nil {
			return err
		}
		from := t.Status
		t.Status = status
		if err := q.UpdateTicket(ctx, t); err != nil {
			return err
		}
		return s.recordStatus(ctx, q, a, t, from)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: set status: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id})
	return t, nil
}

// Retry sends a failed outbound message of the ticket again ("Tentar
// novamente"): the same stored message, with its Message-ID, goes back to
// the outbox. Retrying a message that is queued or sent already changes
// nothing (a double click sends once).
func (s *Service) Retry(ctx context.Context, a Actor, id, messageID int64) (*model.Message, error) {
	var m *model.Message
	requeued := false
	err := s.store.Tx(ctx, func(q store.Queries) error {
		t, err := s.load(ctx, q, a, id)
		if err != nil {
			return err
		}
		if m, err = q.GetMessage(ctx, a.CompanyID, messageID); err != nil {
			return err
		}
		if m.TicketID != t.ID || m.Direction != model.DirOut {
			return fmt.Errorf("message %d: %w", messageID, ErrNotFound)
		}
		if requeued, err = s.outbox.Requeue(ctx, q, m, s.clk.Now()); err != nil {
			return err
		}
		if requeued {
			m.Status, m.Error = model.MsgQueued, ""
			return record(ctx, q, a.CompanyID, t.ID, a.AgentID, store.ActivityDeliveryRetry, s.clk.Now().UTC(),
				map[string]string{"message": i64(m.ID)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: retry: %w", err)
	}
	if requeued {
		s.outbox.Wake()
		s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id, MessageID: messageID})
	}
	return m, nil
}

// Priorities, lowest first.
var Priorities = []string{"low", "normal", "high", "urgent"}

// MaxTags and MaxTagLen bound a ticket's tags.
const (
	MaxTags   = 20
	MaxTagLen = 40
)

// DetailsInput changes a ticket's priority and tags (nil = unchanged).
type DetailsInput struct {
	Priority *string  `json:"priority,omitempty"`
	Tags     []string `json:"tags"` // nil = unchanged; [] = none
}

// NormalizeTags trims, lowercases and de-duplicates tags, keeping their
// order; empty ones are dropped.
func NormalizeTags(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range in {
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// SetDetails sets the priority and/or tags (what rule filters set when
// the ticket opened).
func (s *Service) SetDetails(ctx context.Context, a Actor, id int64, in DetailsInput) (*model.Ticket, error) {
	var v directory.ValidationError
	if in.Priority != nil && !slices.Contains(Priorities, *in.Priority) {
		v = append(v, directory.FieldError{Field: "priority", Message: "must be low, normal, high or urgent"})
	}
	var tags []string
	if in.Tags != nil {
		tags = NormalizeTags(in.Tags)
		if len(tags) > MaxTags {
			v = append(v, directory.FieldError{Field: "tags", Message: fmt.Sprintf("at most %d tags", MaxTags)})
		}
		for _, t := range tags {
			if utf8.RuneCountInString(t) > MaxTagLen || strings.ContainsAny(t, ",\r\n") {
				v = append(v, directory.FieldError{Field: "tags", Message: fmt.Sprintf("each tag at most %d characters, without commas", MaxTagLen)})
				break
			}
		}
	}
	if len(v) > 0 {
		return nil, v
	}
	var t *model.Ticket
	err := s.store.Tx(ctx, func(q store.Queries) error {
		var err error
		if t, err = s.load(ctx, q, a, id); err != nil {
			return err
		}
		if in.Priority != nil {
			t.Priority = *in.Priority
		}
		if in.Tags != nil {
			t.Tags = tags
		}
		return q.UpdateTicket(ctx, t)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: set details: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id})
	return t, nil
}

// Merge moves source's messages into target and closes source. Both must
// be tickets the actor may work.
func (s *Service) Merge(ctx context.Context, a Actor, sourceID, targetID int64) (*model.Ticket, error) {
	if targetID <= 0 {
		return nil, directory.Invalid("target_id", "required")
	}
	if sourceID == targetID {
		return nil, directory.Invalid("target_id", "cannot merge a ticket into itself")
	}
	var target *model.Ticket
	err := s.store.Tx(ctx, func(q store.Queries) error {
		if _, err := s.load(ctx, q, a, sourceID); err != nil {
			return err
		}
		t, err := q.GetTicket(ctx, a.CompanyID, targetID)
		if errors.Is(err, store.ErrNotFound) {
			return directory.Invalid("target_id", "no such ticket")
		} else if err != nil {
			return err
		}
		if !a.CanSee(t) {
			return directory.Invalid("target_id", "not one of your tickets")
		}
		if _, err := q.MergedInto(ctx, a.CompanyID, targetID); err == nil {
			return directory.Invalid("target_id", "that ticket was itself merged into another")
		}
		if err := q.MergeTickets(ctx, a.CompanyID, sourceID, targetID, s.clk.Now()); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return directory.Invalid("target_id", "this ticket was already merged")
			}
			return err
		}
		if err := s.recordMerge(ctx, q, a, sourceID, targetID); err != nil {
			return err
		}
		target, err = q.GetTicket(ctx, a.CompanyID, targetID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: merge: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: sourceID},
		Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: targetID})
	return target, nil
}

// ReplyInput is an agent's answer (Markdown text). To and Cc default to
// the contact (or last sender) and the other people on the thread.
type ReplyInput struct {
	Text string          `json:"text"`
	To   []model.Address `json:"to,omitempty"`
	Cc   []model.Address `json:"cc,omitempty"`
	Bcc  []model.Address `json:"bcc,omitempty"`
	// Quote overrides the channel's "show quote in reply" for this reply
	// (nil = the channel's setting).
	Quote *bool `json:"quote,omitempty"`
	// Attachments are files sent with the reply; each is also stored as an
	// attachment row of the outgoing message.
	Attachments []Attachment `json:"-"`
	// Status, when set, is the ticket's status once the reply is queued
	// ("Enviar e resolver", "Enviar e deixar pendente").
	Status model.TicketStatus `json:"status,omitempty"`
	// Hold keeps the reply in the outbox for the company's undo-send
	// delay (the agent's composer, which offers "Desfazer"); UndoReply
	// takes it back meanwhile.
	Hold bool `json:"-"`
	// DraftFiles are IDs of the agent's files kept with the draft
	// (KeepDraftFiles, an undone reply) to send with this reply. Once
	// the reply is stored, all the draft's files are cleared.
	DraftFiles []int64 `json:"-"`
}

// Attachment is a file an agent attaches to a reply.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// MaxAttachmentBytes is the most a reply's attachments may add up to.
const MaxAttachmentBytes = 25 << 20

func checkAddrs(v *directory.ValidationError, field string, as []model.Address) {
	if len(as) > 50 {
		*v = append(*v, directory.FieldError{Field: field, Message: "at most 50 addresses"})
		return
	}
	for i, a := range as {
		p, err := mail.ParseAddress(strings.TrimSpace(a.Address))
		if err != nil || p.Name != "" || !model.ValidEmail(p.Address) {
			// As setup checks: "gerente@cliente" has no domain to deliver to.
			*v = append(*v, directory.FieldError{Field: fmt.Sprintf("%s[%d].address", field, i), Message: "must be an email address such as ana@empresa.com.br"})
		}
	}
}

// Reply composes the agent's answer (signature, quote, threading headers),
// stores it as an outbound message with status queued and hands it to the
// outbox in the same transaction.
func (s *Service) Reply(ctx context.Context, a Actor, id int64, in ReplyInput) (*model.Message, error) {
	var v directory.ValidationError
	checkBody(&v, "text", in.Text)
	checkAddrs(&v, "to", in.To)
	checkAddrs(&v, "cc", in.Cc)
	checkAddrs(&v, "bcc", in.Bcc)
	if len(in.DraftFiles) > 0 {
		kept, err := s.draftAttachments(ctx, a, id, in.DraftFiles)
		if err != nil {
			return nil, err
		}
		in.Attachments = append(kept, in.Attachments...)
	}
	var total int
	for _, f := range in.Attachments {
		total += len(f.Data)
	}
	if total > MaxAttachmentBytes {
		v = append(v, directory.FieldError{Field: "attachments", Message: "attachments exceed 25 MB"})
	}
	if in.Status != "" && !in.Status.Valid() {
		v = append(v, directory.FieldError{Field: "status", Message: "must be open, pending, resolved or closed"})
	}
	if len(v) > 0 {
		return nil, v
	}
	var hold time.Duration
	if in.Hold {
		n, err := s.store.UndoSeconds(ctx, a.CompanyID)
		if err != nil {
			return nil, fmt.Errorf("ticket: reply: %w", err)
		}
		hold = time.Duration(n) * time.Second
	}
	meta := map[string]string{}
	if hold > 0 {
		meta[MetaDraft] = in.Text
		meta[MetaDraftFiles] = strconv.Itoa(len(in.Attachments))
	}
	m, err := s.outboundHeld(ctx, a, id, func(ri *reply.Input) {
		ri.Markdown, ri.To, ri.Cc, ri.Bcc, ri.Quote = in.Text, in.To, in.Cc, in.Bcc, in.Quote
		for _, f := range in.Attachments {
			data := f.Data
			ri.Attachments = append(ri.Attachments, reply.Attachment{Filename: f.Filename, ContentType: f.ContentType,
				Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }})
		}
	}, meta, in.Attachments, hold, in.Status)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteDraft(ctx, a.CompanyID, id, a.AgentID); err != nil {
		s.log.Warn("ticket: clear draft after reply", "ticket", id, "err", err)
	}
	if _, err := s.store.DeleteDraftFiles(ctx, a.CompanyID, id, a.AgentID, nil); err != nil {
		s.log.Warn("ticket: clear draft files after reply", "ticket", id, "err", err)
	}
	return m, nil
}

// ForwardInput sends the ticket's conversation to someone else.
type ForwardInput struct {
	To   []model.Address `json:"to"`
	Text string          `json:"text"`
}

// Forward sends the conversation with the agent's note to other
// addresses; stored and queued like a reply. When the channel's option
// "forward creates a new ticket" (Usedesk seed: "Encaminhamento — um novo
// ticket") is on, the forward opens a new ticket for the first recipient,
// whose first message is an internal note holding the forwarded
// correspondence, and the forward is sent from that ticket: the
// recipient's answers thread into it, not into the customer's ticket.
func (s *Service) Forward(ctx context.Context, a Actor, id int64, in ForwardInput) (*model.Message, error) {
	var v directory.ValidationError
	if len(in.To) == 0 {
		v = append(v, directory.FieldError{Field: "to", Message: "required"})
	}
	checkAddrs(&v, "to", in.To)
	checkBody(&v, "text", in.Text)
	if len(v) > 0 {
		return nil, v
	}
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: forward: %w", err)
	}
	ch, err := s.store.GetChannel(ctx, a.CompanyID, t.ChannelID)
	if err != nil {
		return nil, fmt.Errorf("ticket: forward: %w", err)
	}
	if !ch.Settings.ForwardNewTicket {
		quote := true
		return s.outbound(ctx, a, id, func(ri *reply.Input) {
			ri.Markdown, ri.To, ri.Cc, ri.Quote = in.Text, in.To, []model.Address{}, &quote
			ri.Subject = prefixed("Fwd: ", ri.Ticket.Subject)
		}, map[string]string{"kind": "forward"}, nil)
	}
	msgs, err := s.store.ListMessages(ctx, a.CompanyID, t.ID)
	if err != nil {
		return nil, fmt.Errorf("ticket: forward: %w", err)
	}
	co, err := s.store.GetCompany(ctx, a.CompanyID)
	if err != nil {
		return nil, fmt.Errorf("ticket: forward: %w", err)
	}
	history := reply.ForwardedText(t, msgs, co.Language, co.Location())
	now := s.clk.Now().UTC()
	nt := &model.Ticket{CompanyID: a.CompanyID, ChannelID: t.ChannelID, TeamID: t.TeamID, AssigneeID: a.AgentID,
		Subject: prefixed("Fwd: ", t.Subject), Status: model.StatusPending, Priority: t.Priority, ReplyToken: thread.NewReplyToken(),
		CreatedAt: now, LastMessageAt: now}
	err = s.store.Tx(ctx, func(q store.Queries) error {
		c, err := q.UpsertContact(ctx, a.CompanyID, in.To[0].Address, in.To[0].Name)
		if err != nil {
			return err
		}
		nt.ContactID = c.ID
		if err := q.CreateTicket(ctx, nt); err != nil {
			return err
		}
		note := &model.Message{CompanyID: a.CompanyID, TicketID: nt.ID, ChannelID: nt.ChannelID, Direction: model.DirNote,
			Status: model.MsgStored, AuthorID: a.AgentID, Text: history, CreatedAt: now,
			Meta: map[string]string{"forwarded_from_ticket": fmt.Sprint(t.Number)}}
		return q.CreateMessage(ctx, note)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: forward to a new ticket: %w", err)
	}
	s.publish(ctx, Event{Type: EventTicketCreated, CompanyID: a.CompanyID, TicketID: nt.ID})
	no := false
	return s.outbound(ctx, Actor{CompanyID: a.CompanyID, AgentID: a.AgentID, Admin: true}, nt.ID, func(ri *reply.Input) {
		ri.Markdown = in.Text + "\n\n" + reply.ForwardSeparator(co.Language) + "\n\n" + indentBlock(history)
		ri.To, ri.Cc, ri.Quote, ri.Subject = in.To, []model.Address{}, &no, nt.Subject
	}, map[string]string{"kind": "forward", "forwarded_from_ticket": fmt.Sprint(t.Number)}, nil)
}

// indentBlock turns plain text into a Markdown block that keeps its lines.
func indentBlock(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// outbound composes, stores and queues one outgoing message; files are
// stored as its attachment rows in the same transaction.
func (s *Service) outbound(ctx context.Context, a Actor, id int64, fill func(*reply.Input), meta map[string]string, files []Attachment) (*model.Message, error) {
	return s.outboundHeld(ctx, a, id, fill, meta, files, 0, "")
}

// outboundHeld is outbound with the send held for hold (the undo-send
// delay) and the ticket's status set to status ("" = unchanged) in the
// same transaction.
func (s *Service) outboundHeld(ctx context.Context, a Actor, id int64, fill func(*reply.Input), meta map[string]string, files []Attachment,
	hold time.Duration, status model.TicketStatus) (*model.Message, error) {
	if s.blobs == nil {
		return nil, errors.New("ticket: outbound mail is not configured (no blob store)")
	}
	t, err := s.load(ctx, s.store, a, id)
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	ch, err := s.store.GetChannel(ctx, a.CompanyID, t.ChannelID)
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	co, err := s.store.GetCompany(ctx, a.CompanyID)
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	contact, err := s.store.GetContact(ctx, a.CompanyID, t.ContactID)
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	thread, err := s.store.ListMessages(ctx, a.CompanyID, t.ID)
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	ri := reply.Input{Channel: ch, Ticket: t, CompanyName: co.Name, Thread: thread,
		Contact: model.Address{Name: contact.Name, Address: contact.Email}, SubjectTag: true, Now: s.clk.Now(),
		Language: co.Language, Location: co.Location()}
	if ag, err := s.store.GetAgent(ctx, a.CompanyID, a.AgentID); err == nil {
		ri.Agent = ag
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	if ri.Inline, err = s.quotedImages(ctx, a.CompanyID, thread); err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	fill(&ri)
	out, err := reply.Compose(ri)
	if errors.Is(err, reply.ErrInvalid) {
		return nil, directory.Invalid("message", strings.TrimPrefix(err.Error(), reply.ErrInvalid.Error()+": "))
	}
	if err != nil {
		return nil, fmt.Errorf("ticket: compose: %w", err)
	}
	key, size, err := s.blobs.Put(ctx, bytes.NewReader(out.Raw), 0)
	if err != nil {
		return nil, fmt.Errorf("ticket: store outbound raw: %w", err)
	}
	atts := make([]*model.Attachment, 0, len(files))
	embedded := map[int]string{} // file index → Content-ID of a file shown in the text
	for _, e := range out.Embedded {
		embedded[e.Index] = e.ContentID
	}
	for i, f := range files {
		bk, n, err := s.blobs.Put(ctx, bytes.NewReader(f.Data), 0)
		if err != nil {
			return nil, fmt.Errorf("ticket: store attachment %d: %w", i+1, err)
		}
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		at := &model.Attachment{CompanyID: a.CompanyID, BlobKey: bk, Filename: f.Filename, ContentType: ct, Size: n}
		if cid, ok := embedded[i]; ok {
			// Shown in the text (the ticket view's cid/<id> URL), as the
			// customer sees it.
			at.ContentID, at.Inline = cid, true
		}
		atts = append(atts, at)
	}
	for _, in := range out.Inline {
		// The reply's copy of each quoted image, for the ticket view's
		// cid/<id> URL of this message (same blob, no copy).
		atts = append(atts, &model.Attachment{CompanyID: a.CompanyID, BlobKey: in.BlobKey, Filename: in.Filename,
			ContentType: in.ContentType, Size: in.Size, ContentID: in.ContentID, Inline: true})
	}
	now := ri.Now.UTC()
	m := out.Message(t, a.AgentID, key, size, now)
	m.Meta = meta
	var runAt time.Time
	delayed, _ := s.outbox.(DelayedOutbox)
	if hold > 0 && delayed != nil {
		runAt = now.Add(hold)
		if m.Meta == nil {
			m.Meta = map[string]string{}
		}
		m.Meta[MetaUndoUntil] = runAt.Format(time.RFC3339Nano)
	}
	err = s.store.Tx(ctx, func(q store.Queries) error {
		cur, err := s.load(ctx, q, a, id) // still ours (not reassigned meanwhile)
		if err != nil {
			return err
		}
		if status != "" && status != cur.Status {
			if m.Meta == nil {
				m.Meta = map[string]string{}
			}
			m.Meta[MetaStatusBefore] = string(cur.Status)
			cur.Status = status
			if err := q.UpdateTicket(ctx, cur); err != nil {
				return err
			}
		}
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		for _, att := range atts {
			att.MessageID = m.ID
			if err := q.CreateAttachment(ctx, att); err != nil {
				return err
			}
		}
		if !runAt.IsZero() {
			if err := delayed.EnqueueAt(ctx, q, m, runAt); err != nil {
				return err
			}
		} else if err := s.outbox.Enqueue(ctx, q, m); err != nil {
			return err
		}
		return q.TouchTicket(ctx, a.CompanyID, t.ID, now)
	})
	if err != nil {
		return nil, fmt.Errorf("ticket: outbound: %w", err)
	}
	s.outbox.Wake()
	s.publish(ctx, Event{Type: EventTicketUpdated, CompanyID: a.CompanyID, TicketID: id, MessageID: m.ID})
	return m, nil
}

// quotedImages are the inline images (with a Content-ID) of the message a
// reply on this thread quotes.
func (s *Service) quotedImages(ctx context.Context, companyID int64, thread []model.Message) ([]reply.Inline, error) {
	q := reply.Quoted(thread)
	if q == nil || !strings.Contains(q.HTML, "<img") {
		return nil, nil
	}
	atts, err := s.store.ListAttachments(ctx, companyID, q.ID)
	if err != nil {
		return nil, err
	}
	var out []reply.Inline
	for _, at := range atts {
		if at.ContentID == "" || at.BlobKey == "" {
			continue
		}
		key := at.BlobKey
		out = append(out, reply.Inline{ContentID: at.ContentID, ContentType: at.ContentType, Filename: at.Filename, BlobKey: key,
			Size: at.Size, Open: func() (io.ReadCloser, error) { return s.blobs.Open(ctx, key) }})
	}
	return out, nil
}

// prefixed adds p ("Re: ") unless the subject already starts with it.
func prefixed(p, subject string) string {
	if strings.HasPrefix(strings.ToLower(subject), strings.ToLower(p)) {
		return subject
	}
	return p + subject
}
