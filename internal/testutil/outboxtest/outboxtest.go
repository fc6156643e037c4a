// Package outboxtest runs an outbox's due jobs to the end in a test, on
// whatever clock the outbox reads (the tests' fake one).
package outboxtest

import (
	"context"
	"testing"
)

// Processor is an outbox (outbox.Service).
type Processor interface {
	ProcessDue(ctx context.Context) (int, error)
}

// Drain runs ob's due jobs until none is left (at most 20 rounds: a job
// that keeps coming due is a test's bug, not a reason to spin).
func Drain(t testing.TB, ob Processor) {
	t.Helper()
	for i := 0; i < 20; i++ {
		n, err := ob.ProcessDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
