package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/importer"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

var ctx = context.Background()

type env struct {
	st  store.Store
	bl  *blob.FS
	svc *ingest.Service
	im  *importer.Importer
	co  *model.Company
	dir string
}

func newEnv(t *testing.T, maxSize int64) *env {
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "a.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewFS(filepath.Join(dir, "blobs"))
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(ctx, co)
	ch := &model.Channel{CompanyID: co.ID, Slug: "c", Name: "C", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "t"}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	svc := ingest.New(st, bl, clock.System{}, slog.New(slog.DiscardHandler), ingest.Config{MaxSize: maxSize})
	return &env{st: st, bl: bl, svc: svc, co: co, dir: dir, im: &importer.Importer{Acceptor: svc, Channel: ch}}
}

func (e *env) write(t *testing.T, name string, data []byte) string {
	p := filepath.Join(e.dir, "in", name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func msg(i int, body string) string {
	return fmt.Sprintf("From: c%d@example.com\r\nTo: s@acme.test\r\nSubject: S%d\r\nMessage-ID: <m%d@x>\r\n\r\n%s\r\n", i, i, i, body)
}

func (e *env) drain(t *testing.T) {
	for {
		n, err := e.svc.ProcessPending(ctx, ingest.WorkerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func TestImportEmlMboxMaildir(t *testing.T) {
	e := newEnv(t, 0)
	eml := e.write(t, "one.eml", []byte(msg(1, "eml")))
	mbox := "From c2@example.com Sat Jan  3 01:05:34 1996\n" + strings.ReplaceAll(msg(2, "line\n>From the mbox escape\n\n>>From here, escaped twice after a blank line"), "\r\n", "\n") +
		"\nFrom c3@example.com Sat Jan  3 01:05:35 1996\n" + strings.ReplaceAll(msg(3, "third"), "\r\n", "\n") + "\n"
	mb := e.write(t, "box.mbox", []byte(mbox))
	md := filepath.Join(e.dir, "in", "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	os.WriteFile(filepath.Join(md, "cur", "1:2,S"), []byte(msg(4, "maildir cur")), 0o644)
	os.WriteFile(filepath.Join(md, "new", "2"), []byte(msg(5, "maildir new")), 0o644)
	os.WriteFile(filepath.Join(md, "tmp", "3"), []byte(msg(6, "in delivery: skipped")), 0o644)
	var calls int
	e.im.Progress = func(done, total int64, s *importer.Summary) { calls++ }
	s := e.im.Import(ctx, []string{eml, mb, md})
	if s.Imported != 5 || s.Duplicates != 0 || len(s.Failed) != 0 {
		t.Fatalf("summary = %+v", s)
	}
	if calls != 4 {
		t.Fatalf("progress calls = %d", calls)
	}
	e.drain(t)
	n, _ := e.st.CountMessages(ctx, e.co.ID)
	if n != 5 {
		t.Fatalf("messages = %d", n)
	}
	// The mbox escape is undone and the separator blank line dropped.
	tk, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 2)
	msgs, _ := e.st.ListMessages(ctx, e.co.ID, tk.ID)
	rc, _ := e.bl.Open(ctx, msgs[0].RawKey)
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Contains(raw, []byte("\nFrom the mbox escape")) || !bytes.Contains(raw, []byte("\n>From here")) || bytes.HasSuffix(raw, []byte("\n\n")) {
		t.Fatalf("raw mbox message = %q", raw)
	}
	// Importing again: all duplicates, nothing new.
	s = e.im.Import(ctx, []string{eml, mb, md})
	if s.Imported != 0 || s.Duplicates != 5 {
		t.Fatalf("re-import summary = %+v", s)
	}
}

func TestImportBadInputNamesTheFile(t *testing.T) {
	e := newEnv(t, 4096)
	good := e.write(t, "good.eml", []byte(msg(1, "fine")))
	empty := e.write(t, "empty.eml", nil)
	bin := e.write(t, "photo.eml", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	emptyMbox := e.write(t, "empty.mbox", nil)
	big := e.write(t, "big.eml", []byte(msg(2, strings.Repeat("x", 10000))))
	bigInMbox := e.write(t, "mixed.mbox", []byte("From a Sat Jan  3 01:05:34 1996\n"+msg(3, strings.Repeat("y", 10000))+
		"\nFrom b Sat Jan  3 01:05:34 1996\n"+msg(4, "small one after the big one")))
	missing := filepath.Join(e.dir, "nope.eml")
	s := e.im.Import(ctx, []string{good, empty, bin, emptyMbox, big, missing, bigInMbox})
	want := map[string]string{
		empty:            "empty file (0 bytes)",
		bin:              "not an email message: binary data",
		emptyMbox:        "empty file (0 bytes)",
		big:              "message too large: over the 4 KB limit",
		missing:          "no such file or directory",
		bigInMbox + "#1": "message too large",
	}
	got := map[string]string{}
	for _, f := range s.Failed {
		got[f.Source] = f.String()
	}
	for src, w := range want {
		if !strings.Contains(got[src], src+": "+w) {
			t.Errorf("failure for %s = %q, want it to contain %q", src, got[src], w)
		}
	}
	if len(s.Failed) != len(want) || s.Imported != 2 {
		t.Fatalf("summary = %+v", s)
	}
	e.drain(t)
	n, _ := e.st.CountMessages(ctx, e.co.ID)
	if n != 2 {
		t.Fatalf("messages = %d; good ones lost", n)
	}
}
