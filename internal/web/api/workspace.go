package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// The agent workspace of a ticket (issue 16) over the API: the caller's
// draft, replies held for the undo delay and their cancel, snooze, bulk
// actions and the activity timeline. Every rule is ticket.Service's, as
// in the UI.

type draftView struct {
	TicketID int64           `json:"ticket_id"`
	Text     string          `json:"text"`
	Files    []draftFileView `json:"files"`
}

// draftFileView is a file kept with the caller's draft: sent with a
// reply that lists its id in "draft_files".
type draftFileView struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
}

// draft is the caller's draft on ticket id: text and files.
func (d Deps) draft(r *http.Request, id int64) (draftView, error) {
	text, err := d.Tickets.Draft(r.Context(), actor(r), id)
	if err != nil {
		return draftView{}, err
	}
	fs, err := d.Tickets.DraftFiles(r.Context(), actor(r), id)
	if err != nil {
		return draftView{}, err
	}
	v := draftView{TicketID: id, Text: text, Files: []draftFileView{}}
	for _, f := range fs {
		v.Files = append(v.Files, draftFileView{ID: f.ID, Filename: f.Filename, ContentType: f.ContentType, Size: f.Size, CreatedAt: f.CreatedAt})
	}
	return v, nil
}

func (d Deps) getDraft(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v, err := d.draft(r, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, v)
}

// putDraft: PUT /api/v1/tickets/{id}/draft {text}; blank text removes the
// text (files stay: DELETE .../draft removes both).
func (d Deps) putDraft(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in struct {
		Text string `json:"text"`
	}) (any, error) {
		if err := d.Tickets.SaveDraft(r.Context(), actor(r), id, in.Text); err != nil {
			return nil, err
		}
		return d.draft(r, id)
	})
}

// deleteDraft: DELETE /api/v1/tickets/{id}/draft discards the caller's
// draft, text and files.
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
	if err := d.Tickets.ClearDraftFiles(r.Context(), actor(r), id); err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addDraftFiles: POST /api/v1/tickets/{id}/draft/files, multipart/form-data
// with one or more "file" parts (with those kept already at most 25 MB and
// 50 files), kept with the caller's draft; 201 with the draft. A reply
// sends them by id ("draft_files").
func (d Deps) addDraftFiles(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if _, err := d.Tickets.DraftFiles(r.Context(), actor(r), id); err != nil {
		d.fail(w, r, err) // a ticket the caller may not see: 404 before reading the body
		return
	}
	files, err := formFiles(w, r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if _, err := d.Tickets.KeepDraftFiles(r.Context(), actor(r), id, files); err != nil {
		d.fail(w, r, err)
		return
	}
	v, err := d.draft(r, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, v)
}

// draftFile: GET /api/v1/tickets/{id}/draft/files/{attachment_id}, the
// file's bytes.
func (d Deps) draftFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	fid, err := pathID(r, "attachment_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f, rc, err := d.Tickets.OpenDraftFile(r.Context(), actor(r), id, fid)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	io.Copy(w, rc)
}

// deleteDraftFile: DELETE /api/v1/tickets/{id}/draft/files/{attachment_id}.
func (d Deps) deleteDraftFile(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	fid, err := pathID(r, "attachment_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if err := d.Tickets.RemoveDraftFile(r.Context(), actor(r), id, fid); err != nil {
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
	// DraftFiles are ids of files kept with the caller's draft (POST
	// .../draft/files, or a cancelled reply's) to send with this reply.
	DraftFiles []int64 `json:"draft_files"`
	// CannedID sends that canned reply's files with this reply (its text
	// is the caller's to write: GET .../canned-replies/{canned_id}).
	CannedID int64 `json:"canned_id"`
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
	// The reply's text and files are back in the caller's draft.
	v, err := d.draft(r, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"ticket_id": id, "message_id": m.ID, "cancelled": true, "draft": m.Meta[ticket.MetaDraft], "draft_files": v.Files})
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
	// Names shows the IDs of details as the UI's timeline does: an
	// agent's or team's name, a channel's name, "#number" for a ticket;
	// "" for "0" (nobody, no team). An ID no longer found is left out.
	Names map[string]string `json:"names"`
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
	namer := &activityNamer{d: d, companyID: principal(r).CompanyID, agents: names, tickets: map[int64]string{}}
	out := list[activityView]{Items: []activityView{}}
	for _, a := range acts {
		data := a.Data
		if data == nil {
			data = map[string]string{}
		}
		v := activityView{ID: a.ID, Kind: a.Kind, ActorID: a.ActorID, ActorName: names[a.ActorID], At: a.CreatedAt, Details: data, Names: map[string]string{}}
		for key, kind := range store.ActivityRefs[a.Kind] {
			id, err := strconv.ParseInt(data[key], 10, 64)
			if err != nil {
				continue
			}
			if id == 0 {
				v.Names[key] = ""
			} else if name, ok, err := namer.name(r.Context(), kind, id); err != nil {
				d.fail(w, r, err)
				return
			} else if ok {
				v.Names[key] = name
			}
		}
		out.Items = append(out.Items, v)
	}
	reply(w, http.StatusOK, out)
}

// activityNamer names the IDs of a timeline for the caller's company:
// agents from the list the handler read, teams and channels listed once
// when first asked for, tickets one by one (a timeline names few).
type activityNamer struct {
	d         Deps
	companyID int64
	agents    map[int64]string
	teams     map[int64]string
	channels  map[int64]string
	tickets   map[int64]string // "" for an ID not found
}

// nameFrom looks id up in *m, which list fills on first use.
func nameFrom[T any](m *map[int64]string, id int64, list func() ([]T, error), idName func(T) (int64, string)) (string, bool, error) {
	if *m == nil {
		items, err := list()
		if err != nil {
			return "", false, err
		}
		*m = make(map[int64]string, len(items))
		for _, it := range items {
			k, v := idName(it)
			(*m)[k] = v
		}
	}
	n, ok := (*m)[id]
	return n, ok, nil
}

func (n *activityNamer) name(ctx context.Context, kind string, id int64) (string, bool, error) {
	switch kind {
	case store.RefAgent:
		name, ok := n.agents[id]
		return name, ok, nil
	case store.RefTeam:
		return nameFrom(&n.teams, id, func() ([]model.Team, error) { return n.d.Directory.ListTeams(ctx, n.companyID) },
			func(t model.Team) (int64, string) { return t.ID, t.Name })
	case store.RefChannel:
		return nameFrom(&n.channels, id, func() ([]model.Channel, error) { return n.d.Directory.ListChannels(ctx, n.companyID) },
			func(c model.Channel) (int64, string) { return c.ID, c.Name })
	case store.RefTicket:
		if name, ok := n.tickets[id]; ok {
			return name, name != "", nil
		}
		t, err := n.d.Store.GetTicket(ctx, n.companyID, id)
		if errors.Is(err, store.ErrNotFound) {
			n.tickets[id] = ""
			return "", false, nil
		} else if err != nil {
			return "", false, err
		}
		n.tickets[id] = "#" + strconv.FormatInt(t.Number, 10)
		return n.tickets[id], true, nil
	}
	return "", false, nil
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
