package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/search"
)

// Rewriting the search vectors of messages stored before PostgreSQL
// migration 0028 (the server's to_tsvector) with the Go tokenizer that
// makes every vector since (search.TSVector): a background job of the
// store, oldest first, a batch per transaction. The row of
// search_revector says how far it got; the batch's transaction locks it,
// so two nodes sharing the database take turns instead of doing the same
// rows twice, and a restart goes on where the last commit left it.

// revectorBatch is how many messages one transaction rewrites.
const revectorBatch = 200

// RevectorSearch rewrites one batch of old vectors (store.SearchUpkeep);
// done reports that none is left (or there is nothing to rewrite: SQLite).
func (db *DB) RevectorSearch(ctx context.Context) (n int, done bool, err error) {
	if db.d.Name != "postgres" {
		return 0, true, nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("store: search vectors: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var from, upto int64
	var finished sql.NullTime
	err = tx.QueryRowContext(ctx, "SELECT done_through, upto, finished_at FROM search_revector WHERE id = 1 FOR UPDATE").
		Scan(&from, &upto, &finished)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && finished.Valid) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: search vectors: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, subject, from_name, from_address, left(text_body, $3)
		FROM messages WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $4`, from, upto, search.VectorTextMax, revectorBatch)
	if err != nil {
		return 0, false, fmt.Errorf("store: search vectors: read: %w", err)
	}
	var ids []int64
	var vecs []string
	for rows.Next() {
		var id int64
		var subject, name, addr, text string
		if err := rows.Scan(&id, &subject, &name, &addr, &text); err != nil {
			rows.Close()
			return 0, false, fmt.Errorf("store: search vectors: read: %w", err)
		}
		ids, vecs = append(ids, id), append(vecs, search.TSVector(subject, name, addr, text))
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("store: search vectors: read: %w", err)
	}
	if len(ids) > 0 {
		// Setting search_tsv alone does not fire the vector trigger
		// (0026: it watches the searched fields).
		if _, err := tx.ExecContext(ctx, `UPDATE messages m SET search_tsv = CAST(v.vec AS tsvector)
			FROM unnest(CAST($1 AS bigint[]), CAST($2 AS text[])) AS v(id, vec) WHERE m.id = v.id`, ids, vecs); err != nil {
			return 0, false, fmt.Errorf("store: search vectors: write: %w", err)
		}
		from = ids[len(ids)-1]
	}
	done = len(ids) < revectorBatch
	var fin any
	if done {
		fin = db.now()
		from = upto
	}
	if _, err := tx.ExecContext(ctx, "UPDATE search_revector SET done_through = $1, finished_at = $2 WHERE id = 1", from, fin); err != nil {
		return 0, false, fmt.Errorf("store: search vectors: checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, fmt.Errorf("store: search vectors: commit: %w", err)
	}
	return len(ids), done, nil
}
