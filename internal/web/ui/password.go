package ui

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/store"
)

// SystemMailer queues Atende's own mail to an agent (the password reset
// link): through the relay, or the company's first channel that sends by
// itself. It must return at once (delivery happens in the background),
// so the answer to the form takes the same time whether or not the
// address exists.
type SystemMailer func(ctx context.Context, companyID int64, to, subject, text string) error

// passwordRoutes are "Esqueci minha senha": the form asking for a link
// and the page the mailed link opens.
func (h *handler) passwordRoutes(mux *http.ServeMux, funcs template.FuncMap) {
	for _, p := range []string{"password_forgot", "password_reset"} {
		h.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html"))
	}
	mux.HandleFunc("GET /password/forgot", h.forgotPage)
	mux.HandleFunc("POST /password/forgot", h.forgotSubmit)
	mux.HandleFunc("GET /password/reset/{token}", h.resetPage)
	mux.HandleFunc("POST /password/reset/{token}", h.resetSubmit)
}

func (h *handler) forgotPage(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	q := r.URL.Query()
	v := &view{L: l, Title: l.T("password.forgot.title"), CSRF: h.formToken(w, r), Body: "public",
		Form: map[string]string{"company": q.Get("company"), "email": q.Get("email")}}
	if v.Form["company"] == "" {
		if c, err := r.Cookie(companyCookie); err == nil {
			v.Form["company"] = c.Value
		}
	}
	h.render(w, r, http.StatusOK, "password_forgot", "layout", v)
}

// forgotSubmit answers the same whether or not the address belongs to an
// agent: the link is made and queued only when it does.
func (h *handler) forgotSubmit(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	if h.refuseMultipart(w, r, l) {
		return
	}
	v := &view{L: l, Title: l.T("password.forgot.title"), Body: "public", Form: map[string]string{
		"company": strings.ToLower(strings.TrimSpace(r.PostFormValue("company"))), "email": strings.TrimSpace(r.PostFormValue("email"))}}
	if !checkFormToken(r) {
		v.CSRF = h.formToken(w, r)
		v.Error = l.T("err.csrf")
		h.render(w, r, http.StatusForbidden, "password_forgot", "layout", v)
		return
	}
	v.CSRF = h.formToken(w, r)
	var missing directory.ValidationError
	for _, f := range []struct{ name, val string }{{"company", v.Form["company"]}, {"email", v.Form["email"]}} {
		if f.val == "" {
			missing = append(missing, directory.FieldError{Field: f.name, Message: "required"})
		}
	}
	if len(missing) > 0 {
		v.Errors = l.fieldErrors(missing)
		v.Error = l.T("err.form")
		h.render(w, r, http.StatusUnprocessableEntity, "password_forgot", "layout", v)
		return
	}
	link, err := h.Auth.Svc.RequestPasswordReset(r.Context(), auth.ResetRequest{Company: v.Form["company"], Email: v.Form["email"],
		IP: h.Auth.ClientIP(r)})
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		mins := int(math.Ceil(locked.Until.Sub(h.Auth.Svc.Now()).Minutes()))
		v.Error = l.T("password.forgot.locked", max(mins, 1))
		h.render(w, r, http.StatusTooManyRequests, "password_forgot", "layout", v)
		return
	case err != nil:
		h.Log.Error("ui: password reset request", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
		return
	}
	if link != nil {
		h.mailResetLink(r, link)
	}
	v.Page = true
	h.render(w, r, http.StatusOK, "password_forgot", "layout", v)
}

// mailResetLink queues the link's mail in the agent's language.
func (h *handler) mailResetLink(r *http.Request, link *auth.ResetLink) {
	if h.SystemMail == nil {
		h.Log.Warn("ui: password reset requested but Atende cannot send mail (no relay, no channel sending by itself)",
			"company", link.Company.ID, "agent", link.Agent.ID)
		return
	}
	ml := Localizer{pickLanguage(link.Agent.Language, r)}
	url := h.baseURL(r) + "/password/reset/" + link.Token
	text := ml.T("password.mail.body", link.Agent.Name, link.Company.Name, link.Agent.Email, url, int(auth.ResetTTL.Minutes()))
	if err := h.SystemMail(r.Context(), link.Company.ID, link.Agent.Email, ml.T("password.mail.subject"), text); err != nil {
		h.Log.Warn("ui: queue password reset mail", "company", link.Company.ID, "agent", link.Agent.ID, "err", err)
	}
}

// baseURL is where links in mail point: --base-url, else this request's
// origin (a forged Host header only sends the link to the real agent's
// mailbox pointing elsewhere: set --base-url in production).
func (h *handler) baseURL(r *http.Request) string {
	if h.BaseURL != "" {
		return strings.TrimSuffix(h.BaseURL, "/")
	}
	scheme := "http"
	if h.Auth.Secure(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// resetPage is the form the mailed link opens, or "this link no longer
// works" (used, expired or unknown: 410, nothing told apart).
type resetPage struct {
	Token, Email string
	Min          int
}

func (h *handler) resetPage(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	token := r.PathValue("token")
	_, a, err := h.Auth.Svc.CheckPasswordReset(r.Context(), token)
	v := &view{L: l, Title: l.T("password.reset.title"), CSRF: h.formToken(w, r), Body: "public"}
	switch {
	case errors.Is(err, auth.ErrResetInvalid):
		v.Error = l.T("password.reset.invalid")
		h.render(w, r, http.StatusGone, "password_reset", "layout", v)
		return
	case err != nil:
		h.Log.Error("ui: password reset page", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
		return
	}
	v.L = Localizer{pickLanguage(a.Language, r)}
	v.Title = v.L.T("password.reset.title")
	v.Page = &resetPage{Token: token, Email: a.Email, Min: directory.MinPassword}
	h.render(w, r, http.StatusOK, "password_reset", "layout", v)
}

func (h *handler) resetSubmit(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	if h.refuseMultipart(w, r, l) {
		return
	}
	token := r.PathValue("token")
	v := &view{L: l, Title: l.T("password.reset.title"), Body: "public"}
	if !checkFormToken(r) {
		v.CSRF = h.formToken(w, r)
		v.Error = l.T("err.csrf")
		h.render(w, r, http.StatusForbidden, "password_reset", "layout", v)
		return
	}
	v.CSRF = h.formToken(w, r)
	_, a, err := h.Auth.Svc.CheckPasswordReset(r.Context(), token)
	if err == nil {
		v.L = Localizer{pickLanguage(a.Language, r)}
		v.Title = v.L.T("password.reset.title")
		v.Page = &resetPage{Token: token, Email: a.Email, Min: directory.MinPassword}
		// Checked before the link is spent: a short password costs no link.
		pw := r.PostFormValue("password")
		var bad directory.ValidationError
		switch {
		case utf8.RuneCountInString(pw) < directory.MinPassword:
			bad = append(bad, directory.FieldError{Field: "password", Message: fmt.Sprintf("must be at least %d characters", directory.MinPassword)})
		case len(pw) > directory.MaxPassword:
			bad = append(bad, directory.FieldError{Field: "password", Message: fmt.Sprintf("must be at most %d bytes", directory.MaxPassword)})
		case pw != r.PostFormValue("password2"):
			v.Errors = map[string]string{"password2": v.L.T("password.reset.mismatch")}
		}
		if len(bad) > 0 || v.Errors != nil {
			if len(bad) > 0 {
				v.Errors = v.L.fieldErrors(bad)
			}
			v.Error = v.L.T("err.form")
			h.render(w, r, http.StatusUnprocessableEntity, "password_reset", "layout", v)
			return
		}
		var pr *store.PasswordReset
		pr, err = h.Auth.Svc.UsePasswordReset(r.Context(), token)
		if err == nil {
			// Sets the password and ends every session of the agent.
			if _, err := h.Directory.UpdateAgent(r.Context(), pr.CompanyID, pr.AgentID, directory.AgentPatch{Password: &pw}); err != nil {
				h.Log.Error("ui: password reset: set password", "company", pr.CompanyID, "agent", pr.AgentID, "err", err)
				h.errorPage(w, r, v.L, http.StatusInternalServerError, "password.reset.failed")
				return
			}
			slug := ""
			if co, err := h.Store.GetCompany(r.Context(), pr.CompanyID); err == nil {
				slug = co.Slug
			}
			http.Redirect(w, r, "/login?reset=done&company="+urlEscape(slug)+"&email="+urlEscape(a.Email), http.StatusSeeOther)
			return
		}
	}
	switch {
	case errors.Is(err, auth.ErrResetInvalid):
		v.Page = nil
		v.Error = v.L.T("password.reset.invalid")
		h.render(w, r, http.StatusGone, "password_reset", "layout", v)
	default:
		h.Log.Error("ui: password reset", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
	}
}
