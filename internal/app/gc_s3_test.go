package app

import (
	"context"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// gc-blobs --blobs s3://…: the configured bucket is collected against the
// database's references (the removal itself is tested in package backup,
// where the clock of old blobs can be set up): the imported mail is
// referenced, a new unreferenced blob is young, nothing is removed; a
// grace period shorter than the store's re-put refresh is refused.
func TestGCBlobsS3(t *testing.T) {
	srv := s3test.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	data, dir := t.TempDir(), t.TempDir()
	if code, out, stderr := run(t, nil, "import", "--data", data, "--blobs", srv.URL(), "--company", "acme", "--channel", "suporte", "--create",
		writeMail(t, dir, "a.eml", "Oi"), writeMailBody(t, dir, "b.eml", "Grande", strings.Repeat("linha de texto\r\n", 5000))); code != 0 {
		t.Fatalf("import: %s %s", out, stderr)
	}
	st, err := s3blob.New(context.Background(), srv.Config())
	must(t, err)
	orphan, _, err := st.Put(context.Background(), strings.NewReader("ninguém me referencia"), 0)
	must(t, err)
	code, out, stderr := run(t, nil, "admin", "gc-blobs", "--data", data, "--blobs", srv.URL(), "--dry-run")
	if code != 0 || !strings.Contains(out, `"blobs": 2`) || !strings.Contains(out, `"referenced": 1`) || !strings.Contains(out, `"young": 1`) ||
		!strings.Contains(out, `"removed": 0`) {
		t.Fatalf("dry run: %d %s %s", code, out, stderr)
	}
	code, out, stderr = run(t, nil, "admin", "gc-blobs", "--data", data, "--blobs", srv.URL())
	if code != 0 || !strings.Contains(out, `"removed": 0`) {
		t.Fatalf("gc: %d %s %s", code, out, stderr)
	}
	if ok, err := st.Exists(context.Background(), orphan); !ok || err != nil {
		t.Fatalf("young orphan removed: %v %v", ok, err)
	}
	if code, out, stderr := run(t, nil, "admin", "gc-blobs", "--data", data, "--blobs", srv.URL(), "--grace", "10m"); code == 0 ||
		!strings.Contains(stderr, "shorter than the blob store's minimum") {
		t.Fatalf("grace 10m: %d %s %s", code, out, stderr)
	}
}
