package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Bulk actions on the inbox list: a checkbox per row (form="bulk-form",
// so no script is needed) and a bar to assign, set the team or status,
// or merge the selected tickets. Each ticket goes through the ticket
// service on its own, with the same company and permission checks as on
// its page; the summary says what changed and which were left alone.

// maxBulk bounds one bulk action.
const maxBulk = 200

// bulkBar is what the bar shows.
type bulkBar struct {
	Back     string
	Agents   []model.Agent
	Teams    []model.Team
	Statuses []model.TicketStatus
}

// bulkBar builds the bar and, after a bulk action, the summary (from
// the redirect's query: counts, ids and numbers only, names looked up
// here, so a crafted link cannot put text on the page).
// The agents and teams are the inbox's own (names), not read again.
func (h *handler) bulkBar(r *http.Request, s *session, names *directoryNames) (*bulkBar, string) {
	b := &bulkBar{Back: r.URL.RequestURI(), Statuses: []model.TicketStatus{model.StatusOpen, model.StatusPending, model.StatusResolved, model.StatusClosed}}
	agents := names.agentList
	for _, a := range agents {
		if !a.Disabled {
			b.Agents = append(b.Agents, a)
		}
	}
	b.Teams = names.teamList
	q := r.URL.Query()
	action := q.Get("bulk")
	if action == "" {
		return b, ""
	}
	n, _ := strconv.Atoi(q.Get("bulk_n"))
	arg, _ := strconv.ParseInt(q.Get("bulk_arg"), 10, 64)
	var msg string
	switch action {
	case "assign":
		if arg == 0 {
			msg = s.L.T("bulk.done_unassign", n)
		} else {
			name := "?"
			for _, a := range agents {
				if a.ID == arg {
					name = a.Name
				}
			}
			msg = s.L.T("bulk.done_assign", n, name)
		}
	case "team":
		name := s.L.T("bulk.no_team")
		for _, t := range b.Teams {
			if t.ID == arg {
				name = t.Name
			}
		}
		msg = s.L.T("bulk.done_team", n, name)
	case "status":
		st := model.TicketStatus(q.Get("bulk_status"))
		if !st.Valid() {
			return b, ""
		}
		msg = s.L.T("bulk.done_status", n, s.L.T("status."+string(st)))
	case "merge":
		msg = s.L.T("bulk.done_merge", n, arg)
	case "none":
		return b, s.L.T("bulk.none_selected")
	default:
		return b, ""
	}
	if skipped := numberList(q.Get("bulk_skipped")); skipped != "" {
		msg += " " + s.L.T("bulk.skipped", skipped)
	}
	return b, msg
}

// numberList keeps "12,15" as "#12, #15" (digits only).
func numberList(s string) string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil && n > 0 && len(out) < 50 {
			out = append(out, "#"+strconv.FormatInt(n, 10))
		}
	}
	return strings.Join(out, ", ")
}

// bulk applies one action to the selected tickets.
func (h *handler) bulk(w http.ResponseWriter, r *http.Request, s *session) {
	back := safeNext(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/inbox") {
		back = "/inbox"
	}
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, s.L, http.StatusBadRequest, "err.form")
		return
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, v := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "bulk.bad_selection")
			return
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > maxBulk {
		h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "bulk.too_many")
		return
	}
	res := url.Values{}
	if len(ids) == 0 {
		res.Set("bulk", "none")
		http.Redirect(w, r, withQuery(back, res), http.StatusSeeOther)
		return
	}
	action := r.PostFormValue("action")
	var apply func(id int64) error
	switch action {
	case "assign":
		agent, err := strconv.ParseInt(r.PostFormValue("assignee"), 10, 64)
		if err != nil || agent < 0 {
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "err.no_agent")
			return
		}
		res.Set("bulk_arg", strconv.FormatInt(agent, 10))
		apply = func(id int64) error {
			_, err := h.Tickets.Assign(r.Context(), s.actor(), id, ticket.AssignInput{AssigneeID: &agent})
			return err
		}
	case "team":
		team, err := strconv.ParseInt(r.PostFormValue("team"), 10, 64)
		if err != nil || team < 0 {
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "err.no_team")
			return
		}
		res.Set("bulk_arg", strconv.FormatInt(team, 10))
		apply = func(id int64) error {
			_, err := h.Tickets.Assign(r.Context(), s.actor(), id, ticket.AssignInput{TeamID: &team})
			return err
		}
	case "status":
		st := model.TicketStatus(r.PostFormValue("status"))
		if !st.Valid() {
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "err.status")
			return
		}
		res.Set("bulk_status", string(st))
		apply = func(id int64) error {
			_, err := h.Tickets.SetStatus(r.Context(), s.actor(), id, st)
			return err
		}
	case "merge":
		num, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("target")), "#"), 10, 64)
		var target *model.Ticket
		if err == nil && num > 0 {
			target, err = h.Store.GetTicketByNumber(r.Context(), s.P.CompanyID, num)
		}
		if err != nil || num <= 0 {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				h.Log.Error("ui: bulk merge target", "err", err)
			}
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "ticket.err_no_ticket")
			return
		}
		res.Set("bulk_arg", strconv.FormatInt(target.Number, 10))
		apply = func(id int64) error {
			if id == target.ID {
				return errSkipTarget
			}
			_, err := h.Tickets.Merge(r.Context(), s.actor(), id, target.ID)
			return err
		}
	default:
		h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "bulk.bad_action")
		return
	}
	done := 0
	var skipped []string
	for _, id := range ids {
		err := apply(id)
		switch {
		case err == nil:
			done++
		case errors.Is(err, errSkipTarget):
		default:
			// Not found, another company's, not the agent's, invalid for
			// this ticket: left alone and listed (by number when the
			// company's, else not at all: another company's id says nothing).
			if t, gerr := h.Store.GetTicket(r.Context(), s.P.CompanyID, id); gerr == nil {
				skipped = append(skipped, strconv.FormatInt(t.Number, 10))
			}
			if !errors.Is(err, ticket.ErrNotFound) && !errors.Is(err, ticket.ErrForbidden) {
				h.Log.Info("ui: bulk action left a ticket alone", "action", action, "ticket", id, "err", err)
			}
		}
	}
	res.Set("bulk", action)
	res.Set("bulk_n", strconv.Itoa(done))
	if len(skipped) > 0 {
		res.Set("bulk_skipped", strings.Join(skipped, ","))
	}
	http.Redirect(w, r, withQuery(back, res), http.StatusSeeOther)
}

var errSkipTarget = errors.New("ui: the merge target itself")

// withQuery adds res to path's query, replacing an earlier summary.
func withQuery(path string, res url.Values) string {
	u, err := url.Parse(path)
	if err != nil {
		return "/inbox?" + res.Encode()
	}
	q := u.Query()
	for _, k := range []string{"bulk", "bulk_n", "bulk_arg", "bulk_status", "bulk_skipped"} {
		q.Del(k)
	}
	for k, v := range res {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}
