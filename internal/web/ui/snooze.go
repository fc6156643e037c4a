package ui

import (
	"net/http"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// snoozeView is "Adiar" on the ticket page: the snooze in force, and the
// form (a date and time in the agent's zone, tomorrow 09:00 by default).
type snoozeView struct {
	TicketID     int64
	Until        string // the snooze in force, for people ("" = none)
	UntilISO     string
	Value, Min   string // datetime-local values
	ErrorMessage string
}

const datetimeLocal = "2006-01-02T15:04"

// snoozeView fills the ticket page's snooze box (and the flash after a
// snooze).
func (h *handler) snoozeView(r *http.Request, s *session, v *view, t *model.Ticket) *snoozeView {
	now := s.Now().In(s.Loc)
	tomorrow := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, s.Loc)
	sv := &snoozeView{TicketID: t.ID, Value: tomorrow.Format(datetimeLocal), Min: now.Format(datetimeLocal)}
	if val := v.Form["until"]; val != "" {
		sv.Value = val
	}
	if e := v.Errors["until"]; e != "" {
		sv.ErrorMessage = e
	}
	if until, err := h.Tickets.SnoozedUntil(r.Context(), s.actor(), t.ID); err == nil && !until.IsZero() && t.Status == model.StatusPending {
		sv.Until = s.when(until).Full
		sv.UntilISO = until.UTC().Format(time.RFC3339)
		if r.URL.Query().Get("ok") == "snoozed" {
			v.Flash = s.L.T("snooze.done", sv.Until)
		}
	}
	return sv
}

// snooze sets the ticket pending until the date and time given in the
// agent's zone.
func (h *handler) snooze(w http.ResponseWriter, r *http.Request, s *session) {
	until, err := time.ParseInLocation(datetimeLocal, r.PostFormValue("until"), s.Loc)
	if err != nil {
		h.afterPost(w, r, s, directory.Invalid("until", "snooze: bad date"), "", "")
		return
	}
	_, err = h.Tickets.Snooze(r.Context(), s.actor(), pathID(r, "id"), until)
	h.afterPost(w, r, s, err, "snoozed", "")
}
