package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/clock"
)

// startServe runs `atende serve` in-process with an admin ana@acme.test
// (password "senha muito secreta") and returns its HTTP and SMTP addresses.
func startServe(t *testing.T, data string, extra ...string) (httpAddr, smtpAddr string, logs *syncBuf) {
	t.Helper()
	env := map[string]string{"ATENDE_DATA": data}
	for _, a := range [][]string{{"create-company", "--slug", "acme", "--name", "ACME"},
		{"create-agent", "--company", "acme", "--email", "ana@acme.test", "--name", "Ana", "--role", "admin", "--password-stdin"}} {
		var out, errb syncBuf
		if err := adminCmd(context.Background(), a, IO{In: strings.NewReader("senha muito secreta\n"), Out: &out, Err: &errb,
			Getenv: func(k string) string { return env[k] }, Clock: clock.System{}}); err != nil {
			t.Fatalf("admin %v: %v", a, err)
		}
	}
	httpAddr, smtpAddr = freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuf{}
	done := make(chan int, 1)
	args := append([]string{"serve", "--data", data, "--http", httpAddr, "--smtp", smtpAddr}, extra...)
	go func() {
		done <- Run(ctx, args, IO{Out: io.Discard, Err: logs, Getenv: func(string) string { return "" }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("server did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return httpAddr, smtpAddr, logs
}

func adminClient(t *testing.T, httpAddr string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"company": "acme", "email": "ana@acme.test", "password": "senha muito secreta"})
	resp, err := c.Post("http://"+httpAddr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %s", resp.Status)
	}
	return c
}

func getReady(t *testing.T, c *http.Client, httpAddr string) (int, map[string]any) {
	t.Helper()
	resp, err := c.Get("http://" + httpAddr + "/readyz")
	must(t, err)
	defer resp.Body.Close()
	var body map[string]any
	must(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body
}

// /readyz: anyone learns ready or not; a logged-in admin sees each check
// (database, blobs, disk, queues, cluster) and the node's facts.
func TestReadyzDetailOnlyForAdmins(t *testing.T) {
	httpAddr, _, _ := startServe(t, t.TempDir())
	code, body := getReady(t, http.DefaultClient, httpAddr)
	if code != 200 || len(body) != 1 || body["ready"] != true {
		t.Fatalf("public readyz = %d %v, want only ready:true", code, body)
	}
	code, body = getReady(t, adminClient(t, httpAddr), httpAddr)
	checks, _ := body["checks"].(map[string]any)
	for _, c := range []string{"database", "blobs", "disk", "queues", "cluster"} {
		if checks[c] != "ok" {
			t.Fatalf("admin readyz = %d %v: check %s missing or failing", code, body, c)
		}
	}
	if body["node"] == nil {
		t.Fatalf("admin readyz has no node facts: %v", body)
	}
}

// Below --min-free-space the node is not ready and SMTP answers 452
// before DATA.
func TestLowDiskNotReadyAnd452(t *testing.T) {
	httpAddr, smtpAddr, _ := startServe(t, t.TempDir(), "--min-free-space", "1000000GB")
	code, body := getReady(t, http.DefaultClient, httpAddr)
	if code != http.StatusServiceUnavailable || body["ready"] != false || len(body) != 1 {
		t.Fatalf("public readyz with low disk = %d %v", code, body)
	}
	_, body = getReady(t, adminClient(t, httpAddr), httpAddr)
	checks, _ := body["checks"].(map[string]any)
	if d, _ := checks["disk"].(string); !strings.Contains(d, "below the minimum") {
		t.Fatalf("admin readyz disk check = %q", d)
	}
	c, err := smtp.Dial(smtpAddr)
	must(t, err)
	defer c.Close()
	err = c.Mail("a@example.com", nil)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 452 {
		t.Fatalf("MAIL with low disk = %v, want 452", err)
	}
}
