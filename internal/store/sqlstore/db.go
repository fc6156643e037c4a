package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Dialect describes what differs between the databases.
type Dialect struct {
	Name string // "sqlite" or "postgres"
	// Dollar rebinds '?' placeholders to $1, $2, ...
	Dollar bool
	// MigrationLock, when set, runs first in each migration transaction
	// (PostgreSQL: an advisory lock so two processes don't migrate at once).
	MigrationLock string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
}

// DB is a store.Store over database/sql. Reads go to r, writes to w (for
// SQLite w is a single connection so writers queue in Go, not in busy
// retries; for PostgreSQL both are the same pool).
type DB struct {
	q
	r, w *sql.DB
}

var _ store.Store = (*DB)(nil)

// New wraps open pools; call Migrate before use. clk stamps every time the
// store writes on its own (see doc.go); it must not be nil.
func New(r, w *sql.DB, d Dialect, clk clock.Clock) *DB {
	if clk == nil {
		panic("sqlstore: New needs a clock")
	}
	dd := d
	return &DB{q: q{r: r, w: w, d: &dd, clk: clk, n: new(atomic.Int64)}, r: r, w: w}
}

// dbtx is what *sql.DB and *sql.Tx share.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// q implements store.Queries on a pool or a transaction.
type q struct {
	r, w dbtx
	d    *Dialect
	clk  clock.Clock
	n    *atomic.Int64 // statements run (QueryCount)
}

func (s q) count() {
	if s.n != nil { // nil in a q built elsewhere without a counter
		s.n.Add(1)
	}
}

// QueryCount is the number of SQL statements this store has run (all
// connections, transactions included): tests bound a page's queries by it.
func (db *DB) QueryCount() int64 { return db.n.Load() }

// Dialect reports the database kind.
func (db *DB) Dialect() string { return db.d.Name }

// Ping checks both pools.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if db.w != db.r {
		if err := db.w.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping writer: %w", err)
		}
	}
	var one int
	if err := db.w.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping query: %w", err)
	}
	return nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.r.Close()
	if db.w != db.r {
		err = errors.Join(err, db.w.Close())
	}
	return err
}

// Tx runs fn in a transaction on the writer.
func (db *DB) Tx(ctx context.Context, fn func(store.Queries) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(q{r: tx, w: tx, d: db.d, clk: db.clk, n: db.n}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// rebind turns '?' into $n for PostgreSQL. Queries in this package never
// contain a literal '?'.
func (d *Dialect) rebind(query string) string {
	if !d.Dollar {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s.count()
	return s.w.ExecContext(ctx, s.d.rebind(query), args...)
}

func (s q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s.count()
	return s.r.QueryContext(ctx, s.d.rebind(query), args...)
}

func (s q) row(ctx context.Context, query string, args ...any) *sql.Row {
	s.count()
	return s.r.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// wrow is a single-row query that writes (INSERT/UPDATE ... RETURNING).
func (s q) wrow(ctx context.Context, query string, args ...any) *sql.Row {
	s.count()
	return s.w.QueryRowContext(ctx, s.d.rebind(query), args...)
}

// notFound maps sql.ErrNoRows to store.ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", what, store.ErrNotFound)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Migrate applies the embedded numbered migrations (files NNNN_name.sql
// under dir) that are not yet recorded, each in its own transaction.
func (db *DB) Migrate(ctx context.Context, files embed.FS, dir string) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	type mig struct {
		version int
		name    string
	}
	var migs []mig
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("store: migration %q: name must be NNNN_name.sql", name)
		}
		migs = append(migs, mig{v, name})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for _, m := range migs {
		body, err := fs.ReadFile(files, dir+"/"+m.name)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", m.name, err)
		}
		err = db.Tx(ctx, func(qq store.Queries) error {
			tx := qq.(q)
			if db.d.MigrationLock != "" {
				if _, err := tx.w.ExecContext(ctx, db.d.MigrationLock); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			var n int
			if err := tx.row(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.w.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("apply: %w", err)
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, db.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the highest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := db.row(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// nullID maps 0 to NULL for optional foreign keys.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// now is the store's clock in UTC.
func (s q) now() time.Time { return s.clk.Now().UTC() }

// stamp is t in UTC, or now when t is unset.
func (s q) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return s.now()
	}
	return t.UTC()
}
