package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Deferred full-text indexing (SQLite, migration 0025).
//
// FTS5 writes the terms it has gathered in memory to a new index segment
// at every savepoint, and SQLite opens one (a statement journal) for every
// statement that fires a trigger inside a transaction. With triggers
// writing messages_fts, contacts_fts and tickets_fts, each stored message
// made segments of its own, which the automerge then rewrote: a third of
// the single writer's time in a 5 KB-mail ingest profile. Now the insert
// triggers only note the row in fts_pending, and the transaction indexes
// all its noted rows in one statement per index just before it commits
// (indexPending): one segment per transaction, committed together with the
// rows, so the index never lags a committed transaction's rows.
//
// The update and delete triggers leave a noted row alone (its indexing
// reads the row as it is at the end), so the external-content index is
// never asked to delete terms it does not hold. A row written outside a
// transaction (a single statement on the pool) stays noted until the next
// transaction commits; searches index such leftovers first (ftsFresh), and
// a store opening indexes whatever a stopped process left.

// ftsIndexPending indexes the rows fts_pending notes and clears it, one
// statement at a time (each is prepared once, in the statement cache).
var ftsIndexPending = []string{
	`INSERT INTO messages_fts (rowid, subject, from_name, from_address, text_body)
	SELECT m.id, m.subject, m.from_name, m.from_address, m.text_body
	  FROM fts_pending p CROSS JOIN messages m ON m.id = p.id WHERE p.tbl = 1 ORDER BY p.id`,
	`INSERT INTO contacts_fts (rowid, name, email)
	SELECT c.id, c.name, c.email FROM fts_pending p CROSS JOIN contacts c ON c.id = p.id WHERE p.tbl = 2 ORDER BY p.id`,
	`INSERT INTO tickets_fts (rowid, subject)
	SELECT t.id, t.subject FROM fts_pending p CROSS JOIN tickets t ON t.id = p.id WHERE p.tbl = 3 ORDER BY p.id`,
	`DELETE FROM fts_pending`,
}

// FTSIndexPendingSQL is what each transaction runs before its commit, as
// one script, for tools that write rows with their own SQL (the search
// benchmark's bulk seed).
var FTSIndexPendingSQL = strings.Join(ftsIndexPending, ";\n") + ";"

// indexPending indexes the rows fts_pending notes, on s's writer (a
// transaction's, when s is one).
func (s q) indexPending(ctx context.Context) error {
	var n int
	if err := s.wrow(ctx, "SELECT EXISTS (SELECT 1 FROM fts_pending)").Scan(&n); err != nil {
		return fmt.Errorf("store: full-text index: %w", err)
	}
	if n == 0 {
		return nil
	}
	s.count()
	for _, query := range ftsIndexPending {
		var err error
		if st := s.statement(ctx, s.w, query); st != nil {
			_, err = st.ExecContext(ctx)
		} else {
			_, err = s.w.ExecContext(ctx, query)
		}
		if err != nil {
			return fmt.Errorf("store: full-text index: %w", err)
		}
	}
	return nil
}

// ftsFresh makes the full-text indexes cover every committed row before a
// search: rows written outside a transaction are indexed here (rare: every
// transaction indexes its own). Inside a transaction it indexes what that
// transaction wrote so far.
func (s q) ftsFresh(ctx context.Context) error {
	if !s.d.deferFTS {
		return nil
	}
	if _, inTx := s.w.(*sql.Tx); inTx {
		return s.indexPending(ctx)
	}
	var n int
	if err := s.row(ctx, "SELECT EXISTS (SELECT 1 FROM fts_pending)").Scan(&n); err != nil {
		return fmt.Errorf("store: full-text index: %w", err)
	}
	if n == 0 {
		return nil
	}
	return s.indexOnWriter(ctx)
}

// indexOnWriter runs indexPending in a transaction of its own on the
// writer pool.
func (s q) indexOnWriter(ctx context.Context) error {
	w, ok := s.w.(*sql.DB)
	if !ok {
		return fmt.Errorf("store: full-text index: no writer pool")
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: full-text index: %w", err)
	}
	if err := (q{r: tx, w: tx, d: s.d, clk: s.clk, n: s.n}).indexPending(ctx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: full-text index: commit: %w", err)
	}
	return nil
}

// startDeferredFTS turns deferred indexing on once the schema has
// fts_pending (SQLite from migration 0025) and indexes what a stopped
// process left noted.
func (db *DB) startDeferredFTS(ctx context.Context) error {
	if db.d.Name != "sqlite" {
		return nil
	}
	var n int
	if err := db.w.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'fts_pending'").Scan(&n); err != nil {
		return fmt.Errorf("store: full-text index: %w", err)
	}
	if n == 0 {
		return nil
	}
	db.d.deferFTS = true
	return db.q.indexOnWriter(ctx)
}
