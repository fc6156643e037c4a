package api

import (
	"net/http"

	"github.com/atende-helpdesk/atende/internal/ticket"
)

// settingsView is the company's settings an API client may read: today
// the undo-send delay of replies (the UI's "Respostas prontas" page sets
// the same value).
type settingsView struct {
	UndoSeconds    int `json:"undo_seconds"`
	MaxUndoSeconds int `json:"max_undo_seconds"`
}

// settingsPatch is what an admin may change; absent fields stay.
type settingsPatch struct {
	UndoSeconds *int `json:"undo_seconds,omitempty"`
}

func (d Deps) getSettings(w http.ResponseWriter, r *http.Request) {
	n, err := d.Tickets.UndoSeconds(r.Context(), actor(r))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, settingsView{UndoSeconds: n, MaxUndoSeconds: ticket.MaxUndoSeconds})
}

func (d Deps) updateSettings(w http.ResponseWriter, r *http.Request) {
	var in settingsPatch
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	if in.UndoSeconds != nil {
		if err := d.Tickets.SetUndoSeconds(r.Context(), actor(r), *in.UndoSeconds); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	d.getSettings(w, r)
}
