package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type   string                 `json:"type"`
	Title  string                 `json:"title"`
	Status int                    `json:"status"`
	Detail string                 `json:"detail,omitempty"`
	Code   string                 `json:"code"`
	Errors []directory.FieldError `json:"errors,omitempty"`
}

// problemTypeBase prefixes the machine code to make the type URI.
const problemTypeBase = "urn:atende:problem:"

func problem(w http.ResponseWriter, status int, code, detail string, fields []directory.FieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(Problem{Type: problemTypeBase + code, Title: http.StatusText(status), Status: status,
		Detail: detail, Code: code, Errors: fields})
}

// fail maps a domain error to a problem response.
func (d Deps) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve directory.ValidationError
	var le *auth.LockedError
	switch {
	case errors.As(err, &ve):
		problem(w, http.StatusUnprocessableEntity, "validation_failed", "Some fields are invalid.", ve)
	case errors.As(err, &le):
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, le.Until.Sub(d.Auth.Svc.Now()).Seconds()))))
		problem(w, http.StatusTooManyRequests, "locked", "Too many failed logins; try again later.", nil)
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "2")
		problem(w, http.StatusTooManyRequests, "busy", "Too many logins at once; try again in a few seconds.", nil)
	case errors.Is(err, auth.ErrInvalidCredentials):
		problem(w, http.StatusUnauthorized, "invalid_credentials", "Wrong company, email or password.", nil)
	case errors.Is(err, auth.ErrUnauthenticated):
		w.Header().Set("WWW-Authenticate", `Bearer realm="atende"`)
		problem(w, http.StatusUnauthorized, "unauthenticated", "Log in or send an API token (Authorization: Bearer).", nil)
	case errors.Is(err, auth.ErrCSRF):
		problem(w, http.StatusForbidden, "csrf", "Cross-site request refused.", nil)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, ticket.ErrForbidden):
		// A ticket outside the agent's teams answers exactly like one that
		// does not exist: the answer does not tell which ids exist.
		problem(w, http.StatusNotFound, "not_found", "No such resource.", nil)
	case errors.Is(err, auth.ErrForbidden):
		problem(w, http.StatusForbidden, "forbidden", "Not allowed.", nil)
	case errors.Is(err, ticket.ErrTooLate):
		problem(w, http.StatusConflict, "too_late", "The reply was already sent or is being sent; it can no longer be cancelled.", nil)
	case errors.Is(err, directory.ErrSetupDone):
		problem(w, http.StatusConflict, "setup_done", "Atende is already set up.", nil)
	case errors.Is(err, errBadJSON):
		problem(w, http.StatusBadRequest, "bad_request", strings.TrimPrefix(err.Error(), errBadJSON.Error()+": "), nil)
	default:
		d.Log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		problem(w, http.StatusInternalServerError, "internal", "Something went wrong on our side.", nil)
	}
}

var errBadJSON = errors.New("bad request body")

// maxBody bounds JSON request bodies.
const maxBody = 1 << 20

// decode reads a JSON body into v, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &ute):
			return directory.Invalid(ute.Field, "wrong type: expected "+ute.Type.String())
		case errors.As(err, &mbe):
			return fmt.Errorf("%w: body larger than %d bytes", errBadJSON, maxBody)
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%w: empty body, expected a JSON object", errBadJSON)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return directory.Invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "unknown field")
		}
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}

// reply writes v as JSON.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// pathID parses a positive id path value; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("api: %s %q: %w", name, r.PathValue(name), store.ErrNotFound)
	}
	return id, nil
}

// principal of an authenticated request.
func principal(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// actor turns the principal into a ticket actor.
func actor(r *http.Request) ticket.Actor {
	p := principal(r)
	return ticket.Actor{CompanyID: p.CompanyID, AgentID: p.AgentID, Admin: p.IsAdmin(), TeamIDs: p.TeamIDs}
}
