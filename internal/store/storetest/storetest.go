// Package storetest is the one conformance suite every store.Store
// implementation must pass (SQLite and PostgreSQL run it from their own
// test files). Each subtest gets a fresh, migrated store from open.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// Opener returns a fresh, empty, migrated store on clock clk; the suite
// closes it.
type Opener func(t *testing.T, clk clock.Clock) store.Store

// Case is one named conformance test.
type Case struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *clock.Fake)
}

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []Case{
		{"SchemaVersion", testSchemaVersion},
		{"Companies", testCompanies},
		{"Agents", testAgents},
		{"Teams", testTeams},
		{"Channels", testChannels},
		{"Contacts", testContacts},
		{"Tickets", testTickets},
		{"Creating a ticket", testCreateTicket},
		{"TicketList", testTicketList},
		{"Messages", testMessages},
		{"Threading lookups", testThreadingLookups},
		{"Attachments", testAttachments},
		{"Inbound", testInbound},
		{"Inbound raw kept inline", testInboundInline},
		{"Inbound rows inserted together", testInboundTogether},
		{"Inbound rows finished together", testInboundFinishedTogether},
		{"Jobs", testJobs},
		{"Tx rollback", testTxRollback},
		{"Company isolation", testIsolation},
		{"Concurrent ingest of one message", testConcurrentIngest},
		{"Store clock", testStoreClock},
	}
	// Feature groups add their cases in their own files.
	tests = append(tests, secretsTests()...)
	tests = append(tests, syncTests()...)
	tests = append(tests, authTests()...)
	tests = append(tests, noticesTests()...)
	tests = append(tests, outboxTests()...)
	tests = append(tests, dkimTests()...)
	tests = append(tests, zonesTests()...)
	tests = append(tests, clusterTests()...)
	tests = append(tests, savepointTests()...)
	tests = append(tests, identitiesTests()...)
	tests = append(tests, passwordResetTests()...)
	tests = append(tests, snoozeTests()...)
	tests = append(tests, activityTests()...)
	tests = append(tests, searchTests()...)
	tests = append(tests, filterTests()...)
	tests = append(tests, readTests()...)
	tests = append(tests, composeTests()...)
	tests = append(tests, ticketGroupTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := testclock.New(t)
			s := open(t, clk)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s, clk)
		})
	}
}

var ctx = context.Background()

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// fixture is one company with a channel and a contact.
type fixture struct {
	co      *model.Company
	ch      *model.Channel
	contact *model.Contact
}

// Company creates a company with a channel and a contact, as the
// conformance cases do, for other packages' tests on both databases.
func Company(t testing.TB, s store.Store, slug string) (*model.Company, *model.Channel, *model.Contact) {
	t.Helper()
	f := newFixture(t, s, slug)
	return f.co, f.ch, f.contact
}

func newFixture(t testing.TB, s store.Store, slug string) fixture {
	t.Helper()
	co := &model.Company{Slug: slug, Name: "Company " + slug}
	must(t, s.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "support", Name: "Suporte", Enabled: true,
		Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "tok-" + slug,
		Settings: model.ChannelSettings{PrimaryEmail: "suporte@" + slug + ".test"}}
	must(t, s.CreateChannel(ctx, ch))
	c, err := s.UpsertContact(ctx, co.ID, "cliente@example.com", "Cliente")
	must(t, err)
	return fixture{co, ch, c}
}

func (f fixture) ticket(t *testing.T, s store.Store, subject string) *model.Ticket {
	t.Helper()
	tk := &model.Ticket{CompanyID: f.co.ID, ChannelID: f.ch.ID, ContactID: f.contact.ID, Subject: subject,
		ReplyToken: "rt-" + subject + "-" + rand.Text()}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
	return tk
}

func testSchemaVersion(t *testing.T, s store.Store, clk *clock.Fake) {
	v, err := s.SchemaVersion(ctx)
	must(t, err)
	if v < 1 {
		t.Fatalf("schema version = %d, want >= 1", v)
	}
	must(t, s.Ping(ctx))
}

func testCompanies(t *testing.T, s store.Store, clk *clock.Fake) {
	a := &model.Company{Slug: "acme", Name: "ACME Ltda"}
	must(t, s.CreateCompany(ctx, a))
	if a.ID == 0 || a.CreatedAt.IsZero() {
		t.Fatalf("company not filled: %+v", a)
	}
	wantErr(t, s.CreateCompany(ctx, &model.Company{Slug: "acme", Name: "Other"}), store.ErrConflict)
	got, err := s.GetCompany(ctx, a.ID)
	must(t, err)
	if got.Slug != "acme" || got.Name != "ACME Ltda" || !got.CreatedAt.Equal(a.CreatedAt.Truncate(time.Microsecond)) && got.CreatedAt.Sub(a.CreatedAt).Abs() > time.Millisecond {
		t.Fatalf("got %+v, want %+v", got, a)
	}
	got, err = s.GetCompanyBySlug(ctx, "acme")
	must(t, err)
	if got.ID != a.ID {
		t.Fatalf("by slug id = %d", got.ID)
	}
	_, err = s.GetCompany(ctx, a.ID+1000)
	wantErr(t, err, store.ErrNotFound)
	_, err = s.GetCompanyBySlug(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)
	must(t, s.CreateCompany(ctx, &model.Company{Slug: "beta", Name: "Beta"}))
	all, err := s.ListCompanies(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Slug != "acme" || all[1].Slug != "beta" {
		t.Fatalf("list = %+v", all)
	}
}

func testAgents(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := &model.Agent{CompanyID: f.co.ID, Email: " Ana@ACME.test ", Name: "Ana", Role: model.RoleAdmin, Signature: "<b>Ana</b>", Language: "pt-BR"}
	must(t, s.CreateAgent(ctx, a))
	wantErr(t, s.CreateAgent(ctx, &model.Agent{CompanyID: f.co.ID, Email: "ana@acme.test", Name: "Dup", Role: model.RoleAgent}), store.ErrConflict)
	got, err := s.GetAgentByEmail(ctx, f.co.ID, "ANA@acme.test")
	must(t, err)
	if got.ID != a.ID || got.Email != "ana@acme.test" || got.Role != model.RoleAdmin || got.Signature != "<b>Ana</b>" || got.Disabled {
		t.Fatalf("got %+v", got)
	}
	other := &model.Agent{CompanyID: f.co.ID, Email: "outra@acme.test", Name: "Outra", Role: model.RoleAgent}
	must(t, s.CreateAgent(ctx, other))
	other.Email = "ana@acme.test"
	wantErr(t, s.UpdateAgent(ctx, other), store.ErrConflict)
	got.Name, got.Disabled, got.Language = "Ana Souza", true, "en"
	must(t, s.UpdateAgent(ctx, got))
	got2, err := s.GetAgent(ctx, f.co.ID, a.ID)
	must(t, err)
	if got2.Name != "Ana Souza" || !got2.Disabled || got2.Language != "en" {
		t.Fatalf("after update %+v", got2)
	}
	must(t, s.CreateAgent(ctx, &model.Agent{CompanyID: f.co.ID, Email: "bruno@acme.test", Name: "Bruno", Role: model.RoleAgent}))
	list, err := s.ListAgents(ctx, f.co.ID)
	must(t, err)
	if len(list) != 3 {
		t.Fatalf("agents = %d", len(list))
	}
}

func testTeams(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	tm := &model.Team{CompanyID: f.co.ID, Name: "Vendas"}
	must(t, s.CreateTeam(ctx, tm))
	wantErr(t, s.CreateTeam(ctx, &model.Team{CompanyID: f.co.ID, Name: "Vendas"}), store.ErrConflict)
	a := &model.Agent{CompanyID: f.co.ID, Email: "a@acme.test", Name: "A", Role: model.RoleAgent}
	must(t, s.CreateAgent(ctx, a))
	must(t, s.AddTeamMember(ctx, f.co.ID, tm.ID, a.ID))
	must(t, s.AddTeamMember(ctx, f.co.ID, tm.ID, a.ID)) // idempotent
	members, err := s.ListTeamMembers(ctx, f.co.ID, tm.ID)
	must(t, err)
	if len(members) != 1 || members[0].ID != a.ID {
		t.Fatalf("members = %+v", members)
	}
	must(t, s.RemoveTeamMember(ctx, f.co.ID, tm.ID, a.ID))
	wantErr(t, s.RemoveTeamMember(ctx, f.co.ID, tm.ID, a.ID), store.ErrNotFound)
	teams, err := s.ListTeams(ctx, f.co.ID)
	must(t, err)
	if len(teams) != 1 || teams[0].Name != "Vendas" {
		t.Fatalf("teams = %+v", teams)
	}
	got, err := s.GetTeam(ctx, f.co.ID, tm.ID)
	must(t, err)
	if got.Name != "Vendas" {
		t.Fatalf("team = %+v", got)
	}
}

func testChannels(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	ch := &model.Channel{CompanyID: f.co.ID, Slug: "vendas", Name: "Vendas", Enabled: true,
		Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "x7k2",
		Settings: model.ChannelSettings{
			Signature: "<p>Equipe</p>", ShowQuote: true, PrimaryEmail: "vendas@acme.test",
			AdditionalEmails: []string{"comercial@acme.test"}, FromName: "ACME", FromEmail: "vendas@acme.test",
			Provider: "gmail", AccountKind: model.AccountPersonal,
			IMAP: model.ServerConf{Host: "imap.gmail.com", Port: 993, Encryption: "tls", Username: "vendas@acme.test", Auth: "password"},
			SMTP: model.ServerConf{Host: "smtp.gmail.com", Port: 587, Encryption: "starttls"},
		}}
	must(t, s.CreateChannel(ctx, ch))
	wantErr(t, s.CreateChannel(ctx, &model.Channel{CompanyID: f.co.ID, Slug: "vendas", Name: "Dup", InboundToken: "other",
		Incoming: model.ConnInternal, Outgoing: model.ConnInternal}), store.ErrConflict)
	got, err := s.GetChannel(ctx, f.co.ID, ch.ID)
	must(t, err)
	if got.Settings.IMAP.Host != "imap.gmail.com" || got.Settings.IMAP.Port != 993 || !got.Settings.ShowQuote ||
		len(got.Settings.AdditionalEmails) != 1 || got.Incoming != model.ConnExternal || !got.Enabled {
		t.Fatalf("settings round trip: %+v", got)
	}
	byTok, err := s.GetChannelByInboundToken(ctx, "x7k2")
	must(t, err)
	if byTok.ID != ch.ID || byTok.CompanyID != f.co.ID {
		t.Fatalf("by token = %+v", byTok)
	}
	// Taking another channel's slug or inbound token is a conflict.
	dupTok := *got
	dupTok.InboundToken = f.ch.InboundToken
	wantErr(t, s.UpdateChannel(ctx, &dupTok), store.ErrConflict)
	got.Enabled = false
	got.Settings.Signature = "novo"
	must(t, s.UpdateChannel(ctx, got))
	got2, err := s.GetChannelBySlug(ctx, f.co.ID, "vendas")
	must(t, err)
	if got2.Enabled || got2.Settings.Signature != "novo" {
		t.Fatalf("after update %+v", got2)
	}
	enabled, err := s.ListEnabledChannels(ctx)
	must(t, err)
	if len(enabled) != 1 || enabled[0].ID != f.ch.ID {
		t.Fatalf("enabled = %+v", enabled)
	}
	all, err := s.ListChannels(ctx, f.co.ID)
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("channels = %d", len(all))
	}
	_, err = s.GetChannelByInboundToken(ctx, "missing")
	wantErr(t, err, store.ErrNotFound)
}

func testContacts(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	c1, err := s.UpsertContact(ctx, f.co.ID, "Maria@Example.com", "")
	must(t, err)
	c2, err := s.UpsertContact(ctx, f.co.ID, "maria@example.com", "Maria Silva")
	must(t, err)
	if c1.ID != c2.ID || c2.Name != "Maria Silva" || c2.Email != "maria@example.com" {
		t.Fatalf("upsert: %+v %+v", c1, c2)
	}
	c3, err := s.UpsertContact(ctx, f.co.ID, "maria@example.com", "Outro Nome")
	must(t, err)
	if c3.Name != "Maria Silva" {
		t.Fatalf("name overwritten: %q", c3.Name)
	}
	got, err := s.GetContact(ctx, f.co.ID, c1.ID)
	must(t, err)
	if got.Email != "maria@example.com" {
		t.Fatalf("contact %+v", got)
	}
	list, err := s.ListContacts(ctx, f.co.ID)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("contacts = %d", len(list))
	}
}

// testCreateTicket: every field is stored as given, the number comes from
// the company's sequence, a conflicting insert reports ErrConflict (its
// number is not given again) and a missing company ErrNotFound.
func testCreateTicket(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	team := &model.Team{CompanyID: a.co.ID, Name: "Triagem"}
	must(t, s.CreateTeam(ctx, team))
	first := a.ticket(t, s, "first")
	at := clk.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	full := &model.Ticket{CompanyID: a.co.ID, ChannelID: a.ch.ID, ContactID: a.contact.ID, TeamID: team.ID,
		Subject: "Pedido nº 5 — atraso na entrega", Status: model.StatusPending, Priority: "high", ReplyToken: "rt-full",
		Tags: []string{"vip", "cotação"}, CreatedAt: at, UpdatedAt: at.Add(time.Minute),
		LastMessageAt: at.Add(2 * time.Minute), ActivityAt: at.Add(3 * time.Minute)}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, full) }))
	if first.Number != 1 || full.Number != 2 || full.ID == 0 || full.ID == first.ID {
		t.Fatalf("numbers %d, %d (id %d)", first.Number, full.Number, full.ID)
	}
	got, err := s.GetTicket(ctx, a.co.ID, full.ID)
	must(t, err)
	near := func(x, y time.Time) bool { return x.Sub(y).Abs() < time.Millisecond }
	if got.Number != 2 || got.ChannelID != a.ch.ID || got.ContactID != a.contact.ID || got.TeamID != team.ID ||
		got.AssigneeID != 0 || got.Subject != full.Subject || got.Status != model.StatusPending || got.Priority != "high" ||
		got.ReplyToken != "rt-full" || fmt.Sprint(got.Tags) != "[vip cotação]" || !near(got.CreatedAt, at) ||
		!near(got.UpdatedAt, at.Add(time.Minute)) || !near(got.LastMessageAt, at.Add(2*time.Minute)) ||
		!near(got.ActivityAt, at.Add(3*time.Minute)) {
		t.Fatalf("stored %+v\nwant %+v", got, full)
	}
	// The reply token is taken: a conflict, and the number it took is
	// not given to the next ticket (the transaction went on).
	var dupErr error
	must(t, s.Tx(ctx, func(q store.Queries) error {
		dupErr = q.CreateTicket(ctx, &model.Ticket{CompanyID: a.co.ID, ChannelID: a.ch.ID, ContactID: a.contact.ID, ReplyToken: "rt-full"})
		return nil
	}))
	wantErr(t, dupErr, store.ErrConflict)
	if next := a.ticket(t, s, "next"); next.Number != 4 {
		t.Fatalf("number after a conflict = %d, want 4", next.Number)
	}
	// A rolled-back transaction gives its number back.
	_ = s.Tx(ctx, func(q store.Queries) error {
		must(t, q.CreateTicket(ctx, &model.Ticket{CompanyID: a.co.ID, ChannelID: a.ch.ID, ContactID: a.contact.ID, ReplyToken: "rt-gone"}))
		return errors.New("roll back")
	})
	if next := a.ticket(t, s, "after-rollback"); next.Number != 5 {
		t.Fatalf("number after a rollback = %d, want 5", next.Number)
	}
	var nfErr error
	_ = s.Tx(ctx, func(q store.Queries) error {
		nfErr = q.CreateTicket(ctx, &model.Ticket{CompanyID: a.co.ID + 1000, ChannelID: a.ch.ID, ContactID: a.contact.ID, ReplyToken: "rt-x"})
		return nil
	})
	wantErr(t, nfErr, store.ErrNotFound)
}

func testTickets(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	t1 := a.ticket(t, s, "one")
	t2 := a.ticket(t, s, "two")
	tb := b.ticket(t, s, "b-one")
	if t1.Number != 1 || t2.Number != 2 || tb.Number != 1 {
		t.Fatalf("numbers = %d %d %d, want 1 2 1", t1.Number, t2.Number, tb.Number)
	}
	if t1.Status != model.StatusOpen || t1.Priority != "normal" {
		t.Fatalf("defaults %+v", t1)
	}
	got, err := s.GetTicketByNumber(ctx, a.co.ID, 2)
	must(t, err)
	if got.ID != t2.ID || got.Subject != "two" || got.TeamID != 0 || got.AssigneeID != 0 {
		t.Fatalf("by number %+v", got)
	}
	byTok, err := s.GetTicketByReplyToken(ctx, a.co.ID, t1.ReplyToken)
	must(t, err)
	if byTok.ID != t1.ID {
		t.Fatalf("by token %+v", byTok)
	}
	_, err = s.GetTicketByReplyToken(ctx, a.co.ID, "")
	wantErr(t, err, store.ErrNotFound)
	team := &model.Team{CompanyID: a.co.ID, Name: "N2"}
	must(t, s.CreateTeam(ctx, team))
	got.TeamID, got.Status, got.Priority, got.Tags = team.ID, model.StatusPending, "high", []string{"vip", "cotação"}
	must(t, s.UpdateTicket(ctx, got))
	got2, err := s.GetTicket(ctx, a.co.ID, t2.ID)
	must(t, err)
	if got2.TeamID != team.ID || got2.Status != model.StatusPending || got2.Priority != "high" ||
		fmt.Sprint(got2.Tags) != "[vip cotação]" {
		t.Fatalf("after update %+v", got2)
	}
	later := clk.Now().Add(time.Hour).UTC()
	must(t, s.TouchTicket(ctx, a.co.ID, t2.ID, later))
	must(t, s.TouchTicket(ctx, a.co.ID, t2.ID, later.Add(-2*time.Hour))) // never backwards
	got3, err := s.GetTicket(ctx, a.co.ID, t2.ID)
	must(t, err)
	if got3.LastMessageAt.Sub(later).Abs() > time.Millisecond {
		t.Fatalf("last message at = %v, want %v", got3.LastMessageAt, later)
	}
	n, err := s.CountTickets(ctx, a.co.ID)
	must(t, err)
	if n != 2 {
		t.Fatalf("count = %d", n)
	}
}

func testTicketList(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	team := &model.Team{CompanyID: f.co.ID, Name: "N1"}
	must(t, s.CreateTeam(ctx, team))
	var ids []int64
	for i := 0; i < 7; i++ {
		tk := f.ticket(t, s, fmt.Sprintf("t%d", i))
		if i%2 == 0 {
			tk.TeamID, tk.Status = team.ID, model.StatusResolved
			must(t, s.UpdateTicket(ctx, tk))
		}
		ids = append(ids, tk.ID)
	}
	page1, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Limit: 3})
	must(t, err)
	if len(page1) != 3 || page1[0].ID != ids[6] || page1[2].ID != ids[4] {
		t.Fatalf("page1 = %v", ticketIDs(page1))
	}
	page2, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Limit: 3, Before: page1[2].ID})
	must(t, err)
	if len(page2) != 3 || page2[0].ID != ids[3] {
		t.Fatalf("page2 = %v", ticketIDs(page2))
	}
	byTeam, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{TeamID: team.ID, Status: model.StatusResolved})
	must(t, err)
	if len(byTeam) != 4 {
		t.Fatalf("by team = %v", ticketIDs(byTeam))
	}
	byContact, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{ContactID: f.contact.ID, ChannelID: f.ch.ID})
	must(t, err)
	if len(byContact) != 7 {
		t.Fatalf("by contact = %d", len(byContact))
	}
}

func ticketIDs(ts []model.Ticket) []int64 {
	var out []int64
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func testMessages(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	tk := f.ticket(t, s, "hello")
	date := time.Date(2024, 6, 5, 10, 0, 0, 0, time.UTC)
	m := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
		From: model.Address{Name: "Cliente", Address: "Cliente@Example.com"},
		To:   []model.Address{{Address: "suporte@acme.test"}}, Cc: []model.Address{{Name: "Chefe", Address: "chefe@example.com"}},
		Subject: "Olá", MessageID: "abc@example.com", InReplyTo: "x@y", References: []string{"r1@y", "x@y"}, Date: date,
		Text: "Oi", HTML: "<p>Oi</p>", ReplyText: "Oi", RawKey: "sha256/ab", Size: 123, Flags: model.FlagBulk | model.FlagDMARCFail,
		DedupeKey: "dk1", Meta: map[string]string{"auth": "dmarc=fail"}}
	must(t, s.CreateMessage(ctx, m))
	dup := *m
	dup.ID = 0
	wantErr(t, s.CreateMessage(ctx, &dup), store.ErrConflict)
	if dup.ID != m.ID {
		t.Fatalf("duplicate id = %d, want %d", dup.ID, m.ID)
	}
	// Outbound messages and notes have no dedupe key: many may exist.
	for i := 0; i < 2; i++ {
		must(t, s.CreateMessage(ctx, &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirNote, Status: model.MsgStored, Text: "nota"}))
	}
	got, err := s.GetMessage(ctx, f.co.ID, m.ID)
	must(t, err)
	if got.From.Address != "cliente@example.com" || got.From.Name != "Cliente" || len(got.Cc) != 1 || got.Cc[0].Name != "Chefe" ||
		len(got.References) != 2 || got.References[1] != "x@y" || !got.Date.Equal(date) || got.Flags != model.FlagBulk|model.FlagDMARCFail ||
		got.Meta["auth"] != "dmarc=fail" || got.DedupeKey != "dk1" || got.Size != 123 || got.Direction != model.DirIn || len(got.Bcc) != 0 {
		t.Fatalf("round trip: %+v", got)
	}
	list, err := s.ListMessages(ctx, f.co.ID, tk.ID)
	must(t, err)
	if len(list) != 3 || list[0].ID != m.ID {
		t.Fatalf("list = %d", len(list))
	}
	must(t, s.UpdateMessageStatus(ctx, f.co.ID, list[1].ID, model.MsgFailed, "550 no such user"))
	got, err = s.GetMessage(ctx, f.co.ID, list[1].ID)
	must(t, err)
	if got.Status != model.MsgFailed || got.Error != "550 no such user" {
		t.Fatalf("status %+v", got)
	}
	n, err := s.CountMessages(ctx, f.co.ID)
	must(t, err)
	if n != 3 {
		t.Fatalf("count = %d", n)
	}
	if got, _ := s.GetMessage(ctx, f.co.ID, m.ID); got.Text != "Oi" || got.ReplyText != "Oi" {
		t.Fatalf("text %q, reply text %q; want both \"Oi\"", got.Text, got.ReplyText)
	}
	// The reply text is kept whatever it is: the whole text (one copy
	// underneath), a part of it, nothing at all, or a text of its own;
	// no flag of the store's own shows through.
	for i, c := range []struct{ text, reply string }{
		{"Obrigado!\n\n> Em 5 de jun., Ana escreveu:\n> Oi", "Obrigado!"},
		{"Só o texto", ""},
		{"", "visível no HTML"},
		{"igual", "igual"},
		{"", ""},
	} {
		mm := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
			Text: c.text, ReplyText: c.reply, Flags: model.FlagBounce, DedupeKey: fmt.Sprintf("reply-%d", i)}
		must(t, s.CreateMessage(ctx, mm))
		got, err := s.GetMessage(ctx, f.co.ID, mm.ID)
		must(t, err)
		if got.Text != c.text || got.ReplyText != c.reply || got.Flags != model.FlagBounce {
			t.Fatalf("case %d: text %q reply %q flags %b; want %q %q %b", i, got.Text, got.ReplyText, got.Flags, c.text, c.reply, model.FlagBounce)
		}
		list, err := s.ListMessages(ctx, f.co.ID, tk.ID)
		must(t, err)
		if last := list[len(list)-1]; last.ID != mm.ID || last.ReplyText != c.reply || last.Flags != model.FlagBounce {
			t.Fatalf("case %d listed: reply %q flags %b", i, last.ReplyText, last.Flags)
		}
	}
}

func testThreadingLookups(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	t1 := f.ticket(t, s, "one")
	t2 := f.ticket(t, s, "two")
	mk := func(tk *model.Ticket, mid, from string, cc ...string) {
		m := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
			MessageID: mid, From: model.Address{Address: from}}
		for _, c := range cc {
			m.Cc = append(m.Cc, model.Address{Address: c})
		}
		must(t, s.CreateMessage(ctx, m))
	}
	mk(t1, "a@x", "cliente@example.com", "Colega@Example.com")
	mk(t1, "", "cliente@example.com") // no Message-ID: never a match key
	mk(t2, "b@x", "outro@example.com")
	got, err := s.TicketsByMessageIDs(ctx, f.co.ID, []string{"a@x", "b@x", "", " ", "missing@x"})
	must(t, err)
	if len(got) != 2 || got["a@x"] != t1.ID || got["b@x"] != t2.ID {
		t.Fatalf("lookup = %v", got)
	}
	got, err = s.TicketsByMessageIDs(ctx, f.co.ID, []string{""})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("empty id matched: %v", got)
	}
	parts, err := s.Participants(ctx, f.co.ID, t1.ID)
	must(t, err)
	if fmt.Sprint(parts) != "[cliente@example.com colega@example.com]" {
		t.Fatalf("participants = %v", parts)
	}
	other := newFixture(t, s, "beta")
	got, err = s.TicketsByMessageIDs(ctx, other.co.ID, []string{"a@x"})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("cross-company match: %v", got)
	}
}

func testAttachments(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	tk := f.ticket(t, s, "att")
	m := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn, Status: model.MsgReceived}
	must(t, s.CreateMessage(ctx, m))
	a := &model.Attachment{CompanyID: f.co.ID, MessageID: m.ID, BlobKey: "sha256/cd", Filename: "relatório.pdf",
		ContentType: "application/pdf", Size: 2048, ContentID: "img1@x", Inline: true}
	must(t, s.CreateAttachment(ctx, a))
	list, err := s.ListAttachments(ctx, f.co.ID, m.ID)
	must(t, err)
	if len(list) != 1 || list[0] != *a {
		t.Fatalf("attachments = %+v, want %+v", list, *a)
	}
	got, err := s.GetAttachment(ctx, f.co.ID, a.ID)
	must(t, err)
	if *got != *a {
		t.Fatalf("get = %+v", got)
	}
}

// testInboundInline: InsertInbound with Raw keeps the bytes under RawKey
// in the row's transaction; a duplicate stores nothing; the same content
// from two sources is one copy; a rolled-back insert leaves no bytes.
func testInboundInline(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	raw := []byte("From: a@b.test\r\nSubject: oi\r\n\r\nol\xc3\xa1\x00\xff\r\n") // any bytes, NUL and invalid UTF-8 too
	in := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:1", RawKey: "sha256/inline1", Size: int64(len(raw)), Raw: raw}
	must(t, s.InsertInbound(ctx, in))
	got, err := s.GetInlineBlob(ctx, "sha256/inline1")
	must(t, err)
	if string(got) != string(raw) {
		t.Fatalf("inline blob = %q, want %q", got, raw)
	}
	// The row read back does not carry the bytes.
	back, err := s.GetInbound(ctx, f.co.ID, in.ID)
	must(t, err)
	if back.Raw != nil || back.RawKey != "sha256/inline1" || back.Size != int64(len(raw)) {
		t.Fatalf("row = %+v", back)
	}
	// A duplicate source key stores nothing, not even new bytes.
	dup := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:1", RawKey: "sha256/inline2", Size: 3, Raw: []byte("new")}
	wantErr(t, s.InsertInbound(ctx, dup), store.ErrConflict)
	_, err = s.GetInlineBlob(ctx, "sha256/inline2")
	wantErr(t, err, store.ErrNotFound)
	// The same content from another source (another channel, another
	// company): a second row, one copy of the bytes, unchanged.
	g := newFixture(t, s, "globex")
	other := &model.Inbound{CompanyID: g.co.ID, ChannelID: g.ch.ID, SourceKey: "smtp:1", RawKey: "sha256/inline1", Size: int64(len(raw)), Raw: raw}
	must(t, s.InsertInbound(ctx, other))
	if other.ID == in.ID {
		t.Fatal("second source got the first row")
	}
	got, err = s.GetInlineBlob(ctx, "sha256/inline1")
	must(t, err)
	if string(got) != string(raw) {
		t.Fatalf("after the second source: %q", got)
	}
	// Rolled back with its transaction: neither row nor bytes.
	boom := errors.New("boom")
	err = s.Tx(ctx, func(q store.Queries) error {
		must(t, q.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:2", RawKey: "sha256/inline3", Size: 1, Raw: []byte("x")}))
		// Visible inside its transaction (the worker of a later batch
		// reads it only after the commit, but the same transaction may).
		if b, err := q.GetInlineBlob(ctx, "sha256/inline3"); err != nil || string(b) != "x" {
			t.Errorf("inside the transaction: %q, %v", b, err)
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetInlineBlob(ctx, "sha256/inline3")
	wantErr(t, err, store.ErrNotFound)
	// Rows without Raw keep their bytes in the blob store: nothing here.
	must(t, s.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:3", RawKey: "sha256/file", Size: 1}))
	_, err = s.GetInlineBlob(ctx, "sha256/file")
	wantErr(t, err, store.ErrNotFound)
	// PutInlineBlob (ingest's small attachments): kept, readable inside
	// and after its transaction; an existing key keeps its bytes; rolled
	// back with its transaction.
	must(t, s.Tx(ctx, func(q store.Queries) error {
		if err := q.PutInlineBlob(ctx, "sha256/logo", []byte("PNG\x00logo")); err != nil {
			return err
		}
		return q.PutInlineBlob(ctx, "sha256/inline1", []byte("other bytes"))
	}))
	if b, err := s.GetInlineBlob(ctx, "sha256/logo"); err != nil || string(b) != "PNG\x00logo" {
		t.Fatalf("put inline blob: %q, %v", b, err)
	}
	if b, err := s.GetInlineBlob(ctx, "sha256/inline1"); err != nil || string(b) != string(raw) {
		t.Fatalf("an existing key was overwritten: %q, %v", b, err)
	}
	err = s.Tx(ctx, func(q store.Queries) error {
		must(t, q.PutInlineBlob(ctx, "sha256/gone", []byte("x")))
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetInlineBlob(ctx, "sha256/gone")
	wantErr(t, err, store.ErrNotFound)
	// An empty message is still kept (Raw set, zero bytes).
	must(t, s.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:4", RawKey: "sha256/empty", Size: 0, Raw: []byte{}}))
	if b, err := s.GetInlineBlob(ctx, "sha256/empty"); err != nil || len(b) != 0 {
		t.Fatalf("empty inline blob: %q, %v", b, err)
	}
}

// testInboundTogether: InsertInbounds gives each row what InsertInbound
// would, in order: new rows get ascending IDs and their bytes; a row that
// exists (before, or earlier in the same call) is a duplicate filled from
// it, storing nothing; rows without bytes keep none here; a rollback
// takes rows and bytes with it.
func testInboundTogether(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "globex")
	first := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:old", RawKey: "sha256/old", Size: 3, Raw: []byte("old")}
	must(t, s.InsertInbound(ctx, first))
	row := func(co *model.Company, ch *model.Channel, source, key string, raw []byte) *model.Inbound {
		return &model.Inbound{CompanyID: co.ID, ChannelID: ch.ID, SourceKey: source, RawKey: key, Size: int64(len(raw)), Raw: raw}
	}
	ins := []*model.Inbound{
		row(f.co, f.ch, "smtp:a", "sha256/a", []byte("a\x00\xff")),
		row(f.co, f.ch, "smtp:old", "sha256/other", []byte("other")),                                     // exists
		row(g.co, g.ch, "smtp:a", "sha256/a", []byte("a\x00\xff")),                                       // another channel, same content
		row(f.co, f.ch, "smtp:a", "sha256/a2", []byte("a2")),                                             // earlier in this call
		{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:file", RawKey: "sha256/file", Size: 9}, // bytes in the blob store
		row(f.co, f.ch, "smtp:empty", "sha256/empty", []byte{}),
		row(f.co, f.ch, "smtp:file", "sha256/file", []byte("duplicate")), // a duplicate's bytes are not kept
	}
	var dup []bool
	must(t, s.Tx(ctx, func(q store.Queries) error {
		var err error
		dup, err = q.InsertInbounds(ctx, ins)
		return err
	}))
	if want := []bool{false, true, false, true, false, false, true}; !slices.Equal(dup, want) {
		t.Fatalf("duplicates %v, want %v", dup, want)
	}
	if ins[1].ID != first.ID || ins[1].RawKey != "sha256/old" || ins[3].ID != ins[0].ID || ins[3].RawKey != "sha256/a" {
		t.Errorf("duplicates not filled from their rows: %+v, %+v", ins[1], ins[3])
	}
	if !(first.ID < ins[0].ID && ins[0].ID < ins[2].ID && ins[2].ID < ins[4].ID && ins[4].ID < ins[5].ID) {
		t.Errorf("IDs not in order: %d %d %d %d %d", ins[0].ID, ins[2].ID, ins[4].ID, ins[5].ID, first.ID)
	}
	for _, i := range []int{0, 2, 4, 5} {
		got, err := s.GetInbound(ctx, ins[i].CompanyID, ins[i].ID)
		must(t, err)
		if got.SourceKey != ins[i].SourceKey || got.RawKey != ins[i].RawKey || got.Size != ins[i].Size || got.State != model.InboundPending ||
			got.ChannelID != ins[i].ChannelID || !got.ReceivedAt.Equal(ins[i].ReceivedAt.Truncate(time.Microsecond)) && got.ReceivedAt.Sub(ins[i].ReceivedAt).Abs() > time.Millisecond {
			t.Errorf("row %d read back %+v, inserted %+v", i, got, ins[i])
		}
	}
	for key, want := range map[string]string{"sha256/a": "a\x00\xff", "sha256/old": "old", "sha256/empty": ""} {
		if b, err := s.GetInlineBlob(ctx, key); err != nil || string(b) != want {
			t.Errorf("inline %s = %q, %v; want %q", key, b, err, want)
		}
	}
	for _, key := range []string{"sha256/other", "sha256/a2", "sha256/file"} {
		_, err := s.GetInlineBlob(ctx, key)
		wantErr(t, err, store.ErrNotFound)
	}
	// Rolled back: neither rows nor bytes.
	boom := errors.New("boom")
	gone := []*model.Inbound{row(f.co, f.ch, "smtp:g1", "sha256/g1", []byte("g1")), row(f.co, f.ch, "smtp:g2", "sha256/g2", []byte("g2"))}
	wantErr(t, s.Tx(ctx, func(q store.Queries) error {
		if _, err := q.InsertInbounds(ctx, gone); err != nil {
			return err
		}
		return boom
	}), boom)
	again := []*model.Inbound{row(f.co, f.ch, "smtp:g1", "sha256/g1", []byte("g1")), row(f.co, f.ch, "smtp:g2", "sha256/g2", []byte("g2"))}
	dup, err := s.InsertInbounds(ctx, again)
	must(t, err)
	if dup[0] || dup[1] {
		t.Errorf("rows of a rolled-back call are duplicates: %v", dup)
	}
}

// testInboundFinishedTogether: FinishInbounds marks each row as
// FinishInbound would (a zero message: none); a missing row is
// ErrNotFound, and its transaction rolled back marks none.
func testInboundFinishedTogether(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	g := newFixture(t, s, "globex")
	tk := f.ticket(t, s, "Done")
	m := inbound(t, s, tk, model.Address{Address: "c@example.com"}, "Done", "ok")
	var rows []*model.Inbound
	for i, co := range []fixture{f, f, g} {
		in := &model.Inbound{CompanyID: co.co.ID, ChannelID: co.ch.ID, SourceKey: fmt.Sprintf("smtp:f%d", i), RawKey: "sha256/f", Size: 1}
		must(t, s.InsertInbound(ctx, in))
		rows = append(rows, in)
	}
	at := clk.Now().Add(time.Minute).UTC()
	done := []store.InboundDone{{CompanyID: f.co.ID, ID: rows[0].ID, MessageID: m.ID, At: at}, {CompanyID: g.co.ID, ID: rows[2].ID, At: at}}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.FinishInbounds(ctx, done) }))
	for i, want := range []struct {
		state model.InboundState
		msg   int64
	}{{model.InboundDone, m.ID}, {model.InboundPending, 0}, {model.InboundDone, 0}} {
		got, err := s.GetInbound(ctx, rows[i].CompanyID, rows[i].ID)
		must(t, err)
		if got.State != want.state || got.MessageID != want.msg || (want.state == model.InboundDone && got.ProcessedAt.Sub(at).Abs() > time.Millisecond) {
			t.Errorf("row %d: %s, message %d, processed %v; want %s, %d", i, got.State, got.MessageID, got.ProcessedAt, want.state, want.msg)
		}
	}
	// Another company's row is not found by this one's ID: nothing marked.
	err := s.Tx(ctx, func(q store.Queries) error {
		return q.FinishInbounds(ctx, []store.InboundDone{{CompanyID: f.co.ID, ID: rows[1].ID, At: at}, {CompanyID: f.co.ID, ID: rows[2].ID, At: at}})
	})
	wantErr(t, err, store.ErrNotFound)
	if got, err := s.GetInbound(ctx, f.co.ID, rows[1].ID); err != nil || got.State != model.InboundPending {
		t.Errorf("row of a failed call: %+v, %v", got, err)
	}
	must(t, s.FinishInbounds(ctx, nil))
}

func testInbound(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	in := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "imap:1:42", RawKey: "sha256/aa", Size: 10}
	must(t, s.InsertInbound(ctx, in))
	again := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "imap:1:42", RawKey: "sha256/bb", Size: 11}
	wantErr(t, s.InsertInbound(ctx, again), store.ErrConflict)
	if again.ID != in.ID || again.RawKey != "sha256/aa" {
		t.Fatalf("conflict did not return existing row: %+v", again)
	}
	now := clk.Now().UTC()
	claimed, err := s.ClaimInbound(ctx, time.Minute, 10)
	must(t, err)
	if len(claimed) != 1 || claimed[0].ID != in.ID || claimed[0].Attempts != 1 {
		t.Fatalf("claimed = %+v", claimed)
	}
	// Leased: nobody else gets it until the lease ends.
	clk.Advance(30 * time.Second)
	claimed2, err := s.ClaimInbound(ctx, time.Minute, 10)
	must(t, err)
	if len(claimed2) != 0 {
		t.Fatalf("leased row claimed twice: %+v", claimed2)
	}
	// A crashed worker's lease expires and the row comes back.
	clk.Set(now.Add(2 * time.Minute))
	claimed3, err := s.ClaimInbound(ctx, time.Minute, 10)
	must(t, err)
	if len(claimed3) != 1 || claimed3[0].Attempts != 2 {
		t.Fatalf("after lease expiry = %+v", claimed3)
	}
	must(t, s.RetryInbound(ctx, f.co.ID, in.ID, "parse failed", now.Add(10*time.Minute), false))
	got, err := s.GetInbound(ctx, f.co.ID, in.ID)
	must(t, err)
	if got.State != model.InboundPending || got.LastError != "parse failed" {
		t.Fatalf("after retry %+v", got)
	}
	// Not due before retryAt by the store's clock, due after it.
	clk.Set(now.Add(10*time.Minute - time.Second))
	if early, err := s.ClaimInbound(ctx, time.Minute, 10); err != nil || len(early) != 0 {
		t.Fatalf("claimed before retryAt: %+v %v", early, err)
	}
	clk.Set(now.Add(10 * time.Minute))
	if due, err := s.ClaimInbound(ctx, time.Minute, 10); err != nil || len(due) != 1 {
		t.Fatalf("not claimed at retryAt: %+v %v", due, err)
	}
	must(t, s.FinishInbound(ctx, f.co.ID, in.ID, 0, clk.Now()))
	n, err := s.CountInbound(ctx, model.InboundPending)
	must(t, err)
	if n != 0 {
		t.Fatalf("pending = %d", n)
	}
	n, err = s.CountInbound(ctx, model.InboundDone)
	must(t, err)
	if n != 1 {
		t.Fatalf("done = %d", n)
	}
	// The same source key on another channel is a different message.
	ch2 := &model.Channel{CompanyID: f.co.ID, Slug: "two", Name: "Two", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "t2"}
	must(t, s.CreateChannel(ctx, ch2))
	must(t, s.InsertInbound(ctx, &model.Inbound{CompanyID: f.co.ID, ChannelID: ch2.ID, SourceKey: "imap:1:42", RawKey: "k", Size: 1}))
}

func testJobs(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	now := clk.Now().UTC()
	j := &model.Job{CompanyID: f.co.ID, Kind: "send", Payload: []byte(`{"message_id":7}`), UniqueKey: "msg-7"}
	must(t, s.EnqueueJob(ctx, j))
	if !j.RunAt.Equal(now) || !j.CreatedAt.Equal(now) {
		t.Fatalf("job stamped %v / %v, want the store's clock %v", j.RunAt, j.CreatedAt, now)
	}
	dup := &model.Job{CompanyID: f.co.ID, Kind: "send", UniqueKey: "msg-7"}
	wantErr(t, s.EnqueueJob(ctx, dup), store.ErrConflict)
	if dup.ID != j.ID {
		t.Fatalf("dup id %d != %d", dup.ID, j.ID)
	}
	later := &model.Job{CompanyID: f.co.ID, Kind: "send", RunAt: now.Add(time.Hour)}
	must(t, s.EnqueueJob(ctx, later))
	must(t, s.EnqueueJob(ctx, &model.Job{CompanyID: f.co.ID, Kind: "webhook"}))
	clk.Set(now.Add(time.Second))
	got, err := s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != j.ID || string(got[0].Payload) != `{"message_id":7}` || got[0].Attempts != 1 {
		t.Fatalf("claimed = %+v", got)
	}
	must(t, s.RetryJob(ctx, j.ID, "451 try later", now.Add(5*time.Second), false))
	clk.Set(now.Add(2 * time.Second))
	got, err = s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("retry ran early: %+v", got)
	}
	clk.Set(now.Add(6 * time.Second))
	got, err = s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "451 try later" {
		t.Fatalf("retried = %+v", got)
	}
	// Postponing (quota, pause) gives back the attempt the claim counted.
	must(t, s.PostponeJob(ctx, j.ID, now.Add(7*time.Second)))
	clk.Set(now.Add(8 * time.Second))
	got, err = s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("after postpone = %+v", got)
	}
	must(t, s.CompleteJob(ctx, j.ID))
	wantErr(t, s.PostponeJob(ctx, j.ID, now), store.ErrNotFound) // done jobs stay done
	jj, err := s.GetJob(ctx, f.co.ID, j.ID)
	must(t, err)
	if jj.State != model.JobDone {
		t.Fatalf("state = %s", jj.State)
	}
	must(t, s.RetryJob(ctx, later.ID, "550 rejected", now, true))
	clk.Set(now.Add(2 * time.Hour))
	got, err = s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("failed job claimed: %+v", got)
	}
}

func testTxRollback(t *testing.T, s store.Store, clk *clock.Fake) {
	boom := errors.New("boom")
	err := s.Tx(ctx, func(q store.Queries) error {
		if err := q.CreateCompany(ctx, &model.Company{Slug: "ghost", Name: "Ghost"}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetCompanyBySlug(ctx, "ghost")
	wantErr(t, err, store.ErrNotFound)
}

func testIsolation(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	ta := a.ticket(t, s, "secret")
	agentA := &model.Agent{CompanyID: a.co.ID, Email: "x@acme.test", Name: "X", Role: model.RoleAgent}
	must(t, s.CreateAgent(ctx, agentA))
	teamA := &model.Team{CompanyID: a.co.ID, Name: "T"}
	must(t, s.CreateTeam(ctx, teamA))
	m := &model.Message{CompanyID: a.co.ID, TicketID: ta.ID, ChannelID: a.ch.ID, Direction: model.DirIn, Status: model.MsgReceived, MessageID: "m@a"}
	must(t, s.CreateMessage(ctx, m))
	att := &model.Attachment{CompanyID: a.co.ID, MessageID: m.ID, BlobKey: "k"}
	must(t, s.CreateAttachment(ctx, att))
	in := &model.Inbound{CompanyID: a.co.ID, ChannelID: a.ch.ID, SourceKey: "s", RawKey: "k"}
	must(t, s.InsertInbound(ctx, in))
	j := &model.Job{CompanyID: a.co.ID, Kind: "k"}
	must(t, s.EnqueueJob(ctx, j))

	B := b.co.ID
	checks := map[string]error{}
	_, checks["ticket"] = s.GetTicket(ctx, B, ta.ID)
	_, checks["ticket by number"] = s.GetTicketByNumber(ctx, B, ta.Number+5)
	_, checks["ticket by token"] = s.GetTicketByReplyToken(ctx, B, ta.ReplyToken)
	_, checks["agent"] = s.GetAgent(ctx, B, agentA.ID)
	_, checks["agent by email"] = s.GetAgentByEmail(ctx, B, "x@acme.test")
	_, checks["team"] = s.GetTeam(ctx, B, teamA.ID)
	_, checks["channel"] = s.GetChannel(ctx, B, a.ch.ID)
	_, checks["channel by slug"] = s.GetChannelBySlug(ctx, B, "nonexistent")
	_, checks["contact"] = s.GetContact(ctx, B, a.contact.ID)
	_, checks["message"] = s.GetMessage(ctx, B, m.ID)
	_, checks["attachment"] = s.GetAttachment(ctx, B, att.ID)
	_, checks["inbound"] = s.GetInbound(ctx, B, in.ID)
	_, checks["job"] = s.GetJob(ctx, B, j.ID)
	_, checks["participants"] = s.Participants(ctx, B, ta.ID)
	checks["add member"] = s.AddTeamMember(ctx, B, teamA.ID, agentA.ID)
	tk := *ta
	tk.CompanyID = B
	checks["update ticket"] = s.UpdateTicket(ctx, &tk)
	checks["touch ticket"] = s.TouchTicket(ctx, B, ta.ID, clk.Now())
	checks["message status"] = s.UpdateMessageStatus(ctx, B, m.ID, model.MsgFailed, "x")
	ag := *agentA
	ag.CompanyID = B
	checks["update agent"] = s.UpdateAgent(ctx, &ag)
	ch := *a.ch
	ch.CompanyID = B
	checks["update channel"] = s.UpdateChannel(ctx, &ch)
	checks["finish inbound"] = s.FinishInbound(ctx, B, in.ID, 0, clk.Now())
	for name, err := range checks {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s across companies: err = %v, want ErrNotFound", name, err)
		}
	}
	list, err := s.ListTickets(ctx, B, store.TicketFilter{})
	must(t, err)
	if len(list) != 0 {
		t.Errorf("company B lists %d of A's tickets", len(list))
	}
	msgs, err := s.ListMessages(ctx, B, ta.ID)
	must(t, err)
	if len(msgs) != 0 {
		t.Errorf("company B lists A's messages")
	}
	atts, err := s.ListAttachments(ctx, B, m.ID)
	must(t, err)
	if len(atts) != 0 {
		t.Errorf("company B lists A's attachments")
	}
	// And A's data is untouched.
	got, err := s.GetTicket(ctx, a.co.ID, ta.ID)
	must(t, err)
	if got.Subject != "secret" {
		t.Errorf("A's ticket changed: %+v", got)
	}
}

// testConcurrentIngest: 8 goroutines store the same message (same source
// key and same dedupe key) as the ingest pipeline does; exactly one
// inbound row and one message must exist.
func testConcurrentIngest(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	tk := f.ticket(t, s, "conc")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Tx(ctx, func(q store.Queries) error {
				in := &model.Inbound{CompanyID: f.co.ID, ChannelID: f.ch.ID, SourceKey: "smtp:Q1", RawKey: "sha256/x", Size: 5}
				if err := q.InsertInbound(ctx, in); err != nil && !errors.Is(err, store.ErrConflict) {
					return err
				}
				m := &model.Message{CompanyID: f.co.ID, TicketID: tk.ID, ChannelID: f.ch.ID, Direction: model.DirIn,
					Status: model.MsgReceived, MessageID: "same@x", DedupeKey: "same-hash", InboundID: in.ID}
				if err := q.CreateMessage(ctx, m); err != nil && !errors.Is(err, store.ErrConflict) {
					return err
				}
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	n, err := s.CountMessages(ctx, f.co.ID)
	must(t, err)
	if n != 1 {
		t.Fatalf("messages = %d, want 1", n)
	}
	pending, err := s.CountInbound(ctx, model.InboundPending)
	must(t, err)
	if pending != 1 {
		t.Fatalf("inbound rows = %d, want 1", pending)
	}
}

// testStoreClock: every time the store writes on its own comes from the
// clock it was opened with, forward or backward of the wall clock.
func testStoreClock(t *testing.T, s store.Store, clk *clock.Fake) {
	for _, at := range []time.Time{
		time.Date(2041, 3, 4, 5, 6, 7, 0, time.UTC),
		time.Date(2003, 8, 9, 10, 11, 12, 0, time.UTC),
	} {
		clk.Set(at)
		f := newFixture(t, s, fmt.Sprintf("clk%d", at.Year()))
		if !f.co.CreatedAt.Equal(at) || !f.ch.CreatedAt.Equal(at) || !f.contact.CreatedAt.Equal(at) {
			t.Fatalf("created at %v / %v / %v, want %v", f.co.CreatedAt, f.ch.CreatedAt, f.contact.CreatedAt, at)
		}
		tk := f.ticket(t, s, "clock")
		clk.Advance(time.Minute)
		must(t, s.UpdateTicket(ctx, tk))
		must(t, s.UpdateChannel(ctx, f.ch))
		got, err := s.GetTicket(ctx, f.co.ID, tk.ID)
		must(t, err)
		if !got.CreatedAt.Equal(at) || !got.UpdatedAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("ticket created %v updated %v, want %v and a minute later", got.CreatedAt, got.UpdatedAt, at)
		}
		ch, err := s.GetChannel(ctx, f.co.ID, f.ch.ID)
		must(t, err)
		if !ch.UpdatedAt.Equal(at.Add(time.Minute)) {
			t.Fatalf("channel updated %v", ch.UpdatedAt)
		}
		// A job enqueued now is due now, by this clock, whatever the wall says.
		j := &model.Job{CompanyID: f.co.ID, Kind: "clock"}
		must(t, s.EnqueueJob(ctx, j))
		jobs, err := s.ClaimJobs(ctx, []string{"clock"}, time.Minute, 10)
		must(t, err)
		if len(jobs) != 1 || jobs[0].ID != j.ID {
			t.Fatalf("at %v the job just enqueued is not due: %+v", at, jobs)
		}
		must(t, s.CompleteJob(ctx, j.ID))
	}
}
