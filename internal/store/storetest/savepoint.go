package storetest

import (
	"errors"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func savepointTests() []Case {
	return []Case{{"Savepoint", testSavepoint}}
}

// testSavepoint: inside one transaction, a savepoint whose function fails
// rolls back its own writes only (also a unique violation on PostgreSQL,
// which would otherwise abort the whole transaction); the others commit.
func testSavepoint(t *testing.T, s store.Store, clk *clock.Fake) {
	boom := errors.New("boom")
	must(t, s.Tx(ctx, func(q store.Queries) error {
		sp, ok := q.(store.Savepointer)
		if !ok {
			t.Skip("store has no savepoints")
		}
		must(t, sp.Savepoint(ctx, func(q store.Queries) error {
			return q.CreateCompany(ctx, &model.Company{Slug: "kept", Name: "Kept"})
		}))
		if err := sp.Savepoint(ctx, func(q store.Queries) error {
			must(t, q.CreateCompany(ctx, &model.Company{Slug: "dropped", Name: "Dropped"}))
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("savepoint error = %v, want boom", err)
		}
		// A unique violation inside a savepoint, then nested savepoints.
		err := sp.Savepoint(ctx, func(q store.Queries) error {
			inner := q.(store.Savepointer).Savepoint(ctx, func(q store.Queries) error {
				return q.CreateCompany(ctx, &model.Company{Slug: "kept", Name: "Again"})
			})
			if !errors.Is(inner, store.ErrConflict) {
				t.Errorf("duplicate slug in savepoint = %v, want ErrConflict", inner)
			}
			return q.CreateCompany(ctx, &model.Company{Slug: "nested", Name: "Nested"})
		})
		must(t, err)
		return nil
	}))
	for slug, want := range map[string]bool{"kept": true, "dropped": false, "nested": true} {
		_, err := s.GetCompanyBySlug(ctx, slug)
		if got := err == nil; got != want {
			t.Errorf("company %q stored = %v, want %v (err %v)", slug, got, want, err)
		}
	}
	// Outside a transaction a savepoint is an error, not a silent no-op.
	if sp, ok := store.Queries(s).(store.Savepointer); ok {
		if err := sp.Savepoint(ctx, func(store.Queries) error { return nil }); err == nil {
			t.Error("savepoint outside a transaction succeeded")
		}
	}
}
