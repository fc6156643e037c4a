package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// authTests are the conformance cases of the store.Auth group (and of the
// ticket list text query, agent scope and merge added with it).
func authTests() []Case {
	return []Case{
		{"Auth sessions", testSessions},
		{"Auth API tokens", testAPITokens},
		{"Auth login throttle", testLoginThrottle},
		{"Auth agent teams", testAgentTeamIDs},
		{"Auth resolve in one query", testAuthResolve},
		{"Auth webhooks", testWebhooks},
		{"TicketList query and scope", testTicketQueryScope},
		{"Ticket merge", testTicketMerge},
	}
}

func agentOf(t *testing.T, s store.Store, f fixture, email string) *model.Agent {
	t.Helper()
	a := &model.Agent{CompanyID: f.co.ID, Email: email, Name: email, Role: model.RoleAgent, Language: "en"}
	must(t, s.CreateAgent(ctx, a))
	return a
}

func testSessions(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := agentOf(t, s, f, "ana@acme.test")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	se := &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h1", CSRFToken: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	must(t, s.CreateSession(ctx, se))
	wantErr(t, s.CreateSession(ctx, &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h1", CSRFToken: "x", ExpiresAt: now}), store.ErrConflict)
	got, err := s.GetSessionByHash(ctx, "h1")
	must(t, err)
	if got.ID != se.ID || got.AgentID != a.ID || got.CompanyID != f.co.ID || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(now.Add(time.Hour)) || !got.LastSeenAt.Equal(now) {
		t.Fatalf("session = %+v", got)
	}
	must(t, s.TouchSession(ctx, se.ID, now.Add(time.Minute), now.Add(2*time.Hour)))
	got, _ = s.GetSessionByHash(ctx, "h1")
	if !got.LastSeenAt.Equal(now.Add(time.Minute)) || !got.ExpiresAt.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("after touch %+v", got)
	}
	must(t, s.CreateSession(ctx, &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h2", CSRFToken: "c2", CreatedAt: now, ExpiresAt: now.Add(-time.Minute)}))
	n, err := s.DeleteExpiredSessions(ctx, now)
	must(t, err)
	if n != 1 {
		t.Fatalf("expired deleted = %d", n)
	}
	_, err = s.GetSessionByHash(ctx, "h2")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.DeleteSession(ctx, "h1"))
	wantErr(t, s.DeleteSession(ctx, "h1"), store.ErrNotFound)
	must(t, s.CreateSession(ctx, &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h3", CSRFToken: "c", ExpiresAt: now}))
	must(t, s.CreateSession(ctx, &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "h4", CSRFToken: "c", ExpiresAt: now}))
	n, err = s.DeleteAgentSessions(ctx, f.co.ID, a.ID)
	must(t, err)
	if n != 2 {
		t.Fatalf("agent sessions deleted = %d", n)
	}
}

func testAPITokens(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "beta")
	a := agentOf(t, s, f, "ana@acme.test")
	tok := &store.APIToken{CompanyID: f.co.ID, AgentID: a.ID, Name: "CI", TokenHash: "th"}
	must(t, s.CreateAPIToken(ctx, tok))
	got, err := s.GetAPITokenByHash(ctx, "th")
	must(t, err)
	if got.ID != tok.ID || got.Name != "CI" || !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Fatalf("token = %+v", got)
	}
	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	must(t, s.TouchAPIToken(ctx, tok.ID, at))
	wantErr(t, s.RevokeAPIToken(ctx, g.co.ID, tok.ID, at), store.ErrNotFound)
	_, err = s.GetAPIToken(ctx, g.co.ID, tok.ID)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.RevokeAPIToken(ctx, f.co.ID, tok.ID, at.Add(time.Hour)))
	must(t, s.RevokeAPIToken(ctx, f.co.ID, tok.ID, at.Add(2*time.Hour))) // first time stays
	got, err = s.GetAPIToken(ctx, f.co.ID, tok.ID)
	must(t, err)
	if !got.LastUsedAt.Equal(at) || !got.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("after revoke %+v", got)
	}
	list, err := s.ListAPITokens(ctx, f.co.ID)
	must(t, err)
	other, err := s.ListAPITokens(ctx, g.co.ID)
	must(t, err)
	if len(list) != 1 || len(other) != 0 {
		t.Fatalf("lists = %d, %d", len(list), len(other))
	}
}

func testLoginThrottle(t *testing.T, s store.Store, clk *clock.Fake) {
	_, err := s.GetLoginThrottle(ctx, "ip:1.2.3.4")
	wantErr(t, err, store.ErrNotFound)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	must(t, s.PutLoginThrottle(ctx, &store.LoginThrottle{Key: "ip:1.2.3.4", Failures: 1, WindowStart: now}))
	must(t, s.PutLoginThrottle(ctx, &store.LoginThrottle{Key: "ip:1.2.3.4", Failures: 5, WindowStart: now, LockedUntil: now.Add(time.Minute)}))
	got, err := s.GetLoginThrottle(ctx, "ip:1.2.3.4")
	must(t, err)
	if got.Failures != 5 || !got.WindowStart.Equal(now) || !got.LockedUntil.Equal(now.Add(time.Minute)) {
		t.Fatalf("throttle = %+v", got)
	}
	must(t, s.DeleteLoginThrottle(ctx, "ip:1.2.3.4"))
	must(t, s.DeleteLoginThrottle(ctx, "ip:1.2.3.4"))
	_, err = s.GetLoginThrottle(ctx, "ip:1.2.3.4")
	wantErr(t, err, store.ErrNotFound)

	// LockLoginThrottle creates the row, and concurrent read-modify-write
	// cycles on one key under it lose no update.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Tx(ctx, func(q store.Queries) error {
				th, err := q.LockLoginThrottle(ctx, "acct:acme:ana@acme.test|ip:1.2.3.4", now)
				if err != nil {
					return err
				}
				th.Failures++
				return q.PutLoginThrottle(ctx, th)
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err = s.GetLoginThrottle(ctx, "acct:acme:ana@acme.test|ip:1.2.3.4")
	must(t, err)
	if got.Failures != 20 || !got.WindowStart.Equal(now) {
		t.Fatalf("20 concurrent increments gave %+v", got)
	}

	// Purge: counters idle since before t and holding nothing back after t.
	must(t, s.PutLoginThrottle(ctx, &store.LoginThrottle{Key: "old", Failures: 3, WindowStart: now.Add(-48 * time.Hour)}))
	must(t, s.PutLoginThrottle(ctx, &store.LoginThrottle{Key: "old-but-held", Failures: 30, WindowStart: now.Add(-48 * time.Hour), LockedUntil: now.Add(time.Hour)}))
	n, err := s.DeleteLoginThrottlesBefore(ctx, now.Add(-24*time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("purged %d counters, want 1", n)
	}
	_, err = s.GetLoginThrottle(ctx, "old")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetLoginThrottle(ctx, "old-but-held")
	must(t, err)
}

func testAgentTeamIDs(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := agentOf(t, s, f, "ana@acme.test")
	t1, t2 := &model.Team{CompanyID: f.co.ID, Name: "A"}, &model.Team{CompanyID: f.co.ID, Name: "B"}
	must(t, s.CreateTeam(ctx, t1))
	must(t, s.CreateTeam(ctx, t2))
	must(t, s.AddTeamMember(ctx, f.co.ID, t2.ID, a.ID))
	must(t, s.AddTeamMember(ctx, f.co.ID, t1.ID, a.ID))
	ids, err := s.AgentTeamIDs(ctx, f.co.ID, a.ID)
	must(t, err)
	if len(ids) != 2 || ids[0] != t1.ID || ids[1] != t2.ID {
		t.Fatalf("team ids = %v", ids)
	}
	g := newFixture(t, s, "beta")
	ids, err = s.AgentTeamIDs(ctx, g.co.ID, a.ID)
	must(t, err)
	if len(ids) != 0 {
		t.Fatalf("other company sees %v", ids)
	}
}

// testAuthResolve: GetSessionAuth and GetAPITokenAuth give the session or
// token, its agent (role, disabled) and the agent's teams ascending, as
// the separate reads do; unknown hashes are ErrNotFound.
func testAuthResolve(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "beta")
	a := agentOf(t, s, f, "ana@acme.test")
	lone := &model.Agent{CompanyID: g.co.ID, Email: "bia@beta.test", Name: "Bia", Role: model.RoleAdmin, Language: "pt-BR", Disabled: true}
	must(t, s.CreateAgent(ctx, lone))
	var teams []*model.Team
	for _, name := range []string{"A", "B", "C"} {
		tm := &model.Team{CompanyID: f.co.ID, Name: name}
		must(t, s.CreateTeam(ctx, tm))
		teams = append(teams, tm)
	}
	// Added out of order; team B stays without her.
	must(t, s.AddTeamMember(ctx, f.co.ID, teams[2].ID, a.ID))
	must(t, s.AddTeamMember(ctx, f.co.ID, teams[0].ID, a.ID))
	other := &model.Team{CompanyID: g.co.ID, Name: "Beta team"}
	must(t, s.CreateTeam(ctx, other))
	must(t, s.AddTeamMember(ctx, g.co.ID, other.ID, lone.ID))

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	must(t, s.CreateSession(ctx, &store.Session{CompanyID: f.co.ID, AgentID: a.ID, TokenHash: "sa", CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	must(t, s.CreateSession(ctx, &store.Session{CompanyID: g.co.ID, AgentID: lone.ID, TokenHash: "sb", CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}))
	tok := &store.APIToken{CompanyID: f.co.ID, AgentID: a.ID, Name: "CI", TokenHash: "ta", CreatedAt: now}
	must(t, s.CreateAPIToken(ctx, tok))
	must(t, s.RevokeAPIToken(ctx, f.co.ID, tok.ID, now.Add(time.Minute)))

	wantAgent := func(got *model.Agent, want *model.Agent, gotTeams []int64, wantTeams ...int64) {
		t.Helper()
		if got.ID != want.ID || got.CompanyID != want.CompanyID || got.Email != want.Email || got.Role != want.Role || got.Disabled != want.Disabled || got.Language != want.Language {
			t.Fatalf("agent = %+v, want %+v", got, want)
		}
		if len(gotTeams) != len(wantTeams) {
			t.Fatalf("teams = %v, want %v", gotTeams, wantTeams)
		}
		for i := range gotTeams {
			if gotTeams[i] != wantTeams[i] {
				t.Fatalf("teams = %v, want %v", gotTeams, wantTeams)
			}
		}
	}
	se, ag, ids, err := s.GetSessionAuth(ctx, "sa")
	must(t, err)
	if se.AgentID != a.ID || se.CompanyID != f.co.ID || !se.ExpiresAt.Equal(now.Add(time.Hour)) || se.TokenHash != "sa" {
		t.Fatalf("session = %+v", se)
	}
	wantAgent(ag, a, ids, teams[0].ID, teams[2].ID)
	se, ag, ids, err = s.GetSessionAuth(ctx, "sb")
	must(t, err)
	wantAgent(ag, lone, ids, other.ID)
	if se.CompanyID != g.co.ID {
		t.Fatalf("session = %+v", se)
	}
	tk, ag, ids, err := s.GetAPITokenAuth(ctx, "ta")
	must(t, err)
	if tk.ID != tok.ID || !tk.RevokedAt.Equal(now.Add(time.Minute)) || tk.Name != "CI" {
		t.Fatalf("token = %+v", tk)
	}
	wantAgent(ag, a, ids, teams[0].ID, teams[2].ID)
	// No teams: none.
	must(t, s.RemoveTeamMember(ctx, f.co.ID, teams[0].ID, a.ID))
	must(t, s.RemoveTeamMember(ctx, f.co.ID, teams[2].ID, a.ID))
	_, _, ids, err = s.GetAPITokenAuth(ctx, "ta")
	must(t, err)
	if len(ids) != 0 {
		t.Fatalf("teams after removal = %v", ids)
	}
	_, _, _, err = s.GetSessionAuth(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)
	_, _, _, err = s.GetAPITokenAuth(ctx, "sa") // a session's hash is no token
	wantErr(t, err, store.ErrNotFound)
}

func testWebhooks(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "beta")
	w := &store.Webhook{CompanyID: f.co.ID, URL: "https://example.com/hook", Secret: "s3", Events: []string{"ticket.created"}, Enabled: true}
	must(t, s.CreateWebhook(ctx, w))
	got, err := s.GetWebhook(ctx, f.co.ID, w.ID)
	must(t, err)
	if got.URL != w.URL || got.Secret != "s3" || len(got.Events) != 1 || got.Events[0] != "ticket.created" || !got.Enabled {
		t.Fatalf("webhook = %+v", got)
	}
	_, err = s.GetWebhook(ctx, g.co.ID, w.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.DeleteWebhook(ctx, g.co.ID, w.ID), store.ErrNotFound)
	list, err := s.ListWebhooks(ctx, f.co.ID)
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("webhooks = %d", len(list))
	}
	must(t, s.UpdateWebhookSecret(ctx, f.co.ID, w.ID, "sealed:v1:abc"))
	wantErr(t, s.UpdateWebhookSecret(ctx, g.co.ID, w.ID, "x"), store.ErrNotFound)
	if got, _ := s.GetWebhook(ctx, f.co.ID, w.ID); got.Secret != "sealed:v1:abc" {
		t.Fatalf("secret after update %q", got.Secret)
	}
	must(t, s.DeleteWebhook(ctx, f.co.ID, w.ID))
	list, _ = s.ListWebhooks(ctx, f.co.ID)
	if len(list) != 0 {
		t.Fatalf("after delete %d", len(list))
	}
}

func testTicketQueryScope(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other, err := s.UpsertContact(ctx, f.co.ID, "joana@cliente.com.br", "Joana")
	must(t, err)
	team := &model.Team{CompanyID: f.co.ID, Name: "N1"}
	must(t, s.CreateTeam(ctx, team))
	a := agentOf(t, s, f, "ana@acme.test")
	t1 := f.ticket(t, s, "Boleto atrasado")
	t2 := f.ticket(t, s, "100%_off coupon")
	t3 := &model.Ticket{CompanyID: f.co.ID, ChannelID: f.ch.ID, ContactID: other.ID, TeamID: team.ID, Subject: "Outro assunto", ReplyToken: "rt-t3"}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, t3) }))
	t2.AssigneeID = a.ID
	must(t, s.UpdateTicket(ctx, t2))
	cases := []struct {
		name string
		f    store.TicketFilter
		want []int64
	}{
		{"subject case-insensitive", store.TicketFilter{Query: "BOLETO"}, []int64{t1.ID}},
		{"contact email", store.TicketFilter{Query: "joana@"}, []int64{t3.ID}},
		{"punctuation alone finds nothing", store.TicketFilter{Query: "%_"}, nil},
		{"underscore literal", store.TicketFilter{Query: "0_o"}, nil},
		{"scope team or assignee (or unrouted)", store.TicketFilter{Visible: &store.TicketScope{TeamIDs: []int64{team.ID}, AssigneeID: a.ID}}, []int64{t3.ID, t2.ID, t1.ID}},
		{"scope assignee only (or unrouted)", store.TicketFilter{Visible: &store.TicketScope{AssigneeID: a.ID}}, []int64{t2.ID, t1.ID}},
		{"scope nobody: unrouted only", store.TicketFilter{Visible: &store.TicketScope{AssigneeID: -1}}, []int64{t1.ID}},
		{"channel", store.TicketFilter{ChannelID: f.ch.ID, Limit: 2}, []int64{t3.ID, t2.ID}},
	}
	for _, tc := range cases {
		got, err := s.ListTickets(ctx, f.co.ID, tc.f)
		must(t, err)
		var gotIDs []int64
		for _, tk := range got {
			gotIDs = append(gotIDs, tk.ID)
		}
		if len(gotIDs) != len(tc.want) {
			t.Fatalf("%s: got %v, want %v", tc.name, gotIDs, tc.want)
		}
		for i := range gotIDs {
			if gotIDs[i] != tc.want[i] {
				t.Fatalf("%s: got %v, want %v", tc.name, gotIDs, tc.want)
			}
		}
	}
	g := newFixture(t, s, "beta")
	got, err := s.ListTickets(ctx, g.co.ID, store.TicketFilter{Query: "boleto"})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("other company found %d", len(got))
	}
}

func testTicketMerge(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	src, dst := f.ticket(t, s, "src"), f.ticket(t, s, "dst")
	later := clk.Now().UTC().Add(time.Hour).Truncate(time.Second)
	for i, tk := range []*model.Ticket{src, src, dst} {
		m := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
			Subject: tk.Subject, From: model.Address{Address: "cliente@example.com"}}
		if i == 1 {
			m.CreatedAt = later
		}
		must(t, s.CreateMessage(ctx, m))
	}
	g := newFixture(t, s, "beta")
	foreign := g.ticket(t, s, "foreign")
	wantErr(t, s.Tx(ctx, func(q store.Queries) error { return q.MergeTickets(ctx, f.co.ID, src.ID, foreign.ID, clk.Now()) }), store.ErrNotFound)
	wantErr(t, s.Tx(ctx, func(q store.Queries) error { return q.MergeTickets(ctx, g.co.ID, src.ID, foreign.ID, clk.Now()) }), store.ErrNotFound)
	wantErr(t, s.Tx(ctx, func(q store.Queries) error { return q.MergeTickets(ctx, f.co.ID, src.ID, src.ID, clk.Now()) }), store.ErrConflict)
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.MergeTickets(ctx, f.co.ID, src.ID, dst.ID, clk.Now()) }))
	wantErr(t, s.Tx(ctx, func(q store.Queries) error { return q.MergeTickets(ctx, f.co.ID, src.ID, dst.ID, clk.Now()) }), store.ErrConflict)
	msgs, err := s.ListMessages(ctx, f.co.ID, dst.ID)
	must(t, err)
	left, err := s.ListMessages(ctx, f.co.ID, src.ID)
	must(t, err)
	if len(msgs) != 3 || len(left) != 0 {
		t.Fatalf("target has %d messages, source %d", len(msgs), len(left))
	}
	gs, err := s.GetTicket(ctx, f.co.ID, src.ID)
	must(t, err)
	gd, err := s.GetTicket(ctx, f.co.ID, dst.ID)
	must(t, err)
	if gs.Status != model.StatusClosed || !gd.LastMessageAt.Equal(later) {
		t.Fatalf("source status %s, target last message %v want %v", gs.Status, gd.LastMessageAt, later)
	}
	into, err := s.MergedInto(ctx, f.co.ID, src.ID)
	must(t, err)
	if into != dst.ID {
		t.Fatalf("merged into %d", into)
	}
	_, err = s.MergedInto(ctx, f.co.ID, dst.ID)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.MergedInto(ctx, g.co.ID, src.ID)
	wantErr(t, err, store.ErrNotFound)
}
