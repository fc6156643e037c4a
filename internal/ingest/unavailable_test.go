package ingest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// A stored mail whose raw bytes are gone, or damaged, from the blob store
// becomes at once (no retry loop) a ticket message saying "mensagem
// original indisponível", and the admins get a notice.
func TestMissingOrDamagedBlob(t *testing.T) {
	e := newEnv(t, "sqlite", 0)
	blobPath := func(key string) string {
		h := strings.TrimPrefix(key, "sha256/")
		return filepath.Join(e.bl.Dir(), "sha256", h[:2], h[2:4], h)
	}
	// Bodies over DefaultInlineMax: these raw messages are blob files
	// (smaller ones are kept in the database).
	body := strings.Repeat("Corpo da mensagem.\r\n", ingest.DefaultInlineMax/20+1)
	missing := e.accept(t, "missing", []byte("From: a@example.test\r\nSubject: Sumiu\r\nMessage-ID: <m1@x>\r\n\r\n"+body))
	damaged := e.accept(t, "damaged", []byte("From: b@example.test\r\nSubject: Danificada\r\nMessage-ID: <m2@x>\r\n\r\n"+body))
	if err := os.Remove(blobPath(missing.RawKey)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blobPath(damaged.RawKey), []byte("\x00\x00lixo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.ProcessPending(ctx, ingest.WorkerConfig{Batch: 64}); err != nil || n != 2 {
		t.Fatalf("process: %d %v", n, err)
	}
	for _, r := range []ingest.Result{missing, damaged} {
		in, err := e.st.GetInbound(ctx, e.co.ID, r.InboundID)
		if err != nil {
			t.Fatal(err)
		}
		if in.State != model.InboundDone || in.Attempts > 1 {
			t.Fatalf("row %d: state %s after %d attempts (%q); want done at the first", in.ID, in.State, in.Attempts, in.LastError)
		}
		m, err := e.st.GetMessage(ctx, e.co.ID, in.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Text, "mensagem original indisponível") {
			t.Fatalf("message text %q", m.Text)
		}
	}
	ns, err := e.st.ListNotices(ctx, e.co.ID, store.NoticeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range ns {
		if x.Kind == ingest.NoticeBlobUnavailable {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d notices about unavailable mail, want 2", n)
	}
}
