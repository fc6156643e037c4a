package ticket_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/outboxtest"
	"github.com/atende-helpdesk/atende/internal/testutil/smtprelay"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// relaySender sends every channel's mail through the test relay (smtpout).
type relaySender struct{ s *smtpout.Sender }

func (r relaySender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	return r.s.Send(ctx, from, to, raw)
}

func startRelay(t *testing.T) (*smtprelay.Relay, *smtpout.Sender) {
	r := smtprelay.Start(t)
	return r, smtpout.New(smtpout.Config{Server: r.Server(), AllowInsecure: true}, slog.New(slog.DiscardHandler))
}

// relayOutbox is an outbox sending e's mail to a real SMTP relay, and
// drain, which runs the jobs due on e's clock.
func relayOutbox(t *testing.T, e *env) (*smtprelay.Relay, func()) {
	rl, snd := startRelay(t)
	ob := outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: relaySender{snd}})
	return rl, func() { t.Helper(); outboxtest.Drain(t, ob) }
}

// Undo send (issue 16): a reply from the composer waits in the outbox for
// the company's delay (default 10 s, on the fake clock); "Desfazer" within
// it takes it back and the relay receives nothing; a reply left alone
// leaves once the delay is over and is delivered exactly once; undo after
// that is too late.
func TestUndoSend(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		rl, drain := relayOutbox(t, e)
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Troca", e.team.ID)

		// Undo within the delay, after "send and resolve".
		must(t, e.svc.SaveDraft(ctx, agent, tk.ID, "Vamos **trocar**."))
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Vamos **trocar**.", Hold: true, Status: model.StatusResolved})
		must(t, err)
		if until := ticket.UndoUntil(m); !until.Equal(e.clk.Now().UTC().Add(10 * time.Second)) {
			t.Fatalf("held until %v (now %v)", until, e.clk.Now())
		}
		if d, _ := e.svc.Draft(ctx, agent, tk.ID); d != "" {
			t.Fatalf("draft kept after send: %q", d)
		}
		if got, _ := e.st.GetTicket(ctx, e.co.ID, tk.ID); got.Status != model.StatusResolved {
			t.Fatalf("status after send and resolve: %s", got.Status)
		}
		e.clk.Advance(9 * time.Second)
		drain()
		if rl.Count() != 0 {
			t.Fatal("the reply left before the delay ended")
		}
		other := ticket.Actor{CompanyID: e.co.ID, AgentID: 999, Admin: true}
		if _, err := e.svc.UndoReply(ctx, other, tk.ID, m.ID); !errors.Is(err, ticket.ErrNotFound) {
			t.Fatalf("another agent undid the reply: %v", err)
		}
		if _, err := e.svc.UndoReply(ctx, agent, tk.ID, m.ID); err != nil {
			t.Fatalf("undo: %v", err)
		}
		if _, err := e.st.GetMessage(ctx, e.co.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("undone message still there: %v", err)
		}
		if d, _ := e.svc.Draft(ctx, agent, tk.ID); d != "Vamos **trocar**." {
			t.Fatalf("draft after undo %q", d)
		}
		if got, _ := e.st.GetTicket(ctx, e.co.ID, tk.ID); got.Status == model.StatusResolved {
			t.Fatalf("status not restored after undo: %s", got.Status)
		}
		e.clk.Advance(time.Minute)
		drain()
		if rl.Count() != 0 {
			t.Fatalf("an undone reply reached the relay (%d)", rl.Count())
		}

		// Left alone: delivered exactly once, after the delay.
		m2, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Segue o código.", Hold: true})
		must(t, err)
		drain()
		e.clk.Advance(5 * time.Second)
		drain()
		if rl.Count() != 0 {
			t.Fatal("the reply left before the delay ended")
		}
		e.clk.Advance(5 * time.Second)
		drain()
		e.clk.Advance(time.Hour)
		drain()
		if rl.Count() != 1 || rl.Delivered(m2.MessageID) != 1 {
			t.Fatalf("deliveries = %d", rl.Count())
		}
		if _, err := e.svc.UndoReply(ctx, agent, tk.ID, m2.ID); !errors.Is(err, ticket.ErrTooLate) {
			t.Fatalf("undo after delivery: %v", err)
		}
		if got, _ := e.st.GetMessage(ctx, e.co.ID, m2.ID); got.Status != model.MsgSent {
			t.Fatalf("message %+v", got)
		}

		// Delay 0 disables holding; the API (no Hold) never waits.
		must(t, e.st.SetUndoSeconds(ctx, e.co.ID, 0))
		m3, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Sem espera.", Hold: true})
		must(t, err)
		drain()
		if rl.Count() != 2 || !ticket.UndoUntil(m3).IsZero() {
			t.Fatalf("delay 0: deliveries = %d", rl.Count())
		}
		if _, err := e.svc.UndoReply(ctx, agent, tk.ID, m3.ID); !errors.Is(err, ticket.ErrTooLate) {
			t.Fatalf("undo of an unheld reply: %v", err)
		}
	})
}

func TestFillVariables(t *testing.T) {
	vars := ticket.Variables(&model.Contact{Name: "Bob Cliente", Email: "bob@example.com"}, &model.Ticket{Number: 42, Subject: "Troca"},
		&model.Agent{Name: "Bia"}, &model.Company{Name: "Loja Exemplo"})
	for _, tc := range []struct{ name, in, want string }{
		{"pt-BR", "Olá {{contato.nome}}, o atendimento #{{ticket.numero}} é com {{agente.nome}} da {{empresa.nome}}.",
			"Olá Bob Cliente, o atendimento #42 é com Bia da Loja Exemplo."},
		{"English and spaces", "Hi {{ contact.name }} ({{ticket.number}}), {{agent.name}} / {{company.name}}", "Hi Bob Cliente (42), Bia / Loja Exemplo"},
		{"first name", "Oi {{contato.primeiro_nome}}", "Oi Bob"},
		{"unknown stays as is", "Olá {{contato.apelido}} {{}} {{ nada", "Olá {{contato.apelido}} {{}} {{ nada"},
	} {
		if got := ticket.FillVariables(tc.in, vars); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestCannedReplies(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		admin := ticket.Actor{CompanyID: e.co.ID, AgentID: 999, Admin: true}
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		foreign := ticket.Actor{CompanyID: e.other.ID, AgentID: 1, Admin: true}
		if _, err := e.svc.CreateCanned(ctx, agent, ticket.CannedInput{Title: "x", Body: "y", Scope: ticket.CannedCompany}); fieldsOf(err)["scope"] == "" {
			t.Fatalf("an agent created a company canned reply: %v", err)
		}
		if _, err := e.svc.CreateCanned(ctx, agent, ticket.CannedInput{Title: "", Body: " "}); fieldsOf(err)["title"] == "" || fieldsOf(err)["body"] == "" {
			t.Fatalf("empty canned reply: %v", err)
		}
		co, err := e.svc.CreateCanned(ctx, admin, ticket.CannedInput{Title: "Troca", Scope: ticket.CannedCompany,
			Body:        "Olá {{contato.nome}}, atendimento {{ticket.numero}}. {{agente.nome}}, {{empresa.nome}}. {{desconhecida}}",
			Attachments: []ticket.Attachment{{Filename: "politica.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}}})
		must(t, err)
		own, err := e.svc.CreateCanned(ctx, agent, ticket.CannedInput{Title: "Minha", Body: "Abraço, {{agente.nome}}"})
		must(t, err)
		if _, err := e.svc.UpdateCanned(ctx, agent, co.ID, ticket.CannedInput{Title: "t", Body: "b"}, nil); !errors.Is(err, ticket.ErrForbidden) {
			t.Fatalf("an agent edited the company's: %v", err)
		}
		if _, err := e.svc.GetCanned(ctx, admin, own.ID); !errors.Is(err, ticket.ErrNotFound) {
			t.Fatalf("someone else's own canned reply: %v", err)
		}
		if _, err := e.svc.GetCanned(ctx, foreign, co.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another company's canned reply: %v", err)
		}
		l, err := e.svc.ListCanned(ctx, agent)
		must(t, err)
		if len(l) != 2 {
			t.Fatalf("agent sees %d", len(l))
		}
		tk := e.ticket(t, "Troca", e.team.ID)
		r, err := e.svc.RenderCanned(ctx, agent, tk.ID, co.ID)
		must(t, err)
		want := "Olá Cliente, atendimento " + fmt.Sprint(tk.Number) + ". Bia, ACME. {{desconhecida}}"
		if r.Text != want || len(r.Attachments) != 1 {
			t.Fatalf("rendered %q (%d files), want %q", r.Text, len(r.Attachments), want)
		}
		files, err := e.svc.CannedFiles(ctx, agent, co.ID, []int64{r.Attachments[0].ID, 12345})
		must(t, err)
		if len(files) != 1 || string(files[0].Data) != "%PDF-1.4" {
			t.Fatalf("files %+v", files)
		}
		must(t, e.svc.DeleteCanned(ctx, agent, own.ID))
		if err := e.svc.DeleteCanned(ctx, agent, co.ID); !errors.Is(err, ticket.ErrForbidden) {
			t.Fatalf("an agent deleted the company's: %v", err)
		}
	})
}
