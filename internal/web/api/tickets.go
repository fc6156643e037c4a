package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// listTickets: GET /api/v1/tickets?status=&team_id=&assignee_id=&channel_id=&contact_id=&view=&sort=&q=&cursor=&limit=
func (d Deps) listTickets(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	var v directory.ValidationError
	num := func(name string) int64 {
		s := qv.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			v = append(v, directory.FieldError{Field: name, Message: "must be a non-negative integer"})
		}
		return n
	}
	f := ticket.Filter{Status: model.TicketStatus(qv.Get("status")), TeamID: num("team_id"), AssigneeID: num("assignee_id"),
		ChannelID: num("channel_id"), ContactID: num("contact_id"), Query: qv.Get("q"), Cursor: qv.Get("cursor"), Limit: int(num("limit")),
		View: ticket.View(qv.Get("view")), Sort: store.TicketSort(qv.Get("sort")), Priority: qv.Get("priority"), Tag: qv.Get("tag")}
	if len(v) > 0 {
		d.fail(w, r, v)
		return
	}
	page, err := d.Tickets.List(r.Context(), actor(r), f)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[ticketView]{Items: []ticketView{}, NextCursor: page.NextCursor}
	for i := range page.Tickets {
		tv := viewTicket(&page.Tickets[i])
		if sn, ok := page.Snippets[tv.ID]; ok {
			tv.SnippetHTML = search.HTML(sn, store.MarkStart, store.MarkEnd)
		}
		out.Items = append(out.Items, tv)
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) getTicket(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	det, err := d.Tickets.Get(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewDetail(det))
}

// ticketAction decodes a body into in and runs fn for the ticket in the path.
func ticketAction[T any](d Deps, w http.ResponseWriter, r *http.Request, status int, fn func(id int64, in T) (any, error)) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var in T
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	out, err := fn(id, in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, status, out)
}

func (d Deps) addNote(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusCreated, func(id int64, in struct {
		Text string `json:"text"`
	}) (any, error) {
		m, err := d.Tickets.AddNote(r.Context(), actor(r), id, in.Text)
		if err != nil {
			return nil, err
		}
		return viewMessage(m, nil), nil
	})
}

// reply: POST /api/v1/tickets/{id}/replies. The reply is queued at once
// unless "undo": true, which holds it for the company's undo delay (as
// the UI's composer; undo_until in the answer, POST
// .../replies/{message_id}/cancel meanwhile).
func (d Deps) reply(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusAccepted, func(id int64, in replyInput) (any, error) {
		in.Hold = in.Undo
		in.ReplyInput.DraftFiles = in.DraftFiles
		if in.CannedID != 0 {
			c, err := d.Tickets.GetCanned(r.Context(), actor(r), in.CannedID)
			if errors.Is(err, store.ErrNotFound) {
				return nil, directory.Invalid("canned_id", "no such canned reply")
			}
			if err != nil {
				return nil, err
			}
			ids := make([]int64, len(c.Attachments))
			for i, at := range c.Attachments {
				ids[i] = at.ID
			}
			files, err := d.Tickets.CannedFiles(r.Context(), actor(r), c.ID, ids)
			if err != nil {
				return nil, err
			}
			in.Attachments = append(in.Attachments, files...)
		}
		m, err := d.Tickets.Reply(r.Context(), actor(r), id, in.ReplyInput)
		if err != nil {
			return nil, err
		}
		return viewMessage(m, nil), nil
	})
}

func (d Deps) forward(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusAccepted, func(id int64, in ticket.ForwardInput) (any, error) {
		m, err := d.Tickets.Forward(r.Context(), actor(r), id, in)
		if err != nil {
			return nil, err
		}
		return viewMessage(m, nil), nil
	})
}

func (d Deps) assign(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in ticket.AssignInput) (any, error) {
		t, err := d.Tickets.Assign(r.Context(), actor(r), id, in)
		if err != nil {
			return nil, err
		}
		return viewTicket(t), nil
	})
}

func (d Deps) setStatus(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in struct {
		Status model.TicketStatus `json:"status"`
	}) (any, error) {
		t, err := d.Tickets.SetStatus(r.Context(), actor(r), id, in.Status)
		if err != nil {
			return nil, err
		}
		return viewTicket(t), nil
	})
}

func (d Deps) merge(w http.ResponseWriter, r *http.Request) {
	ticketAction(d, w, r, http.StatusOK, func(id int64, in struct {
		TargetID int64 `json:"target_id"`
	}) (any, error) {
		t, err := d.Tickets.Merge(r.Context(), actor(r), id, in.TargetID)
		if err != nil {
			return nil, err
		}
		return viewTicket(t), nil
	})
}
