package smtpin

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func filterString(t testing.TB, in string) (string, int) {
	t.Helper()
	removed := -1
	out, err := io.ReadAll(newARFilter(strings.NewReader(in), "Atende.Test", func(n int) { removed = n }))
	if err != nil {
		t.Fatal(err)
	}
	return string(out), removed
}

func TestARFilter(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	tests := []struct {
		name, in, want string
		removed        int
	}{
		{"no fields to drop", "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", "From: a@b\r\nSubject: hi\r\n\r\nbody\r\n", 0},
		{"ours dropped, others kept",
			"Authentication-Results: atende.test; dmarc=pass\r\nAuthentication-Results: mx.google.com; dkim=pass\r\nFrom: a@b\r\n\r\nx",
			"Authentication-Results: mx.google.com; dkim=pass\r\nFrom: a@b\r\n\r\nx", 1},
		{"folded with id on the continuation line",
			"From: a@b\r\nAuthentication-Results:\r\n\tATENDE.TEST;\r\n\tdkim=pass header.d=bank.test\r\nTo: c@d\r\n\r\nx",
			"From: a@b\r\nTo: c@d\r\n\r\nx", 1},
		{"comment before the id", "authentication-results: (trust me) atende.test 1; spf=pass\r\n\r\nx", "\r\nx", 1},
		{"X-Atende-ARC always dropped", "X-Atende-ARC: sets=1; verified=yes\r\nFrom: a@b\r\n\r\nx", "From: a@b\r\n\r\nx", 1},
		{"header only, no body separator", "From: a@b\r\nAuthentication-Results: atende.test; dmarc=pass\r\n",
			"From: a@b\r\n", 1},
		{"header only, no final newline", "From: a@b\r\nAuthentication-Results: atende.test; dmarc=pass",
			"From: a@b\r\n", 1},
		{"after a malformed line", "From: a@b\r\nthis is not a header\r\nAuthentication-Results: atende.test; dmarc=pass\r\n\r\nx",
			"From: a@b\r\nthis is not a header\r\n\r\nx", 1},
		{"LF line endings", "Authentication-Results: atende.test; x=y\nFrom: a@b\n\nbody\n", "From: a@b\n\nbody\n", 1},
		{"in the body it stays", "From: a@b\r\n\r\nAuthentication-Results: atende.test; dmarc=pass\r\n",
			"From: a@b\r\n\r\nAuthentication-Results: atende.test; dmarc=pass\r\n", 0},
		{"similar name kept", "Authentication-Results-X: atende.test; a=b\r\nX-Atende-ARCx: 1\r\n\r\n", "Authentication-Results-X: atende.test; a=b\r\nX-Atende-ARCx: 1\r\n\r\n", 0},
		{"over-long other field streams through", "X-Long: " + long + "\r\nAuthentication-Results: atende.test; a=b\r\n\r\nx",
			"X-Long: " + long + "\r\n\r\nx", 1},
		{"over-long forged field dropped", "Authentication-Results: atende.test; reason=" + long + "\r\nFrom: a@b\r\n\r\nx",
			"From: a@b\r\n\r\nx", 1},
		{"empty message", "", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, removed := filterString(t, tc.in)
			if got != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", trunc(got), trunc(tc.want))
			}
			if removed != tc.removed {
				t.Fatalf("removed = %d, want %d", removed, tc.removed)
			}
		})
	}
}

func TestARFilterSmallReads(t *testing.T) {
	in := "Authentication-Results: atende.test; a=b\r\nFrom: a@b\r\n\r\n" + strings.Repeat("body line\r\n", 5000)
	out, err := io.ReadAll(iotest.OneByteReader(newARFilter(iotest.HalfReader(strings.NewReader(in)), "atende.test", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if want := in[len("Authentication-Results: atende.test; a=b\r\n"):]; string(out) != want {
		t.Fatalf("small reads changed the output (%d vs %d bytes)", len(out), len(want))
	}
}

// FuzzARFilter: without a field to drop the output is the input, byte for
// byte; the output is never longer than the input; and the filter
// terminates without error on any input.
func FuzzARFilter(f *testing.F) {
	for _, s := range []string{"From: a@b\r\n\r\nx", "Authentication-Results: atende.test; a=b\r\n\r\n", "\r\n", "a\n b\n\n c",
		"X-Atende-ARC: 1\r\n", "Authentication-Results:\r\n atende.test;\r\n\r\nbody"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := io.ReadAll(newARFilter(bytes.NewReader(in), "atende.test", nil))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > len(in) {
			t.Fatalf("output longer than input: %d > %d", len(out), len(in))
		}
		low := bytes.ToLower(in)
		if !bytes.Contains(low, []byte("authentication-results")) && !bytes.Contains(low, []byte("x-atende-arc")) && !bytes.Equal(out, in) {
			t.Fatalf("changed a message without candidate fields:\n%q\n%q", in, out)
		}
	})
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}
