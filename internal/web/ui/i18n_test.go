package ui

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCatalogParity(t *testing.T) {
	for key, pt := range catalog[LangPT] {
		en, ok := catalog[LangEN][key]
		if !ok {
			t.Errorf("%s: no English message", key)
		}
		if strings.Count(pt, "%") != strings.Count(en, "%") {
			t.Errorf("%s: placeholders differ: %q vs %q", key, pt, en)
		}
	}
	for key := range catalog[LangEN] {
		if _, ok := catalog[LangPT][key]; !ok {
			t.Errorf("%s: no pt-BR message", key)
		}
	}
	if got := (Localizer{LangEN}).T("no.such"); got != "!no.such" {
		t.Fatalf("missing key renders %q", got)
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
