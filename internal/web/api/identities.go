package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Domains and addresses a company owns (package identity): claim, the
// TXT record to publish, the DNS check, the mailed code.

type identityView struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"` // domain | address
	Value    string `json:"value"`
	Verified bool   `json:"verified"`
	// Record is the TXT record that verifies a domain.
	Record *dnsRecordView `json:"record,omitempty"`
	// LastCheck is what the last DNS check of a domain found.
	LastCheck  *identity.DomainCheck `json:"last_check,omitempty"`
	CheckedAt  time.Time             `json:"checked_at,omitzero"`
	CodeSentAt time.Time             `json:"code_sent_at,omitzero"`
	VerifiedAt time.Time             `json:"verified_at,omitzero"`
	CreatedAt  time.Time             `json:"created_at"`
}

type dnsRecordView struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

func viewIdentity(i *store.Identity) identityView {
	v := identityView{ID: i.ID, Kind: i.Kind, Value: i.Value, Verified: i.Verified(), CheckedAt: i.CheckedAt, VerifiedAt: i.VerifiedAt,
		CreatedAt: i.CreatedAt, CodeSentAt: i.LastSentAt}
	if i.Kind == store.IdentityDomain {
		name, value := identity.Record(i)
		v.Record = &dnsRecordView{"TXT", name, value}
		v.LastCheck = identity.LastCheck(i)
	}
	return v
}

func (d Deps) identities(w http.ResponseWriter) bool {
	if d.Identities == nil {
		unavailable(w)
		return false
	}
	return true
}

func (d Deps) listIdentities(w http.ResponseWriter, r *http.Request) {
	if !d.identities(w) {
		return
	}
	ids, err := d.Identities.List(r.Context(), principal(r).CompanyID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[identityView]{Items: []identityView{}}
	for i := range ids {
		out.Items = append(out.Items, viewIdentity(&ids[i]))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) createIdentity(w http.ResponseWriter, r *http.Request) {
	if !d.identities(w) {
		return
	}
	var in struct {
		Kind     string `json:"kind"`
		Value    string `json:"value"`
		Language string `json:"language"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	p := principal(r)
	var i *store.Identity
	var err error
	switch in.Kind {
	case store.IdentityDomain:
		i, err = d.Identities.AddDomain(r.Context(), p.CompanyID, in.Value)
	case store.IdentityAddress:
		i, err = d.Identities.AddAddress(r.Context(), p.CompanyID, in.Value, in.Language)
	default:
		err = directory.Invalid("kind", "must be domain or address")
	}
	if err != nil { // (an address may be claimed but its code not mailed: resend)
		d.failIdentity(w, r, err)
		return
	}
	reply(w, http.StatusCreated, viewIdentity(i))
}

func (d Deps) getIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := d.identityID(w, r)
	if !ok {
		return
	}
	i, err := d.Identities.Get(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewIdentity(i))
}

func (d Deps) deleteIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := d.identityID(w, r)
	if !ok {
		return
	}
	if err := d.Identities.Delete(r.Context(), principal(r).CompanyID, id); err != nil {
		d.fail(w, r, err)
		return
	}
	d.channelChanged(r.Context()) // the SMTP server's table
	w.WriteHeader(http.StatusNoContent)
}

// checkIdentity looks the domain's TXT record up now.
func (d Deps) checkIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := d.identityID(w, r)
	if !ok {
		return
	}
	i, _, err := d.Identities.CheckDomain(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.failIdentity(w, r, err)
		return
	}
	if i.Verified() {
		d.channelChanged(r.Context())
	}
	reply(w, http.StatusOK, viewIdentity(i))
}

// sendIdentityCode mails a new code to an address.
func (d Deps) sendIdentityCode(w http.ResponseWriter, r *http.Request) {
	id, ok := d.identityID(w, r)
	if !ok {
		return
	}
	var in struct {
		Language string `json:"language"`
	}
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	p := principal(r)
	if err := d.Identities.SendCode(r.Context(), p.CompanyID, id, in.Language); err != nil {
		d.failIdentity(w, r, err)
		return
	}
	i, err := d.Identities.Get(r.Context(), p.CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewIdentity(i))
}

// confirmIdentity checks the code the admin received.
func (d Deps) confirmIdentity(w http.ResponseWriter, r *http.Request) {
	id, ok := d.identityID(w, r)
	if !ok {
		return
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	i, err := d.Identities.Confirm(r.Context(), principal(r).CompanyID, id, in.Code)
	if err != nil {
		d.failIdentity(w, r, err)
		return
	}
	d.channelChanged(r.Context())
	reply(w, http.StatusOK, viewIdentity(i))
}

// failIdentity maps identity's errors to problems.
func (d Deps) failIdentity(w http.ResponseWriter, r *http.Request, err error) {
	var ce *identity.CodeError
	var we *identity.WaitError
	switch {
	case errors.As(err, &ce):
		problem(w, http.StatusUnprocessableEntity, "wrong_code", "Wrong code; "+strconv.Itoa(ce.Left)+" attempts left.",
			[]directory.FieldError{{Field: "code", Message: "wrong code"}})
	case errors.Is(err, identity.ErrCodeExpired):
		problem(w, http.StatusUnprocessableEntity, "code_expired", "The code expired or was used up; send a new one.",
			[]directory.FieldError{{Field: "code", Message: "expired"}})
	case errors.As(err, &we):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(we.Until.Sub(d.now()).Seconds())))))
		problem(w, http.StatusTooManyRequests, "code_sent_recently", "A code was sent recently; wait before asking for another.", nil)
	case errors.Is(err, identity.ErrTaken):
		problem(w, http.StatusConflict, "taken", "Another company already verified this domain or address.", nil)
	case errors.Is(err, identity.ErrNoMailer):
		problem(w, http.StatusServiceUnavailable, "no_relay", "No outgoing relay is configured, so codes cannot be mailed; verify the domain instead.", nil)
	case errors.Is(err, identity.ErrWrongKind):
		problem(w, http.StatusConflict, "wrong_kind", "Not possible for this kind of identity.", nil)
	default:
		d.fail(w, r, err)
	}
}

// now is the server's clock as the auth service has it (Retry-After).
func (d Deps) now() time.Time {
	if d.Auth != nil && d.Auth.Svc != nil {
		return d.Auth.Svc.Now()
	}
	return time.Now()
}

// identityID is the {id} of an identity route, once the feature is on; it
// has answered the request when ok is false.
func (d Deps) identityID(w http.ResponseWriter, r *http.Request) (id int64, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return 0, false
	}
	return id, d.identities(w)
}
