package replytext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// maxGrowth is how many bytes longer than its input Text's output may be
// (it never is: output is made of input lines).
const maxGrowth = 0

func FuzzText(f *testing.F) {
	for _, tc := range inlineTextCases {
		f.Add(tc.in)
	}
	for _, tc := range loadCases(f, "text", "txt") {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Text(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output %q for %q", out, in)
		}
		if len(out) > len(in)+maxGrowth {
			t.Fatalf("output longer than input: %d > %d", len(out), len(in))
		}
		if strings.TrimSpace(in) != "" && out == "" {
			t.Fatalf("empty output for non-blank input %q", in)
		}
		if again := Text(out); again != out {
			t.Fatalf("not idempotent:\nin:    %q\nonce:  %q\ntwice: %q", in, out, again)
		}
	})
}

func FuzzHTML(f *testing.F) {
	for _, tc := range inlineHTMLCases {
		f.Add(tc.in)
	}
	for _, tc := range loadCases(f, "html", "html") {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := HTML(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output %q for %q", out, in)
		}
		if strings.Contains(out, sentinel) {
			t.Fatalf("sentinel leaked into output %q", out)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("output not trimmed: %q", out)
		}
	})
}
