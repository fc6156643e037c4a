package secrets_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// TestPlaintextNeverInDatabase stores passwords through the Box in a real
// SQLite file and then scans every file of the database (main file, WAL,
// shared memory) for the plaintext.
func TestPlaintextNeverInDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	var chans []*model.Channel
	for _, slug := range []string{"a", "b"} {
		ch := &model.Channel{CompanyID: co.ID, Slug: slug, Name: slug, Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "t" + slug}
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	box, err := secrets.NewBox(secrets.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	const pwA, pwB = "Senha-Secreta-Do-Canal-A-9f8e7d", "Senha-Secreta-Do-Canal-B-1a2b3c"
	if err := box.PutChannelSecret(ctx, st, co.ID, chans[0].ID, secrets.IMAPPassword, pwA); err != nil {
		t.Fatal(err)
	}
	if err := box.PutChannelSecret(ctx, st, co.ID, chans[1].ID, secrets.IMAPPassword, pwB); err != nil {
		t.Fatal(err)
	}
	got, err := box.ChannelSecret(ctx, st, co.ID, chans[0].ID, secrets.IMAPPassword)
	if err != nil || got != pwA {
		t.Fatalf("read back = %q, %v", got, err)
	}
	// Copy A's ciphertext into B's row: it must not open as B's password.
	secA, err := st.GetSecret(ctx, co.ID, chans[0].ID, secrets.IMAPPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutSecret(ctx, &store.ChannelSecret{CompanyID: co.ID, ChannelID: chans[1].ID, Name: secrets.IMAPPassword, Ciphertext: secA.Ciphertext}); err != nil {
		t.Fatal(err)
	}
	if _, err := box.ChannelSecret(ctx, st, co.ID, chans[1].ID, secrets.IMAPPassword); !errors.Is(err, secrets.ErrOpen) {
		t.Fatalf("swapped ciphertext: err = %v, want ErrOpen", err)
	}
	if _, err := box.ChannelSecret(ctx, st, co.ID, chans[1].ID, secrets.SMTPPassword); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing secret: err = %v, want ErrNotFound", err)
	}
	// Scan before and after close (WAL contents, then checkpointed file).
	scan := func(when string) {
		files, _ := filepath.Glob(filepath.Join(dir, "atende.db*"))
		if len(files) == 0 {
			t.Fatal("no database files")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{pwA, pwB} {
				if bytes.Contains(b, []byte(pw)) {
					t.Errorf("%s: plaintext %q found in %s", when, pw, filepath.Base(f))
				}
			}
		}
	}
	scan("open")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	scan("closed")
}
