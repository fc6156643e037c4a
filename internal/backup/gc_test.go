package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/backup"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// refsDB is a SQLite database with the store's schema whose only blob
// reference is a notice's raw mail, refKey.
func refsDB(t *testing.T, refKey string) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "atende.db")
	st, err := sqlite.Open(ctx, path, testclock.New(t))
	must(t, err)
	co := &model.Company{Slug: "acme", Name: "Acme"}
	must(t, st.CreateCompany(ctx, co))
	must(t, st.CreateNotice(ctx, &store.Notice{CompanyID: co.ID, Kind: store.NoticeForwardingConfirmation, Title: "t", RawKey: refKey}))
	must(t, st.Close())
	db, err := backup.OpenSQLite(path, true)
	must(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	refData   = []byte("referenced: the raw mail of a notice")
	oldData   = []byte("unreferenced and old")
	dupData   = []byte("unreferenced and old, but stored again while GC runs")
	youngData = []byte("unreferenced and young")
	newData   = []byte("stored while GC runs")
)

func keyOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256/" + hex.EncodeToString(s[:])
}

// s3Bucket stores the four blobs under prefix: three, then (a second
// later by the object store's clock) the young one. It returns the store
// and the cutoff that separates them (the young blob's LastModified, to
// the second: S3's HEAD has second precision).
func s3Bucket(t *testing.T, srv *s3test.Server, prefix string) (*s3blob.Store, time.Time) {
	t.Helper()
	c := srv.Config()
	c.Prefix = prefix
	c.ListPage = 2                 // several ListObjectsV2 pages for five objects
	c.TouchAfter = time.Nanosecond // every re-put refreshes (the default is an hour)
	st, err := s3blob.New(ctx, c)
	must(t, err)
	for _, d := range [][]byte{refData, oldData, dupData} {
		_, _, err := st.Put(ctx, bytes.NewReader(d), 0)
		must(t, err)
	}
	time.Sleep(1100 * time.Millisecond)
	_, _, err = st.Put(ctx, bytes.NewReader(youngData), 0)
	must(t, err)
	mods := map[string]time.Time{}
	must(t, st.List(ctx, func(key string, size int64, modified time.Time) error { mods[key] = modified; return nil }))
	if len(mods) != 4 {
		t.Fatalf("listed %d blobs, want 4: %v", len(mods), mods)
	}
	cutoff := mods[keyOf(youngData)].Truncate(time.Second)
	for _, d := range [][]byte{refData, oldData, dupData} {
		if !mods[keyOf(d)].Before(cutoff) {
			t.Fatalf("blob %q modified %v, not before the young one's %v", d, mods[keyOf(d)], cutoff)
		}
	}
	return st, cutoff
}

func exists(t *testing.T, st blob.Store, d []byte) bool {
	t.Helper()
	ok, err := st.Exists(ctx, keyOf(d))
	must(t, err)
	return ok
}

// removing is a store whose first RemoveIfOlder lets blobs arrive first:
// the bytes of a candidate stored again (a concurrent ingest of the same
// mail, its row not committed yet) and a brand new blob.
type removing struct {
	*s3blob.Store
	t    *testing.T
	once sync.Once
}

func (r *removing) RemoveIfOlder(ctx context.Context, key string, cutoff time.Time) (bool, error) {
	r.once.Do(func() {
		for _, d := range [][]byte{dupData, newData} {
			_, _, err := r.Store.Put(ctx, bytes.NewReader(d), 0)
			must(r.t, err)
		}
	})
	return r.Store.RemoveIfOlder(ctx, key, cutoff)
}

// GC on S3 (a real versitygw): referenced blobs and young unreferenced
// ones stay, old unreferenced ones go; a dry run removes nothing and
// reports what the run then removes; a blob stored again or for the first
// time while GC runs survives.
func TestGCOnS3(t *testing.T) {
	srv := s3test.Start(t)
	db := refsDB(t, keyOf(refData))
	grace := time.Hour

	t.Run("dry run, then run", func(t *testing.T) {
		st, cutoff := s3Bucket(t, srv, "dry/")
		dry, err := backup.GC(ctx, db, st, cutoff.Add(grace), grace, true)
		must(t, err)
		want := []string{keyOf(oldData), keyOf(dupData)}
		slices.Sort(want)
		if dry.Blobs != 4 || dry.Referenced != 1 || dry.Unreferenced != 3 || dry.Young != 1 || dry.Removed != 2 ||
			dry.RemovedBytes != int64(len(oldData)+len(dupData)) || !slices.Equal(dry.Keys, want) || !dry.DryRun {
			t.Fatalf("dry run %+v, want removed %v", dry, want)
		}
		// S3 is asked for what crashed uploads left (s3blob's
		// TestRemoveStaleTemps leaves and removes some); here none.
		if dry.StaleTemps == nil || *dry.StaleTemps != (blob.TempReport{}) {
			t.Fatalf("stale temporaries: %+v", dry.StaleTemps)
		}
		for _, d := range [][]byte{refData, oldData, dupData, youngData} {
			if !exists(t, st, d) {
				t.Fatalf("dry run removed %q", d)
			}
		}
		run, err := backup.GC(ctx, db, st, cutoff.Add(grace), grace, false)
		must(t, err)
		run.DryRun = true
		if run.Blobs != dry.Blobs || run.Young != dry.Young || run.Removed != dry.Removed || run.RemovedBytes != dry.RemovedBytes ||
			!slices.Equal(run.Keys, dry.Keys) {
			t.Fatalf("run %+v, dry run reported %+v", run, dry)
		}
		for d, want := range map[string]bool{string(refData): true, string(youngData): true, string(oldData): false, string(dupData): false} {
			if got := exists(t, st, []byte(d)); got != want {
				t.Fatalf("%q exists=%v after GC, want %v", d, got, want)
			}
		}
	})

	t.Run("blobs stored while it runs", func(t *testing.T) {
		st, cutoff := s3Bucket(t, srv, "race/")
		r, err := backup.GC(ctx, db, &removing{Store: st, t: t}, cutoff.Add(grace), grace, false)
		must(t, err)
		if r.Removed != 1 || !slices.Equal(r.Keys, []string{keyOf(oldData)}) || r.Young != 2 {
			t.Fatalf("report %+v: want only the old blob removed", r)
		}
		for _, d := range [][]byte{refData, youngData, dupData, newData} {
			if !exists(t, st, d) {
				t.Fatalf("%q removed", d)
			}
		}
		if exists(t, st, oldData) {
			t.Fatal("the old unreferenced blob is still there")
		}
	})

	t.Run("grace shorter than the store's touch", func(t *testing.T) {
		c := srv.Config()
		st, err := s3blob.New(ctx, c) // TouchAfter: the default hour
		must(t, err)
		if _, err := backup.GC(ctx, db, st, time.Now(), 10*time.Minute, true); err == nil {
			t.Fatal("GC with a 10 min grace on a store that refreshes after an hour")
		}
	})
}
