package ui

import (
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/text/language"
)

// Every locale has exactly pt-BR's keys with the same placeholders, and
// every key the templates and the Go code use exists.
func TestCatalogParity(t *testing.T) {
	if len(Languages()) < 2 || Languages()[0] != LangPT {
		t.Fatalf("languages %v: want pt-BR first and at least English", Languages())
	}
	base := catalog[LangPT]
	for _, lang := range Languages()[1:] {
		other := catalog[lang]
		for key, pt := range base {
			msg, ok := other[key]
			if !ok {
				t.Errorf("%s: %s has no message", key, lang)
				continue
			}
			if placeholders(pt) != placeholders(msg) {
				t.Errorf("%s: placeholders differ in %s: %q vs %q", key, lang, pt, msg)
			}
		}
		for key := range other {
			if _, ok := base[key]; !ok {
				t.Errorf("%s: in %s but not in pt-BR", key, lang)
			}
		}
	}
	if got := (Localizer{LangEN}).T("no.such"); got != "!no.such" {
		t.Fatalf("missing key renders %q", got)
	}
}

// placeholders is a message's fmt verbs in order, e.g. "%s%d".
func placeholders(s string) string {
	return strings.Join(reVerb.FindAllString(s, -1), "")
}

var reVerb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func TestEveryUsedKeyExists(t *testing.T) {
	used := map[string]string{}
	tmpls, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(tmpls) == 0 {
		t.Fatalf("templates: %v %v", tmpls, err)
	}
	reTmpl := regexp.MustCompile(`\bT "([a-zA-Z0-9_.]+)"`)
	for _, name := range tmpls {
		b, _ := fs.ReadFile(templateFS, name)
		for _, m := range reTmpl.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = name
		}
	}
	goFiles, _ := filepath.Glob("*.go")
	reGo := regexp.MustCompile(`\.T\("([a-zA-Z0-9_.]+)"[,)]`)
	for _, name := range goFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range reGo.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = name
		}
	}
	if len(used) < 300 {
		t.Fatalf("found only %d keys in use: the scan is broken", len(used))
	}
	for key, where := range used {
		for _, lang := range Languages() {
			if _, ok := catalog[lang][key]; !ok {
				t.Errorf("%s (used in %s) missing from %s", key, where, lang)
			}
		}
	}
}

// A third language is a file, no Go change: its name is the tag, its
// "language.name" the menu label, and Accept-Language finds it.
func TestThirdLanguageIsAFile(t *testing.T) {
	pt, _ := fs.ReadFile(localeFS, "locale/pt-BR.json")
	en, _ := fs.ReadFile(localeFS, "locale/en.json")
	es := `{"language.name": "Español", "inbox.title": "Atenciones"}`
	c, err := loadCatalogs(fstest.MapFS{
		"locale/pt-BR.json": {Data: pt}, "locale/en.json": {Data: en}, "locale/es.json": {Data: []byte(es)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.langs, ","); got != "pt-BR,en,es" {
		t.Fatalf("languages %s", got)
	}
	tags, _, _ := language.ParseAcceptLanguage("es-AR,es;q=0.9")
	if _, idx, _ := c.matcher.Match(tags...); c.langs[idx] != "es" {
		t.Fatalf("es-AR matched %s", c.langs[idx])
	}
	if c.msgs["es"]["inbox.title"] != "Atenciones" {
		t.Fatal("es message not loaded")
	}
	if _, err := loadCatalogs(fstest.MapFS{"locale/en.json": {Data: en}}); err == nil {
		t.Fatal("no pt-BR catalog accepted")
	}
	if _, err := loadCatalogs(fstest.MapFS{"locale/pt-BR.json": {Data: pt}, "locale/xx-bad_tag!.json": {Data: en}}); err == nil {
		t.Fatal("bad tag accepted")
	}
}

func TestPickLanguage(t *testing.T) {
	cases := []struct{ name, agent, accept, want string }{
		{"default", "", "", LangPT},
		{"agent setting wins", LangEN, "pt-BR", LangEN},
		{"agent pt wins", LangPT, "en-US", LangPT},
		{"english browser", "", "en-US,en;q=0.9", LangEN},
		{"portuguese browser", "", "pt-BR,pt;q=0.9,en;q=0.5", LangPT},
		{"european portuguese", "", "pt-PT", LangPT},
		{"unknown language", "", "de-DE", LangPT},
		{"english second", "", "de-DE,en;q=0.8", LangEN},
		{"garbage", "", ";;;", LangPT},
		{"invalid agent setting", "fr", "en", LangEN},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			if got := pickLanguage(tc.agent, r); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestFieldMessage(t *testing.T) {
	cases := []struct{ name, msg, pt, en string }{
		{"required", "required", "Campo obrigatório.", "This field is required."},
		{"email", "must be an email address such as ana@empresa.com.br", "Informe um endereço de e-mail, como ana@empresa.com.br.", "Enter an email address such as ana@company.com."},
		{"password", "must be at least 10 characters", "A senha precisa ter pelo menos 10 caracteres.", "The password must have at least 10 characters."},
		{"too long", "must be at most 200 characters", "Texto longo demais (máximo 200 caracteres).", "Too long (at most 200 characters)."},
		{"unknown", "whatever happened", "Valor inválido: whatever happened", "Invalid value: whatever happened"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Localizer{LangPT}).fieldMessage(tc.msg); got != tc.pt {
				t.Errorf("pt: %q", got)
			}
			if got := (Localizer{LangEN}).fieldMessage(tc.msg); got != tc.en {
				t.Errorf("en: %q", got)
			}
		})
	}
}

func TestShowRemoteImages(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"no images", `<p>oi</p>`, `<p>oi</p>`},
		{"remote", `<p><img src="" data-remote-src="https://x.test/a.png" alt="a"></p>`, `<p><img src="https://x.test/a.png" data-remote-src="https://x.test/a.png" alt="a"/></p>`},
		{"not http", `<img src="" data-remote-src="javascript:alert(1)">`, `<img src="" data-remote-src="javascript:alert(1)"/>`},
		{"no src attr", `<img data-remote-src="http://x.test/b.gif">`, `<img data-remote-src="http://x.test/b.gif" src="http://x.test/b.gif"/>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := showRemoteImages(tc.in); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{"/tickets/3": "/tickets/3", "//evil.test/x": "/inbox", "https://evil.test": "/inbox",
		"/\\evil.test": "/inbox", "": "/inbox", "/api/v1/me": "/inbox", "/login": "/inbox",
		// Issue #13, item 10 (failed before: "/\t/evil.test" was returned
		// as is, and the browser went to //evil.test).
		"/\t/evil.test": "/inbox", "/\n/evil.test": "/inbox", "/\r//evil.test": "/inbox", " //evil.test": "/inbox",
		"/x\\..\\\\evil.test": "/inbox", "/\u00a0/evil.test": "/inbox", "/inbox?status=open&q=a%20b": "/inbox?status=open&q=a%20b",
		"/%2F/evil.test": "/%2F/evil.test"} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHasQuote(t *testing.T) {
	cases := []struct {
		name, reply, text, html string
		want                    bool
	}{
		{"no reply text", "", "oi\n> velho", "", false},
		{"same text", "oi  tudo bem", "oi\ntudo bem", "", false},
		{"quoted lines", "Meu boleto venceu.", "Meu boleto venceu.\n\nEm 1 de junho, Suporte escreveu:\n> Segue o boleto.", "", true},
		{"blockquote", "Oi", "Oi\nvelho", "<p>Oi</p><blockquote>velho</blockquote>", true},
		{"differs without quote", "Olá clique", "Olá [logo] clique", "<p>Olá</p><img alt=logo>", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := hasQuote(tc.reply, tc.text, tc.html); got != tc.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}
