package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/directory"
)

func (d Deps) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := d.Auth.Svc.ListAPITokens(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[tokenView]{Items: []tokenView{}}
	for i := range ts {
		out.Items = append(out.Items, viewToken(&ts[i]))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n == 0 || n > 100 {
		d.fail(w, r, directory.Invalid("name", "required, at most 100 characters"))
		return
	}
	raw, t, err := d.Auth.Svc.CreateAPIToken(r.Context(), principal(r), in.Name)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := viewToken(t)
	v.Token = raw
	reply(w, http.StatusCreated, v)
}

func (d Deps) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		err = d.Auth.Svc.RevokeAPIToken(r.Context(), principal(r).CompanyID, id)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
