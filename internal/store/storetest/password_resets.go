package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

// passwordResetTests are the conformance cases of store.PasswordResets.
func passwordResetTests() []Case {
	return []Case{{"Password resets", testPasswordResets}}
}

func testPasswordResets(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := agentOf(t, s, f, "ana@acme.test")
	b := agentOf(t, s, f, "bia@acme.test")
	now := clk.Now().UTC().Truncate(time.Second)
	mk := func(hash string, agentID int64, ttl time.Duration) *store.PasswordReset {
		r := &store.PasswordReset{CompanyID: f.co.ID, AgentID: agentID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}
		must(t, s.CreatePasswordReset(ctx, r))
		return r
	}
	r1 := mk("h1", a.ID, time.Hour)
	mk("h2", a.ID, time.Hour)
	mk("h3", b.ID, time.Hour)
	mk("old", a.ID, -time.Minute)
	wantErr(t, s.CreatePasswordReset(ctx, &store.PasswordReset{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h1", ExpiresAt: now}), store.ErrConflict)
	got, err := s.GetPasswordResetByHash(ctx, "h1")
	must(t, err)
	if got.ID != r1.ID || got.AgentID != a.ID || got.CompanyID != f.co.ID || !got.ExpiresAt.Equal(now.Add(time.Hour)) || !got.UsedAt.IsZero() {
		t.Fatalf("reset = %+v", got)
	}
	_, err = s.GetPasswordResetByHash(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	// Expired: refused, and an hour's link is refused at exactly its end.
	_, err = s.UsePasswordReset(ctx, "old", now)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.UsePasswordReset(ctx, "h1", now.Add(time.Hour))
	wantErr(t, err, store.ErrNotFound)

	// Concurrent uses of one link: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.UsePasswordReset(ctx, "h1", now.Add(time.Minute)); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent uses succeeded, want 1", wins)
	}
	got, _ = s.GetPasswordResetByHash(ctx, "h1")
	if !got.UsedAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("used at %v", got.UsedAt)
	}
	// Using one link spends the agent's other links, not other agents'.
	_, err = s.UsePasswordReset(ctx, "h2", now.Add(2*time.Minute))
	wantErr(t, err, store.ErrNotFound)
	if _, err := s.UsePasswordReset(ctx, "h3", now.Add(2*time.Minute)); err != nil {
		t.Fatalf("other agent's link: %v", err)
	}
	n, err := s.DeletePasswordResetsBefore(ctx, now)
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d old links, want 1", n)
	}
}
