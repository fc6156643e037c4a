package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

func identitiesTests() []Case {
	return []Case{
		{"Identities", testIdentities},
		{"Identities verified once across companies", testIdentitiesVerifiedOnce},
	}
}

func testIdentities(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	now := clk.Now().UTC().Truncate(time.Second)
	d := &store.Identity{CompanyID: a.co.ID, Kind: store.IdentityDomain, Value: "ACME.test", Token: "tok123"}
	must(t, s.CreateIdentity(ctx, d))
	if d.ID == 0 || d.Value != "acme.test" || d.CreatedAt.IsZero() {
		t.Fatalf("created %+v", d)
	}
	wantErr(t, s.CreateIdentity(ctx, &store.Identity{CompanyID: a.co.ID, Kind: store.IdentityDomain, Value: "acme.test"}), store.ErrConflict)
	// Another company may claim the same name (unverified claims are not ownership).
	must(t, s.CreateIdentity(ctx, &store.Identity{CompanyID: b.co.ID, Kind: store.IdentityDomain, Value: "acme.test", Token: "other"}))
	addr := &store.Identity{CompanyID: a.co.ID, Kind: store.IdentityAddress, Value: "Ana@Gmail.com", CodeHash: "h", CodeExpiresAt: now.Add(time.Hour),
		Sends: 1, SendsSince: now, LastSentAt: now}
	must(t, s.CreateIdentity(ctx, addr))

	list, err := s.ListIdentities(ctx, a.co.ID)
	must(t, err)
	if len(list) != 2 || list[0].Kind != store.IdentityDomain || list[1].Value != "ana@gmail.com" {
		t.Fatalf("list %+v", list)
	}
	got, err := s.GetIdentity(ctx, a.co.ID, addr.ID)
	must(t, err)
	if got.CodeHash != "h" || !got.CodeExpiresAt.Equal(now.Add(time.Hour)) || got.Sends != 1 || !got.LastSentAt.Equal(now) || got.Verified() {
		t.Fatalf("address %+v", got)
	}
	_, err = s.GetIdentity(ctx, b.co.ID, addr.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteIdentity(ctx, b.co.ID, addr.ID), store.ErrNotFound)

	_, err = s.VerifiedIdentity(ctx, store.IdentityDomain, "acme.test")
	wantErr(t, err, store.ErrNotFound)
	d.VerifiedAt, d.CheckedAt, d.CheckResult = now, now, `["atende-verification=tok123"]`
	must(t, s.UpdateIdentity(ctx, d))
	v, err := s.VerifiedIdentity(ctx, store.IdentityDomain, "ACME.TEST")
	must(t, err)
	if v.ID != d.ID || v.CompanyID != a.co.ID || v.CheckResult != d.CheckResult || !v.CheckedAt.Equal(now) {
		t.Fatalf("verified %+v", v)
	}
	all, err := s.ListVerifiedIdentities(ctx)
	must(t, err)
	if len(all) != 1 || all[0].ID != d.ID {
		t.Fatalf("verified list %+v", all)
	}
	// Another company cannot verify what acme verified.
	others, _ := s.ListIdentities(ctx, b.co.ID)
	others[0].VerifiedAt = now
	wantErr(t, s.UpdateIdentity(ctx, &others[0]), store.ErrConflict)
	if g, _ := s.GetIdentity(ctx, b.co.ID, others[0].ID); g.Verified() {
		t.Fatal("the refused update was written")
	}
	// Updating another company's row changes nothing.
	addr2 := *addr
	addr2.CompanyID = b.co.ID
	wantErr(t, s.UpdateIdentity(ctx, &addr2), store.ErrNotFound)
	must(t, s.DeleteIdentity(ctx, a.co.ID, addr.ID))
	_, err = s.GetIdentity(ctx, a.co.ID, addr.ID)
	wantErr(t, err, store.ErrNotFound)
}

// Two companies verifying one domain at the same moment: exactly one wins.
func testIdentitiesVerifiedOnce(t *testing.T, s store.Store, clk *clock.Fake) {
	var ids []store.Identity
	for _, slug := range []string{"acme", "beta", "gama", "delta"} {
		f := newFixture(t, s, slug)
		i := store.Identity{CompanyID: f.co.ID, Kind: store.IdentityAddress, Value: "vendas@shared.test"}
		must(t, s.CreateIdentity(ctx, &i))
		ids = append(ids, i)
	}
	var wg sync.WaitGroup
	results := make([]error, len(ids))
	for n := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[n].VerifiedAt = clk.Now()
			results[n] = s.UpdateIdentity(ctx, &ids[n])
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		if err == nil {
			won++
		} else {
			wantErr(t, err, store.ErrConflict)
		}
	}
	all, err := s.ListVerifiedIdentities(ctx)
	must(t, err)
	if won != 1 || len(all) != 1 {
		t.Fatalf("%d companies verified one address (%d rows)", won, len(all))
	}
}
