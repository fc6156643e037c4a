package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// syncBuf is a goroutine-safe buffer for a command's output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuf
	code = Run(context.Background(), args, IO{Out: &out, Err: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

// portsHandedOut are the addresses freePort returned in this test binary.
var portsHandedOut sync.Map

// freePort is a loopback address that was free a moment ago and that
// freePort has not returned before: the kernel may hand a port just
// closed to the next bind, and two calls in a row once gave one server
// the same port for HTTP and SMTP (CI: "bind: address already in use").
func freePort(t *testing.T) string {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		if _, seen := portsHandedOut.LoadOrStore(addr, true); !seen {
			return addr
		}
	}
	t.Fatal("no loopback port that was not handed out already")
	return ""
}

func writeMail(t *testing.T, dir, name, subject string) string {
	return writeMailBody(t, dir, name, subject, "Corpo\r\n")
}

// writeMailBody is writeMail with the given body.
func writeMailBody(t *testing.T, dir, name, subject, body string) string {
	p := filepath.Join(dir, name)
	raw := fmt.Sprintf("From: Ana <ana@example.com>\r\nTo: suporte@acme.test\r\nSubject: %s\r\nMessage-ID: <%s@x>\r\n\r\n%s", subject, name, body)
	if err := os.WriteFile(p, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeHealthReadyAndShutdown(t *testing.T) {
	data := t.TempDir()
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--data", data, "--http", addr, "--smtp", "127.0.0.1:0"}, IO{Out: io.Discard, Err: &errb, Getenv: func(string) string { return "" }})
	}()
	var resp *http.Response
	var err error
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("healthz: %v\n%s", err, errb.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]any
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	// Without a login: ready or not, nothing else (readyz_test.go has the
	// admin's details).
	if resp.StatusCode != 200 || ready["ready"] != true || len(ready) != 1 {
		t.Fatalf("readyz = %d %+v", resp.StatusCode, ready)
	}
	// The web UI answers at / (first-run setup on an empty database).
	resp, err = http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(page), "Atende") {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// The SQLite file and blobs are where the README says.
	for _, p := range []string{"atende.db", "blobs/sha256"} {
		if _, err := os.Stat(filepath.Join(data, p)); err != nil {
			t.Fatalf("data layout: %v", err)
		}
	}
	// Mail imported while the server runs is processed by the import itself.
	dir := t.TempDir()
	code, out, stderr := run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "suporte", "--create", writeMail(t, dir, "a.eml", "Oi"))
	if code != 0 || !strings.Contains(out, "1 imported, 0 duplicates, 0 failed") {
		t.Fatalf("import: %d %q %q", code, out, stderr)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if !strings.Contains(errb.String(), "atende stopped") {
		t.Fatalf("log: %s", errb.String())
	}
}

func TestServePortInUse(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	code, _, stderr := run(t, nil, "serve", "--data", t.TempDir(), "--http", l.Addr().String(), "--smtp", "")
	if code != 1 || !strings.Contains(stderr, "cannot listen on "+l.Addr().String()) {
		t.Fatalf("code %d: %s", code, stderr)
	}
}

// A channel that signs in with OAuth needs its provider's client ID: the
// server says so at start instead of failing later in the sync loop.
func TestServeRefusesOAuthChannelWithoutClient(t *testing.T) {
	data := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(context.Background(), co)
	ch := &model.Channel{CompanyID: co.ID, Slug: "gmail", Name: "Gmail", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
		InboundToken: "t", Settings: model.ChannelSettings{Provider: "gmail",
			IMAP: model.ServerConf{Host: "imap.gmail.com", Port: 993, Encryption: "tls", Username: "a@gmail.com", Auth: "oauth"}}}
	if err := st.CreateChannel(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, stderr := run(t, nil, "serve", "--data", data, "--http", freePort(t), "--smtp", "")
	if code != 1 || !strings.Contains(stderr, "OAuth") || !strings.Contains(strings.ToLower(stderr), "google") {
		t.Fatalf("code %d: %s", code, stderr)
	}
}

// Stored credentials with a lost key: a clear start-up error, not a
// silent failure in every sync loop.
func TestServeRefusesWhenTheSecretKeyIsLost(t *testing.T) {
	data := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(context.Background(), co)
	ch := &model.Channel{CompanyID: co.ID, Slug: "c", Name: "Caixa", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "t"}
	st.CreateChannel(context.Background(), ch)
	box, _ := secrets.NewBox(secrets.NewKey()) // the key that is now lost
	if err := box.PutChannelSecret(context.Background(), st, co.ID, ch.ID, secrets.IMAPPassword, "pw"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, stderr := run(t, nil, "serve", "--data", data, "--http", freePort(t), "--smtp", "")
	if code != 1 || !strings.Contains(stderr, `channel "Caixa" has stored credentials but no secret key was found`) {
		t.Fatalf("code %d: %s", code, stderr)
	}
}

func TestServeInvalidConfig(t *testing.T) {
	code, _, stderr := run(t, map[string]string{"ATENDE_DATABASE_URL": "mysql://x"}, "serve", "--http", "nohost")
	if code != 1 || !strings.Contains(stderr, "ATENDE_DATABASE_URL: must be a postgres:// URL") || !strings.Contains(stderr, "\"nohost\" is not host:port") {
		t.Fatalf("code %d: %s", code, stderr)
	}
}

func TestImportCommand(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	good := writeMail(t, dir, "good.eml", "Pedido")
	empty := filepath.Join(dir, "empty.eml")
	os.WriteFile(empty, nil, 0o644)
	code, _, stderr := run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "suporte", good)
	if code != 1 || !strings.Contains(stderr, `company "acme" does not exist (add --create`) {
		t.Fatalf("without --create: %d %s", code, stderr)
	}
	code, out, stderr := run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "suporte", "--create", good, empty, filepath.Join(dir, "missing.eml"))
	if code != 1 || !strings.Contains(out, "1 imported, 0 duplicates, 2 failed") || !strings.Contains(out, empty+": empty file (0 bytes)") ||
		!strings.Contains(out, "missing.eml: no such file or directory") || !strings.Contains(stderr, "2 of 3 files or messages failed") {
		t.Fatalf("import: %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "suporte", good)
	if code != 0 || !strings.Contains(out, "0 imported, 1 duplicates, 0 failed") {
		t.Fatalf("re-import: %d %s", code, out)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	co, _ := st.GetCompanyBySlug(context.Background(), "acme")
	if n, _ := st.CountMessages(context.Background(), co.ID); n != 1 {
		t.Fatalf("messages = %d", n)
	}
	for _, bad := range [][]string{
		{"import", "--data", data, "--channel", "x", good},
		{"import", "--data", data, "--company", "Bad Slug", "--channel", "x", good},
		{"import", "--data", data, "--company", "a", "--channel", "x"},
	} {
		if code, _, _ := run(t, nil, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// The default limit is 50 MB: a bigger file fails with its name, the
// other files of the same run are imported.
func TestImportOverDefaultSizeLimit(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	big := filepath.Join(dir, "huge.eml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "From: a@example.com\r\nSubject: big\r\n\r\n")
	line := []byte(strings.Repeat("x", 998) + "\r\n")
	for n := 0; n < 51<<20; n += len(line) {
		f.Write(line)
	}
	f.Close()
	good := writeMail(t, dir, "ok.eml", "Pequena")
	code, out, _ := run(t, nil, "import", "--data", data, "--company", "acme", "--channel", "c", "--create", big, good)
	if code != 1 || !strings.Contains(out, big+": message too large: over the 50 MB limit") || !strings.Contains(out, "1 imported") {
		t.Fatalf("code %d:\n%s", code, out)
	}
}

func TestParseCommand(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := run(t, nil, "parse", writeMail(t, dir, "p.eml", "Assunto com acentuação"))
	if code != 0 {
		t.Fatal(code)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["subject"] != "Assunto com acentuação" || rep["from_address"] != "ana@example.com" || rep["message_id"] != "p.eml@x" {
		t.Fatalf("report = %v", rep)
	}
	// A message without any header is read as body text, with a warning.
	headerless := filepath.Join(dir, "body-only.eml")
	if err := os.WriteFile(headerless, []byte("Bom dia, segue o pedido 4411.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, nil, "parse", headerless)
	rep = map[string]any{}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep["text_body"] != "Bom dia, segue o pedido 4411." || rep["partial"] != true ||
		!strings.Contains(fmt.Sprint(rep["warnings"]), "no header found") {
		t.Fatalf("headerless: code %d, report %v", code, rep)
	}
	code, _, stderr := run(t, nil, "parse", filepath.Join(dir, "nope.eml"))
	if code == 0 || !strings.Contains(stderr, "nope.eml") {
		t.Fatalf("missing file: %d %s", code, stderr)
	}
	if code, _, _ := run(t, nil, "parse"); code != 2 {
		t.Fatalf("no args: %d", code)
	}
	if code, _, _ := run(t, nil, "frobnicate"); code != 2 {
		t.Fatalf("unknown command: %d", code)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Issue #13, items 6 and 14, on the running server (failed before: a
// multipart POST to /login was parsed into temporary files with no size
// limit; the API's JSON had no nosniff; the database and blobs were
// group-readable): multipart is refused on /login and /setup, bodies over
// the limit get 413 before they are read, API answers carry nosniff, and
// a new installation's files are the server user's alone.
func TestServeEdgeAndFileModes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"serve", "--data", data, "--http", addr, "--smtp", ""}, IO{Out: io.Discard, Err: &errb, Getenv: func(string) string { return "" }})
	}()
	defer func() { cancel(); <-done }()
	base := "http://" + addr
	waitFor(t, 10*time.Second, "the server", func() bool {
		r, err := http.Get(base + "/healthz")
		if err == nil {
			r.Body.Close()
		}
		return err == nil
	})
	post := func(path, ctype string, body io.Reader, n int64) int {
		req, _ := http.NewRequest("POST", base+path, body)
		req.Header.Set("Content-Type", ctype)
		if n > 0 {
			req.ContentLength = n
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	for _, path := range []string{"/login", "/setup", "/api/v1/auth/login"} {
		if s := post(path, "multipart/form-data; boundary=B", strings.NewReader("--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nx\r\n--B--\r\n"), 0); s != 415 {
			t.Fatalf("multipart %s: %d", path, s)
		}
	}
	if s := post("/login", "application/x-www-form-urlencoded", io.LimitReader(zeros{}, 400<<20), 400<<20); s != 413 {
		t.Fatalf("400 MB login: %d", s)
	}
	res, err := http.Get(base + "/api/v1/setup")
	must(t, err)
	res.Body.Close()
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("API headers over plain HTTP: %v", res.Header)
	}
	for path, want := range map[string]os.FileMode{"": 0o700, "atende.db": 0o600, "blobs": 0o700, "blobs/sha256": 0o700, "secret.key": 0o600} {
		fi, err := os.Stat(filepath.Join(data, path))
		must(t, err)
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Join("data", path), fi.Mode().Perm(), want)
		}
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
