package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
)

// TestBackgroundCheckpoint: committed pages reach the database file
// without the writer checkpointing (its own automatic checkpoint starts
// only at 16 MiB of WAL): a connection of its own copies them shortly
// after the commits, and the data reads back whole after a reopen.
func TestBackgroundCheckpoint(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atende.db")
	s := openFile(t, path)
	defer func() { s.Close() }()
	co, ch, _ := storetest.Company(t, s, "acme")
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	// ~2 MiB of text in a few transactions: far below the writer's own
	// automatic checkpoint, above SQLite's default (1,000 pages).
	body := strings.Repeat("texto do cliente sobre o pedido ", 8<<10)
	var ids []int64
	for tx := 0; tx < 8; tx++ {
		if err := s.Tx(ctx, func(q store.Queries) error {
			c, err := q.UpsertContact(ctx, co.ID, fmt.Sprintf("c%d@example.com", tx), "")
			if err != nil {
				return err
			}
			tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: c.ID, Subject: "Pedido", Status: model.StatusOpen,
				ReplyToken: fmt.Sprint("rt-", tx)}
			if err := q.CreateTicket(ctx, tk); err != nil {
				return err
			}
			m := &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: ch.ID, Direction: model.DirIn, Text: body}
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for size() < before+2<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes 5 s after the commits (was %d): the WAL was not checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openFile(t, path)
	for _, id := range ids {
		m, err := s.GetMessage(ctx, co.ID, id)
		if err != nil || m.Text != body {
			t.Fatalf("message %d after reopen: %v", id, err)
		}
	}
}

// BenchmarkCommit is the single writer committing one new ticket with a
// 5 KB message per transaction, back to back, with checkpoints on the
// writer (SQLite's default) and on the background connection: commits/s
// and the p99 of one commit.
func BenchmarkCommit(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("background=%v", on), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.OpenWith(ctx, filepath.Join(b.TempDir(), "atende.db"), clock.System{}, sqlite.Options{WriterCheckpoints: !on})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			co, ch, _ := storetest.Company(b, s, "acme")
			body := strings.Repeat("Fiz um pedido na semana passada e não recebi. ", 5<<10/47)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := s.Tx(ctx, func(q store.Queries) error {
					c, err := q.UpsertContact(ctx, co.ID, fmt.Sprintf("c%d@example.com", i%500), "Cliente")
					if err != nil {
						return err
					}
					tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: c.ID, Subject: fmt.Sprint("Pedido ", i),
						Status: model.StatusOpen, ReplyToken: fmt.Sprint("rt-", i)}
					if err := q.CreateTicket(ctx, tk); err != nil {
						return err
					}
					return q.CreateMessage(ctx, &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: ch.ID,
						Direction: model.DirIn, Subject: tk.Subject, Text: body, DedupeKey: fmt.Sprint("d", i)})
				}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			el := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/el.Seconds(), "commits/s")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
		})
	}
}

// openFile opens (creating and migrating) the store at path.
func openFile(t testing.TB, path string) *sqlstore.DB {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
