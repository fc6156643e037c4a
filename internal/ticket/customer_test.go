package ticket_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Issue 15 item 4: "gerente@cliente" is refused like setup refuses it.
func TestReplyRefusesMalformedCc(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Cc", e.team.ID)
		_, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Olá", Cc: []model.Address{{Address: "gerente@cliente"}}})
		if f := fieldsOf(err); !strings.HasPrefix(f["cc[0].address"], "must be an email address") {
			t.Fatalf("err = %v", err)
		}
		if n, _ := e.st.CountMessages(ctx, e.co.ID); n != 1 {
			t.Fatalf("messages = %d: a refused reply was stored", n)
		}
	})
}

// Issue 15 item 1: replying to a mail with an inline image carries the
// image as a related part, and the ticket view's copy of the reply has
// its own inline attachment row (no 404 on cid/<id>).
func TestReplyCarriesQuotedInlineImage(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.ch.Settings.ShowQuote = true
		must(t, e.st.UpdateChannel(ctx, e.ch))
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Caixa amassada", e.team.ID)
		img := []byte("\x89PNG\r\n\x1a\nnot really a png but bytes")
		key, size, err := e.bl.Put(ctx, bytes.NewReader(img), 0)
		must(t, err)
		in := &model.Message{CompanyID: e.co.ID, TicketID: tk.ID, ChannelID: e.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
			From: model.Address{Address: "cliente@example.com"}, MessageID: "foto@example.com", Text: "Veja",
			HTML: `<p>Veja</p><img src="cid/foto.1@example.com" alt="foto">`}
		must(t, e.st.CreateMessage(ctx, in))
		must(t, e.st.CreateAttachment(ctx, &model.Attachment{CompanyID: e.co.ID, MessageID: in.ID, BlobKey: key, Filename: "foto.png",
			ContentType: "image/png", Size: size, ContentID: "foto.1@example.com", Inline: true}))
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Recebemos a foto."})
		must(t, err)
		rc, err := e.bl.Open(ctx, m.RawKey)
		must(t, err)
		raw, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Contains(raw, []byte("multipart/related")) || !bytes.Contains(raw, []byte("Content-Id: <foto.1@example.com>")) ||
			bytes.Contains(raw, []byte("cid/foto")) {
			t.Fatalf("raw:\n%s", raw)
		}
		atts, err := e.st.ListAttachments(ctx, e.co.ID, m.ID)
		must(t, err)
		if len(atts) != 1 || !atts[0].Inline || atts[0].ContentID != "foto.1@example.com" || atts[0].BlobKey != key {
			t.Fatalf("reply attachments = %+v", atts)
		}
		if !strings.Contains(m.HTML, `src="cid/foto.1@example.com"`) {
			t.Fatalf("stored html %s", m.HTML)
		}
	})
}

// Issue 16: a file the agent placed in the text is stored as an inline
// attachment row under the Content-ID the mail references (the ticket
// view shows it through cid/<id>); a file not referenced stays a plain
// attachment row.
func TestReplyEmbedsPastedImage(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Erro na tela", e.team.ID)
		shot := []byte("\x89PNG\r\n\x1a\nscreenshot bytes")
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Veja:\n\n![image-1.png](attachment:image-1.png)\n\nObrigado.",
			Attachments: []ticket.Attachment{{Filename: "image-1.png", ContentType: "image/png", Data: shot},
				{Filename: "other.png", ContentType: "image/png", Data: shot}}})
		must(t, err)
		atts, err := e.st.ListAttachments(ctx, e.co.ID, m.ID)
		must(t, err)
		if len(atts) != 2 || !atts[0].Inline || atts[0].ContentID == "" || atts[0].Filename != "image-1.png" || atts[1].Inline || atts[1].ContentID != "" {
			t.Fatalf("reply attachments = %+v", atts)
		}
		rc, err := e.bl.Open(ctx, m.RawKey)
		must(t, err)
		raw, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Contains(raw, []byte("Content-Id: <"+atts[0].ContentID+">")) || !bytes.Contains(raw, []byte("cid:"+atts[0].ContentID)) {
			t.Fatalf("raw:\n%s", raw)
		}
		if !strings.Contains(m.HTML, `src="cid/`+atts[0].ContentID+`"`) || strings.Contains(m.HTML, "attachment:") {
			t.Fatalf("stored html %s", m.HTML)
		}
	})
}

// Issue 15 item 9: "Tentar novamente" requeues a failed message once.
func TestRetryFailedMessage(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Falha", e.team.ID)
		m, err := e.svc.Reply(ctx, agent, tk.ID, ticket.ReplyInput{Text: "Olá"})
		must(t, err)
		// The outbox gave up on it.
		jobs, err := e.st.ClaimJobs(ctx, []string{outbox.JobKind}, 60e9, 10)
		must(t, err)
		if len(jobs) != 1 {
			t.Fatalf("jobs = %+v", jobs)
		}
		must(t, e.st.RetryJob(ctx, jobs[0].ID, "550", e.clk.Now(), true))
		must(t, e.st.UpdateMessageStatus(ctx, e.co.ID, m.ID, model.MsgFailed, outbox.FailureText(outbox.FailRejected, "550 5.1.1 unknown")))

		// Another team's agent cannot retry it; another ticket's id neither.
		other := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team2.ID}}
		if _, err := e.svc.Retry(ctx, other, tk.ID, m.ID); err == nil {
			t.Fatal("retry outside the agent's teams")
		}
		tk2 := e.ticket(t, "Outro", e.team.ID)
		if _, err := e.svc.Retry(ctx, agent, tk2.ID, m.ID); err == nil {
			t.Fatal("retry through another ticket")
		}
		got, err := e.svc.Retry(ctx, agent, tk.ID, m.ID)
		must(t, err)
		if got.Status != model.MsgQueued || got.MessageID != m.MessageID || got.RawKey != m.RawKey {
			t.Fatalf("retried = %+v", got)
		}
		// Twice: no second job, still queued.
		_, err = e.svc.Retry(ctx, agent, tk.ID, m.ID)
		must(t, err)
		jobs, err = e.st.ClaimJobs(ctx, []string{outbox.JobKind}, 60e9, 10)
		must(t, err)
		if len(jobs) != 1 || jobs[0].Attempts != 1 {
			t.Fatalf("jobs after retry = %+v", jobs)
		}
		stored, _ := e.st.GetMessage(ctx, e.co.ID, m.ID)
		if stored.Status != model.MsgQueued || stored.Error != "" {
			t.Fatalf("stored = %+v", stored)
		}
	})
}

// Issue 15 item 10: priority and tags set by rule filters are editable.
func TestSetPriorityAndTags(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		agent := ticket.Actor{CompanyID: e.co.ID, AgentID: e.agent.ID, TeamIDs: []int64{e.team.ID}}
		tk := e.ticket(t, "Tags", e.team.ID)
		high := "high"
		got, err := e.svc.SetDetails(ctx, agent, tk.ID, ticket.DetailsInput{Priority: &high, Tags: []string{" VIP ", "boleto", "vip", ""}})
		must(t, err)
		stored, _ := e.st.GetTicket(ctx, e.co.ID, tk.ID)
		if got.Priority != "high" || strings.Join(stored.Tags, ",") != "vip,boleto" || stored.Priority != "high" {
			t.Fatalf("ticket = %+v", stored)
		}
		bad := "máxima"
		_, err = e.svc.SetDetails(ctx, agent, tk.ID, ticket.DetailsInput{Priority: &bad, Tags: []string{strings.Repeat("x", 41)}})
		if f := fieldsOf(err); f["priority"] == "" || f["tags"] == "" {
			t.Fatalf("err = %v", err)
		}
		// Tags only: the priority stays.
		_, err = e.svc.SetDetails(ctx, agent, tk.ID, ticket.DetailsInput{Tags: []string{}})
		must(t, err)
		stored, _ = e.st.GetTicket(ctx, e.co.ID, tk.ID)
		if stored.Priority != "high" || len(stored.Tags) != 0 {
			t.Fatalf("ticket = %+v", stored)
		}
	})
}
