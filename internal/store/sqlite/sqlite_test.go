package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "atende.db"), clk)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atende.db")
	db, err := sqlite.Open(ctx, path, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := db.SchemaVersion(ctx)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = sqlite.Open(ctx, path, clock.System{}) // migrations already applied: no error, same version
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v2, _ := db.SchemaVersion(ctx)
	if v1 != v2 || v1 < 1 {
		t.Fatalf("versions %d %d", v1, v2)
	}
}
