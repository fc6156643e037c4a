package ticket_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/cluster"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// TestTimelineRecorded: assignment, team, status, merge and a manual
// retry are recorded with who and when, in the change's transaction; a
// change that changes nothing records nothing; another company sees
// nothing.
func TestTimelineRecorded(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		admin := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, Admin: true}
		tk := e.ticket(t, "one", 0)
		src := e.ticket(t, "two", 0)
		team, who := e.team.ID, e.agent.ID
		_, err := e.svc.Assign(ctx, admin, tk.ID, ticket.AssignInput{TeamID: &team, AssigneeID: &who})
		must(t, err)
		_, err = e.svc.SetStatus(ctx, admin, tk.ID, model.StatusResolved)
		must(t, err)
		_, err = e.svc.SetStatus(ctx, admin, tk.ID, model.StatusResolved) // unchanged
		must(t, err)
		_, err = e.svc.Merge(ctx, admin, src.ID, tk.ID)
		must(t, err)
		acts, err := e.svc.Timeline(ctx, admin, tk.ID)
		must(t, err)
		var kinds []string
		for _, a := range acts {
			kinds = append(kinds, a.Kind)
			if a.ActorID != e.agent.ID || a.CreatedAt.Sub(e.clk.Now()).Abs() > time.Millisecond {
				t.Fatalf("entry %+v: want actor %d", a, e.agent.ID)
			}
		}
		want := []string{store.ActivityTeam, store.ActivityAssigned, store.ActivityStatus, store.ActivityMergedFrom}
		if len(kinds) != len(want) {
			t.Fatalf("timeline %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("timeline %v, want %v", kinds, want)
			}
		}
		if acts[2].Data["from"] != "open" || acts[2].Data["to"] != "resolved" || acts[1].Data["to"] != itoa(e.agent.ID) {
			t.Fatalf("data: %+v", acts)
		}
		srcActs, err := e.svc.Timeline(ctx, admin, src.ID)
		must(t, err)
		if len(srcActs) != 1 || srcActs[0].Kind != store.ActivityMergedInto || srcActs[0].Data["ticket"] != itoa(tk.ID) {
			t.Fatalf("source timeline %+v", srcActs)
		}
		if _, err := e.svc.Timeline(ctx, ticket.Actor{CompanyID: e.other.ID, Admin: true}, tk.ID); err == nil {
			t.Fatal("another company reads the timeline")
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRepliedSince: a reply by another agent after the message the page
// showed collides (with the agent's name and how long ago); the actor's
// own replies, notes and automatic replies do not; seen 0 never does.
func TestRepliedSince(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		mariana := &model.Agent{CompanyID: e.co.ID, Email: "mariana@acme.test", Name: "Mariana", Role: model.RoleAdmin}
		must(t, e.st.CreateAgent(ctx, mariana))
		me := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, Admin: true}
		tk := e.ticket(t, "one", 0)
		msgs, err := e.st.ListMessages(ctx, e.co.ID, tk.ID)
		must(t, err)
		seen := msgs[len(msgs)-1].ID
		add := func(dir model.Direction, author int64) int64 {
			m := &model.Message{CompanyID: e.co.ID, TicketID: tk.ID, ChannelID: e.ch.ID, Direction: dir, Status: model.MsgQueued,
				AuthorID: author, CreatedAt: e.clk.Now().UTC()}
			must(t, e.st.CreateMessage(ctx, m))
			return m.ID
		}
		add(model.DirOut, e.agent.ID)  // my own reply
		add(model.DirNote, mariana.ID) // a note
		add(model.DirOut, 0)           // an automatic reply
		if c, err := e.svc.RepliedSince(ctx, me, tk.ID, seen); err != nil || c != nil {
			t.Fatalf("no collision expected: %+v %v", c, err)
		}
		mid := add(model.DirOut, mariana.ID)
		e.clk.Advance(3 * time.Second)
		c, err := e.svc.RepliedSince(ctx, me, tk.ID, seen)
		must(t, err)
		if c == nil || c.MessageID != mid || c.Name != "Mariana" || c.Ago != 3*time.Second {
			t.Fatalf("collision %+v", c)
		}
		if c, _ := e.svc.RepliedSince(ctx, me, tk.ID, mid); c != nil {
			t.Fatal("collides with a reply the page showed")
		}
		if c, _ := e.svc.RepliedSince(ctx, me, tk.ID, 0); c != nil {
			t.Fatal("seen 0 collides")
		}
	})
}

// TestPresenceAcrossNodes: two nodes on one PostgreSQL, each with its own
// hub, ticket service and LISTEN/NOTIFY bus (wired as internal/app does):
// an agent opening a ticket on node A is announced to node B's live
// subscribers within a second, and node B lists the agent as present;
// typing and leaving too.
func TestPresenceAcrossNodes(t *testing.T) {
	url := pgtest.NewDatabase(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	type node struct {
		st  store.Store
		hub *api.Hub
		svc *ticket.Service
	}
	e := newEnv(t, "sqlite") // only for its clock
	mk := func(id string) *node {
		st, err := postgres.Open(ctx, url, e.clk)
		must(t, err)
		t.Cleanup(func() { st.Close() })
		n := &node{st: st, hub: api.NewHub(st, e.clk, log)}
		n.svc = ticket.New(st, nil, nil, n.hub, e.clk, log)
		bus := cluster.NewBus(cluster.BusConfig{URL: url, NodeID: id,
			Deliver: func(no cluster.Note) {
				n.hub.Deliver(ticket.Event{Type: no.Type, CompanyID: no.CompanyID, TicketID: no.TicketID, MessageID: no.MessageID, At: no.At})
			}, Resync: n.hub.Resync}, log)
		n.hub.SetRelay(func(ev ticket.Event) {
			bus.Publish(cluster.Note{Type: ev.Type, CompanyID: ev.CompanyID, TicketID: ev.TicketID, MessageID: ev.MessageID, At: ev.At})
		})
		bctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); bus.Run(bctx) }()
		t.Cleanup(func() { cancel(); <-done })
		for i := 0; i < 200 && !bus.Stats().Connected; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		return n
	}
	a, b := mk("a"), mk("b")
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, a.st.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "s", Name: "S", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}}
	must(t, a.st.CreateChannel(ctx, ch))
	ana := &model.Agent{CompanyID: co.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAdmin}
	mar := &model.Agent{CompanyID: co.ID, Email: "mariana@acme.test", Name: "Mariana", Role: model.RoleAdmin}
	must(t, a.st.CreateAgent(ctx, ana))
	must(t, a.st.CreateAgent(ctx, mar))
	c, err := a.st.UpsertContact(ctx, co.ID, "cliente@example.com", "")
	must(t, err)
	tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: c.ID, Subject: "x", ReplyToken: "rt1"}
	must(t, a.st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
	evs, cancel := b.hub.Subscribe(co.ID)
	defer cancel()
	actA := ticket.Actor{CompanyID: co.ID, AgentID: ana.ID, Admin: true}
	actB := ticket.Actor{CompanyID: co.ID, AgentID: mar.ID, Admin: true}
	step := func(state string, want []ticket.Viewer) {
		t.Helper()
		start := time.Now()
		if _, err := a.svc.Presence(ctx, actA, tk.ID, state); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-evs:
			if ev.Type != ticket.EventPresence || ev.TicketID != tk.ID {
				t.Fatalf("node B got %+v", ev)
			}
			d := time.Since(start)
			if d > time.Second {
				t.Fatalf("presence took %v to cross nodes", d)
			}
			t.Logf("%s crossed nodes in %v", state, d)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: node B heard nothing", state)
		}
		got, err := b.svc.Presence(ctx, actB, tk.ID, "")
		must(t, err)
		if len(got) != len(want) || (len(want) == 1 && got[0] != want[0]) {
			t.Fatalf("%s: node B sees %+v, want %+v", state, got, want)
		}
	}
	step(ticket.PresenceViewing, []ticket.Viewer{{AgentID: ana.ID, Name: "Ana"}})
	step(ticket.PresenceTyping, []ticket.Viewer{{AgentID: ana.ID, Name: "Ana", Typing: true}})
	step(ticket.PresenceGone, nil)
	// A renewal that changes nothing is not announced.
	_, err = a.svc.Presence(ctx, actA, tk.ID, ticket.PresenceViewing)
	must(t, err)
	<-evs
	_, err = a.svc.Presence(ctx, actA, tk.ID, ticket.PresenceViewing)
	must(t, err)
	select {
	case ev := <-evs:
		t.Fatalf("renewal announced: %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
	// Expiry: after PresenceTTL without renewal, nobody is there.
	e.clk.Advance(ticket.PresenceTTL + time.Second)
	got, err := b.svc.Presence(ctx, actB, tk.ID, "")
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("after expiry: %+v", got)
	}
}
