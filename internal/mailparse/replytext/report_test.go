package replytext

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestCorpusReport prints, per kind, how many named reply-text cases give
// their expected text (`make corpus-report`). New cases are named
// "<kind>__<lang>_<what>"; the earlier ones count under text/earlier and
// html/earlier.
func TestCorpusReport(t *testing.T) {
	type tally struct{ pass, total int }
	kinds := map[string]*tally{}
	run := func(dir, ext string, fn func(string) string) {
		for _, tc := range loadCases(t, dir, ext) {
			kind, _, ok := strings.Cut(tc.name, "__")
			if !ok {
				kind = "earlier"
			}
			kind = dir + "/" + kind
			if kinds[kind] == nil {
				kinds[kind] = &tally{}
			}
			kinds[kind].total++
			if fn(tc.input) == tc.expected {
				kinds[kind].pass++
			}
		}
	}
	run("text", "txt", Text)
	run("html", "html", HTML)
	inline := &tally{}
	for _, tc := range inlineTextCases {
		inline.total++
		if Text(tc.in) == tc.want {
			inline.pass++
		}
	}
	for _, tc := range inlineHTMLCases {
		inline.total++
		if HTML(tc.in) == tc.want {
			inline.pass++
		}
	}
	kinds["inline/earlier"] = inline
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	pass, total := 0, 0
	for _, k := range names {
		fmt.Fprintf(&b, "%-22s %3d/%3d\n", k, kinds[k].pass, kinds[k].total)
		pass += kinds[k].pass
		total += kinds[k].total
	}
	fmt.Fprintf(&b, "%-22s %3d/%3d\n", "replytext total", pass, total)
	t.Log("\n" + b.String())
	if pass != total {
		t.Errorf("%d of %d cases give another text than expected", total-pass, total)
	}
}
