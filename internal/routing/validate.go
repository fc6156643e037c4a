package routing

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field. Field is a path in the API's
// JSON naming: "default_team_id", "initial_message", "filters[2].value",
// "filters[0].action.priority", "filters[1].action.tags[3]".
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every problem Validate found, in field order.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	msgs := make([]string, len(v))
	for i, e := range v {
		msgs[i] = e.Error()
	}
	return "routing: invalid rule: " + strings.Join(msgs, "; ")
}

// Limits checked by Validate.
const (
	MaxFilters        = 200
	MaxValueLen       = 500 // characters, for *_contains values
	MaxTagLen         = 64  // characters
	MaxTags           = 20  // per filter
	MaxInitialMessage = 20000
	maxAddressLen     = 254 // RFC 5321 path limit
	maxDomainLen      = 253
)

// Validate checks the rule and returns a ValidationError listing every
// problem, or nil. Beyond each field's own format it rejects a filter that
// can never match because an earlier one always matches first (same kind and
// value, an earlier sender_domain covering a later domain or address, an
// earlier *_contains value contained in a later one).
func (r Rule) Validate() error {
	var errs ValidationError
	switch {
	case r.DefaultTeamID == 0:
		errs = append(errs, FieldError{"default_team_id", "required"})
	case r.DefaultTeamID < 0:
		errs = append(errs, FieldError{"default_team_id", "must be a positive id"})
	}
	noMessage := strings.TrimSpace(r.InitialMessage) == ""
	if r.SendInitialMessage && noMessage {
		errs = append(errs, FieldError{"initial_message", "required when send_initial_message is on"})
	}
	if n := utf8.RuneCountInString(r.InitialMessage); n > MaxInitialMessage {
		errs = append(errs, FieldError{"initial_message", fmt.Sprintf("must be at most %d characters", MaxInitialMessage)})
	}
	if len(r.Filters) > MaxFilters {
		errs = append(errs, FieldError{"filters", fmt.Sprintf("at most %d filters", MaxFilters)})
	}
	for i, f := range r.Filters {
		p := fmt.Sprintf("filters[%d].", i)
		fe := filterErrors(nil, p, f)
		if sim := f.Action.SendInitialMessage; sim != nil && *sim && noMessage {
			fe = append(fe, FieldError{p + "action.send_initial_message", "the rule has no initial message"})
		}
		if len(fe) == 0 {
			for j := range i {
				if len(filterErrors(nil, "", r.Filters[j])) == 0 && shadows(r.Filters[j], f) {
					fe = append(fe, FieldError{p + "value", fmt.Sprintf("never matches: filters[%d] (%s %q) always matches first", j, r.Filters[j].Kind, strings.TrimSpace(r.Filters[j].Value))})
					break
				}
			}
		}
		errs = append(errs, fe...)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// filterErrors appends the problems of one filter, on its own, to errs,
// naming fields with prefix p.
func filterErrors(errs []FieldError, p string, f Filter) []FieldError {
	v := strings.TrimSpace(f.Value)
	switch {
	case !f.Kind.Valid():
		if f.Kind == "" {
			errs = append(errs, FieldError{p + "kind", "required"})
		} else {
			errs = append(errs, FieldError{p + "kind", fmt.Sprintf("unknown filter kind %q", string(f.Kind))})
		}
	case v == "":
		errs = append(errs, FieldError{p + "value", "must not be empty"})
	case f.Kind == SenderAddress || f.Kind == RecipientAddress:
		if !validAddress(v) {
			errs = append(errs, FieldError{p + "value", "must be an email address"})
		}
	case f.Kind == SenderDomain:
		if strings.Contains(v, "@") {
			errs = append(errs, FieldError{p + "value", "must be a domain name such as empresa.com.br, without @"})
		} else if !validDomain(v) {
			errs = append(errs, FieldError{p + "value", "must be a domain name such as empresa.com.br"})
		}
	default: // subject_contains, body_contains
		if utf8.RuneCountInString(v) > MaxValueLen {
			errs = append(errs, FieldError{p + "value", fmt.Sprintf("must be at most %d characters", MaxValueLen)})
		} else if Fold(v) == "" {
			errs = append(errs, FieldError{p + "value", "must contain a letter, digit or symbol, not only accents"})
		}
	}

	a := f.Action
	if a.TeamID < 0 {
		errs = append(errs, FieldError{p + "action.team_id", "must be a positive id, or 0 for the default team"})
	}
	if a.AssigneeID < 0 {
		errs = append(errs, FieldError{p + "action.assignee_id", "must be a positive id, or 0 for nobody"})
	}
	if !ValidPriority(a.Priority) {
		errs = append(errs, FieldError{p + "action.priority", fmt.Sprintf("must be one of low, normal, high, urgent (got %q)", a.Priority)})
	}
	if len(a.Tags) > MaxTags {
		errs = append(errs, FieldError{p + "action.tags", fmt.Sprintf("at most %d tags", MaxTags)})
	}
	for k, t := range a.Tags {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			errs = append(errs, FieldError{fmt.Sprintf("%saction.tags[%d]", p, k), "must not be empty"})
		case utf8.RuneCountInString(t) > MaxTagLen:
			errs = append(errs, FieldError{fmt.Sprintf("%saction.tags[%d]", p, k), fmt.Sprintf("must be at most %d characters", MaxTagLen)})
		}
	}
	return errs
}

// validAddress accepts a bare addr-spec (no display name, no brackets) whose
// domain is a valid domain name.
func validAddress(v string) bool {
	if len(v) > maxAddressLen {
		return false
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || !strings.EqualFold(a.Address, v) {
		return false
	}
	at := strings.LastIndexByte(a.Address, '@')
	return at > 0 && validDomain(a.Address[at+1:])
}

// validDomain accepts a DNS name of two or more labels, in Unicode or ASCII
// form, that IDNA accepts, with labels of 1 to 63 letters, digits and inner
// hyphens and a top-level label that is not all digits (so IP addresses are
// rejected).
func validDomain(v string) bool {
	a := normDomain(v)
	if a == "" || len(a) > maxDomainLen {
		return false
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}

// shadows reports whether filter a, placed before b, matches every message b
// matches, so b can never be reached. Both must be valid.
func shadows(a, b Filter) bool {
	av, bv := strings.TrimSpace(a.Value), strings.TrimSpace(b.Value)
	switch {
	case a.Kind == SenderAddress && b.Kind == SenderAddress:
		return normAddress(av) == normAddress(bv)
	case a.Kind == RecipientAddress && b.Kind == RecipientAddress:
		return stripDetail(normAddress(av)) == stripDetail(normAddress(bv))
	case a.Kind == SenderDomain && b.Kind == SenderDomain:
		ad, bd := normDomain(av), normDomain(bv)
		return bd == ad || strings.HasSuffix(bd, "."+ad)
	case a.Kind == SenderDomain && b.Kind == SenderAddress:
		bd := normDomain(bv[strings.LastIndexByte(bv, '@')+1:])
		ad := normDomain(av)
		return bd == ad || strings.HasSuffix(bd, "."+ad)
	case a.Kind == b.Kind && (a.Kind == SubjectContains || a.Kind == BodyContains):
		return strings.Contains(Fold(bv), Fold(av))
	}
	return false
}
