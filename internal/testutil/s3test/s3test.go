// Package s3test runs a real S3-compatible server for tests: Versity
// Gateway (versitygw, Apache-2.0) with its POSIX backend on a free
// loopback port and a temp data directory, one bucket created.
//
//	srv := s3test.Start(t)        // skips when versitygw is not installed
//	st, err := s3blob.New(ctx, srv.Config())
//
// scripts/install-test-deps.sh installs versitygw with `go install` into
// the test cache (see BinDir) when it is missing. Start skips the test
// when the binary is not there, unless ATENDE_REQUIRE_S3=1 (set by
// scripts/test.sh and CI), which makes it a failure. The server process
// dies with the test binary (Pdeathsig) and is killed in t.Cleanup.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
)

// Version is the versitygw release the install script builds.
const Version = "v1.8.0"

// BinDir is where scripts/install-test-deps.sh puts test binaries:
// $ATENDE_TEST_CACHE/bin, default /var/cache/atende-test/bin.
func BinDir() string {
	if d := os.Getenv("ATENDE_TEST_CACHE"); d != "" {
		return filepath.Join(d, "bin")
	}
	return "/var/cache/atende-test/bin"
}

// Binary finds versitygw: $ATENDE_VERSITYGW, BinDir, then $PATH.
func Binary() (string, error) {
	if p := os.Getenv("ATENDE_VERSITYGW"); p != "" {
		return p, nil
	}
	if p := filepath.Join(BinDir(), "versitygw"); fileExists(p) {
		return p, nil
	}
	return exec.LookPath("versitygw")
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Server is a running versitygw.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	Bucket    string
	Region    string
	AccessKey string
	SecretKey string
	Dir       string // the POSIX backend's root
}

// URL is the --blobs value for the server's bucket (credentials go in
// the environment: Env).
func (s *Server) URL() string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=%s", s.Bucket, s.Endpoint, s.Region)
}

// Env is the environment a child `atende serve` needs to reach the bucket.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "AWS_REGION=" + s.Region,
		// keep the SDK from looking anywhere but the environment
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

// Config is an s3blob.Config for the server's bucket.
func (s *Server) Config() s3blob.Config {
	c, err := s3blob.ParseURL(s.URL())
	if err != nil {
		panic(err)
	}
	c.AccessKey, c.SecretKey = s.AccessKey, s.SecretKey
	return c
}

// Start runs a versitygw for the test and creates its bucket.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("ATENDE_REQUIRE_S3") == "1" {
			t.Fatalf("s3test: versitygw required but not found (run scripts/install-test-deps.sh): %v", err)
		}
		t.Skipf("s3test: versitygw not installed (%v); set ATENDE_REQUIRE_S3=1 to fail instead", err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	var key [8]byte
	_, _ = rand.Read(key[:])
	srv := &Server{Bucket: "atende-test", Region: "us-east-1", AccessKey: "atende" + hex.EncodeToString(key[:4]),
		SecretKey: hex.EncodeToString(key[:]) + "secret", Dir: data}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("versitygw-%d.log", attempt)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--access", srv.AccessKey, "--secret", srv.SecretKey, "--region", srv.Region,
			"--port", addr, "--quiet", "posix", data)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			logf.Close()
			t.Fatalf("s3test: start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited); logf.Close() }()
		if waitListen(addr, exited, 20*time.Second) {
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
				<-exited
			})
			srv.Endpoint = "http://" + addr
			st, err := s3blob.New(context.Background(), srv.Config())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := st.CreateBucket(ctx); err != nil {
				t.Fatalf("s3test: %v", err)
			}
			return srv
		}
		_ = cmd.Process.Kill()
		<-exited
		b, _ := os.ReadFile(logf.Name())
		lastErr = fmt.Errorf("versitygw did not listen on %s: %s", addr, b)
	}
	t.Fatalf("s3test: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListen waits until addr accepts connections, the process exits, or d passes.
func waitListen(addr string, exited <-chan struct{}, d time.Duration) bool {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		select {
		case <-exited:
			return false
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return true
		}
		time.Sleep(25 * time.Millisecond)
	}
	return false
}
