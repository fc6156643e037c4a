package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/reports"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/outboxtest"
	"github.com/atende-helpdesk/atende/internal/testutil/smtprelay"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// wantProblem checks a problem answer: its status, code and, when field
// is set, a field error naming it.
func wantProblem(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	p := r.problem(t)
	if p.Code != code {
		t.Fatalf("code %q, want %q: %s", p.Code, code, r.body)
	}
	if field != "" && r.fields()[field] == "" {
		t.Fatalf("no error for field %q: %s", field, r.body)
	}
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

type cannedJSON struct {
	ID          int64  `json:"id"`
	Title       string `json:"title"`
	Body        string `json:"body"`
	Scope       string `json:"scope"`
	OwnerID     int64  `json:"owner_id"`
	Editable    bool   `json:"editable"`
	Attachments []struct {
		ID       int64  `json:"id"`
		Filename string `json:"filename"`
		URL      string `json:"url"`
	} `json:"attachments"`
}

// Canned replies: the company's and the caller's own listed; an agent
// creates own ones, not the company's; another agent's own is 404 to
// everyone else (admins too); company ones are changed by admins only
// (403 for an agent); rendering fills the variables as the composer
// does; the file is listed and downloadable.
func TestAPICannedReplies(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		// Create: validation, scope rules, bad JSON.
		wantProblem(t, e.do(t, "POST", "/api/v1/canned-replies", map[string]any{"title": "", "body": " "}, ag), 422, "validation_failed", "title")
		wantProblem(t, e.do(t, "POST", "/api/v1/canned-replies", map[string]any{"title": "X", "body": "Y", "scope": "company"}, ag), 422, "validation_failed", "scope")
		wantProblem(t, e.do(t, "POST", "/api/v1/canned-replies", map[string]any{"title": "X", "body": "Y", "colour": "red"}, ag), 422, "validation_failed", "colour")
		wantProblem(t, e.do(t, "POST", "/api/v1/canned-replies", `{"title":`, ag), 400, "bad_request", "")
		r := e.do(t, "POST", "/api/v1/canned-replies", map[string]any{"title": "  Minha   resposta ", "body": "Hi {{ contact.name }} ({{contact.first_name}}) #{{ticket.number}} — {{agent.name}}, {{company.name}} {{nada}}"}, ag)
		wantStatus(t, r, 201)
		var own cannedJSON
		r.json(t, &own)
		if own.Title != "Minha resposta" || own.Scope != "own" || own.OwnerID != a.agent.ID || !own.Editable {
			t.Fatalf("own canned reply %+v", own)
		}

		// List: the agent sees the company's and their own; the admin not the agent's own.
		var l struct{ Items []cannedJSON }
		e.do(t, "GET", "/api/v1/canned-replies", nil, ag).json(t, &l)
		if len(l.Items) != 2 {
			t.Fatalf("agent's list %+v", l.Items)
		}
		for _, c := range l.Items {
			if c.ID == a.cannedID && (c.Scope != "company" || c.Editable) {
				t.Fatalf("company canned reply to an agent %+v", c)
			}
		}
		l.Items = nil
		e.do(t, "GET", "/api/v1/canned-replies", nil, ad).json(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID != a.cannedID || !l.Items[0].Editable {
			t.Fatalf("admin's list %+v", l.Items)
		}

		// Another agent's own: 404 for the admin, on every verb.
		ownPath := fmt.Sprintf("/api/v1/canned-replies/%d", own.ID)
		wantProblem(t, e.do(t, "GET", ownPath, nil, ad), 404, "not_found", "")
		wantProblem(t, e.do(t, "PATCH", ownPath, map[string]any{"title": "Meu"}, ad), 404, "not_found", "")
		wantProblem(t, e.do(t, "DELETE", ownPath, nil, ad), 404, "not_found", "")
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/canned-replies/%d", a.mine.ID, own.ID), nil, ad), 404, "not_found", "")

		// The company's: an agent may read, not change.
		coPath := fmt.Sprintf("/api/v1/canned-replies/%d", a.cannedID)
		var co cannedJSON
		e.do(t, "GET", coPath, nil, ag).json(t, &co)
		if co.Scope != "company" || len(co.Attachments) != 1 || co.Attachments[0].Filename != "guia.pdf" {
			t.Fatalf("company canned reply %+v", co)
		}
		wantProblem(t, e.do(t, "PATCH", coPath, map[string]any{"title": "Meu"}, ag), 403, "forbidden", "")
		wantProblem(t, e.do(t, "DELETE", coPath, nil, ag), 403, "forbidden", "")
		file := e.do(t, "GET", co.Attachments[0].URL, nil, ag)
		if file.status != 200 || string(file.body) != "%PDF-1.4 acme" || file.header.Get("Content-Type") != "application/pdf" ||
			!strings.HasPrefix(file.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("file: %d %q %v", file.status, file.body, file.header)
		}
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/canned-replies/%d/attachments/%d", a.cannedID, e.b.cannedAttID), nil, ag), 404, "not_found", "")

		// Files: uploaded as multipart "file" parts by whoever may edit.
		up, ct := multipartFiles(t, map[string]string{"a.txt": "primeiro", "b.txt": "segundo"})
		upPath := fmt.Sprintf("/api/v1/canned-replies/%d/attachments", own.ID)
		wantProblem(t, e.do(t, "POST", upPath, up, ad), 404, "not_found", "")
		r = e.do(t, "POST", upPath, up, ag, multipartType(ct))
		wantStatus(t, r, 201)
		var withFiles cannedJSON
		r.json(t, &withFiles)
		if len(withFiles.Attachments) != 2 {
			t.Fatalf("after upload %s", r.body)
		}
		for _, f := range withFiles.Attachments {
			want := map[string]string{"a.txt": "primeiro", "b.txt": "segundo"}[f.Filename]
			if got := e.do(t, "GET", f.URL, nil, ag); got.status != 200 || string(got.body) != want {
				t.Fatalf("uploaded %s: %d %q", f.Filename, got.status, got.body)
			}
		}
		up, ct = multipartFiles(t, map[string]string{"c.txt": "x"})
		wantProblem(t, e.do(t, "POST", fmt.Sprintf("/api/v1/canned-replies/%d/attachments", a.cannedID), up, ag, multipartType(ct)), 403, "forbidden", "")
		empty, ect := multipartFiles(t, nil)
		wantProblem(t, e.do(t, "POST", upPath, empty, ag, multipartType(ect)), 422, "validation_failed", "file")
		wantProblem(t, e.do(t, "POST", upPath, map[string]any{"file": "x"}, ag), 400, "bad_request", "")
		big, bct := multipartFiles(t, map[string]string{"big.bin": strings.Repeat("x", ticket.MaxAttachmentBytes+1)})
		wantProblem(t, e.do(t, "POST", upPath, big, ag, multipartType(bct)), 422, "validation_failed", "file")

		// Admin edits the company's: the title only, body kept.
		wantProblem(t, e.do(t, "PATCH", coPath, map[string]any{"title": strings.Repeat("x", 121)}, ad), 422, "validation_failed", "title")
		r = e.do(t, "PATCH", coPath, map[string]any{"title": "Boas-vindas 2"}, ad)
		wantStatus(t, r, 200)
		r.json(t, &co)
		if co.Title != "Boas-vindas 2" || co.Body != "Olá {{contato.nome}}, ticket {{ticket.numero}}." {
			t.Fatalf("after edit %+v", co)
		}

		// Rendered for a ticket, as the composer fills it.
		var rc struct {
			ID          int64
			Title, Body string
			Attachments []struct{ ID int64 }
		}
		e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/canned-replies/%d", a.mine.ID, a.cannedID), nil, ag).json(t, &rc)
		if rc.Body != fmt.Sprintf("Olá Cliente, ticket %d.", a.mine.Number) || rc.Title != "Boas-vindas 2" || len(rc.Attachments) != 1 {
			t.Fatalf("rendered %+v", rc)
		}
		want, err := e.tickets.RenderCanned(ctx, ticket.Actor{CompanyID: a.co.ID, AgentID: a.agent.ID, TeamIDs: []int64{a.team.ID}}, a.mine.ID, own.ID)
		must(t, err)
		e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/canned-replies/%d", a.mine.ID, own.ID), nil, ag).json(t, &rc)
		if rc.Body != want.Text || rc.Body != fmt.Sprintf("Hi Cliente (Cliente) #%d — Agent, ACME {{nada}}", a.mine.Number) {
			t.Fatalf("rendered own %q, the composer's %q", rc.Body, want.Text)
		}
		// A ticket outside the agent's teams, another company's canned reply.
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/canned-replies/%d", a.other.ID, a.cannedID), nil, ag), 404, "not_found", "")
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/canned-replies/%d", a.mine.ID, e.b.cannedID), nil, ag), 404, "not_found", "")

		// The owner edits and deletes their own.
		wantStatus(t, e.do(t, "PATCH", ownPath, map[string]any{"body": "Novo"}, ag), 200)
		wantStatus(t, e.do(t, "DELETE", ownPath, nil, ag), 204)
		wantProblem(t, e.do(t, "GET", ownPath, nil, ag), 404, "not_found", "")
		wantStatus(t, e.do(t, "DELETE", coPath, nil, ad), 204)
	})
}

// Drafts are the caller's own on a ticket they may work.
func TestAPIDrafts(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		path := fmt.Sprintf("/api/v1/tickets/%d/draft", a.mine.ID)
		var d struct {
			TicketID int64 `json:"ticket_id"`
			Text     string
		}
		e.do(t, "GET", path, nil, ag).json(t, &d)
		if d.Text != "" || d.TicketID != a.mine.ID {
			t.Fatalf("no draft yet: %+v", d)
		}
		wantStatus(t, e.do(t, "PUT", path, map[string]any{"text": "Olá, **já** vejo."}, ag), 200)
		e.do(t, "GET", path, nil, ag).json(t, &d)
		if d.Text != "Olá, **já** vejo." {
			t.Fatalf("draft %+v", d)
		}
		e.do(t, "GET", path, nil, ad).json(t, &d)
		if d.Text != "" {
			t.Fatalf("the admin read the agent's draft: %+v", d)
		}
		wantProblem(t, e.do(t, "PUT", path, map[string]any{"text": strings.Repeat("x", ticket.MaxDraft+1)}, ag), 422, "validation_failed", "text")
		wantProblem(t, e.do(t, "PUT", path, map[string]any{"text": 3}, ag), 422, "validation_failed", "text")
		wantProblem(t, e.do(t, "PUT", path, "", ag), 400, "bad_request", "")
		other := fmt.Sprintf("/api/v1/tickets/%d/draft", a.other.ID)
		wantProblem(t, e.do(t, "GET", other, nil, ag), 404, "not_found", "")
		wantProblem(t, e.do(t, "PUT", other, map[string]any{"text": "x"}, ag), 404, "not_found", "")
		wantStatus(t, e.do(t, "DELETE", path, nil, ag), 204)
		e.do(t, "GET", path, nil, ag).json(t, &d)
		if d.Text != "" {
			t.Fatalf("draft after delete %+v", d)
		}
	})
}

// relaySender sends every channel's mail through the test relay (smtpout).
type relaySender struct{ s *smtpout.Sender }

func (r relaySender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	return r.s.Send(ctx, from, to, raw)
}

func startRelay(t *testing.T) (*smtprelay.Relay, relaySender) {
	r := smtprelay.Start(t)
	return r, relaySender{smtpout.New(smtpout.Config{Server: r.Server(), AllowInsecure: true}, slog.New(slog.DiscardHandler))}
}

type msgJSON struct {
	ID        int64     `json:"id"`
	Status    string    `json:"status"`
	UndoUntil time.Time `json:"undo_until"`
}

// relayOutbox is an outbox sending e's mail to a real SMTP relay, and
// drain, which runs the jobs due on e's clock.
func relayOutbox(t *testing.T, e *env) (*smtprelay.Relay, func()) {
	rl, snd := startRelay(t)
	ob := outbox.New(e.st, e.bl, e.clk, quietLog(), outbox.Config{Sender: snd})
	return rl, func() { t.Helper(); outboxtest.Drain(t, ob) }
}

// Undo send through the API, on the fake clock, with the outbox sending
// to a real SMTP relay: a reply with "undo" waits the company's delay (10
// s); cancelled within it, the relay receives nothing and the text is
// back in the draft; left alone, it is delivered exactly once after the
// delay, and a cancel then is 409 too_late. Without "undo" the reply
// leaves at once, as before.
func TestAPIUndoSend(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		rl, drain := relayOutbox(t, e)
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		cancel := func(id int64, opt reqOpt) resp {
			return e.do(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/replies/%d/cancel", a.mine.ID, id), nil, opt)
		}
		replies := fmt.Sprintf("/api/v1/tickets/%d/replies", a.mine.ID)
		wantProblem(t, e.do(t, "POST", replies, map[string]any{"text": "x", "undo": "yes"}, ag), 422, "validation_failed", "undo")
		wantProblem(t, e.do(t, "POST", replies, map[string]any{"text": "x", "status": "gone"}, ag), 422, "validation_failed", "status")

		// Cancelled within the delay, after "send and resolve".
		r := e.do(t, "POST", replies, map[string]any{"text": "Vamos **trocar**.", "undo": true, "status": "resolved"}, ag)
		wantStatus(t, r, 202)
		var m msgJSON
		r.json(t, &m)
		if !m.UndoUntil.Equal(e.clk.Now().Add(10*time.Second)) || m.Status != "queued" {
			t.Fatalf("held reply %+v (now %v)", m, e.clk.Now())
		}
		e.clk.Advance(9 * time.Second)
		drain()
		if rl.Count() != 0 {
			t.Fatal("the reply left before the delay ended")
		}
		wantProblem(t, cancel(m.ID, ad), 404, "not_found", "") // another agent's reply
		wantProblem(t, e.do(t, "POST", fmt.Sprintf("/api/v1/tickets/%d/replies/%d/cancel", a.mine.ID, m.ID), nil, bearer(e.b.adminTok)), 404, "not_found", "")
		r = cancel(m.ID, ag)
		wantStatus(t, r, 200)
		var c struct {
			Cancelled bool
			Draft     string
		}
		r.json(t, &c)
		if !c.Cancelled || c.Draft != "Vamos **trocar**." {
			t.Fatalf("cancel answer %s", r.body)
		}
		var d struct{ Text string }
		e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/draft", a.mine.ID), nil, ag).json(t, &d)
		if d.Text != "Vamos **trocar**." {
			t.Fatalf("draft after cancel %q", d.Text)
		}
		if tk, _ := e.st.GetTicket(ctx, a.co.ID, a.mine.ID); tk.Status == model.StatusResolved {
			t.Fatal("status not restored after cancel")
		}
		e.clk.Advance(time.Minute)
		drain()
		if rl.Count() != 0 {
			t.Fatalf("a cancelled reply reached the relay (%d)", rl.Count())
		}

		// Left alone: exactly one delivery, after the delay; cancel is too late.
		r = e.do(t, "POST", replies, map[string]any{"text": "Segue o código.", "undo": true}, ag)
		wantStatus(t, r, 202)
		r.json(t, &m)
		stored, err := e.st.GetMessage(ctx, a.co.ID, m.ID)
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
		if rl.Count() != 1 || rl.Delivered(stored.MessageID) != 1 {
			t.Fatalf("deliveries = %d", rl.Count())
		}
		wantProblem(t, cancel(m.ID, ag), 409, "too_late", "")

		// Without "undo": queued at once, nothing to cancel.
		r = e.do(t, "POST", replies, map[string]any{"text": "Sem espera."}, ag)
		wantStatus(t, r, 202)
		m = msgJSON{}
		r.json(t, &m)
		if !m.UndoUntil.IsZero() {
			t.Fatalf("reply without undo held until %v", m.UndoUntil)
		}
		drain()
		if rl.Count() != 2 {
			t.Fatalf("deliveries = %d", rl.Count())
		}
		wantProblem(t, cancel(m.ID, ag), 409, "too_late", "")

		// Claimed by a worker (the delay over, the send job taken but not
		// finished): cancel is too late, and the reply still leaves once.
		r = e.do(t, "POST", replies, map[string]any{"text": "Em envio.", "undo": true}, ag)
		wantStatus(t, r, 202)
		r.json(t, &m)
		e.clk.Advance(10 * time.Second)
		jobs, err := e.st.ClaimJobs(ctx, []string{outbox.JobKind}, time.Minute, 10)
		must(t, err)
		if len(jobs) != 1 {
			t.Fatalf("claimed %d jobs", len(jobs))
		}
		wantProblem(t, cancel(m.ID, ag), 409, "too_late", "")
		e.clk.Advance(2 * time.Minute) // the lease ends; a worker sends it
		drain()
		stored, err = e.st.GetMessage(ctx, a.co.ID, m.ID)
		must(t, err)
		if rl.Count() != 3 || rl.Delivered(stored.MessageID) != 1 {
			t.Fatalf("deliveries = %d after a claimed cancel", rl.Count())
		}
	})
}

// The company's undo delay over the API: every agent reads it, an admin
// sets it (0 to 120 s, the UI's bounds), and a reply with "undo" is held
// for the new delay; 0 sends at once. Another company's delay is its own.
func TestAPISettingsUndoDelay(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		var sv struct {
			UndoSeconds    *int `json:"undo_seconds"`
			MaxUndoSeconds int  `json:"max_undo_seconds"`
		}
		get := func(opt reqOpt) int {
			t.Helper()
			sv.UndoSeconds = nil
			r := e.do(t, "GET", "/api/v1/settings", nil, opt)
			wantStatus(t, r, 200)
			r.json(t, &sv)
			if sv.UndoSeconds == nil || sv.MaxUndoSeconds != 120 {
				t.Fatalf("settings %s", r.body)
			}
			return *sv.UndoSeconds
		}
		if n := get(ag); n != 10 {
			t.Fatalf("default undo delay %d, want 10", n)
		}
		wantProblem(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": 30}, ag), 403, "forbidden", "")
		wantProblem(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": 121}, ad), 422, "validation_failed", "undo_seconds")
		wantProblem(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": -1}, ad), 422, "validation_failed", "undo_seconds")
		wantProblem(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": "30"}, ad), 422, "validation_failed", "undo_seconds")
		wantProblem(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo": 30}, ad), 422, "validation_failed", "undo")
		r := e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": 30}, ad)
		wantStatus(t, r, 200)
		r.json(t, &sv)
		if *sv.UndoSeconds != 30 || get(ag) != 30 {
			t.Fatalf("after PATCH: %s", r.body)
		}
		if n := get(bearer(e.b.agentTok)); n != 10 {
			t.Fatalf("the other company's delay changed to %d", n)
		}
		// An empty patch changes nothing.
		wantStatus(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{}, ad), 200)
		if get(ag) != 30 {
			t.Fatal("an empty patch changed the delay")
		}

		replies := fmt.Sprintf("/api/v1/tickets/%d/replies", a.mine.ID)
		var m msgJSON
		r = e.do(t, "POST", replies, map[string]any{"text": "Trinta segundos.", "undo": true}, ag)
		wantStatus(t, r, 202)
		r.json(t, &m)
		if !m.UndoUntil.Equal(e.clk.Now().Add(30 * time.Second)) {
			t.Fatalf("held until %v, want now+30s (%v)", m.UndoUntil, e.clk.Now())
		}
		wantStatus(t, e.do(t, "PATCH", "/api/v1/settings", map[string]any{"undo_seconds": 0}, ad), 200)
		m = msgJSON{}
		r = e.do(t, "POST", replies, map[string]any{"text": "Sem espera.", "undo": true}, ag)
		wantStatus(t, r, 202)
		r.json(t, &m)
		if !m.UndoUntil.IsZero() {
			t.Fatalf("with no delay, the reply is held until %v", m.UndoUntil)
		}
	})
}

// Snooze: pending until a future time, then clear; bad times refused.
func TestAPISnooze(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag := bearer(a.agentTok)
		path := fmt.Sprintf("/api/v1/tickets/%d/snooze", a.mine.ID)
		until := e.clk.Now().Add(26 * time.Hour).Truncate(time.Second)
		r := e.do(t, "PUT", path, map[string]any{"until": until.Format(time.RFC3339)}, ag)
		wantStatus(t, r, 200)
		var s struct {
			Ticket       struct{ Status string }
			SnoozedUntil time.Time `json:"snoozed_until"`
		}
		r.json(t, &s)
		if s.Ticket.Status != "pending" || !s.SnoozedUntil.Equal(until) {
			t.Fatalf("snoozed %s", r.body)
		}
		for _, bad := range []any{map[string]any{"until": e.clk.Now().Add(-time.Minute).Format(time.RFC3339)},
			map[string]any{"until": e.clk.Now().Add(400 * 24 * time.Hour).Format(time.RFC3339)},
			map[string]any{"until": "amanhã"}, map[string]any{}} {
			wantProblem(t, e.do(t, "PUT", path, bad, ag), 422, "validation_failed", "until")
		}
		wantProblem(t, e.do(t, "PUT", fmt.Sprintf("/api/v1/tickets/%d/snooze", a.other.ID), map[string]any{"until": until.Format(time.RFC3339)}, ag), 404, "not_found", "")
		r = e.do(t, "DELETE", path, nil, ag)
		wantStatus(t, r, 200)
		s.SnoozedUntil = time.Time{}
		r.json(t, &s)
		if s.Ticket.Status != "open" || !s.SnoozedUntil.IsZero() {
			t.Fatalf("after clear %s", r.body)
		}
		if u, err := e.st.TicketSnoozedUntil(ctx, a.co.ID, a.mine.ID); err != nil || !u.IsZero() {
			t.Fatalf("snooze kept in the store: %v %v", u, err)
		}
		// Clearing a ticket that is not snoozed changes nothing.
		wantStatus(t, e.do(t, "DELETE", path, nil, ag), 200)
	})
}

type bulkJSON struct {
	Action   string
	Done     int
	Target   int64   `json:"target_number"`
	Skipped  []int64 `json:"skipped"`
	Outcomes []struct {
		TicketID int64 `json:"ticket_id"`
		Number   int64
		Outcome  string
	}
}

// Bulk: one action on many tickets with the UI's rules: tickets outside
// the agent's teams left alone and named, another company's neither
// changed nor named; merge leaves the target alone; bad input refused.
// The timeline then shows who did what.
func TestAPIBulkAndTimeline(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		foreign := e.b.mine.ID
		r := e.do(t, "POST", "/api/v1/tickets/bulk", map[string]any{"ids": []int64{a.mine.ID, a.other.ID, foreign, a.mine.ID}, "action": "status", "status": "resolved"}, ag)
		wantStatus(t, r, 200)
		var b bulkJSON
		r.json(t, &b)
		if b.Done != 1 || len(b.Skipped) != 1 || b.Skipped[0] != a.other.Number || len(b.Outcomes) != 3 {
			t.Fatalf("bulk status %s", r.body)
		}
		if o := b.Outcomes[2]; o.TicketID != foreign || o.Outcome != "skipped" || o.Number != 0 {
			t.Fatalf("another company's ticket: %+v", o)
		}
		if tk, _ := e.st.GetTicket(ctx, e.b.co.ID, foreign); tk.Status == model.StatusResolved {
			t.Fatal("another company's ticket changed")
		}
		if tk, _ := e.st.GetTicket(ctx, a.co.ID, a.other.ID); tk.Status == model.StatusResolved {
			t.Fatal("a ticket outside the agent's teams changed")
		}

		// Assign (to the agent), team; merge by the admin.
		r = e.do(t, "POST", "/api/v1/tickets/bulk", map[string]any{"ids": []int64{a.mine.ID}, "action": "assign", "assignee_id": a.agent.ID}, ag)
		r.json(t, &b)
		if b.Done != 1 {
			t.Fatalf("bulk assign %s", r.body)
		}
		extra := e.ticket(t, a, "Duplicado", a.team.ID)
		r = e.do(t, "POST", "/api/v1/tickets/bulk", map[string]any{"ids": []int64{extra.ID, a.mine.ID}, "action": "merge", "target_number": a.mine.Number}, ad)
		wantStatus(t, r, 200)
		b = bulkJSON{}
		r.json(t, &b)
		if b.Done != 1 || b.Target != a.mine.Number || b.Outcomes[1].Outcome != "target" || len(b.Skipped) != 0 {
			t.Fatalf("bulk merge %s", r.body)
		}

		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"ids": []int64{}, "action": "status", "status": "open"}, "ids"},
			{map[string]any{"ids": make([]int64, ticket.MaxBulk+1), "action": "status", "status": "open"}, "ids"},
			{map[string]any{"ids": []int64{a.mine.ID}, "action": "delete"}, "action"},
			{map[string]any{"ids": []int64{a.mine.ID}, "action": "assign"}, "assignee_id"},
			{map[string]any{"ids": []int64{a.mine.ID}, "action": "team", "team_id": -1}, "team_id"},
			{map[string]any{"ids": []int64{a.mine.ID}, "action": "status", "status": "gone"}, "status"},
			{map[string]any{"ids": []int64{a.mine.ID}, "action": "merge", "target_number": e.b.mine.Number + 1000}, "target_number"},
		} {
			wantProblem(t, e.do(t, "POST", "/api/v1/tickets/bulk", c.body, ag), 422, "validation_failed", c.field)
		}
		big := make([]int64, ticket.MaxBulk+1)
		for i := range big {
			big[i] = int64(i + 1)
		}
		wantProblem(t, e.do(t, "POST", "/api/v1/tickets/bulk", map[string]any{"ids": big, "action": "status", "status": "open"}, ag), 422, "validation_failed", "ids")
		wantProblem(t, e.do(t, "POST", "/api/v1/tickets/bulk", `{"ids": [1,`, ag), 400, "bad_request", "")

		// The timeline: the agent's status change and assignment, the merge.
		var tl struct {
			Items []struct {
				Kind      string
				ActorID   int64  `json:"actor_id"`
				ActorName string `json:"actor_name"`
				At        time.Time
				Details   map[string]string
				Names     map[string]string
			}
		}
		r = e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/activity", a.mine.ID), nil, ag)
		wantStatus(t, r, 200)
		r.json(t, &tl)
		kinds := map[string]bool{}
		for _, it := range tl.Items {
			kinds[it.Kind] = true
			if it.Kind == "status" && (it.ActorID != a.agent.ID || it.ActorName != "Agent" || it.Details["to"] != "resolved" || it.At.IsZero()) {
				t.Fatalf("status entry %+v", it)
			}
			if it.Kind == "assigned" && (it.Details["to"] != fmt.Sprint(a.agent.ID) || it.Names["to"] != "Agent") {
				t.Fatalf("assigned entry %+v", it)
			}
			if it.Kind == "assigned" && it.Details["from"] == "0" && it.Names["from"] != "" {
				t.Fatalf("assigned from nobody named %+v", it)
			}
			// The merged ticket by its number, as the UI shows it.
			if it.Kind == "merged_from" && it.Names["ticket"] != fmt.Sprintf("#%d", extra.Number) {
				t.Fatalf("merged_from entry %+v, want #%d", it, extra.Number)
			}
			if it.Kind == "status" && len(it.Names) != 0 {
				t.Fatalf("status entry with names %+v", it)
			}
		}
		if !kinds["status"] || !kinds["assigned"] || !kinds["merged_from"] {
			t.Fatalf("timeline kinds %v: %s", kinds, r.body)
		}
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/tickets/%d/activity", a.other.ID), nil, ag), 404, "not_found", "")
	})
}

// Contacts: one with its organization and tickets, renamed, searched.
func TestAPIContacts(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		a := e.a
		ag, ad := bearer(a.agentTok), bearer(a.adminTok)
		_, err := e.st.UpsertContact(ctx, a.co.ID, "colega@acme-cliente.com.br", "Colega")
		must(t, err)
		_, err = e.st.UpsertContact(ctx, a.co.ID, "pessoa@gmail.com", "Pessoa Física")
		must(t, err)
		path := fmt.Sprintf("/api/v1/contacts/%d", a.contact.ID)
		var c struct {
			ID           int64
			Email, Name  string
			Organization string
			OrgContacts  int `json:"organization_contacts"`
			Tickets      []struct {
				ID, Number int64
				Status     string
			}
		}
		e.do(t, "GET", path, nil, ad).json(t, &c)
		if c.Email != "cliente@acme-cliente.com.br" || c.Organization != "acme-cliente.com.br" || c.OrgContacts != 2 || len(c.Tickets) != 2 {
			t.Fatalf("contact %+v", c)
		}
		for _, tk := range c.Tickets {
			if tk.Status != "open" || (tk.ID != a.mine.ID && tk.ID != a.other.ID) {
				t.Fatalf("contact's ticket %+v", tk)
			}
		}
		c.Tickets = nil
		e.do(t, "GET", path, nil, ag).json(t, &c)
		for _, tk := range c.Tickets {
			if tk.ID == a.other.ID {
				t.Fatalf("the agent sees a ticket outside their teams: %+v", c.Tickets)
			}
		}

		r := e.do(t, "PATCH", path, map[string]any{"name": "  Maria\nSilva "}, ag)
		wantStatus(t, r, 200)
		r.json(t, &c)
		if c.Name != "Maria Silva" {
			t.Fatalf("renamed %q", c.Name)
		}
		wantProblem(t, e.do(t, "PATCH", path, map[string]any{"name": strings.Repeat("a", ticket.MaxContactName+1)}, ag), 422, "validation_failed", "name")
		wantProblem(t, e.do(t, "PATCH", path, map[string]any{}, ag), 422, "validation_failed", "name")
		wantProblem(t, e.do(t, "PATCH", path, map[string]any{"email": "x@y.test"}, ag), 422, "validation_failed", "email")
		wantProblem(t, e.do(t, "PATCH", fmt.Sprintf("/api/v1/contacts/%d", e.b.contact.ID), map[string]any{"name": "x"}, ag), 404, "not_found", "")
		if got, _ := e.st.GetContact(ctx, e.b.co.ID, e.b.contact.ID); got.Name != "Cliente" {
			t.Fatalf("another company's contact renamed: %q", got.Name)
		}

		var l struct {
			Items []struct {
				ID    int64
				Email string
				Name  string
			}
			NextCursor string `json:"next_cursor"`
		}
		e.do(t, "GET", "/api/v1/contacts?q=ACME-CLIENTE", nil, ag).json(t, &l)
		if len(l.Items) != 2 || l.NextCursor != "" {
			t.Fatalf("search by domain %+v", l)
		}
		e.do(t, "GET", "/api/v1/contacts?q=maria", nil, ag).json(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID != a.contact.ID {
			t.Fatalf("search by name %+v", l)
		}
		e.do(t, "GET", "/api/v1/contacts?limit=2", nil, ag).json(t, &l)
		if len(l.Items) != 2 || l.NextCursor == "" {
			t.Fatalf("first page %+v", l)
		}
		first := append([]struct {
			ID    int64
			Email string
			Name  string
		}{}, l.Items...)
		l = struct {
			Items []struct {
				ID    int64
				Email string
				Name  string
			}
			NextCursor string `json:"next_cursor"`
		}{}
		e.do(t, "GET", "/api/v1/contacts?limit=2&cursor="+func() string {
			var p struct {
				NextCursor string `json:"next_cursor"`
			}
			e.do(t, "GET", "/api/v1/contacts?limit=2", nil, ag).json(t, &p)
			return p.NextCursor
		}(), nil, ag).json(t, &l)
		if len(l.Items) != 1 || l.Items[0].ID == first[0].ID || l.Items[0].ID == first[1].ID || l.NextCursor != "" {
			t.Fatalf("second page %+v", l)
		}
		for _, it := range l.Items {
			if strings.Contains(it.Email, "beta") {
				t.Fatalf("another company's contact listed: %+v", it)
			}
		}
		wantProblem(t, e.do(t, "GET", "/api/v1/contacts?limit=abc", nil, ag), 422, "validation_failed", "limit")
		wantProblem(t, e.do(t, "GET", "/api/v1/contacts?limit=1000", nil, ag), 422, "validation_failed", "limit")
	})
}

// reportCompany is a company without the tenant fixtures (their tickets
// would count in the report) and its admin's and agent's tokens.
func reportCompany(t *testing.T, e *env) (*model.Company, *model.Channel, *model.Agent, string, string) {
	t.Helper()
	co, err := e.dir.CreateCompany(ctx, directory.CompanyInput{Slug: "gama", Name: "Gama"})
	must(t, err)
	admin, err := e.dir.CreateAgent(ctx, co.ID, directory.AgentInput{Email: "admin@gama.test", Name: "Admin", Role: model.RoleAdmin, Password: "admin password"})
	must(t, err)
	agent, err := e.dir.CreateAgent(ctx, co.ID, directory.AgentInput{Email: "agent@gama.test", Name: "Agent", Role: model.RoleAgent, Password: "agent password"})
	must(t, err)
	ch, err := e.dir.CreateChannel(ctx, co.ID, directory.ChannelInput{Slug: "suporte", Name: "Suporte", PrimaryEmail: "suporte@gama.test"})
	must(t, err)
	adminTok, _, err := e.auth.CreateAPIToken(ctx, &auth.Principal{CompanyID: co.ID, AgentID: admin.ID}, "admin")
	must(t, err)
	agentTok, _, err := e.auth.CreateAPIToken(ctx, &auth.Principal{CompanyID: co.ID, AgentID: agent.ID}, "agent")
	must(t, err)
	return co, ch, agent, adminTok, agentTok
}

type reportJSON struct {
	From, To string
	TeamID   int64 `json:"team_id"`
	Zone     string
	Days     []reportRowJSON
	ByTeam   []reportRowJSON `json:"by_team"`
	Total    reportRowJSON
}

type statsJSON struct {
	Count  int     `json:"count"`
	Median float64 `json:"median_seconds"`
	P90    float64 `json:"p90_seconds"`
}

type reportRowJSON struct {
	Day           string
	TeamID        int64 `json:"team_id"`
	Opened        int
	Resolved      int
	FirstResponse statsJSON `json:"first_response"`
	Resolution    statsJSON
}

func rowOf(x reports.Row, day string) reportRowJSON {
	s := func(st reports.Stats) statsJSON {
		return statsJSON{st.Count, st.Median.Seconds(), st.P90.Seconds()}
	}
	return reportRowJSON{Day: day, TeamID: x.TeamID, Opened: x.Opened, Resolved: x.Resolved, FirstResponse: s(x.FirstResponse), Resolution: s(x.Resolution)}
}

// Reports: on the storetest seed (the UI's report test data), the JSON
// numbers are the seed's known ones and those reports.Run gives the UI
// page; team filter; CSV by format=csv or Accept, as the UI's English
// CSV; admins only; bad filters 422.
func TestAPIReports(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		co, ch, agent, adminTok, agentTok := reportCompany(t, e)
		ad := bearer(adminTok)
		if co.TimeZone != "America/Sao_Paulo" {
			t.Fatalf("company zone %q", co.TimeZone)
		}
		ct, err := e.st.UpsertContact(ctx, co.ID, "cliente@example.com", "Cliente")
		must(t, err)
		seed := storetest.SeedReports(t, e.st, e.clk, co, ch.ID, ct.ID, agent.ID)
		e.clk.Set(seed.Base.AddDate(0, 0, 3))
		day0, day1 := seed.Base.Format(time.DateOnly), seed.Base.AddDate(0, 0, 1).Format(time.DateOnly)
		q := "from=" + day0 + "&to=" + day1

		r := e.do(t, "GET", "/api/v1/reports?"+q, nil, ad)
		wantStatus(t, r, 200)
		var got reportJSON
		r.json(t, &got)
		min := func(n float64) float64 { return n * 60 }
		if got.From != day0 || got.To != day1 || got.Zone != "America/Sao_Paulo" || len(got.Days) != 2 {
			t.Fatalf("report %s", r.body)
		}
		// The seed's numbers (storetest.SeedReports).
		wantDays := []reportRowJSON{
			{Day: day0, Opened: 4, Resolved: 3, FirstResponse: statsJSON{3, min(30), min(90)}, Resolution: statsJSON{3, min(120), min(900)}},
			{Day: day1, Opened: 1, Resolved: 2, FirstResponse: statsJSON{1, min(240), min(240)}, Resolution: statsJSON{2, min(360), min(1440)}},
		}
		for i, w := range wantDays {
			if got.Days[i] != w {
				t.Fatalf("day %d: %+v, want %+v", i, got.Days[i], w)
			}
		}
		if tot := got.Total; tot.Opened != 5 || tot.Resolved != 5 || tot.FirstResponse.Median != min(30) || tot.FirstResponse.P90 != min(240) ||
			tot.Resolution.Median != min(360) || tot.Resolution.P90 != min(1440) {
			t.Fatalf("total %+v", tot)
		}
		// Exactly what the UI page shows: reports.Run over the same period.
		from, to, err := reports.DayRange(seed.Base, seed.Base.AddDate(0, 0, 1), seed.Loc)
		must(t, err)
		rep, err := reports.Run(ctx, e.st, co.ID, 0, from, to, seed.Loc)
		must(t, err)
		if len(rep.ByTeam) != len(got.ByTeam) || rowOf(rep.Total, "") != got.Total {
			t.Fatalf("by team %d rows, the UI's %d; total %+v", len(got.ByTeam), len(rep.ByTeam), got.Total)
		}
		for i, x := range rep.ByTeam {
			if w := rowOf(x, x.Day.Format(time.DateOnly)); got.ByTeam[i] != w {
				t.Fatalf("by team %d: %+v, the UI's %+v", i, got.ByTeam[i], w)
			}
		}

		// One team.
		r = e.do(t, "GET", fmt.Sprintf("/api/v1/reports?%s&team=%d", q, seed.TeamB), nil, ad)
		got = reportJSON{}
		r.json(t, &got)
		if got.TeamID != seed.TeamB || got.Days[0].Opened != 1 || got.Days[0].FirstResponse.Median != min(10) || got.Days[1].Resolved != 1 ||
			got.Days[1].Resolution.Median != min(360) || got.Total.Opened != 2 {
			t.Fatalf("team B %s", r.body)
		}

		// CSV, by format and by Accept.
		for _, c := range []struct {
			query string
			opts  []reqOpt
		}{{"&format=csv", []reqOpt{ad}}, {"", []reqOpt{ad, header("Accept", "text/csv")}}} {
			r = e.do(t, "GET", "/api/v1/reports?"+q+c.query, nil, c.opts...)
			if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("CSV %q: %d %v", c.query, r.status, r.header)
			}
			recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
			must(t, err)
			if strings.Join(recs[0], ",") != "day,team,opened,resolved,first_response_median_min,first_response_p90_min,resolution_median_min,resolution_p90_min" ||
				strings.Join(recs[1], ",") != day0+",All teams,4,3,30.0,90.0,120.0,900.0" || !strings.Contains(string(r.body), day0+",Suporte B,1,0,10.0,10.0,,\n") {
				t.Fatalf("CSV:\n%s", r.body)
			}
		}
		if r = e.do(t, "GET", "/api/v1/reports?"+q+"&format=json", nil, ad, header("Accept", "text/csv")); r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("format=json with Accept text/csv: %v", r.header)
		}

		// Defaults: the last 7 days up to today in the company's zone.
		got = reportJSON{}
		e.do(t, "GET", "/api/v1/reports", nil, ad).json(t, &got)
		today := e.clk.Now().In(seed.Loc)
		if got.To != today.Format(time.DateOnly) || got.From != today.AddDate(0, 0, -6).Format(time.DateOnly) || len(got.Days) != 7 {
			t.Fatalf("default period %s..%s (%d days)", got.From, got.To, len(got.Days))
		}

		// Bad filters, another company's team, agents.
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?from=2026-13-01&to=x", nil, ad), 422, "validation_failed", "from")
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?from=2026-02-01&to=2026-01-01", nil, ad), 422, "validation_failed", "to")
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?from=2024-01-01&to=2026-01-01", nil, ad), 422, "validation_failed", "to")
		wantProblem(t, e.do(t, "GET", fmt.Sprintf("/api/v1/reports?%s&team=%d", q, e.a.team.ID), nil, ad), 422, "validation_failed", "team")
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?team=-1", nil, ad), 422, "validation_failed", "team")
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?format=xml", nil, ad), 422, "validation_failed", "format")
		wantProblem(t, e.do(t, "GET", "/api/v1/reports?"+q, nil, bearer(agentTok)), 403, "forbidden", "")
	})
}

// workspaceFlow calls each workspace route once successfully (details in
// the TestAPI* tests) and returns the routes it exercised.
func workspaceFlow(t *testing.T, e *env, a *tenant) []string {
	t.Helper()
	ag, ad := bearer(a.agentTok), bearer(a.adminTok)
	var out []string
	ok := func(route, path string, body any, opt reqOpt, status int, more ...reqOpt) resp {
		t.Helper()
		method, _, _ := strings.Cut(route, " ")
		r := e.do(t, method, path, body, append([]reqOpt{opt}, more...)...)
		if r.status != status {
			t.Fatalf("%s: %d %s, want %d", route, r.status, r.body, status)
		}
		out = append(out, route)
		return r
	}
	tk := fmt.Sprintf("/api/v1/tickets/%d", a.mine.ID)
	var c struct{ ID int64 }
	ok("POST /api/v1/canned-replies", "/api/v1/canned-replies", map[string]any{"title": "Minha", "body": "Oi {{contato.nome}}"}, ag, 201).json(t, &c)
	ok("GET /api/v1/canned-replies", "/api/v1/canned-replies", nil, ag, 200)
	ok("GET /api/v1/canned-replies/{id}", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), nil, ag, 200)
	ok("PATCH /api/v1/canned-replies/{id}", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), map[string]any{"body": "Olá"}, ag, 200)
	up, ct := multipartFiles(t, map[string]string{"tabela.csv": "a,b\n"})
	ok("POST /api/v1/canned-replies/{id}/attachments", fmt.Sprintf("/api/v1/canned-replies/%d/attachments", c.ID), up, ag, 201, multipartType(ct))
	ok("GET /api/v1/canned-replies/{id}/attachments/{attachment_id}", fmt.Sprintf("/api/v1/canned-replies/%d/attachments/%d", a.cannedID, a.cannedAttID), nil, ag, 200)
	ok("GET /api/v1/tickets/{id}/canned-replies/{canned_id}", fmt.Sprintf("%s/canned-replies/%d", tk, c.ID), nil, ag, 200)
	ok("DELETE /api/v1/canned-replies/{id}", fmt.Sprintf("/api/v1/canned-replies/%d", c.ID), nil, ag, 204)
	ok("GET /api/v1/settings", "/api/v1/settings", nil, ag, 200)
	ok("PATCH /api/v1/settings", "/api/v1/settings", map[string]any{"undo_seconds": 10}, ad, 200)
	ok("PUT /api/v1/tickets/{id}/draft", tk+"/draft", map[string]any{"text": "rascunho"}, ag, 200)
	ok("GET /api/v1/tickets/{id}/draft", tk+"/draft", nil, ag, 200)
	up, ct = multipartFiles(t, map[string]string{"nota.txt": "nota"})
	var dv struct{ Files []struct{ ID int64 } }
	ok("POST /api/v1/tickets/{id}/draft/files", tk+"/draft/files", up, ag, 201, multipartType(ct)).json(t, &dv)
	ok("GET /api/v1/tickets/{id}/draft/files/{attachment_id}", fmt.Sprintf("%s/draft/files/%d", tk, dv.Files[0].ID), nil, ag, 200)
	ok("DELETE /api/v1/tickets/{id}/draft/files/{attachment_id}", fmt.Sprintf("%s/draft/files/%d", tk, dv.Files[0].ID), nil, ag, 204)
	ok("DELETE /api/v1/tickets/{id}/draft", tk+"/draft", nil, ag, 204)
	var m struct{ ID int64 }
	if r := e.do(t, "POST", tk+"/replies", map[string]any{"text": "Já vai", "undo": true}, ag); r.status != 202 {
		t.Fatalf("held reply: %d %s", r.status, r.body)
	} else {
		r.json(t, &m)
	}
	ok("POST /api/v1/tickets/{id}/replies/{message_id}/cancel", fmt.Sprintf("%s/replies/%d/cancel", tk, m.ID), nil, ag, 200)
	ok("DELETE /api/v1/tickets/{id}/draft", tk+"/draft", nil, ag, 204)
	ok("PUT /api/v1/tickets/{id}/snooze", tk+"/snooze", map[string]any{"until": e.clk.Now().Add(time.Hour).Format(time.RFC3339)}, ag, 200)
	ok("DELETE /api/v1/tickets/{id}/snooze", tk+"/snooze", nil, ag, 200)
	ok("GET /api/v1/tickets/{id}/activity", tk+"/activity", nil, ag, 200)
	ok("POST /api/v1/tickets/bulk", "/api/v1/tickets/bulk", map[string]any{"ids": []int64{a.mine.ID}, "action": "status", "status": "open"}, ag, 200)
	ok("GET /api/v1/contacts", "/api/v1/contacts?q=cliente", nil, ag, 200)
	ok("GET /api/v1/contacts/{id}", fmt.Sprintf("/api/v1/contacts/%d", a.contact.ID), nil, ag, 200)
	ok("PATCH /api/v1/contacts/{id}", fmt.Sprintf("/api/v1/contacts/%d", a.contact.ID), map[string]any{"name": "Cliente"}, ag, 200)
	ok("GET /api/v1/reports", "/api/v1/reports", nil, ad, 200)
	return out
}

// multipartFiles is a multipart/form-data body with one "file" part per
// name, and its content type.
func multipartFiles(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := mw.CreateFormFile("file", n)
		must(t, err)
		io.WriteString(w, files[n])
	}
	must(t, mw.Close())
	return b.String(), mw.FormDataContentType()
}

func multipartType(ct string) reqOpt { return header("Content-Type", ct) }
