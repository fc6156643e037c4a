// Package postgres opens Atende's PostgreSQL store (pgx through
// database/sql) and applies its numbered migrations, which use the same
// version numbers as the SQLite ones.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// maxConns bounds the pool.
const maxConns = 20

// readSlots is how many reads outside transactions run at once; the rest
// queue in arrival order (sqlstore's read gate) instead of waiting for a
// connection in database/sql, which hands a freed one to a random waiter.
// More reads at once than about twice the cores only share the CPU
// (measured, 2 cores, 50 clients on the list-and-search mix: 4 slots
// 477 req/s p99 160 ms; 8: 476, 212; 12: 344, 373; no gate, 20
// connections: 407, 382). The pool's other connections stay free for
// writes (ingest's transactions, an agent's reply).
func readSlots() int { return min(max(4, 2*runtime.GOMAXPROCS(0)), maxConns-4) }

// Open connects to the database at url (postgres://...) and migrates it.
// clk is the program's one clock (see package store's doc).
func Open(ctx context.Context, url string, clk clock.Clock) (*sqlstore.DB, error) {
	cfg, err := connConfig(url)
	if err != nil {
		return nil, err
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(10)
	db := sqlstore.New(pool, pool, sqlstore.Dialect{
		Name:   "postgres",
		Dollar: true,
		// Serialise concurrent migrations from several processes.
		MigrationLock: "SELECT pg_advisory_xact_lock(7301947101)",
		PlanEachTime:  pgx.QueryExecModeCacheDescribe,
		ReadSlots:     readSlots(),
		IsUnique: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
	}, clk)
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s@%s:%d/%s: %w", cfg.User, cfg.Host, cfg.Port, cfg.Database, err)
	}
	if err := db.Migrate(ctx, migrations, "migrations"); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// connConfig parses url and sets what our sessions need. JIT compilation
// is off unless the URL asks for it (options=-c jit=on): it pays off for
// long analytic queries, not for ours, and the planner's cost estimate of
// a gated branch that never runs (search's walk for a common prefix) put a
// 2 ms search over jit_above_cost: 45 ms compiling.
func connConfig(url string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse ATENDE_DATABASE_URL: %w", err)
	}
	if _, ok := cfg.RuntimeParams["jit"]; !ok && !strings.Contains(cfg.RuntimeParams["options"], "jit") {
		cfg.RuntimeParams["jit"] = "off"
	}
	return cfg, nil
}
