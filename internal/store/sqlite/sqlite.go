// Package sqlite opens Atende's embedded default store: one SQLite file
// (pure Go driver modernc.org/sqlite, no cgo), WAL mode with
// synchronous=FULL so a committed transaction survives a crash or power
// loss, and its numbered migrations.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a store for what a command does with it.
type Options struct {
	// ReaderCacheKiB bounds the page cache of each reader connection (0:
	// SQLite's default, 2,000 KiB each, up to 8 readers). `atende import`
	// reads each small raw message once and serves no searches: 256 keeps
	// its memory under its bound.
	ReaderCacheKiB int
	// WriterCheckpoints leaves WAL checkpoints to the writer, as SQLite
	// does by default, instead of the background checkpointer
	// (checkpoint.go): the baseline of BenchmarkCommit.
	WriterCheckpoints bool
}

// readers is the size of the reader pool.
const readers = 8

// Open opens (creating if needed) the database file at path and migrates
// it. clk is the program's one clock (see package store's doc).
func Open(ctx context.Context, path string, clk clock.Clock) (*sqlstore.DB, error) {
	return OpenWith(ctx, path, clk, Options{})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, clk clock.Clock, o Options) (*sqlstore.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory for %s: %w", path, err)
	}
	// A new database file is the server user's alone (0600); SQLite gives
	// its -wal and -shm files the database file's mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The writer's transactions are large (a group commit of many
	// messages, each with FTS5 index entries written by triggers): their
	// statement journals stay in memory instead of spilling to a temporary
	// file past 64 KiB (a write syscall per page; 0.12 ms of CPU per 5 KB
	// message in the ingest profile).
	wq.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoints run on a connection of their own (checkpoint.go).
	fallback := walFallbackPages
	if o.WriterCheckpoints {
		fallback = 1000 // SQLite's default
	}
	wq.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", fallback))
	w, err := sql.Open("sqlite", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer connection: SQLite allows one writer at a time, so writers
	// queue here instead of spinning on SQLITE_BUSY.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if o.ReaderCacheKiB > 0 {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", o.ReaderCacheKiB))
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	// The checkpointer (checkpoint.go), unless the writer checkpoints
	// itself (Options.WriterCheckpoints, a benchmark's baseline).
	var committed, closing func()
	if !o.WriterCheckpoints {
		c, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
		cp := newCheckpointer(c)
		committed, closing = cp.committed, cp.close
	}
	db := sqlstore.New(r, w, sqlstore.Dialect{Name: "sqlite", CacheStatements: true, IsUnique: func(err error) bool {
		return strings.Contains(err.Error(), "UNIQUE constraint failed")
	}, ReadSlots: readers, Committed: committed, Closing: closing}, clk)
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := db.Migrate(ctx, migrations, "migrations"); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return db, nil
}
