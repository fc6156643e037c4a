package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/reports"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// BenchmarkReport30Days is the reports page's query and aggregation over
// 30 days of a company with 10,000 tickets (each with a customer mail and
// an agent reply, two in three resolved), four teams.
//
//	go test -run '^$' -bench Report30Days -benchtime 20x ./internal/store/sqlite/
func BenchmarkReport30Days(b *testing.B) {
	ctx := context.Background()
	clk := testclock.New(b)
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "atende.db"), clk)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME", TimeZone: "America/Sao_Paulo"}
	must(b, st.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "s", Name: "S", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "s@acme.test"}}
	must(b, st.CreateChannel(ctx, ch))
	ag := &model.Agent{CompanyID: co.ID, Email: "a@acme.test", Name: "A", Role: model.RoleAgent, Language: "en"}
	must(b, st.CreateAgent(ctx, ag))
	var teams []int64
	for i := 0; i < 4; i++ {
		t := &model.Team{CompanyID: co.ID, Name: fmt.Sprint("T", i)}
		must(b, st.CreateTeam(ctx, t))
		teams = append(teams, t.ID)
	}
	ct, err := st.UpsertContact(ctx, co.ID, "c@example.com", "C")
	must(b, err)
	loc := co.Location()
	start := clk.Now().Add(-30 * 24 * time.Hour)
	const n = 10000
	must(b, st.Tx(ctx, func(q store.Queries) error {
		for i := 0; i < n; i++ {
			created := start.Add(time.Duration(i) * (30 * 24 * time.Hour / n))
			tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: ct.ID, TeamID: teams[i%4], Subject: "x",
				ReplyToken: fmt.Sprint("rt", i), CreatedAt: created}
			if i%3 != 0 {
				tk.Status, tk.UpdatedAt = model.StatusResolved, created.Add(time.Duration(i%50)*time.Hour)
			}
			if err := q.CreateTicket(ctx, tk); err != nil {
				return err
			}
			for _, m := range []*model.Message{
				{Direction: model.DirIn, Status: model.MsgReceived, CreatedAt: created},
				{Direction: model.DirOut, Status: model.MsgSent, AuthorID: ag.ID, CreatedAt: created.Add(time.Duration(i%90) * time.Minute)},
			} {
				m.CompanyID, m.TicketID, m.ChannelID = co.ID, tk.ID, ch.ID
				if err := q.CreateMessage(ctx, m); err != nil {
					return err
				}
			}
		}
		return nil
	}))
	first := start.In(loc)
	from, to, err := reports.DayRange(first, first.AddDate(0, 0, 29), loc)
	must(b, err)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := reports.Run(ctx, st, co.ID, 0, from, to, loc)
		if err != nil {
			b.Fatal(err)
		}
		if r.Total.Opened < n*9/10 {
			b.Fatalf("opened %d of %d", r.Total.Opened, n)
		}
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
