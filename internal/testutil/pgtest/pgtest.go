// Package pgtest gives tests a fresh, empty PostgreSQL database on the
// local server (127.0.0.1:5432 unless ATENDE_TEST_POSTGRES_URL says
// otherwise), dropped when the test ends.
//
// Without a reachable server the test is skipped, unless
// ATENDE_REQUIRE_POSTGRES=1 (set by scripts/test.sh and CI), in which case
// it fails: CI must never silently skip the PostgreSQL half of the suite.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the admin connection used to create test databases.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func adminURL() string {
	if u := os.Getenv("ATENDE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates a database named atende_test_<random> and returns
// its URL; it is dropped in t.Cleanup, unless ATENDE_TEST_KEEP_DB=1 (for
// looking at a benchmark's seeded database with psql afterwards: the name
// is logged, and dropping it is up to you).
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := adminURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("ATENDE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("pgtest: PostgreSQL required but not reachable at %s: %v (run scripts/install-test-deps.sh)", admin, err)
		}
		t.Skipf("pgtest: PostgreSQL not reachable at %s (%v); set ATENDE_REQUIRE_POSTGRES=1 to fail instead", admin, err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "atende_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if os.Getenv("ATENDE_TEST_KEEP_DB") == "1" {
			t.Logf("pgtest: kept database %s (ATENDE_TEST_KEEP_DB=1)", name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: parse %s: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}

// ServerSearchVectors gives every message of the database at dbURL the
// search vector PostgreSQL made before migration 0028 (the server's
// to_tsvector of atende_fold), as an installation upgraded to 0028 has
// them. With rewrite set, the store's background rewrite
// (sqlstore RevectorSearch) is set to cover them all again, as 0028 left
// it; without, its bound stays where it was.
func ServerSearchVectors(t testing.TB, dbURL string, rewrite bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	queries := []string{`UPDATE messages SET search_tsv = to_tsvector('simple',
		atende_fold(subject || ' ' || from_name || ' ' || from_address || ' ' || left(text_body, 262144)))`}
	if rewrite {
		queries = append(queries, `UPDATE search_revector SET upto = (SELECT COALESCE(MAX(id), 0) FROM messages), done_through = 0, finished_at = NULL`)
	}
	for _, q := range queries {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("pgtest: server search vectors: %v", err)
		}
	}
}
