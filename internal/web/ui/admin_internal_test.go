package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/ticket"
)

// TestAdminFieldMessage: every message the admin services return has its
// own translation in both languages (not the generic "Invalid value").
func TestAdminFieldMessage(t *testing.T) {
	cases := []struct{ name, msg, pt, en string }{
		{"last admin", "the company needs at least one active admin", "A empresa precisa de pelo menos um administrador ativo.", "The company needs at least one active admin."},
		{"agent exists", "an agent with this email already exists", "Já existe um agente com este e-mail.", "An agent with this email already exists."},
		{"team exists", "a team with this name already exists", "Já existe uma equipe com este nome.", "A team with this name already exists."},
		{"role", "must be admin or agent", "Escolha administrador ou agente.", "Choose admin or agent."},
		{"language", "must be one of the languages the UI speaks", "Idioma não suportado: escolha um dos idiomas da lista.", "Unsupported language: choose one of the languages in the list."},
		{"url", "must be an absolute http(s) URL", "Informe um endereço http(s) completo, como https://exemplo.com.br/webhook.", "Enter a full http(s) address such as https://example.com/webhook."},
		{"no events", "choose at least one event", "Escolha pelo menos um evento da lista.", "Choose at least one event from the list."},
		{"bad event", "must be one of " + strings.Join(ticket.EventTypes, ", "), "Escolha pelo menos um evento da lista.", "Choose at least one event from the list."},
		{"token name", "required, at most 100 characters", "Informe um nome de até 100 caracteres.", "Enter a name of at most 100 characters."},
		{"shared: required", "required", "Campo obrigatório.", "This field is required."},
		{"shared: password", "must be at least 10 characters", "A senha precisa ter pelo menos 10 caracteres.", "The password must have at least 10 characters."},
		{"unknown", "weird", "Valor inválido: weird", "Invalid value: weird"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := adminFieldMessage(Localizer{LangPT}, tc.msg); got != tc.pt {
				t.Errorf("pt-BR %q, want %q", got, tc.pt)
			}
			if got := adminFieldMessage(Localizer{LangEN}, tc.msg); got != tc.en {
				t.Errorf("en %q, want %q", got, tc.en)
			}
		})
	}
}

// TestAdminTemplateKeys: every literal message key in the admin templates
// exists, and so do the keys built from values (roles, languages, events,
// sections, confirmations).
func TestAdminTemplateKeys(t *testing.T) {
	keyRE := regexp.MustCompile(`\.L\.T "([a-z_.\-]+)"`)
	files, err := fs.Glob(templateFS, "templates/admin*.html")
	if err != nil || len(files) < len(adminPages)+1 {
		t.Fatalf("admin templates %v, %v", files, err)
	}
	keys := []string{}
	for _, f := range files {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	for _, s := range []string{"agents", "teams", "tokens", "webhooks", "notices"} {
		keys = append(keys, "admin."+s+".title")
	}
	for _, s := range []string{"admin.role.admin", "admin.role.agent", "admin.lang.pt-BR", "admin.lang.en"} {
		keys = append(keys, s)
	}
	for _, e := range ticket.EventTypes {
		keys = append(keys, "admin.event."+e)
	}
	for _, ok := range []string{"agent_created", "agent_saved", "team_created", "member_added", "member_removed", "token_created",
		"token_revoked", "webhook_created", "webhook_deleted", "notice_read"} {
		keys = append(keys, "admin.ok."+ok)
	}
	if len(keys) < 80 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for _, k := range keys {
		for _, lang := range []string{LangPT, LangEN} {
			if _, ok := catalog[lang][k]; !ok {
				t.Errorf("%s: no %s message", k, lang)
			}
		}
	}
}
