package mailparse

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestCorpusReport prints, per kind ("<kind>__<name>.eml" in
// testdata/cases), how many named MIME and header cases match their golden
// report, and the golden-corpus total (`make corpus-report`).
func TestCorpusReport(t *testing.T) {
	type tally struct{ pass, total int }
	kinds := map[string]*tally{}
	count := func(kind string, ok bool) {
		if kinds[kind] == nil {
			kinds[kind] = &tally{}
		}
		kinds[kind].total++
		if ok {
			kinds[kind].pass++
		}
	}
	for _, path := range caseFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		kind, _, ok := strings.Cut(name, "__")
		if !ok {
			kind = "other"
		}
		want, err := os.ReadFile(filepath.Join("testdata", "golden", "cases", name+".json"))
		count("mime/"+kind, err == nil && bytes.Equal(reportJSON(t, path), want))
	}
	for _, path := range corpusFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".eml")
		want, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
		count("corpus/golden", err == nil && bytes.Equal(reportJSON(t, path), want))
	}
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
	fmt.Fprintf(&b, "%-22s %3d/%3d\n", "mailparse total", pass, total)
	t.Log("\n" + b.String())
	if pass != total {
		t.Errorf("%d of %d cases differ from their golden reports", total-pass, total)
	}
}
