package directory

import (
	"errors"
	"strings"

	"github.com/atende-helpdesk/atende/internal/store"
)

// ErrNotFound is returned for ids that are not the company's.
var ErrNotFound = store.ErrNotFound

// ErrSetupDone is returned by Setup once any company exists.
var ErrSetupDone = errors.New("directory: setup already done")

// FieldError is one problem with one input field (JSON name, with
// [i] indexes for lists: "filters[2].value").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in one input.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	msgs := make([]string, len(v))
	for i, e := range v {
		msgs[i] = e.Field + ": " + e.Message
	}
	return "invalid input: " + strings.Join(msgs, "; ")
}

// add appends a field error.
func (v *ValidationError) add(field, msg string) { *v = append(*v, FieldError{field, msg}) }

// err returns v as an error, or nil when empty.
func (v ValidationError) err() error {
	if len(v) == 0 {
		return nil
	}
	return v
}

// Invalid is a one-field ValidationError.
func Invalid(field, msg string) error { return ValidationError{{field, msg}} }
