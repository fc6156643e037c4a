package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

const crashTotal = 2000

// crashMail is message i of the crash test: distinct content, distinct
// sender; every tenth is over DefaultInlineMax (a blob file, the others are
// kept in the database, as `serve` stores them).
func crashMail(i int) []byte {
	n := 40
	if i%10 == 0 {
		n = ingest.DefaultInlineMax/20 + 1
	}
	body := bytes.Repeat([]byte(fmt.Sprintf("linha %d do pedido; ", i)), n)
	return mail(fmt.Sprintf("cliente%d@example.com", i), fmt.Sprintf("Pedido %d", i), fmt.Sprintf("crash-%d@example.com", i), "", string(body))
}

// openCrashEnv opens the store named by the environment (child and parent share it).
func openCrashEnv(dir, pgURL string) (store.Store, *blob.FS, *model.Channel, error) {
	ctx := context.Background()
	var st store.Store
	var err error
	if pgURL != "" {
		st, err = postgres.Open(ctx, pgURL, clock.System{})
	} else {
		st, err = sqlite.Open(ctx, filepath.Join(dir, "atende.db"), clock.System{})
	}
	if err != nil {
		return nil, nil, nil, err
	}
	bl, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, nil, nil, err
	}
	co, err := st.GetCompanyBySlug(ctx, "crash")
	if errors.Is(err, store.ErrNotFound) {
		co = &model.Company{Slug: "crash", Name: "Crash"}
		if err = st.CreateCompany(ctx, co); err != nil {
			return nil, nil, nil, err
		}
		ch := &model.Channel{CompanyID: co.ID, Slug: "c", Name: "C", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "crash"}
		if err = st.CreateChannel(ctx, ch); err != nil {
			return nil, nil, nil, err
		}
	} else if err != nil {
		return nil, nil, nil, err
	}
	ch, err := st.GetChannelBySlug(ctx, co.ID, "c")
	return st, bl, ch, err
}

// TestCrashChild is the process that gets killed; it only runs when the
// parent test sets ATENDE_CRASH_DIR.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("ATENDE_CRASH_DIR")
	if dir == "" {
		t.Skip("helper process for TestCrashMidIngest")
	}
	st, bl, ch, err := openCrashEnv(dir, os.Getenv("ATENDE_CRASH_PG"))
	if err != nil {
		t.Fatal(err)
	}
	// Wall clock, like the store: the leases of the killed process must
	// really run out for the restarted one.
	svc := ingest.New(st, bl, clock.System{}, slog.New(slog.DiscardHandler), ingest.Config{InlineMax: ingest.DefaultInlineMax})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.Run(ctx, ingest.WorkerConfig{Workers: 2, Lease: 2 * time.Second, Poll: 50 * time.Millisecond})
	}()
	for i := 0; i < crashTotal; i++ {
		if _, err := svc.Accept(ctx, ch, "gen:"+strconv.Itoa(i), bytes.NewReader(crashMail(i))); err != nil {
			t.Fatal(err)
		}
	}
	// Finish processing, then exit (only reached when not killed).
	for {
		n, err := st.CountInbound(ctx, model.InboundPending)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestCrashMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) {
			dir := t.TempDir()
			pgURL := ""
			if d == "postgres" {
				pgURL = pgtest.NewDatabase(t)
			}
			child := func() *exec.Cmd {
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
				cmd.Env = append(os.Environ(), "ATENDE_CRASH_DIR="+dir, "ATENDE_CRASH_PG="+pgURL)
				cmd.Stderr = os.Stderr
				return cmd
			}
			st, _, _, err := openCrashEnv(dir, pgURL)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			// Run 1: killed with SIGKILL in the middle.
			cmd := child()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// Kill at a varying point between 300 and ~1,300 processed rows.
			killAt := 300 + int(time.Now().UnixNano()%1000)
			deadline := time.Now().Add(2 * time.Minute)
			for {
				select {
				case err := <-exited:
					t.Fatalf("child exited before it was killed: %v", err)
				default:
				}
				done, _ := st.CountInbound(ctx, model.InboundDone)
				pending, _ := st.CountInbound(ctx, model.InboundPending)
				if done >= killAt || done+pending >= crashTotal*3/4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("child made no progress")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err = <-exited
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("child was not killed by SIGKILL: %v", err)
			}
			done, _ := st.CountInbound(ctx, model.InboundDone)
			pending, _ := st.CountInbound(ctx, model.InboundPending)
			t.Logf("killed with %d done, %d pending of %d", done, pending, crashTotal)
			if done >= crashTotal {
				t.Fatal("child finished before it was killed; the test proved nothing")
			}
			// Run 2: restart; the source re-sends everything (as an IMAP
			// resync or a retrying SMTP client would) and the pipeline finishes.
			cmd = child()
			if err := cmd.Run(); err != nil {
				t.Fatalf("restart: %v", err)
			}
			co, _ := st.GetCompanyBySlug(ctx, "crash")
			msgs, _ := st.CountMessages(ctx, co.ID)
			tickets, _ := st.CountTickets(ctx, co.ID)
			doneRows, _ := st.CountInbound(ctx, model.InboundDone)
			failed, _ := st.CountInbound(ctx, model.InboundFailed)
			if msgs != crashTotal || tickets != crashTotal || doneRows != crashTotal || failed != 0 {
				t.Fatalf("after restart: messages=%d tickets=%d done=%d failed=%d, want %d each and 0 failed",
					msgs, tickets, doneRows, failed, crashTotal)
			}
			// Every message's raw bytes are there to download, whether the
			// database or the blob store keeps them.
			_, bl, _, err := openCrashEnv(dir, pgURL)
			if err != nil {
				t.Fatal(err)
			}
			blobs := ingest.Blobs(st, bl)
			for i := 0; i < crashTotal; i++ {
				sum := sha256.Sum256(crashMail(i))
				rc, err := blobs.Open(ctx, "sha256/"+hex.EncodeToString(sum[:]))
				if err != nil {
					t.Fatalf("message %d: raw bytes lost: %v", i, err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(b, crashMail(i)) {
					t.Fatalf("message %d: raw bytes differ (%d bytes, %v)", i, len(b), err)
				}
			}
		})
	}
}
