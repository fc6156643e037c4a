package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

func TestAdminCreateCompanyAndAgent(t *testing.T) {
	data := t.TempDir()
	env := map[string]string{"ATENDE_DATA": data}
	admin := func(stdin string, args ...string) (error, string) {
		var out, errb syncBuf
		err := adminCmd(context.Background(), args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }, Clock: clock.System{}})
		return err, out.String()
	}
	if err, out := admin("", "create-company", "--slug", "acme", "--name", "ACME Ltda"); err != nil || !strings.Contains(out, "Created company acme") {
		t.Fatalf("create-company: %v %s", err, out)
	}
	if err, _ := admin("", "create-company", "--slug", "acme", "--name", "Again"); err == nil || !strings.Contains(err.Error(), "--slug: already in use") {
		t.Fatalf("duplicate company: %v", err)
	}
	if err, out := admin("senha muito secreta\n", "create-agent", "--company", "acme", "--email", "Ana@acme.test", "--name", "Ana", "--role", "admin", "--password-stdin"); err != nil || strings.Contains(out, "Password") {
		t.Fatalf("create-agent: %v %s", err, out)
	}
	err, out := admin("", "create-agent", "--company", "acme", "--email", "bia@acme.test", "--name", "Bia")
	if err != nil || !strings.Contains(out, "Password (shown once): ") {
		t.Fatalf("create-agent with generated password: %v %s", err, out)
	}
	if err, _ := admin("curta\n", "create-agent", "--company", "acme", "--email", "x", "--name", "X", "--password-stdin"); err == nil ||
		!strings.Contains(err.Error(), "--email:") || !strings.Contains(err.Error(), "--password:") {
		t.Fatalf("validation: %v", err)
	}
	if err, _ := admin("", "create-agent", "--company", "nope", "--email", "a@b.test", "--name", "A"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("unknown company: %v", err)
	}
	if err, _ := admin("", "explode"); err == nil {
		t.Fatal("unknown subcommand accepted")
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	co, err := st.GetCompanyBySlug(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.GetAgentByEmail(context.Background(), co.ID, "ana@acme.test")
	if err != nil || a.Role != "admin" {
		t.Fatalf("agent %+v %v", a, err)
	}
	if ok, err := auth.VerifyPassword(a.PasswordHash, "senha muito secreta"); !ok || err != nil {
		t.Fatalf("password not set from stdin: %v", err)
	}
}
