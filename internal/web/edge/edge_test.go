package edge_test

import (
	"bufio"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/web/edge"
)

// app is a stand-in for the UI: /login parses its form like the real one
// (PostFormValue, which spills big multipart parts to temporary files).
func app(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		_ = r.PostFormValue("password")
		w.WriteHeader(http.StatusForbidden)
	})
	mux.HandleFunc("POST /tickets/{id}/replies", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("GET /api/v1/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"a":1}`)
	})
	return mux
}

func cfg() edge.Config {
	return edge.Config{MaxBody: 1 << 20, Uploads: []string{"POST /tickets/{id}/replies"}, UploadMax: 8 << 20,
		NoMultipart: []string{"POST /login", "POST /setup"}}
}

// infinite streams n bytes of a multipart body without a Content-Length.
// sent is atomic: the client's transport may still be reading the body
// when Do has returned.
type infinite struct {
	n    int64
	sent atomic.Int64
}

func (r *infinite) Read(p []byte) (int, error) {
	sent := r.sent.Load()
	if sent >= r.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n-sent)
	rand.Read(p[:k])
	r.sent.Add(k)
	return int(k), nil
}

// Issue #13, item 6 (failed before: a 400 MB POST to /login wrote 352 MB
// to temporary files before the 403): multipart is refused on /login
// before anything is read, and any other body stops at the limit.
func TestUnauthenticatedBodiesAreBounded(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	srv := httptest.NewServer(edge.Handler(app(t), cfg()))
	defer srv.Close()

	// A chunked 64 MB multipart upload to /login.
	body := &infinite{n: 64 << 20}
	req, _ := http.NewRequest("POST", srv.URL+"/login", io.MultiReader(strings.NewReader("--B\r\nContent-Disposition: form-data; name=\"password\"; filename=\"x\"\r\n\r\n"), body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("multipart login: %d", res.StatusCode)
		}
	}
	if body.sent.Load() > 8<<20 {
		t.Fatalf("the server read %d MB of a refused body", body.sent.Load()>>20)
	}
	// A 400 MB url-encoded body announced by Content-Length: 413 at once.
	req, _ = http.NewRequest("POST", srv.URL+"/login", &infinite{n: 400 << 20})
	req.ContentLength = 400 << 20
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start := time.Now()
	res, err = http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("400 MB login: %d", res.StatusCode)
		}
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("refusing the 400 MB body took %v", time.Since(start))
	}
	var spilled int64
	filepath.Walk(tmp, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			spilled += fi.Size()
		}
		return nil
	})
	if spilled > 0 {
		t.Fatalf("%d bytes written to temporary files", spilled)
	}
}

func TestUploadRoutesGetMore(t *testing.T) {
	srv := httptest.NewServer(edge.Handler(app(t), cfg()))
	defer srv.Close()
	post := func(path string, n int64, chunked bool) (int, string) {
		var body io.Reader = &infinite{n: n}
		req, _ := http.NewRequest("POST", srv.URL+path, body)
		if !chunked {
			req.ContentLength = n
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := post("/tickets/7/replies", 5<<20, false); code != 200 || body != fmt.Sprint(5<<20) {
		t.Fatalf("5 MB upload: %d %s", code, body)
	}
	if code, _ := post("/tickets/7/replies", 9<<20, false); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MB upload: %d", code)
	}
	if code, _ := post("/tickets/7/replies", 9<<20, true); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MB chunked upload: %d", code)
	}
	if code, _ := post("/tickets/7/notes", 2<<20, false); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MB on a normal route: %d", code)
	}
}

// Issue #13, item 14: nosniff on every response (the API's JSON
// included); HSTS only on requests that came over TLS.
func TestSecurityHeaders(t *testing.T) {
	c := cfg()
	c.Secure = func(r *http.Request) bool { return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" }
	plain := httptest.NewServer(edge.Handler(app(t), c))
	defer plain.Close()
	res, err := http.Get(plain.URL + "/api/v1/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("plain HTTP headers: %v", res.Header)
	}
	req, _ := http.NewRequest("GET", plain.URL+"/api/v1/x", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	res, _ = http.DefaultClient.Do(req)
	res.Body.Close()
	if res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Fatalf("behind a trusted TLS proxy: %v", res.Header)
	}
	tlsSrv := httptest.NewTLSServer(edge.Handler(app(t), edge.Config{}))
	defer tlsSrv.Close()
	res, err = tlsSrv.Client().Get(tlsSrv.URL + "/api/v1/x")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Strict-Transport-Security") == "" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("TLS headers: %v", res.Header)
	}
}

// A client that sends its headers a byte at a time is cut off.
func TestServerTimeouts(t *testing.T) {
	s := edge.Server(app(t))
	if s.ReadHeaderTimeout != 10*time.Second || s.ReadTimeout != 60*time.Second || s.IdleTimeout != 2*time.Minute || s.WriteTimeout != 0 {
		t.Fatalf("timeouts %v %v %v %v", s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout, s.WriteTimeout)
	}
	s.ReadHeaderTimeout = 300 * time.Millisecond // the same server, faster
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprint(c, "GET /api/v1/x HTTP/1.1\r\nHost: x\r\n")
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for time.Since(start) < 3*time.Second {
		if _, err := fmt.Fprint(c, "X-Slow: a\r\n"); err != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The server hangs up (no response: the request never completed).
	line, err := bufio.NewReader(c).ReadString('\n')
	if el := time.Since(start); el > 2*time.Second || err == nil {
		t.Fatalf("slow headers kept the connection for %v (answer %q)", el, line)
	}
}
