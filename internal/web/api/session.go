package api

import (
	"net/http"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
)

type loginRequest struct {
	Company  string `json:"company"`
	Email    string `json:"email"`
	Password string `json:"password"`
}

type meView struct {
	Agent     agentView `json:"agent"`
	CompanyID int64     `json:"company_id"`
	TeamIDs   []int64   `json:"team_ids"`
	CSRFToken string    `json:"csrf_token,omitempty"`
}

func (d Deps) login(w http.ResponseWriter, r *http.Request) {
	if err := auth.CheckOrigin(r); err != nil {
		d.fail(w, r, err)
		return
	}
	var in loginRequest
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	var v directory.ValidationError
	for _, f := range []struct{ name, val string }{{"company", in.Company}, {"email", in.Email}, {"password", in.Password}} {
		if f.val == "" {
			v = append(v, directory.FieldError{Field: f.name, Message: "required"})
		}
	}
	if len(v) > 0 {
		d.fail(w, r, v)
		return
	}
	tok, se, p, err := d.Auth.Svc.Login(r.Context(), auth.LoginInput{Company: in.Company, Email: in.Email, Password: in.Password, IP: d.Auth.ClientIP(r)})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.Auth.SetSessionCookie(w, r, tok, d.Auth.Svc.SessionEnd(se))
	a, err := d.Directory.GetAgent(r.Context(), p.CompanyID, p.AgentID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, meView{Agent: viewAgent(a), CompanyID: p.CompanyID, TeamIDs: nz(p.TeamIDs), CSRFToken: se.CSRFToken})
}

func nz(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func (d Deps) logout(w http.ResponseWriter, r *http.Request) {
	if p := principal(r); p.Session != nil {
		if err := d.Auth.Svc.Logout(r.Context(), auth.SessionToken(r)); err != nil {
			d.fail(w, r, err)
			return
		}
		d.Auth.ClearSessionCookie(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (d Deps) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	a, err := d.Directory.GetAgent(r.Context(), p.CompanyID, p.AgentID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	v := meView{Agent: viewAgent(a), CompanyID: p.CompanyID, TeamIDs: nz(p.TeamIDs)}
	if p.Session != nil {
		v.CSRFToken = p.Session.CSRFToken
	}
	reply(w, http.StatusOK, v)
}

func (d Deps) setupStatus(w http.ResponseWriter, r *http.Request) {
	need, err := d.Directory.NeedsSetup(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]bool{"needs_setup": need})
}

func (d Deps) setup(w http.ResponseWriter, r *http.Request) {
	if err := auth.CheckOrigin(r); err != nil {
		d.fail(w, r, err)
		return
	}
	var in directory.SetupInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	co, a, err := d.Directory.Setup(r.Context(), in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, map[string]any{"company": map[string]any{"id": co.ID, "slug": co.Slug, "name": co.Name}, "admin": viewAgent(a)})
}

// mePatch is what agents may change about themselves.
type mePatch struct {
	Name            *string `json:"name,omitempty"`
	Signature       *string `json:"signature,omitempty"`
	Language        *string `json:"language,omitempty"`
	Password        *string `json:"password,omitempty"`
	CurrentPassword string  `json:"current_password,omitempty"`
}

// updateMe lets an agent edit their own name, signature, language and
// password (the current password is required to set a new one; all their
// sessions end, so they log in again).
func (d Deps) updateMe(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in mePatch
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	if in.Password != nil {
		a, err := d.Directory.GetAgent(r.Context(), p.CompanyID, p.AgentID)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		if ok, _ := auth.VerifyPassword(a.PasswordHash, in.CurrentPassword); !ok {
			d.fail(w, r, directory.Invalid("current_password", "wrong password"))
			return
		}
	}
	a, err := d.Directory.UpdateAgent(r.Context(), p.CompanyID, p.AgentID, directory.AgentPatch{Name: in.Name, Signature: in.Signature,
		Language: in.Language, Password: in.Password})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if in.Password != nil && p.Session != nil {
		d.Auth.ClearSessionCookie(w, r)
	}
	reply(w, http.StatusOK, meView{Agent: viewAgent(a), CompanyID: p.CompanyID, TeamIDs: nz(p.TeamIDs)})
}
