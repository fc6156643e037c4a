package directory_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"testing"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
)

var ctx = context.Background()

func dialects(t *testing.T, fn func(t *testing.T, st store.Store, d *directory.Service)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			st := teststore.Open(t, name, clock.System{})
			hash := func(pw string) (string, error) { return "hashed:" + pw, nil }
			fn(t, st, directory.New(st, hash, slog.New(slog.NewTextHandler(io.Discard, nil))))
		})
	}
}

func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve directory.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a ValidationError", err)
	}
	out := map[string]string{}
	for _, f := range ve {
		out[f.Field] = f.Message
	}
	return out
}

func TestSetupOnce(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, d *directory.Service) {
		need, err := d.NeedsSetup(ctx)
		if err != nil || !need {
			t.Fatalf("needs setup = %v, %v", need, err)
		}
		_, _, err = d.Setup(ctx, directory.SetupInput{Company: directory.CompanyInput{Slug: "Bad Slug"}, Admin: directory.AgentInput{Email: "x", Password: "short"}})
		got := fields(t, err)
		want := []string{"company.slug", "company.name", "admin.email", "admin.name", "admin.password"}
		for _, f := range want {
			if got[f] == "" {
				t.Errorf("missing field error %s in %v", f, got)
			}
		}
		in := directory.SetupInput{Company: directory.CompanyInput{Slug: "acme", Name: "ACME"},
			Admin: directory.AgentInput{Email: "Ana@ACME.test", Name: "Ana", Password: "long enough pw", Role: model.RoleAgent}}
		co, a, err := d.Setup(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Role != model.RoleAdmin || a.Email != "ana@acme.test" || a.PasswordHash != "hashed:long enough pw" || a.CompanyID != co.ID || a.Language != "pt-BR" {
			t.Fatalf("admin = %+v", a)
		}
		in.Company.Slug = "other"
		if _, _, err := d.Setup(ctx, in); !errors.Is(err, directory.ErrSetupDone) {
			t.Fatalf("second setup: %v", err)
		}
		if need, _ := d.NeedsSetup(ctx); need {
			t.Fatal("still needs setup")
		}
	})
}

func TestAgentsValidationAndIsolation(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, d *directory.Service) {
		co, admin, err := d.Setup(ctx, directory.SetupInput{Company: directory.CompanyInput{Slug: "acme", Name: "ACME"},
			Admin: directory.AgentInput{Email: "ana@acme.test", Name: "Ana", Password: "long enough pw"}})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := d.CreateCompany(ctx, directory.CompanyInput{Slug: "beta", Name: "Beta"})
		if _, err := d.CreateCompany(ctx, directory.CompanyInput{Slug: "beta", Name: "Beta"}); fields(t, err)["slug"] != "already in use" {
			t.Fatalf("dup company: %v", err)
		}
		_, err = d.CreateAgent(ctx, co.ID, directory.AgentInput{Email: "Ana <ana@x.com>", Name: "", Role: "boss", Language: "fr", Password: "123"})
		want := map[string]string{"email": "must be an email address such as ana@empresa.com.br", "name": "required",
			"role": "must be admin or agent", "password": "must be at least 10 characters", "language": "must be one of the languages the UI speaks"}
		if got := fields(t, err); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v\nwant %v", got, want)
		}
		b, err := d.CreateAgent(ctx, co.ID, directory.AgentInput{Email: "bruno@acme.test", Name: "Bruno", Role: model.RoleAgent, Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if b.PasswordHash != "" {
			t.Fatal("agent without password got a hash")
		}
		if _, err := d.CreateAgent(ctx, co.ID, directory.AgentInput{Email: "BRUNO@acme.test", Name: "B", Role: model.RoleAgent}); fields(t, err)["email"] == "" {
			t.Fatalf("duplicate email: %v", err)
		}
		if _, err := d.GetAgent(ctx, other.ID, b.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("other company's agent: %v", err)
		}
		if _, err := d.UpdateAgent(ctx, other.ID, b.ID, directory.AgentPatch{}); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("update other company's agent: %v", err)
		}
		agent := model.RoleAgent
		if _, err := d.UpdateAgent(ctx, co.ID, admin.ID, directory.AgentPatch{Role: &agent}); fields(t, err)["role"] != "the company needs at least one active admin" {
			t.Fatalf("demote last admin: %v", err)
		}
		yes := true
		if _, err := d.UpdateAgent(ctx, co.ID, admin.ID, directory.AgentPatch{Disabled: &yes}); fields(t, err)["disabled"] == "" {
			t.Fatalf("disable last admin: %v", err)
		}
		st.CreateSession(ctx, &store.Session{CompanyID: co.ID, AgentID: b.ID, TokenHash: "s1", CSRFToken: "c"})
		pw := "new password 1"
		up, err := d.UpdateAgent(ctx, co.ID, b.ID, directory.AgentPatch{Password: &pw})
		if err != nil || up.PasswordHash != "hashed:new password 1" {
			t.Fatalf("set password: %+v %v", up, err)
		}
		if _, err := st.GetSessionByHash(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("password change kept the session")
		}
	})
}

func TestTeamsAndRules(t *testing.T) {
	dialects(t, func(t *testing.T, st store.Store, d *directory.Service) {
		co, admin, err := d.Setup(ctx, directory.SetupInput{Company: directory.CompanyInput{Slug: "acme", Name: "ACME"},
			Admin: directory.AgentInput{Email: "ana@acme.test", Name: "Ana", Password: "long enough pw"}})
		if err != nil {
			t.Fatal(err)
		}
		other, _ := d.CreateCompany(ctx, directory.CompanyInput{Slug: "beta", Name: "Beta"})
		foreignTeam, _ := d.CreateTeam(ctx, other.ID, directory.TeamInput{Name: "Vendas"})
		team, err := d.CreateTeam(ctx, co.ID, directory.TeamInput{Name: " Vendas "})
		if err != nil || team.Name != "Vendas" {
			t.Fatalf("team %+v %v", team, err)
		}
		if _, err := d.CreateTeam(ctx, co.ID, directory.TeamInput{Name: "Vendas"}); fields(t, err)["name"] == "" {
			t.Fatalf("dup team: %v", err)
		}
		if err := d.AddMember(ctx, co.ID, foreignTeam.ID, admin.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("add to foreign team: %v", err)
		}
		if err := d.AddMember(ctx, co.ID, team.ID, admin.ID); err != nil {
			t.Fatal(err)
		}
		_, members, err := d.GetTeam(ctx, co.ID, team.ID)
		if err != nil || len(members) != 1 || members[0].ID != admin.ID {
			t.Fatalf("members %v %v", members, err)
		}
		ch, err := d.CreateChannel(ctx, co.ID, directory.ChannelInput{Slug: "suporte", Name: "Suporte", PrimaryEmail: "suporte@acme.test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateChannel(ctx, co.ID, directory.ChannelInput{Slug: "-x", Incoming: "pigeon", Outgoing: "smoke"}); len(fields(t, err)) != 5 {
			t.Fatalf("channel errors: %v", err)
		}
		cases := []struct {
			name string
			rule model.ChannelRule
			want map[string]string
		}{
			{"default team required", model.ChannelRule{}, map[string]string{"default_team_id": "required"}},
			{"foreign default team", model.ChannelRule{DefaultTeamID: foreignTeam.ID}, map[string]string{"default_team_id": "no such team"}},
			{"routing field errors", model.ChannelRule{DefaultTeamID: team.ID, SendInitialMessage: true, Filters: []model.RuleFilter{
				{Kind: "sender_domain", Value: "@x.com"}, {Kind: "subject_contains", Value: "boleto", Priority: "asap"}, {Kind: "telepathy", Value: "x"}}},
				map[string]string{"initial_message": "required when send_initial_message is on",
					"filters[0].value":    "must be a domain name such as empresa.com.br, without @",
					"filters[1].priority": `must be one of low, normal, high, urgent (got "asap")`,
					"filters[2].kind":     `unknown filter kind "telepathy"`}},
			{"foreign ids in filters", model.ChannelRule{DefaultTeamID: team.ID, Filters: []model.RuleFilter{
				{Kind: "sender_domain", Value: "cliente.com.br", TeamID: foreignTeam.ID, AssigneeID: 999999}}},
				map[string]string{"filters[0].team_id": "no such team", "filters[0].assignee_id": "no such active agent"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := d.SetRule(ctx, co.ID, ch.ID, tc.rule)
				if got := fields(t, err); !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %v\nwant %v", got, tc.want)
				}
			})
		}
		good := model.ChannelRule{DefaultTeamID: team.ID, Filters: []model.RuleFilter{{Kind: "sender_domain", Value: " cliente.com.br ", AssigneeID: admin.ID, Priority: "high"}}}
		if _, err := d.SetRule(ctx, other.ID, ch.ID, good); !errors.Is(err, directory.ErrNotFound) {
			t.Fatalf("set rule on other company's channel: %v", err)
		}
		if _, err := d.SetRule(ctx, co.ID, ch.ID, good); err != nil {
			t.Fatal(err)
		}
		got, _ := d.GetChannel(ctx, co.ID, ch.ID)
		if got.Settings.Rule.DefaultTeamID != team.ID || got.Settings.Rule.Filters[0].Value != "cliente.com.br" || got.Settings.PrimaryEmail != "suporte@acme.test" {
			t.Fatalf("stored rule %+v", got.Settings)
		}
	})
}
