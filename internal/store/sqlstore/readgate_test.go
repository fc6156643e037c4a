package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"

	_ "modernc.org/sqlite"
)

// TestReadGateArrivalOrder: readers waiting for a slot get one in the
// order they came (database/sql alone picks a random waiter).
func TestReadGateArrivalOrder(t *testing.T) {
	g := make(readGate, 1)
	ctx := context.Background()
	if err := g.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var mu sync.Mutex
	var order []int
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.acquire(ctx); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.release()
		}()
		// It queues before the next one comes.
		waitQueued(t, i+1)
	}
	g.release()
	wg.Wait()
	for i, v := range order {
		if v != i {
			t.Fatalf("admitted in order %v, want arrival order", order)
		}
	}
}

// waitQueued waits until n goroutines are blocked in readGate.acquire.
func waitQueued(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		queued := 0
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, "readGate.acquire") && (strings.Contains(header, "[select") || strings.Contains(header, "[chan send")) {
				queued++
			}
		}
		if queued >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d readers queued after 10 s", queued, n)
		}
	}
}

// TestReadGateReleases: every way a read ends gives its slot back (a row
// scanned, rows read to the end without Close, rows closed early, a query
// that fails, a wait given up), and a wait for a slot ends with its
// context.
func TestReadGateReleases(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gate.db")
	pool := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(2)
		return db
	}
	r, w := pool(), pool()
	db := New(r, w, Dialect{Name: "sqlite", ReadSlots: 2}, testclock.New(t))
	defer db.Close()
	if _, err := w.ExecContext(ctx, "CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1), (2), (3)"); err != nil {
		t.Fatal(err)
	}
	free := func(when string) {
		t.Helper()
		if n := len(db.gate); n != 0 {
			t.Fatalf("%s: %d reader slots still taken", when, n)
		}
	}
	for i := 0; i < 10; i++ { // more rounds than slots: a leak blocks
		var v int
		if err := db.row(ctx, "SELECT v FROM t WHERE v = 2").Scan(&v); err != nil || v != 2 {
			t.Fatalf("row: %d %v", v, err)
		}
		if err := db.row(ctx, "SELECT v FROM t WHERE v = 9").Scan(&v); !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("no row: %v", err)
		}
		rs, err := db.query(ctx, "SELECT v FROM t ORDER BY v")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rs.Next() {
			n++
		}
		if n != 3 || rs.Err() != nil {
			t.Fatalf("rows: %d %v", n, rs.Err())
		}
		rs, err = db.query(ctx, "SELECT v FROM t ORDER BY v")
		if err != nil {
			t.Fatal(err)
		}
		rs.Next()
		rs.Close()
		rs.Close() // twice: released once
		if _, err := db.query(ctx, "SELECT nope FROM t"); err == nil {
			t.Fatal("a bad query succeeded")
		}
		if _, err := db.queryPlanned(ctx, "SELECT nope FROM t"); err == nil {
			t.Fatal("a bad planned query succeeded")
		}
		free("after reads")
	}

	// Both slots held: a read waits, and gives up with its context.
	a, _ := db.query(ctx, "SELECT v FROM t")
	b, _ := db.query(ctx, "SELECT v FROM t")
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	var v int
	if err := db.row(short, "SELECT 1").Scan(&v); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a read with every slot taken: %v, want the context's deadline", err)
	}
	if _, err := db.query(short, "SELECT 1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a query with every slot taken: %v", err)
	}
	// Writes that return rows (a claim of the ingest queue) take none.
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	got, err := list(wctx, db.q.writer(), "write", func(sc interface{ Scan(...any) error }) (*int, error) {
		var v int
		return &v, sc.Scan(&v)
	}, "UPDATE t SET v = v WHERE v = 3 RETURNING v")
	if err != nil || len(got) != 1 {
		t.Fatalf("a write returning rows with every read slot taken: %v %v", got, err)
	}
	// Inside a transaction reads use its connection, not a slot.
	if err := db.Tx(ctx, func(qs store.Queries) error { return qs.(q).row(ctx, "SELECT 1").Scan(&v) }); err != nil {
		t.Fatalf("a read in a transaction with every slot taken: %v", err)
	}
	a.Close()
	b.Close()
	free("after the waits gave up")
}
