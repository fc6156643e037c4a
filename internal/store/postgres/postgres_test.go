package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), clk)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", clock.System{})
	if err == nil {
		t.Fatal("want error for unreachable server")
	}
}

// TestBodiesLZ4: migration 0014 makes the message bodies lz4-compressed
// (the local server is built with lz4).
func TestBodiesLZ4(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), url, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, col := range []string{"text_body", "html_body", "reply_text"} {
		var c string
		if err := raw.QueryRowContext(context.Background(), "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = $1", col).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != "l" {
			t.Errorf("%s compression = %q, want l (lz4)", col, c)
		}
	}
}
