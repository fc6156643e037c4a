package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

// TestSessionsWithoutJIT: our sessions run with JIT compilation off (a
// 2 ms search cost 45 ms compiling when its estimate passed
// jit_above_cost), unless the database URL asks for it.
func TestSessionsWithoutJIT(t *testing.T) {
	url := pgtest.NewDatabase(t)
	show := func(u string) string {
		t.Helper()
		cfg, err := connConfig(u)
		if err != nil {
			t.Fatal(err)
		}
		db := stdlib.OpenDB(*cfg)
		defer db.Close()
		var v string
		if err := db.QueryRowContext(context.Background(), "SHOW jit").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := show(url); v != "off" {
		t.Errorf("jit = %q by default, want off", v)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	if v := show(url + sep + "options=-c%20jit%3Don"); v != "on" {
		t.Errorf("jit = %q with options=-c jit=on in the URL, want on", v)
	}
}
