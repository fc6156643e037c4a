package storetest

import (
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// ReportSeed is the seeded set of tickets the reports are checked
// against (also used by the UI's report test): two days in São Paulo
// (UTC-3), two teams. Times are from Base, a midnight in São Paulo.
type ReportSeed struct {
	Base         time.Time
	TeamA, TeamB int64
	Loc          *time.Location
}

// SeedReports writes the set into company co (channel ch, contact
// contactID, agent agentID as the replier), moving clk to stamp status
// changes. Expected numbers (days Base and Base+1 day):
//
//	day 0: opened 4, resolved 3; first response 10m/30m/90m → median 30m, p90 90m;
//	       resolution 1h/2h/15h → median 2h, p90 15h
//	day 1: opened 1, resolved 2; first response 4h; resolution 6h/24h → median 6h, p90 24h
//	total: opened 5, resolved 5; first response median 30m, p90 4h; resolution median 6h, p90 24h
//	team B only: day 0 opened 1 (first response 10m); day 1 opened 1, resolved 1 (6h)
func SeedReports(t testing.TB, s store.Store, clk *clock.Fake, co *model.Company, chID, contactID, agentID int64) ReportSeed {
	t.Helper()
	loc := model.LoadLocation("America/Sao_Paulo")
	y, m, d := clk.Now().In(loc).Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, loc)
	ta := &model.Team{CompanyID: co.ID, Name: "Suporte A"}
	tb := &model.Team{CompanyID: co.ID, Name: "Suporte B"}
	if err := s.CreateTeam(ctx, ta); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTeam(ctx, tb); err != nil {
		t.Fatal(err)
	}
	n := 0
	ticket := func(team int64, created time.Duration) *model.Ticket {
		n++
		tk := &model.Ticket{CompanyID: co.ID, ChannelID: chID, ContactID: contactID, TeamID: team, Subject: "r",
			ReplyToken: "report-" + string(rune('a'+n)), CreatedAt: base.Add(created)}
		if err := s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }); err != nil {
			t.Fatal(err)
		}
		// What must not count as a first response: a note, an automatic
		// reply (no author), both before the agent's reply.
		for _, msg := range []*model.Message{
			{Direction: model.DirIn, Status: model.MsgReceived},
			{Direction: model.DirNote, Status: model.MsgStored, AuthorID: agentID},
			{Direction: model.DirOut, Status: model.MsgSent},
		} {
			msg.CompanyID, msg.TicketID, msg.ChannelID, msg.CreatedAt = co.ID, tk.ID, chID, tk.CreatedAt.Add(time.Second)
			if err := s.CreateMessage(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
		return tk
	}
	reply := func(tk *model.Ticket, after time.Duration) {
		for _, d := range []time.Duration{after, after + time.Hour} { // the second reply does not count
			msg := &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: chID, Direction: model.DirOut, Status: model.MsgSent,
				AuthorID: agentID, CreatedAt: tk.CreatedAt.Add(d)}
			if err := s.CreateMessage(ctx, msg); err != nil {
				t.Fatal(err)
			}
		}
	}
	status := func(tk *model.Ticket, st model.TicketStatus, at time.Duration) {
		clk.Set(base.Add(at))
		tk.Status = st
		if err := s.UpdateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	t6 := ticket(ta.ID, -12*time.Hour) // the day before: resolved on day 0 after 15 h
	t1 := ticket(ta.ID, 10*time.Hour)
	reply(t1, 30*time.Minute)
	t2 := ticket(ta.ID, 11*time.Hour)
	reply(t2, 90*time.Minute)
	t4 := ticket(0, 12*time.Hour)
	t3 := ticket(tb.ID, 23*time.Hour+30*time.Minute) // 02:30 UTC the next day: day 0 in São Paulo
	reply(t3, 10*time.Minute)
	status(t4, model.StatusClosed, 13*time.Hour)
	status(t1, model.StatusResolved, 12*time.Hour)
	status(t6, model.StatusResolved, 3*time.Hour)
	t5 := ticket(tb.ID, 33*time.Hour) // day 1, 09:00
	reply(t5, 4*time.Hour)
	status(t5, model.StatusResolved, 34*time.Hour)
	status(t5, model.StatusOpen, 36*time.Hour) // reopened: the last resolution counts
	status(t5, model.StatusPending, 37*time.Hour)
	status(t5, model.StatusResolved, 39*time.Hour)
	status(t2, model.StatusResolved, 35*time.Hour)
	t7 := ticket(ta.ID, 50*time.Hour) // after the range
	status(t7, model.StatusResolved, 51*time.Hour)
	return ReportSeed{Base: base, TeamA: ta.ID, TeamB: tb.ID, Loc: loc}
}
