package ui

import (
	"errors"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
)

func urlEscape(s string) string { return url.QueryEscape(s) }

// safeNext is a same-site path to go to after login, else /inbox. A
// browser drops tabs and line breaks inside a URL and reads "\" as "/",
// so "/\t/evil.test" would become "//evil.test", another site: any
// control character, backslash or space refuses the path.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/inbox"
	}
	for _, r := range next {
		if r < 0x21 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return "/inbox"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		strings.HasPrefix(u.Path, "/api/") || strings.HasPrefix(u.Path, "/login") {
		return "/inbox"
	}
	return next
}

func (h *handler) needsSetup(w http.ResponseWriter, r *http.Request, l Localizer) (bool, bool) {
	need, err := h.Directory.NeedsSetup(r.Context())
	if err != nil {
		h.Log.Error("ui: needs setup", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
		return false, false
	}
	return need, true
}

func (h *handler) setupPage(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	need, ok := h.needsSetup(w, r, l)
	if !ok {
		return
	}
	if !need {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "setup", "layout", &view{L: l, Title: l.T("setup.title"), CSRF: h.formToken(w, r), Body: "public"})
}

// refuseMultipart answers 415 to a multipart body on a form that takes
// no files (login, setup): such a body is spilled to temporary files by
// the form parser, before any check (the server's edge refuses it too).
func (h *handler) refuseMultipart(w http.ResponseWriter, r *http.Request, l Localizer) bool {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		h.errorPage(w, r, l, http.StatusUnsupportedMediaType, "err.csrf")
		return true
	}
	return false
}

func (h *handler) setupSubmit(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	if h.refuseMultipart(w, r, l) {
		return
	}
	v := &view{L: l, Title: l.T("setup.title"), Body: "public", Form: map[string]string{
		"company.name": r.PostFormValue("company_name"), "company.slug": strings.ToLower(strings.TrimSpace(r.PostFormValue("company_slug"))),
		"admin.name": r.PostFormValue("admin_name"), "admin.email": r.PostFormValue("admin_email")}}
	if !checkFormToken(r) {
		v.CSRF = h.formToken(w, r)
		v.Error = l.T("err.csrf")
		h.render(w, r, http.StatusForbidden, "setup", "layout", v)
		return
	}
	v.CSRF = h.formToken(w, r)
	in := directory.SetupInput{
		Company: directory.CompanyInput{Name: v.Form["company.name"], Slug: v.Form["company.slug"]},
		Admin: directory.AgentInput{Name: v.Form["admin.name"], Email: v.Form["admin.email"], Password: r.PostFormValue("admin_password"),
			Language: l.Lang},
		TimeZone: r.PostFormValue("time_zone"), // the browser's, filled by the page script
	}
	co, _, err := h.Directory.Setup(r.Context(), in)
	var ve directory.ValidationError
	switch {
	case err == nil:
		http.SetCookie(w, &http.Cookie{Name: companyCookie, Value: co.Slug, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
			Secure: h.Auth.Secure(r), MaxAge: 365 * 24 * 3600})
		http.Redirect(w, r, "/login?setup=done&company="+urlEscape(co.Slug)+"&email="+urlEscape(in.Admin.Email), http.StatusSeeOther)
	case errors.Is(err, directory.ErrSetupDone):
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	case errors.As(err, &ve):
		v.Errors = l.fieldErrors(ve)
		v.Error = l.T("err.form")
		h.render(w, r, http.StatusUnprocessableEntity, "setup", "layout", v)
	default:
		h.Log.Error("ui: setup", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
	}
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	need, ok := h.needsSetup(w, r, l)
	if !ok {
		return
	}
	if need {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	q := r.URL.Query()
	v := &view{L: l, Title: l.T("login.title"), CSRF: h.formToken(w, r), Body: "public",
		Form: map[string]string{"company": q.Get("company"), "email": q.Get("email"), "next": safeNext(q.Get("next"))}}
	if v.Form["company"] == "" {
		if c, err := r.Cookie(companyCookie); err == nil {
			v.Form["company"] = c.Value
		}
	}
	switch {
	case q.Get("setup") == "done":
		v.Flash = l.T("setup.done")
	case q.Get("out") == "1":
		v.Flash = l.T("login.logged_out")
	case q.Get("reset") == "done":
		v.Flash = l.T("password.reset.done")
	}
	h.render(w, r, http.StatusOK, "login", "layout", v)
}

func (h *handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	l := Localizer{pickLanguage("", r)}
	if h.refuseMultipart(w, r, l) {
		return
	}
	v := &view{L: l, Title: l.T("login.title"), Body: "public", Form: map[string]string{
		"company": strings.TrimSpace(r.PostFormValue("company")), "email": strings.TrimSpace(r.PostFormValue("email")),
		"next": safeNext(r.PostFormValue("next"))}}
	if !checkFormToken(r) {
		v.CSRF = h.formToken(w, r)
		v.Error = l.T("err.csrf")
		h.render(w, r, http.StatusForbidden, "login", "layout", v)
		return
	}
	v.CSRF = h.formToken(w, r)
	pw := r.PostFormValue("password")
	var missing directory.ValidationError
	for _, f := range []struct{ name, val string }{{"company", v.Form["company"]}, {"email", v.Form["email"]}, {"password", pw}} {
		if f.val == "" {
			missing = append(missing, directory.FieldError{Field: f.name, Message: "required"})
		}
	}
	if len(missing) > 0 {
		v.Errors = l.fieldErrors(missing)
		v.Error = l.T("err.form")
		h.render(w, r, http.StatusUnprocessableEntity, "login", "layout", v)
		return
	}
	tok, se, _, err := h.Auth.Svc.Login(r.Context(), auth.LoginInput{Company: v.Form["company"], Email: v.Form["email"], Password: pw,
		IP: h.Auth.ClientIP(r)})
	var locked *auth.LockedError
	switch {
	case err == nil:
		h.Auth.SetSessionCookie(w, r, tok, h.Auth.Svc.SessionEnd(se))
		http.SetCookie(w, &http.Cookie{Name: companyCookie, Value: strings.ToLower(v.Form["company"]), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteLaxMode, Secure: h.Auth.Secure(r), MaxAge: 365 * 24 * 3600})
		http.Redirect(w, r, v.Form["next"], http.StatusSeeOther)
	case errors.As(err, &locked):
		mins := int(math.Ceil(locked.Until.Sub(h.Auth.Svc.Now()).Minutes()))
		v.Error = l.T("login.locked", locked.Until.UTC().Format("15:04:05 UTC"), max(mins, 1))
		h.render(w, r, http.StatusTooManyRequests, "login", "layout", v)
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "2")
		v.Error = l.T("login.busy")
		h.render(w, r, http.StatusTooManyRequests, "login", "layout", v)
	case errors.Is(err, auth.ErrInvalidCredentials):
		v.Error = l.T("login.invalid")
		h.render(w, r, http.StatusUnauthorized, "login", "layout", v)
	default:
		h.Log.Error("ui: login", "err", err)
		h.errorPage(w, r, l, http.StatusInternalServerError, "err.internal")
	}
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if s.P.Session != nil {
		if err := h.Auth.Svc.Logout(r.Context(), auth.SessionToken(r)); err != nil {
			h.Log.Error("ui: logout", "err", err)
		}
		h.Auth.ClearSessionCookie(w, r)
	}
	http.Redirect(w, r, "/login?out=1", http.StatusSeeOther)
}

// setLanguage saves the agent's language and goes back where they were.
func (h *handler) setLanguage(w http.ResponseWriter, r *http.Request, s *session) {
	lang := r.PostFormValue("language")
	_, err := h.Directory.UpdateAgent(r.Context(), s.P.CompanyID, s.P.AgentID, directory.AgentPatch{Language: &lang})
	var ve directory.ValidationError
	switch {
	case errors.As(err, &ve):
		h.errorPage(w, r, s.L, http.StatusUnprocessableEntity, "err.invalid_language")
		return
	case err != nil:
		h.Log.Error("ui: set language", "agent", s.P.AgentID, "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
		return
	}
	back := "/inbox"
	if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
		back = safeNext(ref.RequestURI())
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
