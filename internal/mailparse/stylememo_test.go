package mailparse

import (
	"reflect"
	"strings"
	"testing"

	cssparser "github.com/aymerick/douceur/parser"
)

// The style parser bluemonday uses is Atende's copy of douceur with a memo
// (third_party/douceur): a text parsed again gives the same declarations
// as a fresh parse, and a caller changing its result changes nothing for
// the next one.
func TestStyleMemoSameAsFreshParse(t *testing.T) {
	texts := []string{
		"font-size:14px;line-height:1.5;",
		"color: red !important; background: url(javascript:alert(1));",
		"margin:0 0 8px; font-family: 'Segoe UI', Arial, sans-serif;",
		"",
	}
	for _, text := range texts {
		fresh, err := cssparser.NewParser(text).ParseDeclarations()
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		first, err := cssparser.ParseDeclarations(text)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) > 0 {
			first[0].Value = "changed by the caller"
			first[0].Important = !first[0].Important
		}
		for i := 0; i < 2; i++ {
			again, err := cssparser.ParseDeclarations(text)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != len(fresh) {
				t.Fatalf("%q: %d declarations, fresh parse %d", text, len(again), len(fresh))
			}
			for j := range again {
				if !reflect.DeepEqual(*again[j], *fresh[j]) {
					t.Errorf("%q #%d: memo %+v, fresh parse %+v", text, j, *again[j], *fresh[j])
				}
				again[j].Property = "changed-too"
			}
		}
	}
}

// Sanitizing keeps the allowed properties of a repeated style and drops the
// others, the first time and every time after (the memo serves the later
// ones).
func TestSanitizeRepeatedStyles(t *testing.T) {
	cell := `<td style="font-size:14px;position:absolute;color:#333;background-image:url(https://t.example/x)">x</td>`
	raw := "<table><tr>" + strings.Repeat(cell, 3) + "</tr></table>"
	want := strings.Repeat(`<td style="font-size: 14px; color: #333">x</td>`, 3)
	for i := 0; i < 3; i++ {
		got := sanitizeHTML(raw, nil, nil)
		if !strings.Contains(got, want) || strings.Contains(got, "position") || strings.Contains(got, "url(") {
			t.Fatalf("run %d: %s\nwant it to contain %s", i, got, want)
		}
	}
}
