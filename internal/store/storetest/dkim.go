package storetest

import (
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

func dkimTests() []Case {
	return []Case{{"DKIM keys", testDKIM}}
}

func testDKIM(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	k := &store.DKIMKey{CompanyID: a.co.ID, Domain: "ACME.com.br", Selector: "atende202611", PrivateKey: []byte{0, 1, 2, 255}, PublicKey: "MIIB"}
	must(t, s.PutDKIMKey(ctx, k))
	wantErr(t, s.PutDKIMKey(ctx, &store.DKIMKey{CompanyID: a.co.ID, Domain: "acme.com.br", Selector: "x", PrivateKey: []byte{9}, PublicKey: "y"}), store.ErrConflict)
	got, err := s.GetDKIMKey(ctx, a.co.ID, "acme.COM.br")
	must(t, err)
	if got.Selector != "atende202611" || string(got.PrivateKey) != string([]byte{0, 1, 2, 255}) || got.PublicKey != "MIIB" || got.Domain != "acme.com.br" {
		t.Fatalf("key = %+v", got)
	}
	_, err = s.GetDKIMKey(ctx, b.co.ID, "acme.com.br")
	wantErr(t, err, store.ErrNotFound)
	// Another company may have its own key for the same domain name.
	must(t, s.PutDKIMKey(ctx, &store.DKIMKey{CompanyID: b.co.ID, Domain: "acme.com.br", Selector: "s", PrivateKey: []byte{1}, PublicKey: "p"}))
}
