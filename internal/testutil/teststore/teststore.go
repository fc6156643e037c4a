// Package teststore opens a real store for a test on either database:
// SQLite in the test's temporary directory, or a fresh PostgreSQL database
// (pgtest); it is closed when the test ends.
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

// Dialects are the databases tests run on.
var Dialects = []string{"sqlite", "postgres"}

// Open opens a migrated, empty store of dialect ("sqlite" or "postgres")
// on clk, closed in t.Cleanup.
func Open(t testing.TB, dialect string, clk clock.Clock) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	var st *sqlstore.DB
	var err error
	switch dialect {
	case "sqlite":
		st, err = sqlite.Open(ctx, filepath.Join(t.TempDir(), "atende.db"), clk)
	case "postgres":
		st, err = postgres.Open(ctx, pgtest.NewDatabase(t), clk)
	default:
		t.Fatalf("teststore: unknown dialect %q", dialect)
	}
	if err != nil {
		t.Fatalf("teststore: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
