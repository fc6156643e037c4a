package mailparse

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestParseMsgIDList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", []string{}},
		{"spaces", "   \t ", []string{}},
		{"one", "<a@b>", []string{"a@b"}},
		{"several folded", "<a@b>\r\n <c@d> <e@f>", []string{"a@b", "c@d", "e@f"}},
		{"duplicates", "<a@b> <a@b>", []string{"a@b"}},
		{"prose around", `Your message of "Tue" <x@y> (sent)`, []string{"x@y"}},
		{"no brackets", "a@b, c@d", []string{"a@b", "c@d"}},
		{"single token", "justtoken", []string{"justtoken"}},
		{"prose without ids", "hello world", []string{}},
		{"empty brackets", "<>", []string{}},
		{"invalid utf8", "<\xffa@b>", []string{"a@b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseMsgIDList(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parseMsgIDList(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitAddresses(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"simple", "a@b, c@d", []string{"a@b", "c@d"}},
		{"comma in quotes", `"Silva, Ana" <a@b>, c@d`, []string{`"Silva, Ana" <a@b>`, "c@d"}},
		{"comma in comment", `a@b (x, y), c@d`, []string{"a@b (x, y)", "c@d"}},
		{"group", `Team: a@b, c@d;, e@f`, []string{"a@b", "c@d", "e@f"}},
		{"empty group", `undisclosed-recipients:;`, nil},
		{"escaped quote", `"a \"b, c\"" <x@y>`, []string{`"a \"b, c\"" <x@y>`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitAddresses(tc.in, 100); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitAddresses(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := splitAddresses(strings.Repeat("a@b,", 50), 10); len(got) != 10 {
		t.Errorf("max not applied: %d items", len(got))
	}
}

func TestDecode2231(t *testing.T) {
	tests := []struct{ name, in, param, want string }{
		{"utf8", `attachment; filename*=UTF-8''caf%C3%A9.pdf`, "filename", "café.pdf"},
		{"latin1 with lang", `attachment; filename*=iso-8859-1'pt'caf%E9.pdf`, "filename", "café.pdf"},
		{"sections mixed", `attachment; filename*0*=utf-8''a%C3%A7; filename*1=" b.txt"`, "filename", "aç b.txt"},
		{"koi8-r", `attachment; filename*=koi8-r''%F0%D2%C9%D7%C5%D4.txt`, "filename", "Привет.txt"},
		{"not 2231", `attachment; filename="x.pdf"`, "filename", ""},
		{"other param", `attachment; name*=utf-8''x.pdf`, "filename", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decode2231(tc.in, tc.param); got != tc.want {
				t.Errorf("decode2231(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		name, in string
		delsp    bool
		want     string
	}{
		{"soft break", "one two \nthree\nfour", false, "one two three\nfour"},
		{"delsp", "abc \ndef", true, "abcdef"},
		{"quoted", "> quoted \n> line\n>\nreply", false, "> quoted line\n>\nreply"},
		{"signature kept", "text\n-- \nName", false, "text\n-- \nName"},
		{"space stuffed", " From here\n >x", false, "From here\n>x"},
		{"depth change ends paragraph", "> a \nb", false, "> a \nb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := unflow(tc.in, tc.delsp); got != tc.want {
				t.Errorf("unflow(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestBase64Lenient(t *testing.T) {
	tests := []struct {
		name, in, want, warning string
	}{
		{"clean", "aGVsbG8gd29ybGQ=\r\n", "hello world", ""},
		{"junk chars", "aGVs*bG8g!d29y\r\nbGQ=", "hello world", "invalid characters"},
		{"truncated quantum", "aGVsbG8gd29ybG", "hello worl", ""},
		{"footer after padding", "aGk=\r\n\r\n-- \r\nlist footer\r\n", "hi", "after the end"},
		{"dangling char", "aGVsbG8", "hello", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &parser{msg: &Message{}, seen: map[string]bool{}}
			got, err := io.ReadAll(p.decodeTransfer("base64", strings.NewReader(tc.in), "t"))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("decoded %q, want %q", got, tc.want)
			}
			if tc.warning != "" && !hasWarning(p.msg, tc.warning) {
				t.Errorf("warnings %q lack %q", p.msg.Warnings, tc.warning)
			}
		})
	}
}

func TestUUDecode(t *testing.T) {
	// "Cat" uuencoded
	got, ok := uudecode("#0V%T\n")
	if !ok || !bytes.Equal(got, []byte("Cat")) {
		t.Errorf("uudecode = %q %v", got, ok)
	}
	if _, ok := uudecode("M" + "abc\n"); ok {
		t.Error("short line accepted as complete")
	}
}

func TestCleanFilename(t *testing.T) {
	tests := map[string]string{
		"../../etc/passwd":    "passwd",
		`C:\Users\x\doc.pdf`:  "doc.pdf",
		".htaccess":           "htaccess",
		"a\x00b\x1fc.txt":     "a_b_c.txt",
		"evil\u202egpj.exe":   "evilgpj.exe",
		"..":                  "",
		"  relatório 1.pdf  ": "relatório 1.pdf",
	}
	for in, want := range tests {
		if got := cleanFilename(in); got != want {
			t.Errorf("cleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := map[string]string{
		"Mon, 3 Jun 2024 10:15:08 -0300":        "2024-06-03T10:15:08-03:00",
		"Tue, 18 Jun 2024 12:44:19 +0000 (UTC)": "2024-06-18T12:44:19Z",
		"3 Jun 2024 10:15:08 -0300":             "2024-06-03T10:15:08-03:00",
		"Wed, 3 Jul 2024 15:15 -0300 (BRT)":     "2024-07-03T15:15:00-03:00",
		"Mon Jun  3 10:15:08 2024":              "2024-06-03T10:15:08Z",
		"2024-06-03 10:15:08 -0300":             "2024-06-03T10:15:08-03:00",
	}
	for in, want := range tests {
		got, err := parseDate(in)
		if err != nil || got.Format("2006-01-02T15:04:05Z07:00") != want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseDate("quarta-feira"); err == nil {
		t.Error("garbage date parsed")
	}
}
