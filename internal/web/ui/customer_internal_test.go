package ui

import (
	"io/fs"
	"regexp"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Every key the ticket, preferences, error and layout templates use, and
// every key built from a value (failure kinds, priorities), exists in
// both languages.
func TestCustomerTemplateKeys(t *testing.T) {
	keyRE := regexp.MustCompile(`\.T "([a-z_.\-]+)"`)
	var keys []string
	for _, f := range []string{"ticket", "me", "error", "layout"} {
		b, err := fs.ReadFile(templateFS, "templates/"+f+".html")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	for _, k := range []string{outbox.FailRejected, outbox.FailConfig, outbox.FailRelayStartTLS, outbox.FailGaveUp, "unknown"} {
		keys = append(keys, "ticket.fail."+k)
	}
	for _, p := range ticket.Priorities {
		keys = append(keys, "priority."+p)
	}
	for _, k := range keys {
		for _, lang := range []string{LangPT, LangEN} {
			if _, ok := catalog[lang][k]; !ok {
				t.Errorf("%s: no %s message", k, lang)
			}
		}
	}
}

// Issue 15 item 8: times are friendly, in the agent's zone, relative to
// the program's clock, with the whole timestamp for the title.
func TestFriendlyTimes(t *testing.T) {
	manaus, _ := time.LoadLocation("America/Manaus")    // UTC-4
	now := time.Date(2024, 6, 5, 15, 0, 0, 0, time.UTC) // 11:00 in Manaus
	pt, en := Localizer{LangPT}, Localizer{LangEN}
	cases := []struct {
		l    Localizer
		t    time.Time
		want string
	}{
		{pt, time.Date(2024, 6, 5, 13, 5, 0, 0, time.UTC), "hoje 09:05"},
		{en, time.Date(2024, 6, 5, 13, 5, 0, 0, time.UTC), "today 09:05"},
		// 02:30 UTC on the 5th is still the 4th in Manaus: yesterday.
		{pt, time.Date(2024, 6, 5, 2, 30, 0, 0, time.UTC), "ontem 22:30"},
		{en, time.Date(2024, 6, 4, 20, 0, 0, 0, time.UTC), "yesterday 16:00"},
		{pt, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "1 de mar. 08:00"},
		{en, time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "Mar 1 08:00"},
		{pt, time.Date(2023, 12, 31, 12, 0, 0, 0, time.UTC), "31/12/2023 08:00"},
		{en, time.Date(2023, 12, 31, 12, 0, 0, 0, time.UTC), "Dec 31, 2023 08:00"},
	}
	for _, c := range cases {
		if got := when(c.l, c.t, now, manaus).Text; got != c.want {
			t.Errorf("%s %v: %q, want %q", c.l.Lang, c.t, got, c.want)
		}
	}
	s := when(pt, time.Date(2024, 6, 5, 13, 5, 9, 0, time.UTC), now, manaus)
	if s.Full != "quarta-feira, 05/06/2024 09:05:09 -04:00 (America/Manaus)" || s.ISO != "2024-06-05T13:05:09Z" {
		t.Fatalf("stamp %+v", s)
	}
}
