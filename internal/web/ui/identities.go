package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Administração → Domínios e endereços: the domains (TXT record) and
// addresses (mailed code) the company owns (package identity).

func (h *handler) identityRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/identities", h.adminOnly(h.adminIdentities))
	mux.HandleFunc("POST /admin/identities", h.adminOnly(h.adminAddIdentity))
	mux.HandleFunc("GET /admin/identities/{id}", h.adminOnly(h.adminIdentity))
	mux.HandleFunc("POST /admin/identities/{id}/check", h.adminOnly(h.adminCheckIdentity))
	mux.HandleFunc("POST /admin/identities/{id}/code", h.adminOnly(h.adminSendCode))
	mux.HandleFunc("POST /admin/identities/{id}/confirm", h.adminOnly(h.adminConfirmIdentity))
	mux.HandleFunc("POST /admin/identities/{id}/delete", h.adminOnly(h.adminDeleteIdentity))
}

type identityRow struct {
	ID                     int64
	Kind, Value            string
	Domain, Verified       bool
	Created, VerifiedAt    string
	RecordName, RecordText string
}

type identitiesPage struct {
	adminSection
	Identities []identityRow
	CanMail    bool
}

type identityPage struct {
	adminSection
	identityRow
	CanMail     bool
	Checked     bool
	CheckedAt   string
	Found       []string
	CheckError  string // "timeout" | "failure" | ""
	CodeSent    string
	CodeSentTo  string
	Unavailable bool
}

func (h *handler) identityRowOf(s *session, i *store.Identity) identityRow {
	row := identityRow{ID: i.ID, Kind: i.Kind, Value: i.Value, Domain: i.Kind == store.IdentityDomain, Verified: i.Verified(),
		Created: s.when(i.CreatedAt).Text}
	if i.Verified() {
		row.VerifiedAt = s.when(i.VerifiedAt).Text
	}
	if row.Domain {
		row.RecordName, row.RecordText = identity.Record(i)
	}
	return row
}

func (h *handler) noIdentities(w http.ResponseWriter, r *http.Request, s *session) bool {
	if h.Identities == nil {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return true
	}
	return false
}

func (h *handler) adminIdentities(w http.ResponseWriter, r *http.Request, s *session) {
	h.showIdentities(w, r, s, http.StatusOK, nil)
}

func (h *handler) showIdentities(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	if h.noIdentities(w, r, s) {
		return
	}
	v = adminView(r, s, v, "identities")
	sec, err := h.section(r, s, "identities")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	ids, err := h.Identities.List(r.Context(), s.P.CompanyID)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &identitiesPage{adminSection: sec, CanMail: h.Identities.CanMail()}
	for i := range ids {
		p.Identities = append(p.Identities, h.identityRowOf(s, &ids[i]))
	}
	// Links from the channel page prefill the forms.
	q := r.URL.Query()
	for _, k := range []string{"domain", "address"} {
		if v.Form[k] == "" && q.Get(k) != "" {
			v.Form[k] = q.Get(k)
		}
	}
	v.Page = p
	h.render(w, r, status, "admin_identities", "layout", v)
}

func (h *handler) adminAddIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	if h.noIdentities(w, r, s) {
		return
	}
	var i *store.Identity
	var err error
	kind := r.PostFormValue("kind")
	switch kind {
	case store.IdentityDomain:
		i, err = h.Identities.AddDomain(r.Context(), s.P.CompanyID, r.PostFormValue("domain"))
	case store.IdentityAddress:
		i, err = h.Identities.AddAddress(r.Context(), s.P.CompanyID, r.PostFormValue("address"), s.L.Lang)
	default:
		err = directory.Invalid("kind", "must be domain or address")
	}
	if i != nil && err != nil {
		// An address claimed whose code could not be mailed: its page
		// says so and offers to send again.
		h.Log.Warn("ui: identity code", "identity", i.ID, "err", err)
		http.Redirect(w, r, "/admin/identities/"+strconv.FormatInt(i.ID, 10)+"?err="+identityErrKey(err), http.StatusSeeOther)
		return
	}
	if err != nil {
		if errors.Is(err, identity.ErrNoMailer) {
			v := s.view("")
			v.Error = s.L.T("id.err.no_mailer")
			v.Form = map[string]string{"address": r.PostFormValue("address")}
			h.showIdentities(w, r, s, http.StatusServiceUnavailable, v)
			return
		}
		h.adminFail(w, r, s, err, func(st int, v *view) { h.showIdentities(w, r, s, st, v) })
		return
	}
	ok := "domain_added"
	if kind == store.IdentityAddress {
		ok = "code_sent"
	}
	http.Redirect(w, r, "/admin/identities/"+strconv.FormatInt(i.ID, 10)+"?ok="+ok, http.StatusSeeOther)
}

// identityErrKey is the ?err= key of an identity error on the detail page.
func identityErrKey(err error) string {
	var ce *identity.CodeError
	var we *identity.WaitError
	switch {
	case errors.As(err, &ce):
		return "wrong_code"
	case errors.Is(err, identity.ErrCodeExpired):
		return "code_expired"
	case errors.As(err, &we):
		return "wait"
	case errors.Is(err, identity.ErrTaken):
		return "taken"
	case errors.Is(err, identity.ErrNoMailer):
		return "no_mailer"
	}
	return "send_failed"
}

func (h *handler) identityID(w http.ResponseWriter, r *http.Request, s *session) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 || h.noIdentities(w, r, s) {
		if err != nil || id <= 0 {
			h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		}
		return 0, false
	}
	return id, true
}

func (h *handler) adminIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	h.showIdentity(w, r, s, http.StatusOK, nil)
}

func (h *handler) showIdentity(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	id, ok := h.identityID(w, r, s)
	if !ok {
		return
	}
	i, err := h.Identities.Get(r.Context(), s.P.CompanyID, id)
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	v = adminView(r, s, v, "identities")
	sec, err := h.section(r, s, "identities")
	if !h.adminFail(w, r, s, err, nil) {
		return
	}
	p := &identityPage{adminSection: sec, identityRow: h.identityRowOf(s, i), CanMail: h.Identities.CanMail()}
	if c := identity.LastCheck(i); c != nil && !i.CheckedAt.IsZero() {
		p.Checked, p.CheckedAt, p.Found, p.CheckError = true, s.when(i.CheckedAt).Text, c.Records, c.Error
	}
	if !i.LastSentAt.IsZero() {
		p.CodeSent = s.when(i.LastSentAt).Text
	}
	if v.Form["code"] == "" {
		v.Form["code"] = r.URL.Query().Get("code") // the link in the code mail
	}
	if e := r.URL.Query().Get("err"); e != "" && v.Error == "" && strings.Trim(e, "abcdefghijklmnopqrstuvwxyz_") == "" {
		v.Error = s.L.T("id.err." + e)
	}
	v.Title = i.Value
	v.Page = p
	h.render(w, r, status, "admin_identity", "layout", v)
}

func (h *handler) identityPath(id int64) string {
	return "/admin/identities/" + strconv.FormatInt(id, 10)
}

// adminCheckIdentity looks the domain's TXT record up now ("Verificar").
func (h *handler) adminCheckIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := h.identityID(w, r, s)
	if !ok {
		return
	}
	i, _, err := h.Identities.CheckDomain(r.Context(), s.P.CompanyID, id)
	switch {
	case errors.Is(err, identity.ErrTaken):
		http.Redirect(w, r, h.identityPath(id)+"?err=taken", http.StatusSeeOther)
		return
	case !h.adminFail(w, r, s, err, nil):
		return
	}
	key := "ok=domain_verified"
	if !i.Verified() {
		key = "err=not_found_yet"
	} else if h.ChannelChanged != nil {
		h.ChannelChanged(r.Context()) // the SMTP server's address table
	}
	http.Redirect(w, r, h.identityPath(id)+"?"+key, http.StatusSeeOther)
}

// adminSendCode mails a new code to the address.
func (h *handler) adminSendCode(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := h.identityID(w, r, s)
	if !ok {
		return
	}
	err := h.Identities.SendCode(r.Context(), s.P.CompanyID, id, s.L.Lang)
	if errors.Is(err, store.ErrNotFound) {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	if err != nil {
		http.Redirect(w, r, h.identityPath(id)+"?err="+identityErrKey(err), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, h.identityPath(id)+"?ok=code_sent", http.StatusSeeOther)
}

// adminConfirmIdentity checks the typed code.
func (h *handler) adminConfirmIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := h.identityID(w, r, s)
	if !ok {
		return
	}
	_, err := h.Identities.Confirm(r.Context(), s.P.CompanyID, id, r.PostFormValue("code"))
	var ce *identity.CodeError
	switch {
	case err == nil:
		if h.ChannelChanged != nil {
			h.ChannelChanged(r.Context())
		}
		http.Redirect(w, r, h.identityPath(id)+"?ok=address_verified", http.StatusSeeOther)
	case errors.As(err, &ce):
		v := s.view("")
		v.Errors = map[string]string{"code": s.L.T("id.err.wrong_code_left", ce.Left)}
		v.Error = s.L.T("err.form")
		v.Form = map[string]string{"code": r.PostFormValue("code")}
		h.showIdentity(w, r, s, http.StatusUnprocessableEntity, v)
	case errors.Is(err, store.ErrNotFound):
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
	default:
		http.Redirect(w, r, h.identityPath(id)+"?err="+identityErrKey(err), http.StatusSeeOther)
	}
}

func (h *handler) adminDeleteIdentity(w http.ResponseWriter, r *http.Request, s *session) {
	id, ok := h.identityID(w, r, s)
	if !ok {
		return
	}
	if !h.adminFail(w, r, s, h.Identities.Delete(r.Context(), s.P.CompanyID, id), nil) {
		return
	}
	if h.ChannelChanged != nil {
		h.ChannelChanged(r.Context())
	}
	http.Redirect(w, r, "/admin/identities?ok=identity_removed", http.StatusSeeOther)
}
