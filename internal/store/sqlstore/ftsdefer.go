package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Deferred full-text indexing (SQLite, migration 0025).
//
// FTS5 writes the terms it has gathered in memory to a new index segment
// at every savepoint, and SQLite opens one (a statement journal) for every
// statement that fires a trigger inside a transaction. With triggers
// writing messages_fts, contacts_fts and tickets_fts, each stored message
// made segments of its own, which the automerge then rewrote: a third of
// the single writer's time in a 5 KB-mail ingest profile. Now the insert
// triggers only note the row in fts_pending, and the noted rows are
// indexed together, in one statement per index (indexPending):
//
//   - by the transaction that brings the noted rows to FTSBatchRows, just
//     before it commits: under load one segment per ~85 messages instead
//     of one per transaction (a group commit holds a handful), and the
//     per-segment work (structure record, automerge) shrinks with it;
//   - by the background indexer (DB.fts, a Lagged) ftsLag after a commit that
//     left fewer noted, so a quiet moment leaves nothing behind;
//   - by a search, before it reads (ftsFresh): a search always sees every
//     committed row, whatever the indexers have got to;
//   - when a store opens, for what a stopped process left noted.
//
// The update and delete triggers leave a noted row alone (its indexing
// reads the row as it is then), so the external-content index is never
// asked to delete terms it does not hold, and a noted row deleted before
// its indexing is simply not found by it.

// FTSBatchRows is how many noted rows a transaction lets accumulate before
// it indexes them itself (each new message notes up to three: message,
// ticket, contact).
const FTSBatchRows = 256

// ftsLag is how long rows left noted by a commit wait for the background
// indexer.
const ftsLag = 200 * time.Millisecond

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

// FTSIndexPendingSQL indexes every noted row, as one script, for tools
// that write rows with their own SQL (the search benchmark's bulk seed).
var FTSIndexPendingSQL = strings.Join(ftsIndexPending, ";\n") + ";"

// indexPending indexes the rows fts_pending notes once there are at least
// atLeast of them (1: whatever is noted), on s's writer (a transaction's,
// when s is one); it returns how many it left noted.
func (s q) indexPending(ctx context.Context, atLeast int) (int, error) {
	var n int
	if err := s.wrow(ctx, "SELECT COUNT(*) FROM fts_pending").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: full-text index: %w", err)
	}
	if n == 0 || n < atLeast {
		return n, nil
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
			return n, fmt.Errorf("store: full-text index: %w", err)
		}
	}
	return 0, nil
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
		_, err := s.indexPending(ctx, 1)
		return err
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
	if _, err := (q{r: tx, w: tx, d: s.d, clk: s.clk, n: s.n}).indexPending(ctx, 1); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: full-text index: commit: %w", err)
	}
	return nil
}

// startDeferredFTS turns deferred indexing on once the schema has
// fts_pending (SQLite from migration 0025), indexes what a stopped
// process left noted and starts the background indexer.
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
	if err := db.q.indexOnWriter(ctx); err != nil {
		return err
	}
	if db.fts == nil {
		// The background indexer: what commits left noted, ftsLag after
		// the first such commit. A failure (the disk full) leaves the
		// rows noted for the next transaction, search or run. Its
		// statements are the store's upkeep, not counted in QueryCount.
		s := db.q
		s.n = nil
		db.fts = NewLagged(ftsLag, func(ctx context.Context) { _ = s.indexOnWriter(ctx) })
	}
	return nil
}
