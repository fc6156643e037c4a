package mailparse

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// splitReference splits a multipart body line by line, the simple way, as
// the specification for mpReader: parts between delimiter lines, without the
// line break before each delimiter, empty parts skipped, nothing after the
// close delimiter, the last part running to the end when it is missing.
func splitReference(body []byte, boundary string) (parts [][]byte, found bool) {
	dash := []byte("--" + boundary)
	kind := func(line []byte) int {
		if !bytes.HasPrefix(line, dash) {
			return 0
		}
		rest := bytes.TrimRight(line[len(dash):], " \t\r\n")
		switch string(rest) {
		case "":
			return 1
		case "--":
			return 2
		}
		return 0
	}
	var lines [][]byte
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n')
		if i < 0 {
			lines = append(lines, body)
			break
		}
		lines = append(lines, body[:i+1])
		body = body[i+1:]
	}
	var cur []byte
	in := false
	emit := func(final bool) {
		if !final {
			cur = bytes.TrimSuffix(cur, []byte("\n"))
			cur = bytes.TrimSuffix(cur, []byte("\r"))
		}
		if len(cur) > 0 {
			parts = append(parts, cur)
		}
		cur = nil
	}
	for _, l := range lines {
		k := 0
		if len(l) <= multipartBuffer {
			k = kind(l)
		}
		switch {
		case k == 0 && in:
			cur = append(cur, l...)
		case k == 0:
		case k == 1:
			if in {
				emit(false)
			}
			in, found = true, true
		case k == 2:
			if in {
				emit(false)
			}
			return parts, true
		}
	}
	if in {
		emit(true)
	}
	return parts, found
}

func splitOurs(body []byte, boundary string) (parts [][]byte, found bool) {
	mr := newMPReader(bufio.NewReaderSize(bytes.NewReader(body), multipartBuffer), boundary)
	for {
		p, err := mr.nextPart()
		if err != nil {
			return parts, err != errNoBoundary
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, b)
	}
}

func TestMultipartSplitter(t *testing.T) {
	for _, body := range []string{
		"pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n--b\r\ntwo\r\n-- b\r\n--bb\r\n--b--\r\nepilogue\r\n--b\r\nlost\r\n",
		"--b\nx\n--b \t\ny\n",
		"no boundary here\n",
		"--b--\n",
		"--b\n\n--b\nonly\n--b--",
		"--b\n-\n--\n-b\n--b",
		"--b\r\n\r\n\r\n--b\r\n" + strings.Repeat("x", 10000) + "\r\n--b--",
	} {
		want, wf := splitReference([]byte(body), "b")
		got, gf := splitOurs([]byte(body), "b")
		if wf != gf || len(want) != len(got) {
			t.Fatalf("%q: %d parts (found %v), want %d (found %v): %q", body, len(got), gf, len(want), wf, got)
		}
		for i := range want {
			if !bytes.Equal(want[i], got[i]) {
				t.Fatalf("%q: part %d = %q, want %q", body, i, got[i], want[i])
			}
		}
	}
}

// FuzzMultipartSplitter compares mpReader with splitReference.
func FuzzMultipartSplitter(f *testing.F) {
	f.Add([]byte("pre\r\n--b\r\nA: 1\r\n\r\none\r\n--b\r\n--b\r\ntwo\r\n--b--\r\n"), "b")
	f.Add([]byte("--=_x\n-\n--=_xy\n--=_x--"), "=_x")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if boundary == "" || strings.ContainsAny(boundary, "\r\n") || len(boundary) > 200 {
			return
		}
		want, wf := splitReference(body, boundary)
		got, gf := splitOurs(body, boundary)
		if wf != gf || len(want) != len(got) {
			t.Fatalf("%d parts (found %v), want %d (found %v)", len(got), gf, len(want), wf)
		}
		for i := range want {
			if !bytes.Equal(want[i], got[i]) {
				t.Fatalf("part %d = %q, want %q", i, got[i], want[i])
			}
		}
	})
}
