package ui

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/alerts"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Every notice key the code writes (found in its source) has a title and
// a body in every catalog, and every notice message has the same {name}
// placeholders in every language.
func TestNoticeKeysInEveryCatalog(t *testing.T) {
	keys := map[string]string{"notice.blob_missing": "ingest", "notice.blob_damaged": "ingest"} // "notice.blob_" + why
	reKey := regexp.MustCompile(`"(notice\.[a-z_]+)"`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.Contains(path, filepath.Join("web", "ui")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range reKey.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{alerts.KeyIMAP, alerts.KeyAuth, alerts.KeySending, alerts.KeyRelay, alerts.KeyDisk,
		alerts.KeyDatabase, alerts.KeyFailing, "notice.forwarding_confirmation", "notice.forwarding_confirmation_anon",
		"notice.mail_refused", "notice.address_unverified", "notice.oauth_reconnect", "notice.send_failed"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("key %s not found in the source", k)
		}
	}
	for key, where := range keys {
		if key == "notice.blob_" { // the prefix of the two above
			continue
		}
		for _, lang := range Languages() {
			for _, part := range []string{".title", ".body"} {
				if catalog[lang][key+part] == "" {
					t.Errorf("%s%s (written in %s) missing from %s", key, part, where, lang)
				}
			}
		}
	}
	names := func(s string) []string {
		var out []string
		for _, m := range reNoticeParam.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	for key, pt := range catalog[LangPT] {
		if !strings.HasPrefix(key, "notice.") {
			continue
		}
		for _, lang := range Languages()[1:] {
			if a, b := names(pt), names(catalog[lang][key]); !slices.Equal(a, b) {
				t.Errorf("%s: placeholders %v in pt-BR, %v in %s", key, a, b, lang)
			}
		}
	}
}

func TestNoticeTextFallbacks(t *testing.T) {
	key, params := alerts.Message(alerts.CauseDisk, "", 90*time.Second)
	n := &store.Notice{Key: key, Params: params, Title: "stored", Body: "stored body"}
	for _, tc := range []struct {
		name, lang string
		n          *store.Notice
		title      string
		body       string
		ok         bool
	}{
		{"english", LangEN, n, "Low disk space on the Atende server", "Free space in the data directory has been below the minimum for 2 min. New mail is refused for now (senders try again). Free some space.", true},
		{"portuguese", LangPT, n, "Pouco espaço em disco no servidor do Atende", "O espaço livre no diretório de dados está abaixo do mínimo há 2 min. Emails novos são recusados temporariamente (os remetentes tentam de novo). Libere espaço.", true},
		{"no catalog: pt-BR", "fr", n, "Pouco espaço em disco no servidor do Atende", "", true},
		{"no key: stored text", LangEN, &store.Notice{Title: "Título", Body: "Corpo"}, "Título", "Corpo", false},
		{"unknown key: stored text", LangEN, &store.Notice{Key: "notice.from_the_future", Title: "Título", Body: "Corpo"}, "Título", "Corpo", false},
		{"missing parameter is empty", LangEN, &store.Notice{Key: "notice.mail_refused", Params: map[string]string{"address": "a@b.test"}},
			"Mail refused for a@b.test", "On  mail arrived for a@b.test, which the channel \"\" lists", true},
		{"cause of another failure", LangEN, &store.Notice{Key: alerts.KeyFailing, Params: map[string]string{"cause": "dns", "minutes": "7", "detail": "{minutes}"}},
			"A part of Atende keeps failing", "Repeated failures (dns) for 7 min. Detail: {minutes}", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			title, body, ok := NoticeText(tc.lang, tc.n)
			if title != tc.title || !strings.HasPrefix(body, tc.body) || ok != tc.ok {
				t.Fatalf("got %q / %q / %v, want %q / %q… / %v", title, body, ok, tc.title, tc.body, tc.ok)
			}
		})
	}
}

func TestNoticeAPILanguage(t *testing.T) {
	for accept, want := range map[string]string{"": LangEN, "pt-BR,pt;q=0.9": LangPT, "pt-PT": LangPT, "de-DE": LangEN, "de,en;q=0.5": LangEN, ";;;": LangEN} {
		r := httptest.NewRequest("GET", "/api/v1/notices", nil)
		if accept != "" {
			r.Header.Set("Accept-Language", accept)
		}
		if got := APILanguage(r); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", accept, got, want)
		}
	}
}
