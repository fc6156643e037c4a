package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// The agent workspace of a ticket (issue 16) over the API: the caller's
// draft, replies held for the undo delay and their cancel, snooze, bulk
// actions and the activity timeline. Every rule is ticket.Service's, as
// in the UI.

type draftView struct {
	TicketID int64  `json:"ticket_id"`
	Text     string `json:"text"`
}

func (d Deps) getDraft(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	text, err := d.Tickets.Draft(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, draftView{TicketID: id, Text: text})
}

// putDraft: PUT /api/v1/tickets/{id}/draft {text}; blank text removes it.
func (d Deps) putDraft(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in struct {
		Text string `json:"text"`
	}) (any, error) {
		if err := d.Tickets.SaveDraft(r.Context(), actor(r), id, in.Text); err != nil {
			return nil, err
		}
		text, err := d.Tickets.Draft(r.Context(), actor(r), id)
		return draftView{TicketID: id, Text: text}, err
	})
}

func (d Deps) deleteDraft(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if err := d.Tickets.SaveDraft(r.Context(), actor(r), id, ""); err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// replyInput is the API's reply: ticket.ReplyInput and "undo", which
// holds the reply for the company's undo delay (as the UI's composer).
type replyInput struct {
	ticket.ReplyInput
	Undo bool `json:"undo"`
}

// cancelReply: POST /api/v1/tickets/{id}/replies/{message_id}/cancel
// takes back the caller's reply held for the undo delay
// (ticket.Service.UndoReply): its text goes back to the caller's draft
// and a status set with it is restored. 409 too_late once a worker
// claimed it or it was sent.
func (d Deps) cancelReply(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	mid, err := pathID(r, "message_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	m, err := d.Tickets.UndoReply(r.Context(), actor(r), id, mid)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"ticket_id": id, "message_id": m.ID, "cancelled": true, "draft": m.Meta[ticket.MetaDraft]})
}

type snoozeView struct {
	Ticket       ticketView `json:"ticket"`
	SnoozedUntil time.Time  `json:"snoozed_until,omitzero"`
}

// snoozeTicket: PUT /api/v1/tickets/{id}/snooze {until: RFC 3339}, the
// ticket pending until then (in the future, within a year), then open
// again by itself.
func (d Deps) snoozeTicket(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in struct {
		Until string `json:"until"`
	}) (any, error) {
		until, err := time.Parse(time.RFC3339, in.Until)
		if err != nil {
			return nil, directory.Invalid("until", "must be a date and time in RFC 3339 (2026-12-07T09:00:00-03:00)")
		}
		t, err := d.Tickets.Snooze(r.Context(), actor(r), id, until)
		if err != nil {
			return nil, err
		}
		at, err := d.Tickets.SnoozedUntil(r.Context(), actor(r), id)
		return snoozeView{Ticket: viewTicket(t), SnoozedUntil: at}, err
	})
}

// unsnoozeTicket: DELETE /api/v1/tickets/{id}/snooze opens a snoozed
// ticket now; one not snoozed is left as it is.
func (d Deps) unsnoozeTicket(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	t, err := d.Tickets.Unsnooze(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, snoozeView{Ticket: viewTicket(t)})
}

// bulk: POST /api/v1/tickets/bulk {ids, action, assignee_id | team_id |
// status | target_number}, ticket.Service.Bulk as the inbox's bulk bar.
func (d Deps) bulk(w http.ResponseWriter, r *http.Request) {
	var in ticket.BulkInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	res, err := d.Tickets.Bulk(r.Context(), actor(r), in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, res)
}

type activityView struct {
	ID        int64             `json:"id"`
	Kind      string            `json:"kind"`
	ActorID   int64             `json:"actor_id"`   // 0: Atende itself
	ActorName string            `json:"actor_name"` // "" for Atende itself
	At        time.Time         `json:"at"`
	Details   map[string]string `json:"details"`
}

// timeline: GET /api/v1/tickets/{id}/activity, the ticket's activity
// oldest first (the newest ticket.TimelineLimit entries).
func (d Deps) timeline(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	acts, err := d.Tickets.Timeline(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	agents, err := d.Directory.ListAgents(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, a := range agents {
		names[a.ID] = a.Name
	}
	out := list[activityView]{Items: []activityView{}}
	for _, a := range acts {
		data := a.Data
		if data == nil {
			data = map[string]string{}
		}
		out.Items = append(out.Items, activityView{ID: a.ID, Kind: a.Kind, ActorID: a.ActorID, ActorName: names[a.ActorID], At: a.CreatedAt, Details: data})
	}
	reply(w, http.StatusOK, out)
}

// contactTicketView is one of a contact's tickets.
type contactTicketView struct {
	ID            int64              `json:"id"`
	Number        int64              `json:"number"`
	Subject       string             `json:"subject"`
	Status        model.TicketStatus `json:"status"`
	TeamID        int64              `json:"team_id"`
	LastMessageAt time.Time          `json:"last_message_at,omitzero"`
}

type contactDetailView struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// Organization is the address's domain ("" for personal mailbox
	// providers) and OrganizationContacts how many contacts share it.
	Organization         string `json:"organization"`
	OrganizationContacts int    `json:"organization_contacts"`
	// Tickets are the contact's tickets the caller may see, newest
	// activity first; tickets_cursor pages on (?tickets_cursor=).
	Tickets       []contactTicketView `json:"tickets"`
	TicketsCursor string              `json:"tickets_cursor,omitempty"`
}

func (d Deps) contactDetail(r *http.Request, id int64) (*contactDetailView, error) {
	card, err := d.Tickets.Contact(r.Context(), actor(r), id)
	if err != nil {
		return nil, err
	}
	page, err := d.Tickets.List(r.Context(), actor(r), ticket.Filter{ContactID: id, Cursor: r.URL.Query().Get("tickets_cursor")})
	if err != nil {
		return nil, err
	}
	c := card.Contact
	v := &contactDetailView{ID: c.ID, Email: c.Email, Name: c.Name, CreatedAt: c.CreatedAt, Organization: card.Organization,
		OrganizationContacts: card.OrgContacts, Tickets: []contactTicketView{}, TicketsCursor: page.NextCursor}
	for _, t := range page.Tickets {
		v.Tickets = append(v.Tickets, contactTicketView{ID: t.ID, Number: t.Number, Subject: t.Subject, Status: t.Status, TeamID: t.TeamID,
			LastMessageAt: t.LastMessageAt})
	}
	return v, nil
}

func (d Deps) getContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v, err := d.contactDetail(r, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, v)
}

// updateContact: PATCH /api/v1/contacts/{id} {name} ("" clears it).
func (d Deps) updateContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var in struct {
		Name *string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	if in.Name == nil {
		d.fail(w, r, directory.Invalid("name", "required (\"\" clears it)"))
		return
	}
	if _, err := d.Tickets.RenameContact(r.Context(), actor(r), id, *in.Name); err != nil {
		d.fail(w, r, err)
		return
	}
	v, err := d.contactDetail(r, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, v)
}

// listContacts: GET /api/v1/contacts?q=&limit=&cursor=, the company's
// contacts whose address or name contains q.
func (d Deps) listContacts(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	limit, err := queryInt(qv.Get("limit"), "limit", 0, ticket.MaxContactsListed)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	offset, err := queryInt(qv.Get("cursor"), "cursor", 0, 1<<31)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	cs, more, err := d.Tickets.SearchContacts(r.Context(), actor(r), strings.TrimSpace(qv.Get("q")), offset, limit)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[contactView]{Items: []contactView{}}
	for _, c := range cs {
		out.Items = append(out.Items, contactView{c.ID, c.Email, c.Name})
	}
	if more {
		out.NextCursor = itoa(offset + len(cs))
	}
	reply(w, http.StatusOK, out)
}
