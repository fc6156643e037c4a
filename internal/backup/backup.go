package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"

	_ "modernc.org/sqlite" // the driver the SQLite store uses too
)

// blobColumns are the columns that hold blob keys, table by table. A
// table a snapshot does not have yet (taken before its migration) is
// skipped. TestReferencedCoversTheSchema fails when a migration adds a
// key column this list does not name: a blob nothing lists here is not
// backed up and garbage collection removes it.
var blobColumns = []struct{ table, column string }{
	{"messages", "raw_key"},
	{"attachments", "blob_key"},
	{"inbound", "raw_key"},
	{"notices", "raw_key"},
	{"canned_attachments", "blob_key"}, // a canned reply's files (0015)
	{"draft_files", "blob_key"},        // the files of an unsent reply (0030)
}

// inlineExcept leaves out the raw messages the database keeps itself
// (migration 0024): they are backed up with it, not in the blob store.
const inlineExcept = `
EXCEPT SELECT key FROM inline_blobs`

// refQuery lists every blob key the database references (the same SQL on
// SQLite and PostgreSQL) from the tables db has.
func refQuery(ctx context.Context, db *sql.DB) string {
	var q string
	for _, c := range blobColumns {
		if !hasTable(ctx, db, c.table) {
			continue
		}
		if q != "" {
			q += "\nUNION "
		}
		q += fmt.Sprintf("SELECT %s FROM %s WHERE %s <> ''", c.column, c.table, c.column)
	}
	if hasTable(ctx, db, "inline_blobs") {
		q += inlineExcept
	}
	return q
}

// Referenced returns every blob key db references that the blob store
// holds: the raw messages kept in the database itself (ingest's inline
// blobs) are left out.
func Referenced(ctx context.Context, db *sql.DB) (map[string]struct{}, error) {
	rows, err := db.QueryContext(ctx, refQuery(ctx, db))
	if err != nil {
		return nil, fmt.Errorf("backup: list referenced blobs: %w", err)
	}
	defer rows.Close()
	keys := map[string]struct{}{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("backup: list referenced blobs: %w", err)
		}
		keys[k] = struct{}{}
	}
	return keys, rows.Err()
}

// hasTable says whether db has table (a snapshot taken before the
// table's migration has not). table is one of this package's constants.
func hasTable(ctx context.Context, db *sql.DB, table string) bool {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM "+table+" WHERE 1 = 0")
	if err != nil {
		return false
	}
	rows.Close()
	return true
}

// OpenSQLite opens a SQLite file for the backup's own queries.
func OpenSQLite(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(30000)")
	if readOnly {
		q.Add("mode", "ro")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// Manifest describes a snapshot.
type Manifest struct {
	CreatedAt time.Time `json:"created_at"`
	Version   string    `json:"version"`
	Blobs     int       `json:"blobs"`
	BlobBytes int64     `json:"blob_bytes"`
	// InlineBlobs: raw messages kept in the database (in atende.db).
	InlineBlobs int64 `json:"inline_blobs,omitempty"`
	Messages    int64 `json:"messages"`
	Tickets     int64 `json:"tickets"`
	SecretKey   bool  `json:"secret_key"`
	// Missing lists referenced blobs that were missing or damaged in the
	// live store (their messages already read "mensagem original
	// indisponível").
	Missing []string `json:"missing_blobs,omitempty"`
}

// Options of a backup.
type Options struct {
	DataDir string     // the live data directory (atende.db, blobs/, secret.key)
	Blobs   blob.Store // where the live blobs are (the data dir's FS or S3)
	Out     string     // the snapshot directory to create (must not exist or be empty)
	Version string
	Now     func() time.Time
}

// Backup makes a snapshot of a running (or stopped) SQLite installation.
func Backup(ctx context.Context, o Options) (*Manifest, error) {
	if err := emptyDir(o.Out); err != nil {
		return nil, err
	}
	src := filepath.Join(o.DataDir, "atende.db")
	if _, err := os.Stat(src); err != nil {
		return nil, fmt.Errorf("backup: no database at %s: %w", src, err)
	}
	db, err := OpenSQLite(src, false)
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", src, err)
	}
	dst := filepath.Join(o.Out, "atende.db")
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, dst)
	db.Close()
	if err != nil {
		return nil, fmt.Errorf("backup: copy the database (VACUUM INTO): %w", err)
	}
	snap, err := OpenSQLite(dst, true)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	m := &Manifest{CreatedAt: o.Now().UTC(), Version: o.Version}
	_ = snap.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&m.Messages)
	_ = snap.QueryRowContext(ctx, `SELECT count(*) FROM tickets`).Scan(&m.Tickets)
	if hasTable(ctx, snap, "inline_blobs") {
		_ = snap.QueryRowContext(ctx, `SELECT count(*) FROM inline_blobs`).Scan(&m.InlineBlobs)
	}
	keys, err := Referenced(ctx, snap)
	if err != nil {
		return nil, err
	}
	out, err := blob.NewFS(filepath.Join(o.Out, "blobs"))
	if err != nil {
		return nil, err
	}
	if m.Blobs, m.BlobBytes, m.Missing, err = CopyBlobs(ctx, o.Blobs, out, keys); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(o.DataDir, "secret.key")); err == nil {
		if err := writeFile(filepath.Join(o.Out, "secret.key"), b); err != nil {
			return nil, err
		}
		m.SecretKey = true
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFile(filepath.Join(o.Out, "manifest.json"), append(mb, '\n')); err != nil {
		return nil, err
	}
	return m, nil
}

// CopyBlobs copies keys from src to dst, checking each copy's content
// against its key. Blobs missing from src (already shown as "mensagem
// original indisponível") are left out and listed in missing.
func CopyBlobs(ctx context.Context, src, dst blob.Store, keys map[string]struct{}) (n int, size int64, missing []string, err error) {
	for k := range keys {
		if ok, _ := dst.Exists(ctx, k); ok {
			n++
			continue
		}
		rc, err := src.Open(ctx, k)
		if errors.Is(err, blob.ErrNotFound) {
			missing = append(missing, k)
			continue
		}
		if err != nil {
			return n, size, missing, fmt.Errorf("backup: read blob %s: %w", k, err)
		}
		got, sz, err := dst.Put(ctx, rc, 0)
		rc.Close()
		if err != nil {
			return n, size, missing, fmt.Errorf("backup: write blob %s: %w", k, err)
		}
		if got != k {
			missing = append(missing, k) // damaged: its content hashes to got
			continue
		}
		n++
		size += sz
	}
	sort.Strings(missing)
	return n, size, missing, nil
}

// Restore brings a snapshot back into a new data directory.
func Restore(ctx context.Context, snapshot, dataDir string) (*Manifest, error) {
	var m Manifest
	mb, err := os.ReadFile(filepath.Join(snapshot, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("restore: %s is not a snapshot (no manifest.json): %w", snapshot, err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("restore: manifest.json: %w", err)
	}
	if err := emptyDir(dataDir); err != nil {
		return nil, err
	}
	src := filepath.Join(snapshot, "atende.db")
	snap, err := OpenSQLite(src, true)
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	var ok string
	if err := snap.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		return nil, fmt.Errorf("restore: the snapshot's database is damaged: %v %s", err, ok)
	}
	if err := copyFile(src, filepath.Join(dataDir, "atende.db")); err != nil {
		return nil, err
	}
	if err := forgetNodes(ctx, filepath.Join(dataDir, "atende.db")); err != nil {
		return nil, err
	}
	keys, err := Referenced(ctx, snap)
	if err != nil {
		return nil, err
	}
	in, err := blob.NewFS(filepath.Join(snapshot, "blobs"))
	if err != nil {
		return nil, err
	}
	out, err := blob.NewFS(filepath.Join(dataDir, "blobs"))
	if err != nil {
		return nil, err
	}
	if _, _, _, err := CopyBlobs(ctx, in, out, keys); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(snapshot, "secret.key")); err == nil {
		if err := writeFile(filepath.Join(dataDir, "secret.key"), b); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

// forgetNodes clears, in a restored database, the processes of the
// installation the snapshot was taken from: its node heartbeats (a live
// snapshot holds the running node's, which would make the restored server
// with the same node ID wait for "another process") and the mailbox leases
// they held. A lease row keeps its fencing token, so every later owner
// still gets a larger one.
func forgetNodes(ctx context.Context, path string) error {
	db, err := OpenSQLite(path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('nodes', 'mailbox_leases')`).Scan(&n); err != nil {
		return fmt.Errorf("restore: read the restored database: %w", err)
	}
	if n < 2 {
		return nil // a snapshot from before several nodes existed
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM nodes`); err != nil {
		return fmt.Errorf("restore: clear node heartbeats: %w", err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE mailbox_leases SET node_id = '', expires_ms = 0`); err != nil {
		return fmt.Errorf("restore: release mailbox leases: %w", err)
	}
	return db.Close()
}

// emptyDir creates dir, or accepts it when it exists and is empty.
func emptyDir(dir string) error {
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("%s is not empty: choose a new directory", dir)
	}
	return nil
}

func writeFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
