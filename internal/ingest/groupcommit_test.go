package ingest_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
)

// Concurrent Accepts share commits; every caller still gets its own row's
// result, and duplicates inside one batch are reported as duplicates.
func TestGroupCommitConcurrentAccepts(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		const n = 60
		var wg sync.WaitGroup
		results := make([]bool, n) // duplicate?
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				src := fmt.Sprintf("g:%d", i%40) // 20 source keys sent twice
				raw := mail("c@example.com", "G", fmt.Sprintf("g%d@x", i%40), "", "b")
				res, err := e.svc.Accept(ctx, e.ch, src, bytes.NewReader(raw))
				if err != nil {
					t.Error(err)
					return
				}
				if res.InboundID == 0 {
					t.Error("no inbound id")
				}
				results[i] = res.Duplicate
			}(i)
		}
		wg.Wait()
		dups := 0
		for _, d := range results {
			if d {
				dups++
			}
		}
		if dups != 20 {
			t.Fatalf("duplicates = %d, want 20", dups)
		}
		if n, _ := e.st.CountInbound(ctx, model.InboundPending); n != 40 {
			t.Fatalf("rows = %d, want 40", n)
		}
	})
}
