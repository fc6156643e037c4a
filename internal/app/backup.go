package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/backup"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/config"
)

// backupCmd: atende backup [--data DIR] OUT makes a consistent snapshot of
// a running installation (package backup). With PostgreSQL it copies the
// blobs the database references (run pg_dump first; README "Backups").
func backupCmd(ctx context.Context, args []string, sys IO) error {
	cfg, rest, err := loadConfig("backup", args, sys, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"usage: atende backup [--data DIR] OUT (OUT: a new or empty directory)"}
	}
	out := rest[0]
	bl, _, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	if cfg.DatabaseURL != "" {
		db, err := sql.Open("pgx", cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer db.Close()
		keys, err := backup.Referenced(ctx, db)
		if err != nil {
			return err
		}
		dst, err := blob.NewFS(filepath.Join(out, "blobs"))
		if err != nil {
			return err
		}
		n, size, missing, err := backup.CopyBlobs(ctx, bl, dst, keys)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			fmt.Fprintf(sys.Err, "warning: %d referenced blobs are missing or damaged in the blob store (first: %s)\n", len(missing), missing[0])
		}
		fmt.Fprintf(sys.Out, "Copied %d blobs (%d bytes) the PostgreSQL database references to %s in %v.\n"+
			"The database itself is backed up with pg_dump (taken BEFORE this copy): pg_dump -Fc -f %s/atende.pgdump \"$ATENDE_DATABASE_URL\"\n",
			n, size, filepath.Join(out, "blobs"), time.Since(start).Round(time.Millisecond), out)
		return nil
	}
	m, err := backup.Backup(ctx, backup.Options{DataDir: cfg.DataDir, Blobs: bl, Out: out, Version: Version, Now: sys.Clock.Now})
	if err != nil {
		return err
	}
	if len(m.Missing) > 0 {
		fmt.Fprintf(sys.Err, "warning: %d referenced blobs are missing or damaged in the blob store (listed in manifest.json)\n", len(m.Missing))
	}
	inline := ""
	if m.InlineBlobs > 0 {
		inline = fmt.Sprintf(" (and %d small raw messages inside the database)", m.InlineBlobs)
	}
	fmt.Fprintf(sys.Out, "Snapshot in %s: %d tickets, %d messages, %d blobs (%d bytes)%s%s, in %v.\nRestore with: atende restore --data NEWDIR %s\n",
		out, m.Tickets, m.Messages, m.Blobs, m.BlobBytes, inline, map[bool]string{true: ", the secret key", false: ""}[m.SecretKey],
		time.Since(start).Round(time.Millisecond), out)
	return nil
}

// restoreCmd: atende restore --data NEWDIR SNAPSHOT.
func restoreCmd(ctx context.Context, args []string, sys IO) error {
	cfg, rest, err := loadConfig("restore", args, sys, nil)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"usage: atende restore --data NEWDIR SNAPSHOT (NEWDIR: a new or empty directory)"}
	}
	if cfg.DatabaseURL != "" || cfg.Blobs != "" {
		return usageError{"restore brings back a SQLite snapshot into a data directory; for PostgreSQL use pg_restore and copy the snapshot's blobs/ (README \"Backups\")"}
	}
	m, err := backup.Restore(ctx, rest[0], cfg.DataDir)
	if err != nil {
		return err
	}
	inline := ""
	if m.InlineBlobs > 0 {
		inline = fmt.Sprintf(", %d small raw messages inside the database", m.InlineBlobs)
	}
	fmt.Fprintf(sys.Out, "Restored the snapshot of %s (%d tickets, %d messages, %d blobs%s) into %s.\nStart it with: atende serve --data %s\n",
		m.CreatedAt.Format(time.RFC3339), m.Tickets, m.Messages, m.Blobs, inline, cfg.DataDir, cfg.DataDir)
	return nil
}

// adminGCBlobs: atende admin gc-blobs [--dry-run] [--grace 24h], on the
// filesystem store or the S3 bucket of --blobs.
func adminGCBlobs(ctx context.Context, args []string, sys IO) error {
	var dry bool
	grace := backup.DefaultGrace
	cfg, rest, err := loadConfig("admin gc-blobs", args, sys, func(_ *config.Config, fs *flag.FlagSet) {
		fs.BoolVar(&dry, "dry-run", false, "report what would be removed, remove nothing")
		fs.DurationVar(&grace, "grace", grace, "keep unreferenced blobs written within this long (a concurrent ingest's)")
	})
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	}
	// The configured store: the data directory's files, or --blobs s3://…
	bl, _, err := openBlobs(ctx, cfg)
	if err != nil {
		return err
	}
	st, ok := bl.(blob.Collectable)
	if !ok {
		return fmt.Errorf("gc-blobs: the blob store %T cannot be collected", bl)
	}
	var db *sql.DB
	if cfg.DatabaseURL != "" {
		db, err = sql.Open("pgx", cfg.DatabaseURL)
	} else {
		db, err = backup.OpenSQLite(cfg.SQLitePath(), true)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	// File times and S3's LastModified are wall clocks' (S3's is the
	// object store's): compare with the wall clock; the grace period
	// dwarfs any skew.
	r, err := backup.GC(ctx, db, st, time.Now(), grace, dry)
	if err != nil {
		return err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	fmt.Fprintln(sys.Out, string(b))
	return nil
}

var _ = stdlib.GetDefaultDriver // the "pgx" database/sql driver
