package storetest

import (
	"slices"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

func filterTests() []Case {
	return []Case{{"Priority and tag filters", testPriorityTagFilters}}
}

// Issue 15 item 10: the priority and tags a rule (or an agent) set can be
// filtered on; a tag matches whole ("vip" is not "vip-ouro"), wildcards in
// it are literal, and another company's tickets never appear.
func testPriorityTagFilters(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	mk := func(fx fixture, name, prio string, tags ...string) int64 {
		tk := fx.ticket(t, s, name)
		tk.Priority, tk.Tags = prio, tags
		must(t, s.UpdateTicket(ctx, tk))
		return tk.ID
	}
	a := mk(f, "a", "urgent", "vip", "financeiro")
	b := mk(f, "b", "urgent", "vip-ouro")
	c := mk(f, "c", "low", "100%_off")
	d := mk(f, "d", "normal")
	mk(other, "x", "urgent", "vip")
	list := func(tf store.TicketFilter) []int64 {
		t.Helper()
		res, err := s.ListTickets(ctx, f.co.ID, tf)
		must(t, err)
		var ids []int64
		for _, tk := range res {
			ids = append(ids, tk.ID)
		}
		slices.Sort(ids)
		return ids
	}
	for _, tc := range []struct {
		name string
		tf   store.TicketFilter
		want []int64
	}{
		{"urgent", store.TicketFilter{Priority: "urgent"}, []int64{a, b}},
		{"low", store.TicketFilter{Priority: "low"}, []int64{c}},
		{"normal", store.TicketFilter{Priority: "normal"}, []int64{d}},
		{"tag vip", store.TicketFilter{Tag: "vip"}, []int64{a}},
		{"tag vip-ouro", store.TicketFilter{Tag: "vip-ouro"}, []int64{b}},
		{"second tag", store.TicketFilter{Tag: "financeiro"}, []int64{a}},
		{"wildcards literal", store.TicketFilter{Tag: "100%_off"}, []int64{c}},
		{"percent alone", store.TicketFilter{Tag: "%"}, nil},
		{"both", store.TicketFilter{Priority: "urgent", Tag: "vip-ouro"}, []int64{b}},
		{"none", store.TicketFilter{Priority: "high"}, nil},
	} {
		if got := list(tc.tf); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
