package mailparse

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
)

func loadCorpus(tb testing.TB) ([][]byte, int64) {
	tb.Helper()
	var msgs [][]byte
	var total int64
	for _, f := range corpusFiles(tb) {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		msgs = append(msgs, b)
		total += int64(len(b))
	}
	return msgs, total
}

// BenchmarkParseCorpus measures Parse (go-message based) over the corpus.
func BenchmarkParseCorpus(b *testing.B) {
	msgs, total := loadCorpus(b)
	opts := Options{AttachmentURL: func(cid string) string { return "/a/" + cid }}
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			if _, err := Parse(bytes.NewReader(m), opts); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkParseCorpusEnmime measures the candidate enmime/v2 on the same
// corpus (envelope only: it does no sanitizing, so it does less work).
// Messages enmime rejects (it fails hard on a multipart without boundary)
// are counted in failed/op.
func BenchmarkParseCorpusEnmime(b *testing.B) {
	msgs, total := loadCorpus(b)
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	failed := 0
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			if _, err := enmime.ReadEnvelope(bytes.NewReader(m)); err != nil {
				failed++
			}
		}
	}
	b.ReportMetric(float64(failed)/float64(b.N), "failed/op")
	b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
}

var compare = flag.Bool("compare", false, "print how enmime/v2 handles each corpus message next to Parse")

// TestCompareEnmime prints, with -compare, the subject/body/attachment
// differences between Parse and enmime/v2 on the corpus; it is the
// measurement behind the library choice documented in doc.go.
func TestCompareEnmime(t *testing.T) {
	if !*compare {
		t.Skip("run with -compare")
	}
	msgs, _ := loadCorpus(t)
	files := corpusFiles(t)
	diffs := 0
	for i, raw := range msgs {
		name := strings.TrimSuffix(filepath.Base(files[i]), ".eml")
		ours, err := Parse(bytes.NewReader(raw), Options{})
		if err != nil {
			t.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			fmt.Printf("%-36s enmime error: %v\n", name, err)
			diffs++
			continue
		}
		var notes []string
		if s := env.GetHeader("Subject"); s != ours.Subject {
			notes = append(notes, fmt.Sprintf("subject %q vs ours %q", s, ours.Subject))
		}
		if strings.TrimSpace(strings.ReplaceAll(env.Text, "\r\n", "\n")) != strings.TrimSpace(ours.TextBody) && env.HTML == "" {
			notes = append(notes, fmt.Sprintf("text %q vs ours %q", trimQ(env.Text), trimQ(ours.TextBody)))
		}
		na := len(env.Attachments) + len(env.Inlines) + len(env.OtherParts)
		if na != len(ours.Attachments) {
			notes = append(notes, fmt.Sprintf("%d attachments vs ours %d", na, len(ours.Attachments)))
		}
		for _, e := range env.Errors {
			notes = append(notes, "error: "+e.Error())
		}
		if len(notes) > 0 {
			diffs++
			fmt.Printf("%-36s %s\n", name, strings.Join(notes, "; "))
		}
	}
	fmt.Printf("%d of %d messages differ\n", diffs, len(msgs))
}

func trimQ(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// BenchmarkParseMix measures Parse over the realistic mix's kinds
// (internal/testutil/mailmix): 5 KB text, 50 KB HTML newsletter with
// images, 2 MB attachment; msgs/s per kind.
func BenchmarkParseMix(b *testing.B) {
	for _, k := range []mailmix.Kind{mailmix.Text, mailmix.HTML, mailmix.Attachment} {
		b.Run(k.String(), func(b *testing.B) {
			var msgs [][]byte
			var total int64
			for i := 0; len(msgs) < 20 && (k != mailmix.Attachment || len(msgs) < 4); i++ {
				if mailmix.KindOf(i) == k {
					m := mailmix.Message(i)
					msgs = append(msgs, m)
					total += int64(len(m))
				}
			}
			opts := Options{AttachmentURL: func(cid string) string { return "/a/" + cid }}
			b.SetBytes(total / int64(len(msgs)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Parse(bytes.NewReader(msgs[i%len(msgs)]), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
