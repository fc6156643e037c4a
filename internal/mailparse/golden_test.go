package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// memSink stores attachments in memory for tests.
type memSink struct {
	blobs map[string][]byte
	n     int
}

func newMemSink() *memSink { return &memSink{blobs: map[string][]byte{}} }

func (s *memSink) sink(meta Attachment, r io.Reader) (string, int64, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return "", 0, err
	}
	sum := sha256.Sum256(b)
	key := hex.EncodeToString(sum[:8])
	s.blobs[key] = b
	s.n++
	return key, int64(len(b)), nil
}

func testOptions(s *memSink) Options {
	return Options{
		Sink:          s.sink,
		AttachmentURL: func(cid string) string { return "/attachments/" + cid },
	}
}

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/corpus/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 80 {
		t.Fatalf("corpus has %d messages, want at least 80", len(files))
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range corpusFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			checkGolden(t, path, filepath.Join("testdata", "golden", name+".json"))
		})
	}
}

// caseFiles are the named cases of testdata/cases, "<kind>__<name>.eml".
func caseFiles(t testing.TB) []string {
	files, err := filepath.Glob("testdata/cases/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCases checks the named MIME and header cases against their golden
// reports in testdata/golden/cases.
func TestCases(t *testing.T) {
	for _, path := range caseFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		t.Run(name, func(t *testing.T) {
			checkGolden(t, path, filepath.Join("testdata", "golden", "cases", name+".json"))
		})
	}
}

// reportJSON parses the file at path and returns its report as indented JSON.
func reportJSON(t testing.TB, path string) []byte {
	m, err := ParseFile(path, testOptions(newMemSink()))
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep the golden files readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewReport(m)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func checkGolden(t *testing.T, path, golden string) {
	got := reportJSON(t, path)
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("missing golden file (run with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report differs from %s (run with -update after checking):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}
