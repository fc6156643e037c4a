package app

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// TestAdminMigrateBlobs moves a filesystem installation's blobs to a real
// S3 server: every blob (a 9 MiB one in parts too) arrives under its key,
// a second run copies nothing, and a file damaged on disk is reported
// instead of being stored under a wrong name.
func TestAdminMigrateBlobs(t *testing.T) {
	srv := s3test.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	data := t.TempDir()
	fs, err := blob.NewFS(filepath.Join(data, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var keys []string
	sizes := []int{10, 2000, 70000, 9 << 20}
	for i, n := range sizes {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(uint64(i), 3))
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		k, _, err := fs.Put(ctx, bytes.NewReader(b), 0)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	env := map[string]string{"ATENDE_DATA": data}
	run := func(args ...string) (string, error) {
		var out, errb syncBuf
		err := adminCmd(ctx, append([]string{"migrate-blobs"}, args...), IO{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }, Clock: clock.System{}})
		return out.String(), err
	}
	out, err := run("--to", srv.URL())
	if err != nil || !strings.Contains(out, "Copied 4 blobs") || !strings.Contains(out, "0 already there") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	dst, err := s3blob.New(ctx, srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		rc, err := dst.Open(ctx, k)
		if err != nil {
			t.Fatalf("%s not in S3: %v", k, err)
		}
		rc.Close()
	}
	env["ATENDE_BLOBS"] = srv.URL() // --to defaults to --blobs
	if out, err := run(); err != nil || !strings.Contains(out, "Copied 0 blobs") || !strings.Contains(out, "4 already there") {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	// A new blob whose file is then damaged: reported, not copied.
	k, _, err := fs.Put(ctx, strings.NewReader("mensagem que vai estragar no disco"), 0)
	if err != nil {
		t.Fatal(err)
	}
	hexsum := strings.TrimPrefix(k, "sha256/")
	if err := os.WriteFile(filepath.Join(data, "blobs", "sha256", hexsum[:2], hexsum[2:4], hexsum), []byte("estragada"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged blob: %v", err)
	}
	if ok, _ := dst.Exists(ctx, k); ok {
		t.Fatal("damaged blob stored under its key")
	}
	if _, err := run("--to", "/some/dir"); err == nil {
		t.Fatal("non-s3 target accepted")
	}
}

// TestAdminNodes lists the nodes on the database, their state and the
// mailboxes each holds, as a table and as JSON.
func TestAdminNodes(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	if err := st.CreateCompany(ctx, co); err != nil {
		t.Fatal(err)
	}
	var chs []*model.Channel
	for i := 0; i < 3; i++ {
		ch := &model.Channel{CompanyID: co.ID, Slug: "c" + string(rune('a'+i)), Name: "C", Enabled: true,
			Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "t" + string(rune('a'+i))}
		if err := st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
		chs = append(chs, ch)
	}
	for _, n := range []*store.Node{{ID: "node-a", HTTPAddr: "10.0.0.1:8080", Version: "v9"}, {ID: "node-b"}} {
		if err := st.HeartbeatNode(ctx, n, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for i, node := range []string{"node-a", "node-a"} {
		if _, err := st.AcquireMailboxLease(ctx, co.ID, chs[i].ID, node, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.StopNode(ctx, "node-b"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := map[string]string{"ATENDE_DATA": data}
	run := func(args ...string) string {
		var out, errb syncBuf
		if err := adminCmd(ctx, append([]string{"nodes"}, args...), IO{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }, Clock: clock.System{}}); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	table := run()
	for _, want := range []string{"NODE", "node-a", "live", "10.0.0.1:8080", "v9", "2 (", "node-b", "stopped", "without an owner right now: 1 ("} {
		if !strings.Contains(table, want) {
			t.Fatalf("table lacks %q:\n%s", want, table)
		}
	}
	var js struct {
		Nodes []struct {
			ID        string  `json:"id"`
			State     string  `json:"state"`
			Mailboxes []int64 `json:"mailboxes"`
		} `json:"nodes"`
		Unowned []int64 `json:"unowned_mailboxes"`
	}
	if err := json.Unmarshal([]byte(run("--json")), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Nodes) != 2 || js.Nodes[0].State != "live" || len(js.Nodes[0].Mailboxes) != 2 || js.Nodes[1].State != "stopped" ||
		len(js.Unowned) != 1 || js.Unowned[0] != chs[2].ID {
		t.Fatalf("json = %+v", js)
	}
}
