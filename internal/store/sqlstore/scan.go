package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// timeFormats are the text forms SQLite drivers may hand back for a
// TIMESTAMP column (modernc.org/sqlite usually parses them itself).
var timeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05",
}

// tsv scans a (possibly NULL) timestamp into *time.Time (zero for NULL).
type tsv struct{ t *time.Time }

func (v tsv) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*v.t = time.Time{}
		return nil
	case time.Time:
		*v.t = x.UTC()
		return nil
	case string:
		return v.parse(x)
	case []byte:
		return v.parse(string(x))
	}
	return fmt.Errorf("sqlstore: cannot scan %T into time", src)
}

func (v tsv) parse(s string) error {
	for _, f := range timeFormats {
		if t, err := time.Parse(f, s); err == nil {
			*v.t = t.UTC()
			return nil
		}
	}
	return fmt.Errorf("sqlstore: bad time %q", s)
}

// idv scans a nullable integer ID into *int64 (0 for NULL).
type idv struct{ p *int64 }

func (v idv) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*v.p = n.Int64
	return nil
}

// strv scans a nullable text into *string ("" for NULL).
type strv struct{ p *string }

func (v strv) Scan(src any) error {
	var n sql.NullString
	if err := n.Scan(src); err != nil {
		return err
	}
	*v.p = n.String
	return nil
}

// jsonv scans a JSON text column into any value.
type jsonv struct{ p any }

func (v jsonv) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v.p)
}

// js encodes v as JSON text for a column.
func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are encoded here; failure is a bug.
		panic(fmt.Sprintf("sqlstore: encode JSON: %v", err))
	}
	return string(b)
}
