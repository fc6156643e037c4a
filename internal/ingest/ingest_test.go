package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func TestAcceptCreatesTicketAndMessage(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		raw := mail("Maria Silva <Maria@Example.com>", "Pedido 123 atrasado", "m1@example.com", "", "Olá, meu pedido não chegou.")
		res := e.accept(t, "smtp:Q1", raw)
		if res.Duplicate || res.InboundID == 0 || res.Size != int64(len(raw)) {
			t.Fatalf("accept = %+v", res)
		}
		// Stored durably before any processing: the raw bytes and a pending row.
		rc, err := e.blobs.Open(ctx, res.RawKey)
		if err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if n, _ := e.st.CountInbound(ctx, model.InboundPending); n != 1 {
			t.Fatalf("pending = %d", n)
		}
		e.drain(t)
		tickets, err := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
		if err != nil || len(tickets) != 1 {
			t.Fatalf("tickets = %v %v", tickets, err)
		}
		tk := tickets[0]
		if tk.Number != 1 || tk.Subject != "Pedido 123 atrasado" || tk.Status != model.StatusOpen || tk.ReplyToken == "" {
			t.Fatalf("ticket = %+v", tk)
		}
		contact, _ := e.st.GetContact(ctx, e.co.ID, tk.ContactID)
		if contact.Email != "maria@example.com" || contact.Name != "Maria Silva" {
			t.Fatalf("contact = %+v", contact)
		}
		msgs, _ := e.st.ListMessages(ctx, e.co.ID, tk.ID)
		if len(msgs) != 1 {
			t.Fatalf("messages = %d", len(msgs))
		}
		m := msgs[0]
		if m.Direction != model.DirIn || m.MessageID != "m1@example.com" || !strings.Contains(m.Text, "pedido não chegou") ||
			m.RawKey != res.RawKey || m.InboundID != res.InboundID || m.From.Address != "maria@example.com" {
			t.Fatalf("message = %+v", m)
		}
		in, _ := e.st.GetInbound(ctx, e.co.ID, res.InboundID)
		if in.State != model.InboundDone || in.MessageID != m.ID {
			t.Fatalf("inbound = %+v", in)
		}
	})
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		raw := mail("a@example.com", "Oi", "dup@example.com", "", "corpo")
		e.accept(t, "imap:7:1", raw)
		if res := e.accept(t, "imap:7:1", raw); !res.Duplicate {
			t.Fatal("same source key not reported as duplicate")
		}
		// Same mail through another path: new source key, relay trace headers on top.
		relayed := append([]byte("Received: from mta.example.net by mx.acme.test; Wed, 5 Jun 2024 10:00:01 +0000\r\nDelivered-To: suporte@acme.test\r\n"), raw...)
		e.accept(t, "smtp:ABC", relayed)
		// And with LF line endings (a relay that rewrote them).
		e.accept(t, "file:lf", bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
		e.drain(t)
		if tk, msgs := e.counts(t); tk != 1 || msgs != 1 {
			t.Fatalf("tickets=%d messages=%d, want 1 1", tk, msgs)
		}
		for _, st := range []model.InboundState{model.InboundPending, model.InboundFailed} {
			if n, _ := e.st.CountInbound(ctx, st); n != 0 {
				t.Fatalf("%s rows = %d", st, n)
			}
		}
		// A different message is not a duplicate.
		e.accept(t, "imap:7:2", mail("a@example.com", "Oi", "other@example.com", "", "corpo"))
		e.drain(t)
		if _, msgs := e.counts(t); msgs != 2 {
			t.Fatalf("messages = %d, want 2", msgs)
		}
	})
}

func TestReplyJoinsTicket(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.accept(t, "s1", mail("cliente@example.com", "Dúvida", "first@example.com", "", "Primeira"))
		e.drain(t)
		e.accept(t, "s2", mail("cliente@example.com", "Re: Dúvida", "second@example.com", "first@example.com", "Segunda"))
		// Same subject from a different sender, no headers: a new ticket.
		e.accept(t, "s3", mail("outro@example.com", "Dúvida", "third@example.com", "", "Outra pessoa"))
		e.drain(t)
		tk, msgs := e.counts(t)
		if tk != 2 || msgs != 3 {
			t.Fatalf("tickets=%d messages=%d, want 2 3", tk, msgs)
		}
		first, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		list, _ := e.st.ListMessages(ctx, e.co.ID, first.ID)
		if len(list) != 2 || list[1].Meta["threaded_by"] != "in-reply-to" {
			t.Fatalf("thread = %+v", list)
		}
	})
}

func TestResolvedTicketReopensOnCustomerReply(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.accept(t, "s1", mail("c@example.com", "X", "x1@example.com", "", "a"))
		e.drain(t)
		tk, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		tk.Status = model.StatusResolved
		if err := e.st.UpdateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		e.accept(t, "s2", mail("c@example.com", "Re: X", "x2@example.com", "x1@example.com", "b"))
		e.drain(t)
		tk, _ = e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		if tk.Status != model.StatusOpen {
			t.Fatalf("status = %s, want open", tk.Status)
		}
	})
}

func TestRoutingDefaultTeamAndFilter(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		n1 := &model.Team{CompanyID: e.co.ID, Name: "N1"}
		vendas := &model.Team{CompanyID: e.co.ID, Name: "Vendas"}
		for _, tm := range []*model.Team{n1, vendas} {
			if err := e.st.CreateTeam(ctx, tm); err != nil {
				t.Fatal(err)
			}
		}
		e.ch.Settings.Rule = model.ChannelRule{DefaultTeamID: n1.ID, Filters: []model.RuleFilter{
			{Kind: "sender_domain", Value: "cliente-vip.com.br", TeamID: vendas.ID, Priority: "high", Tags: []string{"vip"}}}}
		if err := e.st.UpdateChannel(ctx, e.ch); err != nil {
			t.Fatal(err)
		}
		e.accept(t, "a", mail("x@example.com", "Comum", "r1@x", "", "oi"))
		e.accept(t, "b", mail("ceo@compras.cliente-vip.com.br", "VIP", "r2@x", "", "oi"))
		e.drain(t)
		t1, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		t2, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 2)
		if t1.TeamID != n1.ID || t2.TeamID != vendas.ID || t2.Priority != "high" || len(t2.Tags) != 1 {
			t.Fatalf("routing: t1=%+v t2=%+v", t1, t2)
		}
	})
}

func TestConcurrentAcceptOfOneMessage(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		raw := mail("c@example.com", "Concorrente", "conc@example.com", "", "x")
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				// Half the goroutines use the same source key, half their own.
				src := "same"
				if i%2 == 1 {
					src = "own-" + string(rune('a'+i))
				}
				if _, err := e.svc.Accept(ctx, e.ch, src, bytes.NewReader(raw)); err != nil {
					t.Error(err)
				}
				e.drain(t)
			}(i)
		}
		wg.Wait()
		e.drain(t)
		if tk, msgs := e.counts(t); tk != 1 || msgs != 1 {
			t.Fatalf("tickets=%d messages=%d, want 1 1", tk, msgs)
		}
	})
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, "sqlite", 1024)
	e.accept(t, "keep", mail("c@example.com", "Fica", "keep@x", "", "stored before the bad ones"))
	_, err := e.svc.Accept(ctx, e.ch, "big", bytes.NewReader(bytes.Repeat([]byte("a"), 2000)))
	if !errors.Is(err, ingest.ErrTooLarge) || !strings.Contains(err.Error(), "1 KB") {
		t.Fatalf("oversized: %v", err)
	}
	_, err = e.svc.Accept(ctx, e.ch, "empty", bytes.NewReader(nil))
	if !errors.Is(err, ingest.ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := e.svc.Accept(ctx, e.ch, "", bytes.NewReader([]byte("x"))); err == nil {
		t.Fatal("empty source key accepted")
	}
	// Garbage that arrives over a protocol is stored; the worker marks it
	// failed with the reason and keeps the raw bytes.
	res := e.accept(t, "garbage", []byte("\x00\x01\x02 not mail"))
	e.drain(t)
	in, _ := e.st.GetInbound(ctx, e.co.ID, res.InboundID)
	if in.State != model.InboundFailed && in.State != model.InboundDone {
		t.Fatalf("garbage row state = %s", in.State)
	}
	if ok, _ := e.blobs.Exists(ctx, in.RawKey); !ok {
		t.Fatal("raw bytes of a failed message lost")
	}
	if _, msgs := e.counts(t); msgs < 1 {
		t.Fatal("good message lost")
	}
	for _, c := range []struct {
		name string
		head string
		ok   bool
	}{
		{"header", "From: a@b\r\n", true},
		{"mbox", "From a@b Sat Jan  3 01:05:34 1996\n", true},
		{"blank then header", "\r\nReceived: x\r\n", true},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00", false},
		{"prose", "hello world\nthis is not mail\n", false},
		{"empty", "", false},
	} {
		if err := ingest.Sniff([]byte(c.head)); (err == nil) != c.ok {
			t.Errorf("Sniff(%s) = %v", c.name, err)
		}
	}
}

func TestPendingRowsProcessedAfterRestart(t *testing.T) {
	e := newEnv(t, "sqlite", 0)
	for i := 0; i < 5; i++ {
		e.accept(t, "r"+string(rune('0'+i)), mail("c@example.com", "S", "restart"+string(rune('0'+i))+"@x", "", "b"))
	}
	// Simulate a crash mid-processing: a worker leased three rows for five
	// minutes and died without finishing them.
	if got, err := e.st.ClaimInbound(ctx, 5*time.Minute, 3); err != nil || len(got) != 3 {
		t.Fatalf("claimed %d, %v", len(got), err)
	}
	e.drain(t)
	if _, msgs := e.counts(t); msgs != 2 {
		t.Fatalf("messages while the dead worker's lease holds = %d, want 2", msgs)
	}
	// The lease runs out on the service's clock: the rest comes back.
	e.clk.Advance(5*time.Minute - time.Second)
	e.drain(t)
	if _, msgs := e.counts(t); msgs != 2 {
		t.Fatalf("messages a second before the lease ends = %d, want 2", msgs)
	}
	e.clk.Advance(time.Second)
	e.drain(t)
	if _, msgs := e.counts(t); msgs != 5 {
		t.Fatalf("messages = %d, want 5", msgs)
	}
}

// TestRunUntilIdle: the batch-job form of the worker pool (`atende
// import`) processes rows accepted while it runs and returns once the
// input is closed and nothing is left.
func TestRunUntilIdle(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		input := make(chan struct{})
		done := make(chan error, 1)
		go func() { done <- e.svc.RunUntilIdle(ctx, ingest.WorkerConfig{Workers: 2, Poll: time.Hour}, input) }()
		for i := 0; i < 40; i++ {
			e.accept(t, fmt.Sprintf("idle:%d", i), mail(fmt.Sprintf("c%d@example.com", i), "S", fmt.Sprintf("idle-%d@x", i), "", "corpo"))
		}
		close(input)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("RunUntilIdle did not return")
		}
		if _, msgs := e.counts(t); msgs != 40 {
			t.Fatalf("messages = %d, want 40", msgs)
		}
	})
}
