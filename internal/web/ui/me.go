package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
)

// The preferences page (/me): the agent's language and time zone and,
// for admins, the company's language and time zone; and the endpoint the
// page script calls to save the browser's zone on an agent's first visit.

// commonZones are offered in the time zone fields (any IANA name is
// accepted): Brazil's zones first, then a few the customers of a
// Brazilian company often live in.
var commonZones = []string{"America/Sao_Paulo", "America/Manaus", "America/Cuiaba", "America/Campo_Grande", "America/Porto_Velho",
	"America/Boa_Vista", "America/Rio_Branco", "America/Belem", "America/Fortaleza", "America/Recife", "America/Bahia",
	"America/Maceio", "America/Araguaina", "America/Santarem", "America/Noronha", "America/Argentina/Buenos_Aires",
	"America/Montevideo", "America/Santiago", "America/Bogota", "America/Lima", "America/Mexico_City", "America/New_York",
	"America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/Lisbon", "Europe/London", "Europe/Madrid",
	"Europe/Berlin", "Asia/Tokyo", "UTC"}

type mePage struct {
	Zones     []string
	Languages []option
	Company   *model.Company
	CoLangs   []option
}

func (h *handler) meRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /me", h.agent(h.mePage))
	mux.HandleFunc("POST /me", h.agent(h.meSubmit))
	mux.HandleFunc("POST /me/company", h.agent(h.meCompanySubmit))
	mux.HandleFunc("POST /me/timezone", h.part(h.meDetectedZone))
}

func langOptions(selected string) []option {
	if _, ok := catalog[selected]; !ok {
		selected = LangPT
	}
	var out []option
	for _, l := range Languages() {
		out = append(out, option{Value: l, Label: catalog[l]["language.name"], Selected: l == selected})
	}
	return out
}

func (h *handler) showMe(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	p := &mePage{Zones: commonZones, Languages: langOptions(s.Agent.Language)}
	if v.Form["time_zone"] == "" && v.Errors["time_zone"] == "" {
		v.Form["time_zone"] = s.Agent.TimeZone
	}
	if s.P.IsAdmin() {
		co, err := h.Store.GetCompany(r.Context(), s.P.CompanyID)
		if err != nil {
			h.Log.Error("ui: preferences", "err", err)
			h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
			return
		}
		p.Company, p.CoLangs = co, langOptions(co.Language)
		if v.Form["co_time_zone"] == "" && v.Errors["co_time_zone"] == "" {
			v.Form["co_time_zone"] = co.TimeZone
		}
	}
	v.Title, v.Page = s.L.T("me.title"), p
	h.render(w, r, status, "me", "layout", v)
}

func (h *handler) mePage(w http.ResponseWriter, r *http.Request, s *session) {
	v := s.view("")
	v.Form = map[string]string{}
	switch r.URL.Query().Get("ok") {
	case "saved":
		v.Flash = s.L.T("me.saved")
	case "company":
		v.Flash = s.L.T("me.company_saved")
	}
	h.showMe(w, r, s, http.StatusOK, v)
}

func (h *handler) meSubmit(w http.ResponseWriter, r *http.Request, s *session) {
	lang, zone := r.PostFormValue("language"), strings.TrimSpace(r.PostFormValue("time_zone"))
	_, err := h.Directory.UpdateAgent(r.Context(), s.P.CompanyID, s.P.AgentID, directory.AgentPatch{Language: &lang, TimeZone: &zone})
	if h.meFailed(w, r, s, err, "") {
		return
	}
	http.Redirect(w, r, "/me?ok=saved", http.StatusSeeOther)
}

func (h *handler) meCompanySubmit(w http.ResponseWriter, r *http.Request, s *session) {
	if !s.P.IsAdmin() {
		h.errorPage(w, r, s.L, http.StatusForbidden, "admin.forbidden")
		return
	}
	_, err := h.Directory.UpdateCompanySettings(r.Context(), s.P.CompanyID, directory.CompanySettings{
		Language: r.PostFormValue("co_language"), TimeZone: strings.TrimSpace(r.PostFormValue("co_time_zone"))})
	if h.meFailed(w, r, s, err, "co_") {
		return
	}
	http.Redirect(w, r, "/me?ok=company", http.StatusSeeOther)
}

// meFailed shows err on the preferences page (field names prefixed);
// false when err is nil.
func (h *handler) meFailed(w http.ResponseWriter, r *http.Request, s *session, err error, prefix string) bool {
	if err == nil {
		return false
	}
	var ve directory.ValidationError
	if !errors.As(err, &ve) {
		h.Log.Error("ui: preferences", "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
		return true
	}
	v := s.view("")
	v.Error = s.L.T("err.form")
	v.Errors = map[string]string{}
	for f, m := range s.L.fieldErrors(ve) {
		v.Errors[prefix+f] = m
	}
	v.Form = map[string]string{}
	for k, vals := range r.PostForm {
		if k != "csrf_token" && len(vals) > 0 {
			v.Form[k] = vals[0]
		}
	}
	h.showMe(w, r, s, http.StatusUnprocessableEntity, v)
	return true
}

// meDetectedZone saves the browser's zone for an agent who has none
// (the page script calls it once); a zone already chosen is kept.
func (h *handler) meDetectedZone(w http.ResponseWriter, r *http.Request, s *session) {
	zone := strings.TrimSpace(r.PostFormValue("time_zone"))
	if !model.ValidTimeZone(zone) {
		http.Error(w, s.L.T("err.time_zone"), http.StatusUnprocessableEntity)
		return
	}
	if s.Agent.TimeZone != "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if _, err := h.Directory.UpdateAgent(r.Context(), s.P.CompanyID, s.P.AgentID, directory.AgentPatch{TimeZone: &zone}); err != nil {
		h.Log.Error("ui: save detected time zone", "agent", s.P.AgentID, "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
