package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// zonesTests: the company's language and time zone, an agent's time
// zone, and restarting a failed job (a "Tentar novamente" of a send).
func zonesTests() []Case {
	return []Case{
		{"Company language and time zone", testCompanyZone},
		{"Agent time zone", testAgentZone},
		{"Restart a failed job", testRestartJob},
	}
}

func testCompanyZone(t *testing.T, s store.Store, clk *clock.Fake) {
	co := &model.Company{Slug: "zona", Name: "Zona"}
	must(t, s.CreateCompany(ctx, co))
	got, err := s.GetCompany(ctx, co.ID)
	must(t, err)
	if got.Language != "pt-BR" || got.TimeZone != model.DefaultTimeZone {
		t.Fatalf("new company: language %q zone %q", got.Language, got.TimeZone)
	}
	got.Name, got.Language, got.TimeZone = "Zona Ltda", "en", "Europe/Lisbon"
	must(t, s.UpdateCompany(ctx, got))
	again, err := s.GetCompanyBySlug(ctx, "zona")
	must(t, err)
	if again.Name != "Zona Ltda" || again.Language != "en" || again.TimeZone != "Europe/Lisbon" {
		t.Fatalf("after update: %+v", again)
	}
	wantErr(t, s.UpdateCompany(ctx, &model.Company{ID: co.ID + 100, Name: "x", Language: "en", TimeZone: "UTC"}), store.ErrNotFound)
}

func testAgentZone(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	a := &model.Agent{CompanyID: f.co.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAgent, Language: "pt-BR"}
	must(t, s.CreateAgent(ctx, a))
	got, err := s.GetAgent(ctx, f.co.ID, a.ID)
	must(t, err)
	if got.TimeZone != "" {
		t.Fatalf("new agent zone %q, want none yet", got.TimeZone)
	}
	got.TimeZone = "America/Manaus"
	must(t, s.UpdateAgent(ctx, got))
	list, err := s.ListAgents(ctx, f.co.ID)
	must(t, err)
	if len(list) != 1 || list[0].TimeZone != "America/Manaus" {
		t.Fatalf("agents = %+v", list)
	}
}

func testRestartJob(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	other := newFixture(t, s, "other")
	now := clk.Now().UTC()
	j := &model.Job{CompanyID: f.co.ID, Kind: "send", Payload: []byte(`{"message_id":9}`), UniqueKey: "msg-9"}
	must(t, s.EnqueueJob(ctx, j))
	// Pending: nothing to restart.
	ok, err := s.RestartJob(ctx, f.co.ID, j.ID, now)
	must(t, err)
	if ok {
		t.Fatal("a pending job was restarted")
	}
	_, err = s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	must(t, s.RetryJob(ctx, j.ID, "550 5.1.1 no such user", now, true))
	// Another company cannot touch it.
	ok, err = s.RestartJob(ctx, other.co.ID, j.ID, now)
	must(t, err)
	if ok {
		t.Fatal("another company restarted the job")
	}
	ok, err = s.RestartJob(ctx, f.co.ID, j.ID, now.Add(time.Second))
	must(t, err)
	if !ok {
		t.Fatal("failed job not restarted")
	}
	ok, err = s.RestartJob(ctx, f.co.ID, j.ID, now.Add(time.Second))
	must(t, err)
	if ok {
		t.Fatal("restarted twice")
	}
	clk.Set(now.Add(2 * time.Second))
	got, err := s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != j.ID || got[0].Attempts != 1 || got[0].LastError != "" {
		t.Fatalf("after restart claimed %+v", got)
	}
}
