package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/store"
)

// activityTests are the conformance cases of the store.Activities,
// store.Presences and store.ContactEdits groups.
func activityTests() []Case {
	return []Case{
		{"Activity timeline", testActivity},
		{"Activity entries added together", testActivitiesTogether},
		{"Presence", testPresence},
		{"Contact edits", testContactEdits},
	}
}

func testActivity(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	tk := f.ticket(t, s, "one")
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, kind := range []string{store.ActivityRouted, store.ActivityAssigned, store.ActivityStatus} {
		a := &store.Activity{CompanyID: f.co.ID, TicketID: tk.ID, Kind: kind, ActorID: int64(i),
			Data: map[string]string{"n": string(rune('a' + i))}, CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		must(t, s.AddActivity(ctx, a))
		if a.ID == 0 {
			t.Fatal("activity ID not set")
		}
	}
	// Written inside a transaction too.
	must(t, s.Tx(ctx, func(q store.Queries) error {
		return q.AddActivity(ctx, &store.Activity{CompanyID: f.co.ID, TicketID: tk.ID, Kind: store.ActivityTeam})
	}))
	got, err := s.ListActivity(ctx, f.co.ID, tk.ID, 0)
	must(t, err)
	if len(got) != 4 || got[0].Kind != store.ActivityRouted || got[1].ActorID != 1 || got[2].Data["n"] != "c" ||
		!got[0].CreatedAt.Equal(base) || got[3].Kind != store.ActivityTeam || !got[3].CreatedAt.Equal(clk.Now().UTC()) || got[3].Data == nil {
		t.Fatalf("timeline = %+v", got)
	}
	// The newest limit entries, oldest first.
	got, err = s.ListActivity(ctx, f.co.ID, tk.ID, 2)
	must(t, err)
	if len(got) != 2 || got[0].Kind != store.ActivityStatus || got[1].Kind != store.ActivityTeam {
		t.Fatalf("last two = %+v", got)
	}
	// Another company sees nothing of it.
	got, err = s.ListActivity(ctx, other.co.ID, tk.ID, 0)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("other company sees %d entries", len(got))
	}
}

// testActivitiesTogether: AddActivities inserts each entry as AddActivity
// would, in order (ascending IDs, set on the entries), across tickets;
// rolled back with its transaction.
func testActivitiesTogether(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	one, two := f.ticket(t, s, "one"), f.ticket(t, s, "two")
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	as := []*store.Activity{
		{CompanyID: f.co.ID, TicketID: one.ID, Kind: store.ActivityRouted, Data: map[string]string{"team": "3"}, CreatedAt: base},
		{CompanyID: f.co.ID, TicketID: two.ID, Kind: store.ActivityRouted, ActorID: 7, CreatedAt: base.Add(time.Second)},
		{CompanyID: f.co.ID, TicketID: one.ID, Kind: store.ActivityStatus, Data: map[string]string{"from": "resolved", "to": "open"}},
	}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.AddActivities(ctx, as) }))
	if !(as[0].ID > 0 && as[0].ID < as[1].ID && as[1].ID < as[2].ID) {
		t.Fatalf("IDs %d %d %d", as[0].ID, as[1].ID, as[2].ID)
	}
	got, err := s.ListActivity(ctx, f.co.ID, one.ID, 0)
	must(t, err)
	if len(got) != 2 || got[0].ID != as[0].ID || got[0].Data["team"] != "3" || !got[0].CreatedAt.Equal(base) ||
		got[1].ID != as[2].ID || got[1].Data["to"] != "open" || !got[1].CreatedAt.Equal(clk.Now().UTC()) {
		t.Errorf("ticket one: %+v", got)
	}
	got, err = s.ListActivity(ctx, f.co.ID, two.ID, 0)
	must(t, err)
	if len(got) != 1 || got[0].ID != as[1].ID || got[0].ActorID != 7 || got[0].Data == nil {
		t.Errorf("ticket two: %+v", got)
	}
	boom := errors.New("boom")
	wantErr(t, s.Tx(ctx, func(q store.Queries) error {
		if err := q.AddActivities(ctx, []*store.Activity{{CompanyID: f.co.ID, TicketID: two.ID, Kind: store.ActivityTeam},
			{CompanyID: f.co.ID, TicketID: two.ID, Kind: store.ActivityTeam}}); err != nil {
			return err
		}
		return boom
	}), boom)
	if got, err := s.ListActivity(ctx, f.co.ID, two.ID, 0); err != nil || len(got) != 1 {
		t.Errorf("after a rollback: %d entries, %v", len(got), err)
	}
	must(t, s.AddActivities(ctx, nil))
}

func testPresence(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := store.Presence{CompanyID: f.co.ID, TicketID: 7, AgentID: 1, ExpiresAt: now.Add(30 * time.Second)}
	changed, err := s.TouchPresence(ctx, p, now)
	must(t, err)
	if !changed {
		t.Fatal("first presence not a change")
	}
	// Renewing is no change; typing is.
	p.ExpiresAt = now.Add(40 * time.Second)
	if changed, err = s.TouchPresence(ctx, p, now.Add(10*time.Second)); err != nil || changed {
		t.Fatalf("renewal: changed=%v err=%v", changed, err)
	}
	p.Typing = true
	if changed, err = s.TouchPresence(ctx, p, now.Add(11*time.Second)); err != nil || !changed {
		t.Fatalf("typing: changed=%v err=%v", changed, err)
	}
	must2 := func(ps []store.Presence, err error) []store.Presence { t.Helper(); must(t, err); return ps }
	p2 := store.Presence{CompanyID: f.co.ID, TicketID: 7, AgentID: 2, ExpiresAt: now.Add(20 * time.Second)}
	_, err = s.TouchPresence(ctx, p2, now)
	must(t, err)
	got := must2(s.ListPresence(ctx, f.co.ID, 7, now.Add(15*time.Second)))
	if len(got) != 2 || got[0].AgentID != 1 || !got[0].Typing || got[1].AgentID != 2 || got[1].Typing {
		t.Fatalf("presence = %+v", got)
	}
	// Expired rows are not listed; coming back after expiry is a change.
	got = must2(s.ListPresence(ctx, f.co.ID, 7, now.Add(25*time.Second)))
	if len(got) != 1 || got[0].AgentID != 1 {
		t.Fatalf("after agent 2 expired: %+v", got)
	}
	p2.ExpiresAt = now.Add(60 * time.Second)
	if changed, err = s.TouchPresence(ctx, p2, now.Add(30*time.Second)); err != nil || !changed {
		t.Fatalf("back after expiry: changed=%v err=%v", changed, err)
	}
	if len(must2(s.ListPresence(ctx, other.co.ID, 7, now))) != 0 {
		t.Fatal("another company sees the presence")
	}
	ok, err := s.DeletePresence(ctx, f.co.ID, 7, 1)
	must(t, err)
	if !ok {
		t.Fatal("delete presence: not there")
	}
	if ok, _ = s.DeletePresence(ctx, f.co.ID, 7, 1); ok {
		t.Fatal("deleted twice")
	}
	got = must2(s.ListPresence(ctx, f.co.ID, 7, now.Add(30*time.Second)))
	if len(got) != 1 || got[0].AgentID != 2 {
		t.Fatalf("after leaving: %+v", got)
	}
	_ = clk
}

func testContactEdits(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	must(t, s.UpdateContactName(ctx, f.co.ID, f.contact.ID, "Maria Cliente"))
	c, err := s.GetContact(ctx, f.co.ID, f.contact.ID)
	must(t, err)
	if c.Name != "Maria Cliente" {
		t.Fatalf("name = %q", c.Name)
	}
	if err := s.UpdateContactName(ctx, other.co.ID, f.contact.ID, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rename across companies: %v", err)
	}
	for _, e := range []string{"joao@example.com", "x@sub.example.com", "y@example_com.org", "z@EXAMPLE.com"} {
		_, err := s.UpsertContact(ctx, f.co.ID, e, "")
		must(t, err)
	}
	n, err := s.CountContactsByDomain(ctx, f.co.ID, "Example.com")
	must(t, err)
	if n != 3 { // cliente@, joao@, z@ (not sub.example.com)
		t.Fatalf("contacts at example.com = %d, want 3", n)
	}
	if n, _ = s.CountContactsByDomain(ctx, f.co.ID, "example_com.org"); n != 1 {
		t.Fatalf("contacts at example_com.org = %d", n)
	}
	if n, _ = s.CountContactsByDomain(ctx, other.co.ID, "sub.example.com"); n != 0 {
		t.Fatalf("other company counts %d", n)
	}
}
