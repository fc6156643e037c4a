package mailparse

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

const (
	hostileTimeLimit  = 2 * time.Second
	hostileAllocLimit = 200 << 20
)

// measure parses input and returns the message, the time taken and the
// bytes allocated while parsing (runtime.MemStats.TotalAlloc delta, an
// upper bound of the peak heap the parse needed).
func measure(t *testing.T, input []byte, opts Options) (*Message, time.Duration, uint64) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	m, err := Parse(bytes.NewReader(input), opts)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m, took, after.TotalAlloc - before.TotalAlloc
}

func header(extra string) string {
	return "From: a@example.com\r\nTo: b@example.com\r\nSubject: hostile\r\nMessage-ID: <h@example.com>\r\n" + extra
}

func TestHostile(t *testing.T) {
	// ~100 MB of zeros gzip-compress to ~100 KB: a decompression bomb that
	// must be stored compressed, never unpacked.
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < 100; i++ {
		zw.Write(zero)
	}
	zw.Close()
	zipBytes := []byte(zipOfBytes(t, "big.bin", 20<<20))

	tests := []struct {
		name    string
		input   func() []byte
		warning string
		check   func(t *testing.T, m *Message, stored map[string]int64)
	}{
		{
			name: "1000-level nested multipart",
			input: func() []byte {
				var b strings.Builder
				b.WriteString(header("Content-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"))
				for i := 1; i < 1000; i++ {
					fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n", i-1, i)
				}
				b.WriteString("--b999\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n")
				for i := 999; i >= 0; i-- {
					fmt.Fprintf(&b, "--b%d--\r\n", i)
				}
				return []byte(b.String())
			},
			warning: "nesting deeper than 50 levels",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if m.Subject != "hostile" || m.TextBody != "" {
					t.Errorf("Subject %q TextBody %q", m.Subject, m.TextBody)
				}
			},
		},
		{
			name: "10 MB header line",
			input: func() []byte {
				return []byte(header("X-Long: " + strings.Repeat("a", 10<<20) + "\r\nX-After: ok\r\n\r\nbody text\r\n"))
			},
			warning: "header line longer than",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if m.TextBody != "body text" || m.From.Address != "a@example.com" {
					t.Errorf("TextBody %q From %+v", m.TextBody, m.From)
				}
			},
		},
		{
			// go-message reads part headers itself: their size is bounded
			// only by the message size, so this measures the cost.
			name: "10 MB part header line",
			input: func() []byte {
				return []byte(header("Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: text/plain\r\nX-Long: " +
					strings.Repeat("b", 10<<20) + "\r\n\r\npart text\r\n--x--\r\n"))
			},
			warning: "",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if m.TextBody != "part text" {
					t.Errorf("TextBody %q", m.TextBody)
				}
			},
		},
		{
			name: "10 MB subject",
			input: func() []byte {
				return []byte("From: a@example.com\r\nSubject: " + strings.Repeat("=?utf-8?Q?=C3=A9?= ", 600000) + "\r\n\r\nbody\r\n")
			},
			warning: "header line longer than",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if !strings.HasPrefix(m.Subject, "ééé") || m.TextBody != "body" {
					t.Errorf("Subject %q... TextBody %q", m.Subject[:min(20, len(m.Subject))], m.TextBody)
				}
			},
		},
		{
			name: "100,000 recipients",
			input: func() []byte {
				var b strings.Builder
				b.WriteString("From: a@example.com\r\nTo: ")
				for i := 0; i < 100000; i++ {
					if i > 0 {
						b.WriteString(",\r\n ")
					}
					fmt.Fprintf(&b, "\"User %d\" <user%d@example.com>", i, i)
				}
				b.WriteString("\r\nSubject: many\r\n\r\nhi\r\n")
				return []byte(b.String())
			},
			warning: "more than 10000 addresses",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if len(m.To) != maxRecipients || m.To[0].Address != "user0@example.com" || m.To[9999].Name != "User 9999" {
					t.Errorf("got %d recipients, first %+v", len(m.To), m.To[0])
				}
			},
		},
		{
			name: "zip and gzip bombs stored as is",
			input: func() []byte {
				var b strings.Builder
				b.WriteString(header("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"z\"\r\n\r\n"))
				b.WriteString("--z\r\nContent-Type: text/plain\r\n\r\nsee attachments\r\n")
				b.WriteString("--z\r\nContent-Type: application/gzip; name=\"bomb.gz\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
				b.WriteString(mailmix.Base64Lines(bomb.Bytes()))
				b.WriteString("--z\r\nContent-Type: application/zip; name=\"bomb.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
				b.WriteString(mailmix.Base64Lines(zipBytes))
				b.WriteString("--z--\r\n")
				return []byte(b.String())
			},
			warning: "", // nothing to repair
			check: func(t *testing.T, m *Message, stored map[string]int64) {
				if len(m.Attachments) != 2 {
					t.Fatalf("attachments %+v", m.Attachments)
				}
				if m.Attachments[0].Size != int64(bomb.Len()) || stored["bomb.gz"] != int64(bomb.Len()) {
					t.Errorf("gzip stored %d bytes (size %d), want the %d compressed bytes", stored["bomb.gz"], m.Attachments[0].Size, bomb.Len())
				}
				if m.Attachments[1].Size != int64(len(zipBytes)) || stored["bomb.zip"] != int64(len(zipBytes)) {
					t.Errorf("zip stored %d bytes, want %d", stored["bomb.zip"], len(zipBytes))
				}
			},
		},
		{
			name: "invalid UTF-8 everywhere",
			input: func() []byte {
				r := rand.New(rand.NewSource(1))
				junk := func(n int) string {
					b := make([]byte, n)
					for i := range b {
						b[i] = byte(0x80 + r.Intn(0x80))
					}
					return string(b)
				}
				return []byte("From: " + junk(10) + " <x" + junk(3) + "@example.com>\r\n" +
					"To: " + junk(20) + "\r\nSubject: " + junk(30) + " =?utf-8?Q?=FF=FE?= =?" + junk(4) + "?B?" + junk(5) + "?=\r\n" +
					"Message-ID: <" + junk(8) + "@example.com>\r\nContent-Type: multipart/mixed; boundary=\"" + junk(6) + "\"\r\n\r\n" +
					"--" + junk(6) + "\r\nContent-Type: text/plain; charset=\"" + junk(5) + "\"\r\n\r\n" + junk(500) + "\r\n" +
					"--" + junk(6) + "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" + junk(500) + "</p>\r\n" +
					"--" + junk(6) + "\r\nContent-Type: application/octet-stream; name=\"" + junk(12) + "\"\r\n\r\n" + junk(100) + "\r\n" +
					"--" + junk(6) + "--\r\n")
			},
			warning: "not UTF-8",
			check:   func(t *testing.T, m *Message, _ map[string]int64) {},
		},
		{
			name: "more than 10,000 parts",
			input: func() []byte {
				var b strings.Builder
				b.WriteString(header("Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n"))
				for i := 0; i < 12000; i++ {
					b.WriteString("--p\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n")
				}
				b.WriteString("--p--\r\n")
				return []byte(b.String())
			},
			warning: "more than 10000 MIME parts",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if len(m.Attachments) != maxParts {
					t.Errorf("%d attachments, want %d", len(m.Attachments), maxParts)
				}
			},
		},
		{
			// 1 MB of unclosed tags: the sanitizer and the HTML tree
			// builders must stay linear; x/net/html refuses the nesting, so
			// the text comes from the tokenizer fallback.
			name: "1 MB of nested HTML tags",
			input: func() []byte {
				return []byte(header("Content-Type: text/html\r\n\r\n" + strings.Repeat("<b><i><div>", (1<<20)/11) + "deep"))
			},
			warning: "",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if m.TextBody != "deep" || !strings.HasSuffix(m.HTMLBody, "deep") {
					t.Errorf("TextBody %q", m.TextBody)
				}
			},
		},
		{
			name: "12 MB text body",
			input: func() []byte {
				return []byte(header("Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.Repeat("ação! ", 2<<20)))
			},
			warning: "text/plain body larger than",
			check: func(t *testing.T, m *Message, _ map[string]int64) {
				if len(m.TextBody) > maxBodyBytes || len(m.TextBody) < maxBodyBytes-16 || !strings.HasPrefix(m.TextBody, "ação! ação!") {
					t.Errorf("TextBody has %d bytes", len(m.TextBody))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			input := tc.input()
			stored := map[string]int64{}
			opts := Options{Sink: func(meta Attachment, r io.Reader) (string, int64, error) {
				n, err := io.Copy(io.Discard, r)
				stored[meta.Filename] += n
				return meta.Filename, n, err
			}}
			m, took, alloc := measure(t, input, opts)
			t.Logf("%d input bytes: %v, %.1f MB allocated, %d warnings", len(input), took, float64(alloc)/(1<<20), len(m.Warnings))
			limit := hostileTimeLimit
			if raceEnabled { // the race detector slows code 5-20x
				limit *= 10
			}
			if took > limit {
				t.Errorf("took %v, limit %v", took, limit)
			}
			// The race detector changes allocation (instrumentation, no
			// escape-analysis shortcuts); the bound is checked without it.
			if !raceEnabled && alloc > hostileAllocLimit {
				t.Errorf("allocated %d MB, limit %d MB", alloc>>20, hostileAllocLimit>>20)
			}
			if tc.warning != "" && !hasWarning(m, tc.warning) {
				t.Errorf("warnings %q lack %q", m.Warnings, tc.warning)
			}
			tc.check(t, m, stored)
		})
	}
}
