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
	// CacheStatements keeps prepared statements (see stmtCache).
	CacheStatements bool
	// PlanEachTime, when set, goes first in the arguments of a query
	// whose best plan depends on its values (see queryPlanned). For
	// PostgreSQL it is pgx.QueryExecModeCacheDescribe: the query runs on
	// the unnamed statement, which the server plans with the values every
	// time, instead of on a cached named statement whose generic plan
	// (taken after five executions) cannot tell a rare word from a common
	// one: search walked all 1,000,000 messages by id for a rare word
	// (0.75 s) where the plan for the value reads 200 rows from the index.
	PlanEachTime any
	// deferFTS: the SQLite full-text indexes are written at the end of
	// each transaction (ftsdefer.go); set once the schema has fts_pending.
	deferFTS bool
	// ReadSlots, when set, is the number of connections of the reader
	// pool that is not the writer's (SQLite): reads outside transactions
	// wait for one in arrival order (readgate.go).
	ReadSlots int
	// Committed, when set, is called after each transaction of Tx commits
	// (SQLite: wakes the background checkpointer).
	Committed func()
	// Closing, when set, runs first in Close (SQLite: stops the
	// checkpointer, which has a connection of its own).
	Closing func()
}

// DB is a store.Store over database/sql. Reads go to r, writes to w (for
// SQLite w is a single connection so writers queue in Go, not in busy
// retries; for PostgreSQL both are the same pool).
type DB struct {
	q
	r, w *sql.DB
	fts  *Lagged // SQLite: indexes what commits left noted (ftsdefer.go)
}

// statement returns a prepared statement for query on the pool, or nil.
func (s q) statement(ctx context.Context, pool dbtx, query string) *sql.Stmt {
	if s.sc == nil {
		return nil
	}
	if s.tx != nil {
		return s.tx.stmt(ctx, query)
	}
	if p, ok := pool.(*sql.DB); ok {
		return s.sc.prepare(ctx, p, query)
	}
	return nil
}

var _ store.Store = (*DB)(nil)

// New wraps open pools; call Migrate before use. clk stamps every time the
// store writes on its own (see doc.go); it must not be nil.
func New(r, w *sql.DB, d Dialect, clk clock.Clock) *DB {
	if clk == nil {
		panic("sqlstore: New needs a clock")
	}
	dd := d
	var sc *stmtCache
	if d.CacheStatements {
		sc = &stmtCache{m: map[stmtKey]*sql.Stmt{}}
	}
	var gate readGate
	if d.ReadSlots > 0 {
		gate = make(readGate, d.ReadSlots)
	}
	return &DB{q: q{r: r, w: w, d: &dd, clk: clk, sc: sc, n: new(atomic.Int64), gate: gate}, r: r, w: w}
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
	sc   *stmtCache    // nil: no statement cache
	tx   *txStmts      // set inside a transaction with a cache
	n    *atomic.Int64 // statements run (QueryCount)
	gate readGate      // nil: reads wait in database/sql (readgate.go)
}

func (s q) count() {
	if s.n != nil { // nil in a q built elsewhere without a counter
		s.n.Add(1)
	}
}

// QueryCount is the number of SQL statements this store has run for its
// callers (all connections, transactions included; not its background
// upkeep, such as the deferred full-text indexing): tests bound a page's
// queries by it.
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
	if db.fts != nil {
		db.fts.Stop()
	}
	if db.d.Closing != nil {
		db.d.Closing()
	}
	if db.sc != nil {
		db.sc.close()
	}
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
	inner := q{r: tx, w: tx, d: db.d, clk: db.clk, n: db.n}
	if db.sc != nil {
		inner.sc = db.sc
		inner.tx = &txStmts{cache: db.sc, pool: db.w, tx: tx}
	}
	if err := fn(inner); err != nil {
		_ = tx.Rollback()
		db.prepareMissed(ctx, inner.tx)
		return err
	}
	noted := 0
	if db.d.deferFTS {
		// The full-text rows of what this and earlier transactions
		// wrote, once there are FTSBatchRows of them (ftsdefer.go).
		if noted, err = inner.indexPending(ctx, FTSBatchRows); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if noted > 0 && db.fts != nil {
		db.fts.Kick()
	}
	if db.d.Committed != nil {
		db.d.Committed()
	}
	db.prepareMissed(ctx, inner.tx)
	return nil
}

// prepareMissed prepares the statements a transaction ran unprepared, now
// that the writer connection is free again.
func (db *DB) prepareMissed(ctx context.Context, t *txStmts) {
	if t == nil {
		return
	}
	for _, query := range t.missed {
		db.sc.prepare(context.WithoutCancel(ctx), db.w, query)
	}
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
	if st := s.statement(ctx, s.w, s.d.rebind(query)); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return s.w.ExecContext(ctx, s.d.rebind(query), args...)
}

func (s q) query(ctx context.Context, query string, args ...any) (*rows, error) {
	s.count()
	leave, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	var rs *sql.Rows
	if st := s.statement(ctx, s.r, s.d.rebind(query)); st != nil {
		rs, err = st.QueryContext(ctx, args...)
	} else {
		rs, err = s.r.QueryContext(ctx, s.d.rebind(query), args...)
	}
	return gatedRows(rs, err, leave)
}

// gatedRows pairs a query's rows with the release of its reader slot
// (released at once when the query failed).
func gatedRows(rs *sql.Rows, err error, leave func()) (*rows, error) {
	if err != nil {
		if leave != nil {
			leave()
		}
		return nil, err
	}
	return &rows{Rows: rs, release: leave}, nil
}

// queryPlanned is query for statements that must be planned with their
// values each time (Dialect.PlanEachTime); it bypasses the statement cache.
func (s q) queryPlanned(ctx context.Context, query string, args ...any) (*rows, error) {
	if s.d.PlanEachTime == nil {
		return s.query(ctx, query, args...)
	}
	s.count()
	leave, err := s.enter(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.r.QueryContext(ctx, s.d.rebind(query), append([]any{s.d.PlanEachTime}, args...)...)
	return gatedRows(rs, err, leave)
}

func (s q) row(ctx context.Context, query string, args ...any) *row {
	s.count()
	leave, err := s.enter(ctx)
	if err != nil {
		return &row{err: err}
	}
	if st := s.statement(ctx, s.r, s.d.rebind(query)); st != nil {
		return &row{r: st.QueryRowContext(ctx, args...), release: leave}
	}
	return &row{r: s.r.QueryRowContext(ctx, s.d.rebind(query), args...), release: leave}
}

// wrow is a single-row query that writes (INSERT/UPDATE ... RETURNING).
func (s q) wrow(ctx context.Context, query string, args ...any) *sql.Row {
	s.count()
	if st := s.statement(ctx, s.w, s.d.rebind(query)); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
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
	return db.startDeferredFTS(ctx)
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

// Savepoint runs fn inside a savepoint of the current transaction (see
// store.Savepointer). Outside a transaction it is an error.
func (s q) Savepoint(ctx context.Context, fn func(store.Queries) error) (err error) {
	tx, ok := s.w.(*sql.Tx)
	if !ok {
		return errors.New("store: savepoint outside a transaction")
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT atende_sp"); err != nil {
		return fmt.Errorf("store: savepoint: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_, _ = tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT atende_sp")
			panic(p)
		}
	}()
	if err := fn(s); err != nil {
		if _, err2 := tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT atende_sp"); err2 != nil {
			return errors.Join(err, fmt.Errorf("store: rollback to savepoint: %w", err2))
		}
		_, _ = tx.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT atende_sp")
		return err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT atende_sp"); err != nil {
		return fmt.Errorf("store: release savepoint: %w", err)
	}
	return nil
}
