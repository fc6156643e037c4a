package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
)

// mailWithAttachment is a small multipart message with one PDF-ish file.
func mailWithAttachment(i int) []byte {
	return []byte(fmt.Sprintf("From: Cliente %d <c%d@example.test>\r\nTo: suporte@acme.test\r\nSubject: Pedido %d\r\n"+
		"Message-ID: <bk-%d@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nOlá, segue o anexo %d.\r\n"+
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"nota-%d.bin\"\r\n\r\nconteudo do anexo numero %d\r\n--b--\r\n",
		i, i, i, i, i, i, i))
}

// checkInstallation opens a data directory and checks that every message's
// raw mail and every attachment is in its blob store with the right
// content; it returns the counts.
func checkInstallation(t *testing.T, data string) (tickets, messages, attachments int) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	must(t, err)
	defer st.Close()
	fs, err := blob.NewFS(filepath.Join(data, "blobs"))
	must(t, err)
	bl := ingest.Blobs(st, fs) // small raw messages are in the database
	co, err := st.GetCompanyBySlug(ctx, "acme")
	must(t, err)
	list, err := st.ListTickets(ctx, co.ID, store.TicketFilter{Limit: 1000})
	must(t, err)
	verify := func(key string) {
		rc, err := bl.Open(ctx, key)
		if err != nil {
			t.Fatalf("blob %s: %v", key, err)
		}
		h := sha256.New()
		io.Copy(h, rc)
		rc.Close()
		if "sha256/"+hex.EncodeToString(h.Sum(nil)) != key {
			t.Fatalf("blob %s damaged", key)
		}
	}
	for _, tk := range list {
		tickets++
		msgs, err := st.ListMessages(ctx, co.ID, tk.ID)
		must(t, err)
		for _, m := range msgs {
			messages++
			verify(m.RawKey)
			atts, err := st.ListAttachments(ctx, co.ID, m.ID)
			must(t, err)
			for _, a := range atts {
				attachments++
				verify(a.BlobKey)
			}
		}
	}
	return tickets, messages, attachments
}

// Issue 18: back up a live installation during ingest, restore it into a
// fresh directory: every ticket, message and attachment of the snapshot is
// there, and the server starts on it.
func TestBackupDuringIngestAndRestore(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	must(t, err)
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	must(t, st.CreateChannel(ctx, &model.Channel{CompanyID: co.ID, Slug: "suporte", Name: "Suporte", Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: "bktoken7q2x", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}}))
	st.Close()
	env := map[string]string{"ATENDE_DNS_RESOLVER": dnstest.Start(t).Addr()}
	httpAddr, smtpAddr := freePort(t), freePort(t)
	runCtx, cancel := context.WithCancel(ctx)
	var logs syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Run(runCtx, []string{"serve", "--data", data, "--http", httpAddr, "--smtp", smtpAddr, "--inbound-domain", "support.test"},
			IO{Out: io.Discard, Err: &logs, Getenv: func(k string) string { return env[k] }})
	}()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}
	defer stop()
	waitFor(t, 10*time.Second, "SMTP", func() bool {
		c, err := smtp.Dial(smtpAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	const total = 120
	var wg sync.WaitGroup
	errs := make(chan error, total)
	started := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(smtpAddr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for i := w; i < total; i += 4 {
				if i == total/3 {
					close(started)
				}
				if err := c.SendMail(fmt.Sprintf("c%d@example.test", i), []string{"acme-bktoken7q2x@support.test"}, bytes.NewReader(mailWithAttachment(i))); err != nil {
					errs <- err
				}
			}
		}()
	}
	// The snapshot is taken while mail arrives and is processed.
	<-started
	waitFor(t, 30*time.Second, "some mail processed", func() bool {
		_, m, _ := checkInstallation(t, data)
		return m >= 10
	})
	snap := filepath.Join(t.TempDir(), "snap")
	code, out, stderr := run(t, nil, "backup", "--data", data, snap)
	if code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, stderr)
	}
	t.Log(strings.TrimSpace(out))
	// The raw messages kept in the database travel with it: not copied
	// as blobs, not reported missing.
	if strings.Contains(stderr, "missing") || !strings.Contains(out, "small raw messages inside the database") {
		t.Fatalf("backup of inline raw messages: %s %s", out, stderr)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("send: %v\n%s", err, logs.String())
	}

	// The snapshot restores into a fresh directory, consistent: every
	// message and attachment it has is complete.
	restored := filepath.Join(t.TempDir(), "restored")
	if code, out, stderr := run(t, nil, "restore", "--data", restored, snap); code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, stderr)
	}
	tk1, m1, a1 := checkInstallation(t, restored)
	t.Logf("snapshot during ingest: %d tickets, %d messages, %d attachments", tk1, m1, a1)
	if m1 == 0 || a1 != m1 {
		t.Fatalf("snapshot during ingest: %d messages, %d attachments", m1, a1)
	}

	// Once everything is processed, a second snapshot holds all of it.
	waitFor(t, 60*time.Second, "all mail processed", func() bool {
		_, m, _ := checkInstallation(t, data)
		return m == total
	})
	snap2 := filepath.Join(t.TempDir(), "snap2")
	if code, out, stderr := run(t, nil, "backup", "--data", data, snap2); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, stderr)
	}
	stop()
	restored2 := filepath.Join(t.TempDir(), "restored2")
	if code, out, stderr := run(t, nil, "restore", "--data", restored2, snap2); code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, stderr)
	}
	tk2, m2, a2 := checkInstallation(t, restored2)
	if tk2 != total || m2 != total || a2 != total {
		t.Fatalf("restored: %d tickets, %d messages, %d attachments; want %d each", tk2, m2, a2, total)
	}
	if _, err := os.Stat(filepath.Join(restored2, "secret.key")); err != nil {
		t.Fatalf("secret key not restored: %v", err)
	}
	// Restoring over an existing installation is refused.
	if code, _, stderr := run(t, nil, "restore", "--data", data, snap2); code == 0 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("restore over a data directory: %d %s", code, stderr)
	}
	// The server starts on the restored directory.
	h2 := freePort(t)
	ctx2, cancel2 := context.WithCancel(ctx)
	done2 := make(chan int, 1)
	var logs2 syncBuf
	go func() {
		done2 <- Run(ctx2, []string{"serve", "--data", restored2, "--http", h2, "--smtp", ""}, IO{Out: io.Discard, Err: &logs2, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("restored server log:\n%s", logs2.String())
		}
	})
	waitFor(t, 15*time.Second, "the restored server ready", func() bool {
		resp, err := http.Get("http://" + h2 + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	cancel2()
	if code := <-done2; code != 0 {
		t.Fatalf("restored server exit %d: %s", code, logs2.String())
	}
}

// gc-blobs: a dry run reports, a real run removes only unreferenced blobs
// older than the grace period.
func TestGCBlobs(t *testing.T) {
	data := t.TempDir()
	dir := t.TempDir()
	// A small message (kept in the database) and one over 64 KiB (a blob
	// file the database references).
	if code, out, stderr := run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "suporte", "--create",
		writeMail(t, dir, "a.eml", "Oi"), writeMailBody(t, dir, "b.eml", "Grande", strings.Repeat("linha de texto\r\n", 5000))); code != 0 {
		t.Fatalf("import: %s %s", out, stderr)
	}
	bl, err := blob.NewFS(filepath.Join(data, "blobs"))
	must(t, err)
	orphan, _, err := bl.Put(context.Background(), strings.NewReader("ninguém me referencia"), 0)
	must(t, err)
	young, _, err := bl.Put(context.Background(), strings.NewReader("acabei de chegar"), 0)
	must(t, err)
	old := time.Now().Add(-48 * time.Hour)
	p := filepath.Join(data, "blobs", "sha256", orphan[7:9], orphan[9:11], orphan[7:])
	must(t, os.Chtimes(p, old, old))
	code, out, _ := run(t, nil, "admin", "gc-blobs", "--data", data, "--dry-run")
	if code != 0 || !strings.Contains(out, `"blobs": 3`) || !strings.Contains(out, `"referenced": 1`) || !strings.Contains(out, `"removed": 1`) ||
		!strings.Contains(out, `"young": 1`) || !strings.Contains(out, orphan) {
		t.Fatalf("dry run: %d %s", code, out)
	}
	if ok, _ := bl.Exists(context.Background(), orphan); !ok {
		t.Fatal("dry run removed a blob")
	}
	code, out, _ = run(t, nil, "admin", "gc-blobs", "--data", data)
	if code != 0 || !strings.Contains(out, `"removed": 1`) {
		t.Fatalf("gc: %d %s", code, out)
	}
	for key, want := range map[string]bool{orphan: false, young: true} {
		if ok, _ := bl.Exists(context.Background(), key); ok != want {
			t.Fatalf("blob %s exists=%v after gc, want %v", key, ok, want)
		}
	}
	// Everything the imported message references is still there.
	if _, m, _ := checkInstallation(t, data); m != 2 {
		t.Fatalf("messages after gc: %d", m)
	}
}
