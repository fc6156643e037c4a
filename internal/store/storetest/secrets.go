package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

// secretsTests are the conformance cases of the store.Secrets group.
func secretsTests() []Case {
	return []Case{
		{"Secrets", testSecrets},
		{"Secrets company isolation", testSecretsIsolation},
	}
}

func testSecrets(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	_, err := s.GetSecret(ctx, f.co.ID, f.ch.ID, "imap_password")
	wantErr(t, err, store.ErrNotFound)
	ct := []byte{0x01, 0x00, 0xff, 0x10, 'x'} // binary, with a NUL
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	must(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: f.co.ID, ChannelID: f.ch.ID, Name: "imap_password", Ciphertext: ct, UpdatedAt: at}))
	must(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: f.co.ID, ChannelID: f.ch.ID, Name: "smtp_password", Ciphertext: []byte("other")}))
	got, err := s.GetSecret(ctx, f.co.ID, f.ch.ID, "imap_password")
	must(t, err)
	if !bytes.Equal(got.Ciphertext, ct) || !got.UpdatedAt.Equal(at) || got.Name != "imap_password" {
		t.Fatalf("got %+v", got)
	}
	// Replace.
	ct2 := []byte("replaced")
	must(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: f.co.ID, ChannelID: f.ch.ID, Name: "imap_password", Ciphertext: ct2, UpdatedAt: at.Add(time.Hour)}))
	got, err = s.GetSecret(ctx, f.co.ID, f.ch.ID, "imap_password")
	must(t, err)
	if !bytes.Equal(got.Ciphertext, ct2) || !got.UpdatedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("after replace %+v", got)
	}
	must(t, s.DeleteSecret(ctx, f.co.ID, f.ch.ID, "imap_password"))
	wantErr(t, s.DeleteSecret(ctx, f.co.ID, f.ch.ID, "imap_password"), store.ErrNotFound)
	_, err = s.GetSecret(ctx, f.co.ID, f.ch.ID, "imap_password")
	wantErr(t, err, store.ErrNotFound)
	other, err := s.GetSecret(ctx, f.co.ID, f.ch.ID, "smtp_password")
	must(t, err)
	if string(other.Ciphertext) != "other" {
		t.Fatalf("smtp secret = %q", other.Ciphertext)
	}
}

func testSecretsIsolation(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	must(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: a.co.ID, ChannelID: a.ch.ID, Name: "imap_password", Ciphertext: []byte("A")}))
	B := b.co.ID
	_, err := s.GetSecret(ctx, B, a.ch.ID, "imap_password")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteSecret(ctx, B, a.ch.ID, "imap_password"), store.ErrNotFound)
	// B can neither overwrite A's secret nor create one on A's channel.
	wantErr(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: B, ChannelID: a.ch.ID, Name: "imap_password", Ciphertext: []byte("B")}), store.ErrNotFound)
	wantErr(t, s.PutSecret(ctx, &store.ChannelSecret{CompanyID: B, ChannelID: a.ch.ID, Name: "new", Ciphertext: []byte("B")}), store.ErrNotFound)
	got, err := s.GetSecret(ctx, a.co.ID, a.ch.ID, "imap_password")
	must(t, err)
	if string(got.Ciphertext) != "A" {
		t.Fatalf("A's secret changed: %q", got.Ciphertext)
	}
	_, err = s.GetSecret(ctx, a.co.ID, a.ch.ID, "new")
	wantErr(t, err, store.ErrNotFound)
}
