package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Bulk actions on the inbox list: a checkbox per row (form="bulk-form",
// so no script is needed) and a bar to assign, set the team or status,
// or merge the selected tickets. Each ticket goes through the ticket
// service on its own, with the same company and permission checks as on
// its page; the summary says what changed and which were left alone.

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

// bulk applies one action to the selected tickets (ticket.Service.Bulk,
// as POST /api/v1/tickets/bulk) and redirects back with the summary.
func (h *handler) bulk(w http.ResponseWriter, r *http.Request, s *session) {
	back := safeNext(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/inbox") {
		back = "/inbox"
	}
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, s.L, http.StatusBadRequest, "err.form")
		return
	}
	in := ticket.BulkInput{Action: r.PostFormValue("action")}
	for _, v := range r.PostForm["ids"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "bulk.bad_selection")
			return
		}
		in.IDs = append(in.IDs, id)
	}
	res := url.Values{}
	if len(in.IDs) == 0 {
		res.Set("bulk", "none")
		http.Redirect(w, r, withQuery(back, res), http.StatusSeeOther)
		return
	}
	// A form value that is not a number is passed on as -1 (invalid), so
	// the service names the field.
	arg := func(name string) *int64 {
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue(name)), "#"), 10, 64)
		if err != nil {
			n = -1
		}
		return &n
	}
	switch in.Action {
	case ticket.BulkAssign:
		in.AssigneeID = arg("assignee")
	case ticket.BulkTeam:
		in.TeamID = arg("team")
	case ticket.BulkStatus:
		in.Status = model.TicketStatus(r.PostFormValue("status"))
	case ticket.BulkMerge:
		in.TargetNumber = *arg("target")
	}
	out, err := h.Tickets.Bulk(r.Context(), s.actor(), in)
	var ve directory.ValidationError
	if errors.As(err, &ve) && len(ve) > 0 {
		key := map[string]string{"ids": "bulk.too_many", "assignee_id": "err.no_agent", "team_id": "err.no_team",
			"status": "err.status", "target_number": "ticket.err_no_ticket"}[ve[0].Field]
		if key == "" {
			key = "bulk.bad_action"
		}
		h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, key)
		return
	}
	if err != nil {
		h.Log.Error("ui: bulk action", "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
		return
	}
	switch in.Action {
	case ticket.BulkAssign:
		res.Set("bulk_arg", strconv.FormatInt(*in.AssigneeID, 10))
	case ticket.BulkTeam:
		res.Set("bulk_arg", strconv.FormatInt(*in.TeamID, 10))
	case ticket.BulkStatus:
		res.Set("bulk_status", string(in.Status))
	case ticket.BulkMerge:
		res.Set("bulk_arg", strconv.FormatInt(out.Target, 10))
	}
	res.Set("bulk", in.Action)
	res.Set("bulk_n", strconv.Itoa(out.Done))
	if len(out.Skipped) > 0 {
		var skipped []string
		for _, n := range out.Skipped {
			skipped = append(skipped, strconv.FormatInt(n, 10))
		}
		res.Set("bulk_skipped", strings.Join(skipped, ","))
	}
	http.Redirect(w, r, withQuery(back, res), http.StatusSeeOther)
}

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
