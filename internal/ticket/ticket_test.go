package ticket_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
	"github.com/atende-helpdesk/atende/internal/testutil/teststore"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

var ctx = context.Background()

type pub struct {
	mu  sync.Mutex
	evs []ticket.Event
}

func (p *pub) Publish(_ context.Context, ev ticket.Event) {
	p.mu.Lock()
	p.evs = append(p.evs, ev)
	p.mu.Unlock()
}

type env struct {
	st          store.Store
	bl          *blob.FS
	svc         *ticket.Service
	pub         *pub
	co, other   *model.Company
	ch          *model.Channel
	team, team2 *model.Team
	agent       *model.Agent
	contact     *model.Contact
	clk         *clock.Fake
}

func newEnv(t *testing.T, dialect string) *env {
	clk := testclock.New(t)
	st := teststore.Open(t, dialect, clk)
	var err error
	e := &env{st: st, pub: &pub{}, clk: clk}
	e.co = &model.Company{Slug: "acme", Name: "ACME"}
	e.other = &model.Company{Slug: "beta", Name: "Beta"}
	must(t, st.CreateCompany(ctx, e.co))
	must(t, st.CreateCompany(ctx, e.other))
	e.ch = &model.Channel{CompanyID: e.co.ID, Slug: "s", Name: "S", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test", FromName: "ACME Suporte"}}
	must(t, st.CreateChannel(ctx, e.ch))
	e.team, e.team2 = &model.Team{CompanyID: e.co.ID, Name: "N1"}, &model.Team{CompanyID: e.co.ID, Name: "N2"}
	must(t, st.CreateTeam(ctx, e.team))
	must(t, st.CreateTeam(ctx, e.team2))
	e.agent = &model.Agent{CompanyID: e.co.ID, Email: "bia@acme.test", Name: "Bia", Role: model.RoleAgent}
	must(t, st.CreateAgent(ctx, e.agent))
	e.contact, err = st.UpsertContact(ctx, e.co.ID, "cliente@example.com", "Cliente")
	must(t, err)
	bl, err := blob.NewFS(filepath.Join(t.TempDir(), "blobs"))
	must(t, err)
	e.bl = bl
	e.svc = ticket.New(st, bl, nil, e.pub, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) ticket(t *testing.T, subject string, teamID int64) *model.Ticket {
	t.Helper()
	tk := &model.Ticket{CompanyID: e.co.ID, ChannelID: e.ch.ID, ContactID: e.contact.ID, TeamID: teamID, Subject: subject,
		ReplyToken: fmt.Sprintf("rt%d", time.Now().UnixNano())}
	must(t, e.st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
	m := &model.Message{CompanyID: e.co.ID, TicketID: tk.ID, ChannelID: e.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
		From: model.Address{Address: "cliente@example.com"}, MessageID: fmt.Sprintf("in-%d@example.com", tk.ID), References: []string{"root@example.com"}}
	must(t, e.st.CreateMessage(ctx, m))
	must(t, e.st.CreateAttachment(ctx, &model.Attachment{CompanyID: e.co.ID, MessageID: m.ID, BlobKey: "k", Filename: "a.pdf", Size: 3}))
	return tk
}

func fieldsOf(err error) map[string]string {
	var ve directory.ValidationError
	out := map[string]string{}
	if errors.As(err, &ve) {
		for _, f := range ve {
			out[f.Field] = f.Message
		}
	}
	return out
}

func dialects(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, newEnv(t, d)) })
	}
}

func TestListScopeAndCursor(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		admin := ticket.Actor{CompanyID: e.co.ID, AgentID: 999, Admin: true}
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		var mine []int64
		for i := 0; i < 5; i++ {
			mine = append(mine, e.ticket(t, fmt.Sprintf("N1 #%d", i), e.team.ID).ID)
			e.ticket(t, fmt.Sprintf("N2 #%d", i), e.team2.ID)
		}
		var got []int64
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := e.svc.List(ctx, agent, ticket.Filter{Limit: 2, Cursor: cursor})
			must(t, err)
			for _, tk := range p.Tickets {
				got = append(got, tk.ID)
			}
			if p.NextCursor == "" {
				if pages != 2 {
					t.Fatalf("pages = %d", pages+1)
				}
				break
			}
			cursor = p.NextCursor
		}
		if fmt.Sprint(got) != fmt.Sprint([]int64{mine[4], mine[3], mine[2], mine[1], mine[0]}) {
			t.Fatalf("agent sees %v, want %v reversed", got, mine)
		}
		p, err := e.svc.List(ctx, admin, ticket.Filter{Query: "n2 #"})
		must(t, err)
		if len(p.Tickets) != 5 {
			t.Fatalf("admin query found %d", len(p.Tickets))
		}
		_, err = e.svc.List(ctx, agent, ticket.Filter{Cursor: "garbage!", Status: "nope", Limit: 1000})
		if f := fieldsOf(err); f["cursor"] == "" || f["status"] == "" || f["limit"] == "" {
			t.Fatalf("validation: %v", err)
		}
	})
}

func TestOperations(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		foreign := ticket.Actor{CompanyID: e.other.ID, AgentID: 1, Admin: true}
		tk := e.ticket(t, "Boleto", e.team.ID)
		hidden := e.ticket(t, "Outro time", e.team2.ID)

		if _, err := e.svc.Get(ctx, agent, hidden.ID); !errors.Is(err, ticket.ErrForbidden) {
			t.Fatalf("other team's ticket: %v", err)
		}
		if _, err := e.svc.Get(ctx, foreign, tk.ID); !errors.Is(err, ticket.ErrNotFound) {
			t.Fatalf("other company's ticket: %v", err)
		}
		note, err := e.svc.AddNote(ctx, agent, tk.ID, "ligar amanhã")
		must(t, err)
		if note.Direction != model.DirNote || note.Status != model.MsgStored {
			t.Fatalf("note %+v", note)
		}
		if _, err := e.svc.AddNote(ctx, agent, tk.ID, "  "); fieldsOf(err)["text"] != "required" {
			t.Fatalf("empty note: %v", err)
		}
		reply, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Olá! Segue o **boleto**."})
		must(t, err)
		if reply.Status != model.MsgQueued || reply.Direction != model.DirOut || len(reply.To) != 1 || reply.To[0].Address != "cliente@example.com" ||
			!strings.HasPrefix(reply.Subject, "Re: Boleto") || reply.InReplyTo != fmt.Sprintf("in-%d@example.com", tk.ID) || len(reply.References) != 2 ||
			reply.From.Address != "suporte@acme.test" || reply.AuthorID != e.agent.ID || reply.RawKey == "" || reply.MessageID == "" {
			t.Fatalf("reply %+v", reply)
		}
		rc, err := e.bl.Open(ctx, reply.RawKey)
		must(t, err)
		raw, _ := io.ReadAll(rc)
		rc.Close()
		low := strings.ToLower(string(raw))
		if !strings.Contains(low, strings.ToLower("Message-ID: <"+reply.MessageID+">")) || !strings.Contains(low, strings.ToLower("In-Reply-To: <"+reply.InReplyTo+">")) {
			t.Fatalf("raw reply:\n%s", raw)
		}
		// Dated by the service's clock, in the row and in the mail.
		if !reply.CreatedAt.Equal(e.clk.Now().UTC()) || !strings.Contains(string(raw), "Date: "+e.clk.Now().Format("Mon, 02 Jan 2006 15:04:05")) {
			t.Fatalf("reply dated %v, clock %v:\n%s", reply.CreatedAt, e.clk.Now(), raw)
		}
		jobs, err := e.st.ClaimJobs(ctx, []string{outbox.JobKind}, time.Minute, 10)
		must(t, err)
		var pl struct {
			MessageID int64 `json:"message_id"`
		}
		if len(jobs) != 1 || json.Unmarshal(jobs[0].Payload, &pl) != nil || pl.MessageID != reply.ID {
			t.Fatalf("send jobs %+v", jobs)
		}
		if _, err := e.svc.Forward(ctx, agent, tk.ID, ticket.ForwardInput{To: []model.Address{{Address: "not an address"}}}); fieldsOf(err)["to[0].address"] == "" || fieldsOf(err)["text"] == "" {
			t.Fatalf("forward validation: %v", err)
		}
		fwd, err := e.svc.Forward(ctx, agent, tk.ID, ticket.ForwardInput{To: []model.Address{{Address: "fin@acme.test"}}, Text: "veja"})
		must(t, err)
		if !strings.HasPrefix(fwd.Subject, "Fwd: Boleto") || fwd.Status != model.MsgQueued || fwd.To[0].Address != "fin@acme.test" || len(fwd.Cc) != 0 {
			t.Fatalf("forward %+v", fwd)
		}
		zero := int64(0)
		foreignTeam := &model.Team{CompanyID: e.other.ID, Name: "X"}
		must(t, e.st.CreateTeam(ctx, foreignTeam))
		if _, err := e.svc.Assign(ctx, agent, tk.ID, ticket.AssignInput{TeamID: &foreignTeam.ID}); fieldsOf(err)["team_id"] != "no such team" {
			t.Fatalf("assign foreign team: %v", err)
		}
		got, err := e.svc.Assign(ctx, agent, tk.ID, ticket.AssignInput{AssigneeID: &e.agent.ID, TeamID: &zero})
		must(t, err)
		if got.AssigneeID != e.agent.ID || got.TeamID != 0 {
			t.Fatalf("assigned %+v", got)
		}
		if _, err := e.svc.Get(ctx, agent, tk.ID); err != nil { // still visible: assigned to them
			t.Fatal(err)
		}
		if _, err := e.svc.SetStatus(ctx, agent, tk.ID, "done"); fieldsOf(err)["status"] == "" {
			t.Fatalf("bad status: %v", err)
		}
		if got, err := e.svc.SetStatus(ctx, agent, tk.ID, model.StatusPending); err != nil || got.Status != model.StatusPending {
			t.Fatalf("status %+v %v", got, err)
		}
		// Merge: into a ticket the agent cannot see is a field error.
		if _, err := e.svc.Merge(ctx, agent, tk.ID, hidden.ID); fieldsOf(err)["target_id"] == "" {
			t.Fatalf("merge into hidden: %v", err)
		}
		target := e.ticket(t, "Boleto de novo", e.team.ID)
		if _, err := e.svc.Merge(ctx, agent, tk.ID, target.ID); err != nil {
			t.Fatal(err)
		}
		d, err := e.svc.Get(ctx, agent, target.ID)
		must(t, err)
		if len(d.Messages) != 5 || len(d.Messages[0].Attachments) != 1 {
			t.Fatalf("merged target has %d messages", len(d.Messages))
		}
		src, err := e.svc.Get(ctx, agent, tk.ID)
		must(t, err)
		if src.MergedInto != target.ID || src.Ticket.Status != model.StatusClosed || len(src.Messages) != 0 {
			t.Fatalf("source after merge %+v", src)
		}
		if len(e.pub.evs) < 6 || e.pub.evs[0].Type != ticket.EventTicketUpdated || e.pub.evs[0].CompanyID != e.co.ID {
			t.Fatalf("events %+v", e.pub.evs)
		}
	})
}

// Usedesk seed, "Encaminhamento — um novo ticket": with the channel option
// on, a forward opens a new ticket whose first note holds the forwarded
// correspondence, and the forward itself is sent from the new ticket.
func TestForwardCreatesNewTicket(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.ch.Settings.ForwardNewTicket = true
		must(t, e.st.UpdateChannel(ctx, e.ch))
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Nota fiscal errada", e.team.ID)
		fwd, err := e.svc.Forward(ctx, agent, tk.ID, ticket.ForwardInput{To: []model.Address{{Name: "Financeiro", Address: "fin@acme.test"}}, Text: "Podem corrigir?"})
		must(t, err)
		if fwd.TicketID == tk.ID {
			t.Fatal("the forward stayed on the customer's ticket")
		}
		nt, err := e.st.GetTicket(ctx, e.co.ID, fwd.TicketID)
		must(t, err)
		c, _ := e.st.GetContact(ctx, e.co.ID, nt.ContactID)
		if nt.Subject != "Fwd: Nota fiscal errada" || c.Email != "fin@acme.test" || nt.AssigneeID != e.agent.ID || nt.TeamID != e.team.ID {
			t.Fatalf("new ticket %+v contact %s", nt, c.Email)
		}
		msgs, err := e.st.ListMessages(ctx, e.co.ID, nt.ID)
		must(t, err)
		if len(msgs) != 2 || msgs[0].Direction != model.DirNote || !strings.Contains(msgs[0].Text, "Atendimento #"+fmt.Sprint(tk.Number)) ||
			!strings.Contains(msgs[0].Text, "Assunto: Nota fiscal errada") || strings.Contains(msgs[0].Text, "UTC") {
			t.Fatalf("new ticket messages: %+v", msgs)
		}
		if msgs[1].ID != fwd.ID || !strings.Contains(fwd.Text, "Podem corrigir?") || !strings.Contains(fwd.Text, "Mensagem encaminhada") ||
			fwd.To[0].Address != "fin@acme.test" || fwd.Status != model.MsgQueued {
			t.Fatalf("forward message: %+v", fwd)
		}
		// The customer's ticket is untouched (no outbound message on it).
		orig, _ := e.st.ListMessages(ctx, e.co.ID, tk.ID)
		for _, m := range orig {
			if m.Direction == model.DirOut {
				t.Fatal("forward also queued on the original ticket")
			}
		}
	})
}

// The composer's quote choice overrides the channel's "show quote in reply".
func TestReplyQuoteOverride(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.ch.Settings.ShowQuote = true
		must(t, e.st.UpdateChannel(ctx, e.ch))
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Citação", e.team.ID)
		def, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "padrão"})
		must(t, err)
		no := false
		none, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "sem citação", Quote: &no})
		must(t, err)
		if !strings.Contains(def.Text, "escreveu:") || strings.Contains(none.Text, "escreveu:") {
			t.Fatalf("channel default must quote, override must not:\n%q\n%q", def.Text, none.Text)
		}
	})
}

// Reply attachments go into the raw MIME and are stored as attachment rows
// of the outgoing message; more than 25 MB in total is refused.
func TestReplyAttachments(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Anexos", e.team.ID)
		data := []byte("%PDF-1.4 boleto de teste\n")
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Segue o boleto.",
			Attachments: []ticket.Attachment{{Filename: "boleto.pdf", ContentType: "application/pdf", Data: data}}})
		must(t, err)
		rc, err := e.bl.Open(ctx, m.RawKey)
		must(t, err)
		raw, err := io.ReadAll(rc)
		rc.Close()
		must(t, err)
		if !strings.Contains(string(raw), "boleto.pdf") || !strings.Contains(string(raw), "application/pdf") {
			t.Fatalf("raw MIME lacks the attachment:\n%s", raw)
		}
		atts, err := e.st.ListAttachments(ctx, e.co.ID, m.ID)
		must(t, err)
		if len(atts) != 1 || atts[0].Filename != "boleto.pdf" || atts[0].ContentType != "application/pdf" || atts[0].Size != int64(len(data)) {
			t.Fatalf("attachment rows = %+v", atts)
		}
		brc, err := e.bl.Open(ctx, atts[0].BlobKey)
		must(t, err)
		got, err := io.ReadAll(brc)
		brc.Close()
		must(t, err)
		if string(got) != string(data) {
			t.Fatalf("stored attachment = %q", got)
		}
		_, err = e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "grande",
			Attachments: []ticket.Attachment{{Filename: "a.bin", Data: make([]byte, ticket.MaxAttachmentBytes/2+1)},
				{Filename: "b.bin", Data: make([]byte, ticket.MaxAttachmentBytes/2+1)}}})
		if f := fieldsOf(err); f["attachments"] == "" {
			t.Fatalf("oversized attachments: err = %v", err)
		}
	})
}
