package backup_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/backup"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var _ = stdlib.GetDefaultDriver // the "pgx" database/sql driver

// keyColumns lists every column of db's schema whose name ends in
// "raw_key" or "blob_key", as "table.column".
func keyColumns(t *testing.T, db *sql.DB, dialect string) []string {
	t.Helper()
	query := `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`
	if dialect == "sqlite" {
		query = `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`
	}
	rows, err := db.QueryContext(ctx, query)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var table, column string
		must(t, rows.Scan(&table, &column))
		if strings.HasSuffix(column, "raw_key") || strings.HasSuffix(column, "blob_key") {
			out = append(out, table+"."+column)
		}
	}
	must(t, rows.Err())
	if len(out) < 4 {
		t.Fatalf("%s schema: found only %v; the query no longer sees the tables", dialect, out)
	}
	return out
}

// Every column of the schema that holds a blob key is one Referenced
// reads, on SQLite and PostgreSQL: a key it misses is left out of
// backups and removed by gc-blobs once older than the grace period (the
// files of canned replies were, before canned_attachments was listed).
func TestReferencedCoversTheSchema(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range backup.BlobColumns() {
		covered[c] = true
	}
	check := func(t *testing.T, db *sql.DB, dialect string) {
		for _, col := range keyColumns(t, db, dialect) {
			if !covered[col] {
				t.Errorf("%s: column %s holds blob keys but backup.Referenced does not read it", dialect, col)
			}
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "atende.db")
		st, err := sqlite.Open(ctx, path, testclock.New(t))
		must(t, err)
		must(t, st.Close())
		db, err := backup.OpenSQLite(path, true)
		must(t, err)
		defer db.Close()
		check(t, db, "sqlite")
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		st, err := postgres.Open(ctx, url, testclock.New(t))
		must(t, err)
		must(t, st.Close())
		db, err := sql.Open("pgx", url)
		must(t, err)
		defer db.Close()
		check(t, db, "postgres")
	})
}

// A canned reply's files are referenced: backed up, never collected.
func TestReferencedKeepsCannedReplyFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "atende.db")
	st, err := sqlite.Open(ctx, path, testclock.New(t))
	must(t, err)
	co := &model.Company{Slug: "acme", Name: "Acme"}
	must(t, st.CreateCompany(ctx, co))
	file := keyOf([]byte("the price list a canned reply sends"))
	must(t, st.CreateCannedReply(ctx, &store.CannedReply{CompanyID: co.ID, Title: "Preços", Body: "Segue a tabela.",
		Attachments: []store.CannedAttachment{{BlobKey: file, Filename: "precos.pdf", ContentType: "application/pdf", Size: 35}}}))
	must(t, st.Close())
	db, err := backup.OpenSQLite(path, true)
	must(t, err)
	defer db.Close()
	refs, err := backup.Referenced(ctx, db)
	must(t, err)
	if _, ok := refs[file]; !ok {
		t.Fatalf("Referenced = %v, without the canned reply's file %s", fmt.Sprint(refs), file)
	}
}
