package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// The agent workspace of a ticket (issue 16): who else is in it
// (presence), the held send when someone replied meanwhile, the activity
// timeline and the contact panel.

// workspace is the part of the ticket page this file fills.
type workspace struct {
	// LastSeen is the newest message the page shows: the reply form
	// sends it back, and a reply another agent sent after it holds the
	// send (Held).
	LastSeen int64
	Held     *heldView
	Timeline []activityView
	Contact  contactPanel
}

type heldView struct {
	Text      string // "Mariana respondeu há 3 s"
	MessageID int64
	Files     bool // the held form had files: they must be attached again
}

type activityView struct {
	Kind                       string
	Text, Who                  string
	DateISO, DateText, DateFul string
}

type contactPanel struct {
	ID                int64
	Name, Email       string
	Organization      string
	OrgContacts       int
	Others            []contactTicket
	MoreOthers        bool
	NameErr, NameForm string
}

type contactTicket struct {
	ID, Number                   int64
	Subject, Status, StatusLabel string
	LastISO, LastText, TeamName  string
	Current                      bool
}

// otherTicketsShown bounds the contact's other tickets on the ticket page.
const otherTicketsShown = 10

// workspaceData fills p.W for ticket d.
func (h *handler) workspaceData(r *http.Request, s *session, d *ticket.Detail, n *directoryNames, p *ticketPage) error {
	w := &workspace{}
	for _, m := range d.Messages {
		w.LastSeen = max(w.LastSeen, m.ID)
	}
	acts, err := h.Tickets.Timeline(r.Context(), s.actor(), d.Ticket.ID)
	if err != nil {
		return err
	}
	numbers, err := h.ticketNumbers(r, s, acts)
	if err != nil {
		return err
	}
	for _, a := range acts {
		st := s.when(a.CreatedAt)
		who := s.L.T("activity.system")
		if a.ActorID != 0 {
			who = n.agents[a.ActorID]
		}
		w.Timeline = append(w.Timeline, activityView{Kind: a.Kind, Text: activityText(s.L, n, numbers, a), Who: who,
			DateISO: st.ISO, DateText: st.Text, DateFul: st.Full})
	}
	card, err := h.Tickets.Contact(r.Context(), s.actor(), d.Ticket.ContactID)
	if err != nil {
		return err
	}
	w.Contact = contactPanel{ID: card.Contact.ID, Name: card.Contact.Name, Email: card.Contact.Email,
		Organization: card.Organization, OrgContacts: card.OrgContacts}
	page, err := h.Tickets.List(r.Context(), s.actor(), ticket.Filter{ContactID: d.Ticket.ContactID, Limit: otherTicketsShown + 1})
	if err != nil {
		return err
	}
	for _, t := range page.Tickets {
		if t.ID == d.Ticket.ID {
			continue
		}
		if len(w.Contact.Others) == otherTicketsShown {
			w.Contact.MoreOthers = true
			break
		}
		w.Contact.Others = append(w.Contact.Others, h.contactTicket(s, n, t))
	}
	w.Contact.MoreOthers = w.Contact.MoreOthers || page.NextCursor != ""
	p.W = w
	return nil
}

func (h *handler) contactTicket(s *session, n *directoryNames, t model.Ticket) contactTicket {
	last := t.LastMessageAt
	if last.IsZero() {
		last = t.UpdatedAt
	}
	st := s.when(last)
	return contactTicket{ID: t.ID, Number: t.Number, Subject: t.Subject, Status: string(t.Status), StatusLabel: s.L.Status(t.Status),
		LastISO: st.ISO, LastText: st.Text, TeamName: n.teams[t.TeamID]}
}

// ticketNumbers maps the ticket IDs timeline entries name (merges) to
// their numbers (one query per ticket; a timeline names few).
func (h *handler) ticketNumbers(r *http.Request, s *session, acts []store.Activity) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, a := range acts {
		for key, ref := range store.ActivityRefs[a.Kind] {
			if ref != store.RefTicket {
				continue
			}
			id := dataID(a, key)
			if _, ok := out[id]; ok || id == 0 {
				continue
			}
			t, err := h.Store.GetTicket(r.Context(), s.P.CompanyID, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("ui: timeline: %w", err)
			}
			out[id] = t.Number
		}
	}
	return out, nil
}

func dataID(a store.Activity, key string) int64 {
	id, _ := strconv.ParseInt(a.Data[key], 10, 64)
	return id
}

// activityText is one timeline entry in the agent's language.
func activityText(l Localizer, n *directoryNames, numbers map[int64]int64, a store.Activity) string {
	team := func(id int64) string {
		if id == 0 {
			return l.T("ticket.no_team")
		}
		if name, ok := n.teams[id]; ok {
			return name
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	agent := func(id int64) string {
		if id == 0 {
			return l.T("ticket.nobody")
		}
		if name, ok := n.agents[id]; ok {
			return name
		}
		return "#" + strconv.FormatInt(id, 10)
	}
	number := func(id int64) string {
		if num, ok := numbers[id]; ok {
			return "#" + strconv.FormatInt(num, 10)
		}
		return "#?"
	}
	switch a.Kind {
	case store.ActivityRouted:
		var b strings.Builder
		if a.Data["filter"] != "" {
			b.WriteString(l.T("activity.routed_filter", a.Data["filter"], l.T("rule.kind."+a.Data["filter_kind"]), a.Data["filter_value"], team(dataID(a, "team"))))
		} else if id := dataID(a, "team"); id != 0 {
			b.WriteString(l.T("activity.routed_default", team(id)))
		} else {
			b.WriteString(l.T("activity.routed_none"))
		}
		if id := dataID(a, "assignee"); id != 0 {
			b.WriteString(" " + l.T("activity.routed_assignee", agent(id)))
		}
		return b.String()
	case store.ActivityStatus:
		if a.Data["reason"] == "customer_replied" {
			return l.T("activity.reopened", l.Status(a.Data["from"]))
		}
		return l.T("activity.status", l.Status(a.Data["from"]), l.Status(a.Data["to"]))
	case store.ActivityAssigned:
		if dataID(a, "to") == 0 {
			return l.T("activity.unassigned", agent(dataID(a, "from")))
		}
		return l.T("activity.assigned", agent(dataID(a, "to")))
	case store.ActivityTeam:
		return l.T("activity.team", team(dataID(a, "from")), team(dataID(a, "to")))
	case store.ActivityMergedInto:
		return l.T("activity.merged_into", number(dataID(a, "ticket")))
	case store.ActivityMergedFrom:
		return l.T("activity.merged_from", number(dataID(a, "ticket")))
	case store.ActivityAutoReply:
		return l.T("activity.auto_reply")
	case store.ActivityDeliveryFailed:
		return l.T("activity.delivery_failed", l.T("ticket.fail."+failKind(a.Data["reason"], "")))
	case store.ActivityDeliveryRetry:
		if a.ActorID != 0 {
			return l.T("activity.retry_manual")
		}
		return l.T("activity.retry_auto", a.Data["attempt"])
	}
	return a.Kind
}

// agoText is a short elapsed time: "3 s", "2 min", "1 h", "2 d".
func agoText(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
}

// holdReply holds a reply when another agent replied after the message
// the agent's page showed last (form field seen_message), unless the
// agent chose "send anyway" (send_anyway=1): the ticket is shown again
// with the new reply, the notice and the agent's text kept. It reports
// whether it answered the request.
func (h *handler) holdReply(w http.ResponseWriter, r *http.Request, s *session) bool {
	if r.PostFormValue("send_anyway") == "1" {
		return false
	}
	seen, _ := strconv.ParseInt(r.PostFormValue("seen_message"), 10, 64)
	id := pathID(r, "id")
	c, err := h.Tickets.RepliedSince(r.Context(), s.actor(), id, seen)
	if err != nil || c == nil {
		return false // the send itself reports what is wrong
	}
	// Not sent: the reply's new files stay with the draft, listed ticked;
	// only files that could not be kept must be attached again.
	uploads, err := replyAttachments(r)
	if err == nil {
		err = h.keepUploads(r, s, id, uploads)
	}
	lost := err != nil && r.MultipartForm != nil && len(r.MultipartForm.File["attachments"]) > 0 && r.MultipartForm.File["attachments"][0].Size > 0
	if err != nil {
		h.Log.Warn("ui: keep the files of a reply held back", "ticket", id, "err", err)
	}
	v := s.view("")
	v.Form = map[string]string{}
	for k, vals := range r.PostForm {
		if k != "csrf_token" && k != "seen_message" && len(vals) > 0 {
			v.Form[k] = vals[0]
		}
	}
	p, err := h.ticketData(r, s, id)
	if !h.handleErr(w, r, s, v, err) {
		return true
	}
	name := c.Name
	if name == "" {
		name = s.L.T("held.someone")
	}
	p.W.Held = &heldView{Text: s.L.T("held.replied", name, agoText(c.Ago)), MessageID: c.MessageID, Files: lost}
	h.renderTicket(w, r, s, http.StatusConflict, v, p)
	return true
}

// presence is the ticket page's heartbeat (POST state=viewing|typing|gone)
// and read (GET): the other agents in the ticket, as JSON.
func (h *handler) presence(w http.ResponseWriter, r *http.Request, s *session) {
	state := ""
	if r.Method == http.MethodPost {
		state = r.PostFormValue("state")
	}
	vs, err := h.Tickets.Presence(r.Context(), s.actor(), pathID(r, "id"), state)
	var ve directory.ValidationError
	switch {
	case errors.As(err, &ve):
		http.Error(w, "state must be viewing, typing or gone", http.StatusBadRequest)
		return
	case err != nil:
		h.fileErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"others": vs})
}

// renameContact saves the contact's name from the ticket page or the
// contact page ("back" says which).
func (h *handler) renameContact(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	_, err := h.Tickets.RenameContact(r.Context(), s.actor(), id, r.PostFormValue("contact_name"))
	back := fmt.Sprintf("/contacts/%d", id)
	if t, _ := strconv.ParseInt(r.PostFormValue("ticket"), 10, 64); t > 0 {
		back = fmt.Sprintf("/tickets/%d", t)
	}
	var ve directory.ValidationError
	if errors.As(err, &ve) {
		v := s.view("")
		v.Error = s.L.T("err.invalid", s.L.T("contact.err_name"))
		h.render(w, r, http.StatusUnprocessableEntity, "error", "layout", v)
		return
	}
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	if !h.handleErr(w, r, s, s.view(""), err) {
		return
	}
	if afterPaneAction(w, r, "saved", "") {
		return
	}
	http.Redirect(w, r, back+"?ok=saved", http.StatusSeeOther)
}

type contactPage struct {
	C       contactPanel
	Tickets []contactTicket
	Older   string
}

// contactPage lists all of a contact's tickets the agent may see, newest
// first, 50 a page.
func (h *handler) contactPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := s.view("")
	if r.URL.Query().Get("ok") == "saved" {
		v.Flash = s.L.T("ticket.saved")
	}
	id := pathID(r, "id")
	card, err := h.Tickets.Contact(r.Context(), s.actor(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
			return
		}
		h.handleErr(w, r, s, v, err)
		return
	}
	cursor := r.URL.Query().Get("cursor")
	page, err := h.Tickets.List(r.Context(), s.actor(), ticket.Filter{ContactID: id, Cursor: cursor})
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	n, err := h.names(r, s.P.CompanyID)
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	p := &contactPage{C: contactPanel{ID: card.Contact.ID, Name: card.Contact.Name, Email: card.Contact.Email,
		Organization: card.Organization, OrgContacts: card.OrgContacts}}
	for _, t := range page.Tickets {
		p.Tickets = append(p.Tickets, h.contactTicket(s, n, t))
	}
	if page.NextCursor != "" {
		p.Older = fmt.Sprintf("/contacts/%d?cursor=%s", id, page.NextCursor)
	}
	title := card.Contact.Email
	if card.Contact.Name != "" {
		title = card.Contact.Name
	}
	v.Title = title
	v.Body = "contact"
	v.Page = p
	h.render(w, r, http.StatusOK, "contact", "layout", v)
}
