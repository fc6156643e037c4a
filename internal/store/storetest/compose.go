package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func composeTests() []Case {
	return []Case{
		{"Canned replies", testCannedReplies},
		{"Drafts and undo delay", testDrafts},
		{"Draft files", testDraftFiles},
		{"Cancel send", testCancelSend},
	}
}

func testCannedReplies(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	co := &store.CannedReply{CompanyID: a.co.ID, Title: "Boas-vindas", Body: "Olá {{contato.nome}}",
		Attachments: []store.CannedAttachment{{BlobKey: "k1", Filename: "guia.pdf", ContentType: "application/pdf", Size: 3}}}
	must(t, s.CreateCannedReply(ctx, co))
	own := &store.CannedReply{CompanyID: a.co.ID, AgentID: 7, Title: "Assinatura curta", Body: "Abraço"}
	must(t, s.CreateCannedReply(ctx, own))
	other := &store.CannedReply{CompanyID: a.co.ID, AgentID: 8, Title: "De outro agente", Body: "x"}
	must(t, s.CreateCannedReply(ctx, other))
	must(t, s.CreateCannedReply(ctx, &store.CannedReply{CompanyID: b.co.ID, Title: "Beta", Body: "y"}))

	l, err := s.ListCannedReplies(ctx, a.co.ID, 7)
	must(t, err)
	if len(l) != 2 || l[0].ID != own.ID || l[1].ID != co.ID {
		t.Fatalf("agent 7 sees %+v", l)
	}
	if l, _ := s.ListCannedReplies(ctx, a.co.ID, 0); len(l) != 1 || l[0].ID != co.ID {
		t.Fatalf("company list %+v", l)
	}
	got, err := s.GetCannedReply(ctx, a.co.ID, co.ID)
	must(t, err)
	if got.Body != co.Body || len(got.Attachments) != 1 || got.Attachments[0].Filename != "guia.pdf" || got.Attachments[0].Size != 3 {
		t.Fatalf("got %+v", got)
	}
	_, err = s.GetCannedReply(ctx, b.co.ID, co.ID)
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.AddCannedAttachment(ctx, &store.CannedAttachment{CompanyID: b.co.ID, CannedID: co.ID, BlobKey: "k", Filename: "f"}), store.ErrNotFound)
	wantErr(t, s.UpdateCannedReply(ctx, &store.CannedReply{CompanyID: b.co.ID, ID: co.ID, Title: "t", Body: "b"}), store.ErrNotFound)

	got.Title, got.Body = "Boas-vindas!", "Olá, {{contato.nome}}"
	must(t, s.UpdateCannedReply(ctx, got))
	att := &store.CannedAttachment{CompanyID: a.co.ID, CannedID: co.ID, BlobKey: "k2", Filename: "b.png", ContentType: "image/png", Size: 9}
	must(t, s.AddCannedAttachment(ctx, att))
	wantErr(t, s.DeleteCannedAttachment(ctx, b.co.ID, co.ID, att.ID), store.ErrNotFound)
	got, _ = s.GetCannedReply(ctx, a.co.ID, co.ID)
	if got.Title != "Boas-vindas!" || len(got.Attachments) != 2 {
		t.Fatalf("after update %+v", got)
	}
	must(t, s.DeleteCannedAttachment(ctx, a.co.ID, co.ID, att.ID))
	wantErr(t, s.DeleteCannedReply(ctx, b.co.ID, co.ID), store.ErrNotFound)
	must(t, s.DeleteCannedReply(ctx, a.co.ID, co.ID))
	_, err = s.GetCannedReply(ctx, a.co.ID, co.ID)
	wantErr(t, err, store.ErrNotFound)
}

func testDrafts(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	tk := a.ticket(t, s, "draft")
	_, err := s.GetDraft(ctx, a.co.ID, tk.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.SaveDraft(ctx, &store.Draft{CompanyID: a.co.ID, TicketID: tk.ID, AgentID: 1, Body: "primeiro"}))
	clk.Advance(time.Minute)
	must(t, s.SaveDraft(ctx, &store.Draft{CompanyID: a.co.ID, TicketID: tk.ID, AgentID: 1, Body: "segundo"}))
	must(t, s.SaveDraft(ctx, &store.Draft{CompanyID: a.co.ID, TicketID: tk.ID, AgentID: 2, Body: "outro agente"}))
	d, err := s.GetDraft(ctx, a.co.ID, tk.ID, 1)
	must(t, err)
	if d.Body != "segundo" || !d.UpdatedAt.Equal(clk.Now().UTC().Truncate(time.Second)) {
		t.Fatalf("draft %+v", d)
	}
	_, err = s.GetDraft(ctx, b.co.ID, tk.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.DeleteDraft(ctx, a.co.ID, tk.ID, 1))
	must(t, s.DeleteDraft(ctx, a.co.ID, tk.ID, 1))
	_, err = s.GetDraft(ctx, a.co.ID, tk.ID, 1)
	wantErr(t, err, store.ErrNotFound)
	if d, err := s.GetDraft(ctx, a.co.ID, tk.ID, 2); err != nil || d.Body != "outro agente" {
		t.Fatalf("agent 2 draft %+v %v", d, err)
	}

	n, err := s.UndoSeconds(ctx, a.co.ID)
	must(t, err)
	if n != store.DefaultUndoSeconds {
		t.Fatalf("default undo = %d", n)
	}
	must(t, s.SetUndoSeconds(ctx, a.co.ID, 0))
	must(t, s.SetUndoSeconds(ctx, b.co.ID, 30))
	if n, _ := s.UndoSeconds(ctx, a.co.ID); n != 0 {
		t.Fatalf("undo a = %d", n)
	}
	if n, _ := s.UndoSeconds(ctx, b.co.ID); n != 30 {
		t.Fatalf("undo b = %d", n)
	}
}

func testDraftFiles(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	tk := a.ticket(t, s, "files")
	other := a.ticket(t, s, "other ticket")
	add := func(companyID, ticketID, agentID int64, name string) *store.DraftFile {
		f := &store.DraftFile{CompanyID: companyID, TicketID: ticketID, AgentID: agentID, BlobKey: "sha256/" + strings.Repeat("a", 63) + name[:1],
			Filename: name, ContentType: "image/png", Size: int64(len(name))}
		must(t, s.AddDraftFile(ctx, f))
		if f.ID == 0 {
			t.Fatalf("draft file %q got no ID", name)
		}
		return f
	}
	names := func(fs []store.DraftFile) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Filename)
		}
		return out
	}
	if fs, err := s.ListDraftFiles(ctx, a.co.ID, tk.ID, 1); err != nil || len(fs) != 0 {
		t.Fatalf("no files yet: %v %v", fs, err)
	}
	first := add(a.co.ID, tk.ID, 1, "print.png")
	clk.Advance(time.Minute)
	second := add(a.co.ID, tk.ID, 1, "contrato.pdf")
	add(a.co.ID, tk.ID, 2, "agent2.png")
	add(a.co.ID, other.ID, 1, "other.png")
	fs, err := s.ListDraftFiles(ctx, a.co.ID, tk.ID, 1)
	must(t, err)
	if got := names(fs); !slices.Equal(got, []string{"print.png", "contrato.pdf"}) {
		t.Fatalf("agent 1's files on the ticket: %v", got)
	}
	if f := fs[0]; f.ID != first.ID || f.CompanyID != a.co.ID || f.TicketID != tk.ID || f.AgentID != 1 || f.BlobKey != first.BlobKey ||
		f.ContentType != "image/png" || f.Size != 9 || !f.CreatedAt.Equal(fs[1].CreatedAt.Add(-time.Minute)) {
		t.Fatalf("first file read back as %+v (second %+v)", f, fs[1])
	}
	// Another company sees nothing, and removes nothing.
	if fs, err := s.ListDraftFiles(ctx, b.co.ID, tk.ID, 1); err != nil || len(fs) != 0 {
		t.Fatalf("company b lists %v %v", fs, err)
	}
	if n, err := s.DeleteDraftFiles(ctx, b.co.ID, tk.ID, 1, nil); err != nil || n != 0 {
		t.Fatalf("company b deleted %d %v", n, err)
	}
	// Another ticket's or agent's IDs are not removed through this one.
	if n, err := s.DeleteDraftFiles(ctx, a.co.ID, other.ID, 1, []int64{first.ID}); err != nil || n != 0 {
		t.Fatalf("delete through another ticket: %d %v", n, err)
	}
	if n, err := s.DeleteDraftFiles(ctx, a.co.ID, tk.ID, 1, []int64{}); err != nil || n != 0 {
		t.Fatalf("delete of no IDs: %d %v", n, err)
	}
	if n, err := s.DeleteDraftFiles(ctx, a.co.ID, tk.ID, 1, []int64{first.ID}); err != nil || n != 1 {
		t.Fatalf("delete one: %d %v", n, err)
	}
	fs, err = s.ListDraftFiles(ctx, a.co.ID, tk.ID, 1)
	must(t, err)
	if len(fs) != 1 || fs[0].ID != second.ID {
		t.Fatalf("after deleting the first: %v", names(fs))
	}
	if n, err := s.DeleteDraftFiles(ctx, a.co.ID, tk.ID, 1, nil); err != nil || n != 1 {
		t.Fatalf("delete all: %d %v", n, err)
	}
	for _, c := range []struct{ ticket, agent int64 }{{tk.ID, 2}, {other.ID, 1}} {
		if fs, err := s.ListDraftFiles(ctx, a.co.ID, c.ticket, c.agent); err != nil || len(fs) != 1 {
			t.Fatalf("ticket %d agent %d kept %v %v", c.ticket, c.agent, names(fs), err)
		}
	}
}

func testCancelSend(t *testing.T, s store.Store, clk *clock.Fake) {
	a := newFixture(t, s, "acme")
	b := newFixture(t, s, "beta")
	tk := a.ticket(t, s, "undo")
	newMsg := func(key string) (*model.Message, *model.Job) {
		m := &model.Message{CompanyID: a.co.ID, TicketID: tk.ID, ChannelID: a.ch.ID, Direction: model.DirOut, Status: model.MsgQueued, RawKey: "raw"}
		must(t, s.CreateMessage(ctx, m))
		must(t, s.CreateAttachment(ctx, &model.Attachment{CompanyID: a.co.ID, MessageID: m.ID, BlobKey: "b", Filename: "f.txt", ContentType: "text/plain"}))
		j := &model.Job{CompanyID: a.co.ID, Kind: "send", UniqueKey: key, RunAt: clk.Now().Add(10 * time.Second)}
		must(t, s.EnqueueJob(ctx, j))
		return m, j
	}
	m1, _ := newMsg("msg-a")
	// Another company cannot take it back.
	if ok, err := s.CancelSend(ctx, b.co.ID, m1.ID, "send", "msg-a"); err != nil || ok {
		t.Fatalf("other company cancel = %v, %v", ok, err)
	}
	ok, err := s.CancelSend(ctx, a.co.ID, m1.ID, "send", "msg-a")
	must(t, err)
	if !ok {
		t.Fatal("cancel of an unclaimed send failed")
	}
	_, err = s.GetMessage(ctx, a.co.ID, m1.ID)
	wantErr(t, err, store.ErrNotFound)
	if ok, _ := s.CancelSend(ctx, a.co.ID, m1.ID, "send", "msg-a"); ok {
		t.Fatal("second cancel succeeded")
	}
	// Nothing left to claim once the delay is over.
	clk.Advance(11 * time.Second)
	if jobs, _ := s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10); len(jobs) != 0 {
		t.Fatalf("claimed %+v after cancel", jobs)
	}

	// A claimed send cannot be taken back.
	m2, j2 := newMsg("msg-b")
	clk.Advance(11 * time.Second)
	jobs, err := s.ClaimJobs(ctx, []string{"send"}, time.Minute, 10)
	must(t, err)
	if len(jobs) != 1 || jobs[0].ID != j2.ID {
		t.Fatalf("claimed %+v", jobs)
	}
	if ok, err := s.CancelSend(ctx, a.co.ID, m2.ID, "send", "msg-b"); err != nil || ok {
		t.Fatalf("cancel of a claimed send = %v, %v", ok, err)
	}
	if _, err := s.GetMessage(ctx, a.co.ID, m2.ID); err != nil {
		t.Fatalf("claimed message gone: %v", err)
	}
}
