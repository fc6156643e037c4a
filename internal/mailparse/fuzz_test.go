package mailparse

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, always terminates, and that a
// returned Message is consistent and encodes as JSON. Seeds are the corpus
// and the named cases;
// crashers found by the fuzzer live in testdata/fuzz/FuzzParse and run as
// regression tests with plain `go test`.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	cases, _ := filepath.Glob("testdata/cases/*.eml")
	for _, path := range append(files, cases...) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stored := 0
		m, err := Parse(bytes.NewReader(data), Options{
			Sink: func(meta Attachment, r io.Reader) (string, int64, error) {
				n, err := io.Copy(io.Discard, r)
				stored++
				return "k", n, err
			},
			AttachmentURL: func(cid string) string { return "/a/" + cid },
		})
		if err != nil {
			if m != nil {
				t.Fatalf("error %v with non-nil message", err)
			}
			return
		}
		if m.Warnings == nil {
			t.Fatal("nil Warnings")
		}
		if stored != len(m.Attachments) {
			t.Fatalf("sink called %d times for %d attachments", stored, len(m.Attachments))
		}
		for _, s := range []string{m.Subject, m.TextBody, m.HTMLBody, m.From.Name, m.From.Address, m.MessageID} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in output: %q", s)
			}
		}
		for _, l := range [][]Address{m.To, m.Cc, m.Bcc, m.ReplyTo} {
			for _, a := range l {
				if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Address) {
					t.Fatalf("invalid UTF-8 in address %+v", a)
				}
			}
		}
		if strings.ContainsRune(m.TextBody, 0) || strings.ContainsRune(m.Subject, 0) {
			t.Fatal("NUL in text or subject")
		}
		for _, a := range m.Attachments {
			if !utf8.ValidString(a.Filename) || !utf8.ValidString(a.GivenName) || a.Filename == "" || !utf8.ValidString(a.ContentID) || !utf8.ValidString(a.ContentType) {
				t.Fatalf("invalid UTF-8 in attachment %+v", a)
			}
		}
		low := strings.ToLower(m.HTMLBody)
		for _, tag := range []string{"<script", "<iframe", "<style", "<object", "<embed", "<form", "<meta", "<base", "<link"} {
			if strings.Contains(low, tag) {
				t.Fatalf("sanitized HTML contains %s: %q", tag, m.HTMLBody)
			}
		}
		if len(m.TextBody) > 2*maxBodyBytes {
			t.Fatalf("TextBody %d bytes exceeds the limit", len(m.TextBody))
		}
		if _, err := json.Marshal(NewReport(m)); err != nil {
			t.Fatalf("report does not encode: %v", err)
		}
	})
}
