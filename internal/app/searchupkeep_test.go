package app

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

// TestRewriteSearchVectors: serve's upkeep rewrites every old vector
// (two batches here) and stops, saying so once; a stop in the middle
// ends it at once.
func TestRewriteSearchVectors(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st, err := postgres.Open(ctx, url, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	co, ch, contact := storetest.Company(t, st, "acme")
	tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: contact.ID, Subject: "Old", ReplyToken: "rt-old"}
	if err := st.Tx(ctx, func(q store.Queries) error {
		if err := q.CreateTicket(ctx, tk); err != nil {
			return err
		}
		for i := range 201 {
			m := &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
				From: model.Address{Address: "cliente@example.com"}, Text: fmt.Sprintf("Straße %d", i)}
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	oldRows := func() int {
		t.Helper()
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE search_tsv @@ to_tsquery('simple', 'strasse')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Stopped before it starts: nothing done, no error.
	pgtest.ServerSearchVectors(t, url, true)
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := rewriteSearchVectors(stopped, st, discardLog()); err != nil || oldRows() != 201 {
		t.Fatalf("stopped: %v, %d old rows left, want 201", err, oldRows())
	}

	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	done := make(chan error, 1)
	go func() { done <- rewriteSearchVectors(ctx, st, log) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still rewriting after 30 s")
	}
	if n := oldRows(); n != 0 {
		t.Errorf("%d old vectors left", n)
	}
	if !strings.Contains(logs.String(), "old search vectors rewritten") || !strings.Contains(logs.String(), "messages=201") {
		t.Errorf("log: %s", logs.String())
	}
}
