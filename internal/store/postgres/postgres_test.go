package postgres_test

import (
	"context"
	"testing"

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
