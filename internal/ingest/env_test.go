package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
)

var ctx = context.Background()

type env struct {
	st store.Store
	bl *blob.FS
	// blobs reads what bl has and what the store keeps inline (small raw
	// messages, as `serve` runs ingest).
	blobs blob.Store
	svc   *ingest.Service
	co    *model.Company
	ch    *model.Channel
	clk   *clock.Fake
	// dialect is "sqlite" or "postgres".
	dialect string
}

// dialects runs fn once on SQLite and once on PostgreSQL.
func dialects(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d, 0)) })
	}
}

func newEnv(t testing.TB, dialect string, maxSize int64) *env {
	t.Helper()
	dir := t.TempDir()
	clk := testclock.New(t)
	st := teststore.Open(t, dialect, clk)
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	ch := &model.Channel{CompanyID: co.ID, Slug: "suporte", Name: "Suporte", Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return &env{st: st, bl: bl, blobs: ingest.Blobs(st, bl), co: co, ch: ch, clk: clk, dialect: dialect,
		svc: ingest.New(st, bl, clk, log, ingest.Config{MaxSize: maxSize, InlineMax: ingest.DefaultInlineMax})}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// drain processes until no pending rows remain.
func (e *env) drain(t testing.TB) {
	t.Helper()
	for i := 0; i < 10000; i++ {
		n, err := e.svc.ProcessPending(ctx, ingest.WorkerConfig{Batch: 64})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("drain: still pending")
}

func (e *env) accept(t testing.TB, source string, raw []byte) ingest.Result {
	t.Helper()
	res, err := e.svc.Accept(ctx, e.ch, source, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (e *env) counts(t testing.TB) (tickets, messages int) {
	t.Helper()
	var err error
	if tickets, err = e.st.CountTickets(ctx, e.co.ID); err != nil {
		t.Fatal(err)
	}
	if messages, err = e.st.CountMessages(ctx, e.co.ID); err != nil {
		t.Fatal(err)
	}
	return
}

// mail builds a small RFC 5322 message.
func mail(from, subject, msgID, inReplyTo, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: Suporte <suporte@acme.test>\r\nSubject: %s\r\nDate: %s\r\n", from, subject,
		time.Date(2024, 6, 5, 10, 0, 0, 0, time.UTC).Format(time.RFC1123Z))
	if msgID != "" {
		fmt.Fprintf(&b, "Message-ID: <%s>\r\n", msgID)
	}
	if inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", inReplyTo, inReplyTo)
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
	return b.Bytes()
}
