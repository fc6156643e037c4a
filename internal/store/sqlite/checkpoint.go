package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
)

// Checkpoints off the writer's path.
//
// In WAL mode every commit appends pages to the -wal file; a checkpoint
// copies them into the database file and syncs it. By default SQLite runs
// one on the committing connection whenever the WAL passes 1,000 pages:
// with one writer connection that is the writer (and every transaction
// waiting for it: accepts of SMTP and IMAP, the ingest workers' writes)
// stopping to copy ~4 MB and wait for an fsync. Here a connection of its
// own does it (a PASSIVE checkpoint: it takes no lock a writer or reader
// needs), woken by the commits and at most every checkpointEvery, so it
// runs on the other core while the writer goes on. The writer keeps an
// automatic checkpoint at walFallbackPages, far above what the
// checkpointer lets the WAL reach, for writes outside transactions and in
// case the checkpointer falls behind.

// checkpointEvery bounds how often the checkpointer runs while commits
// keep coming: at most ~1,000 pages of a busy ingest per run.
const checkpointEvery = 100 * time.Millisecond

// walFallbackPages is the writer's own automatic checkpoint (16 MiB of
// 4 KiB pages).
const walFallbackPages = 4000

type checkpointer struct {
	db  *sql.DB
	run *sqlstore.Lagged
}

func newCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// An error (the disk full, the file gone) is the writer's to report
	// on its next commit; the WAL keeps every committed page until a
	// checkpoint succeeds, and the writer's fallback bounds it.
	return &checkpointer{db: db, run: sqlstore.NewLagged(checkpointEvery, func(ctx context.Context) {
		_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	})}
}

// committed wakes the checkpointer; it never blocks the writer.
func (c *checkpointer) committed() { c.run.Kick() }

// close stops the checkpointer and closes its connection (SQLite
// checkpoints what is left when the writer's connection closes).
func (c *checkpointer) close() {
	c.run.Stop()
	_ = c.db.Close()
}
