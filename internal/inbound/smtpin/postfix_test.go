package smtpin

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// TestThroughPostfix runs real Postfix (internal/testutil/mailstack) in
// front of the server: support@example.test keeps a copy and forwards to
// the channel's inbound address at the relay domain support.test, which
// Postfix relays to our server. That is a company mailbox forwarding to
// Atende.
func TestThroughPostfix(t *testing.T) {
	mailstack.Require(t)
	e := newStoreEnv(t)
	const relayDomain = "support.test"
	inbound := InboundAddress(e.co.Slug, e.ch.InboundToken, relayDomain)
	port := freePort(t)
	acc := &failingAcceptor{inner: e.svc}
	google := newDKIMKey(t, e.dns, "google.com", "20230601")
	e.start(t, Config{Addr: fmt.Sprintf("127.0.0.1:%d", port), InboundDomain: relayDomain, MaxMessageSize: 64 << 10}, acc)
	ms := mailstack.StartT(t, mailstack.Options{RelayPort: port, RelayDomain: relayDomain,
		Forwards: map[string]string{"support": inbound}})
	ctx, cancel := context.WithTimeout(bg, 90*time.Second)
	defer cancel()

	// waitInbound polls until the store holds n inbound rows in total.
	waitInbound := func(t *testing.T, n int, flush bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for e.countInbound(t) < n {
			if time.Now().After(deadline) {
				q, _ := ms.PostfixQueue(ctx)
				t.Fatalf("timed out waiting for %d inbound rows (have %d); postfix queue %+v\n%s", n, e.countInbound(t), q, ms.Logs())
			}
			if flush {
				must(t, ms.FlushPostfixQueue(ctx))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	msgCount := func(t *testing.T) int {
		n, err := e.st.CountMessages(bg, e.co.ID)
		must(t, err)
		return n
	}

	t.Run("forwarded mail becomes a ticket with Cc preserved", func(t *testing.T) {
		raw := buildMail("Cliente <cliente@customer.test>", "Suporte <support@example.test>",
			"Carol <carol@example.test>, outro@customer.test", "Entrega atrasada", "pf-1@customer.test", "Onde está meu pedido?")
		must(t, ms.SendSMTP(ctx, "cliente@customer.test", []string{"support@example.test"}, raw))
		waitInbound(t, 1, false)
		e.drain(t)
		tks, err := e.st.ListTickets(bg, e.co.ID, store.TicketFilter{})
		must(t, err)
		if len(tks) != 1 || tks[0].ChannelID != e.ch.ID || tks[0].Subject != "Entrega atrasada" {
			t.Fatalf("tickets = %+v", tks)
		}
		msgs, err := e.st.ListMessages(bg, e.co.ID, tks[0].ID)
		must(t, err)
		if len(msgs) != 1 || len(msgs[0].Cc) != 2 || msgs[0].Cc[0].Address != "carol@example.test" ||
			msgs[0].Cc[1].Address != "outro@customer.test" || msgs[0].To[0].Address != "support@example.test" {
			t.Fatalf("message addresses: %+v", msgs)
		}
		// Postfix's Received is kept below ours; our A-R is on top.
		rc, err := e.bl.Open(bg, msgs[0].RawKey)
		must(t, err)
		defer rc.Close()
		b := make([]byte, 4096)
		n, _ := rc.Read(b)
		head := string(b[:n])
		if !strings.Contains(head, "by mx.atende.test (Atende) with ESMTP") || !strings.Contains(head, "by mta.mailstack.test") ||
			!strings.Contains(head, "Authentication-Results: mx.atende.test;") {
			t.Fatalf("stored head:\n%s", head)
		}
		// The company mailbox kept its copy.
		if _, err := ms.WaitMessages(ctx, "support", "INBOX", 1); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("same message relayed twice is one ticket message", func(t *testing.T) {
		before, rows := msgCount(t), e.countInbound(t)
		raw := buildMail("cliente@customer.test", "support@example.test", "", "Duas vezes", "pf-twice@customer.test", "repetida")
		for i := 0; i < 2; i++ {
			must(t, ms.SendSMTP(ctx, "cliente@customer.test", []string{"support@example.test"}, raw))
		}
		waitInbound(t, rows+2, false)
		e.drain(t)
		if got := msgCount(t); got != before+1 {
			t.Fatalf("messages %d -> %d, want +1", before, got)
		}
	})

	t.Run("storage failure answers 451 and Postfix retries", func(t *testing.T) {
		before, rows := msgCount(t), e.countInbound(t)
		calls := acc.calls.Load()
		acc.fails.Store(2)
		raw := buildMail("cliente@customer.test", "support@example.test", "", "Disco cheio", "pf-451@customer.test", "tente de novo")
		must(t, ms.SendSMTP(ctx, "cliente@customer.test", []string{"support@example.test"}, raw))
		// Wait for Postfix to record the temporary failure.
		deadline := time.Now().Add(20 * time.Second)
		for {
			q, err := ms.PostfixQueue(ctx)
			must(t, err)
			deferred := false
			for _, m := range q {
				for _, r := range m.Recipients {
					if strings.Contains(r.DelayReason, "451 4.3.0") {
						deferred = true
					}
				}
			}
			if deferred {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 451 deferral seen; queue %+v", q)
			}
			time.Sleep(100 * time.Millisecond)
		}
		waitInbound(t, rows+1, true)
		e.drain(t)
		if got := msgCount(t); got != before+1 {
			t.Fatalf("messages %d -> %d, want exactly +1", before, got)
		}
		if c := acc.calls.Load() - calls; c < 3 {
			t.Fatalf("acceptor calls = %d, want >= 3 (two failures, one success)", c)
		}
		if n, _ := ms.PostfixQueueLen(ctx); n != 0 {
			t.Fatalf("postfix queue not empty: %d", n)
		}
	})

	t.Run("DKIM survives forwarding, SPF does not", func(t *testing.T) {
		key := newDKIMKey(t, e.dns, "customer.test", "pf")
		e.dns.SetTXT("customer.test", "v=spf1 ip4:192.0.2.10 -all") // the customer's own MTA, not Postfix
		e.dns.SetTXT("_dmarc.customer.test", "v=DMARC1; p=reject")
		e.pendingRaw(t) // mark what is already stored as seen
		rows := e.countInbound(t)
		raw := key.sign(t, buildMail("Cliente <cliente@customer.test>", "support@example.test", "", "Assinada", "pf-dkim@customer.test", "assinada"))
		must(t, ms.SendSMTP(ctx, "cliente@customer.test", []string{"support@example.test"}, raw))
		waitInbound(t, rows+1, false)
		stored := e.pendingRaw(t)[e.ch.ID]
		if len(stored) != 1 {
			t.Fatalf("stored %d", len(stored))
		}
		_, res := parseAR(t, headerValues(stored[0], "Authentication-Results")[0])
		spf := res["spf"][0].(*authres.SPFResult)
		dk := res["dkim"][0].(*authres.DKIMResult)
		dm := res["dmarc"][0].(*authres.DMARCResult)
		if spf.Value != authres.ResultFail || dk.Value != authres.ResultPass || dk.Domain != "customer.test" || dm.Value != authres.ResultPass {
			t.Fatalf("A-R after Postfix forwarding: spf %v dkim %v/%s dmarc %v", spf.Value, dk.Value, dk.Domain, dm.Value)
		}
		e.drain(t)
	})

	t.Run("Gmail forwarding confirmation becomes a notice", func(t *testing.T) {
		rows := e.countInbound(t)
		raw := google.sign(t, bytesReplace(e.loadEML(t, "gmail_confirmation_en.eml"), e.addr, inbound))
		must(t, ms.SendSMTP(ctx, "forwarding-noreply@google.com", []string{inbound}, raw))
		deadline := time.Now().Add(20 * time.Second)
		for {
			ns, err := e.st.ListNotices(bg, e.co.ID, store.NoticeFilter{})
			must(t, err)
			if len(ns) == 1 {
				if ns[0].Code != "563902117" || ns[0].ChannelID != e.ch.ID {
					t.Fatalf("notice = %+v", ns[0])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no notice; postfix log:\n%s", ms.Logs())
			}
			time.Sleep(100 * time.Millisecond)
		}
		if e.countInbound(t) != rows {
			t.Fatal("confirmation became an inbound message")
		}
	})

	t.Run("swaks: unknown recipient gets 550 and no ticket", func(t *testing.T) {
		rows := e.countInbound(t)
		out, err := ms.Swaks(ctx, "--server", e.saddr, "--ehlo", "client.customer.test", "--from", "x@customer.test",
			"--to", InboundAddress("acme", NewInboundToken(), relayDomain))
		if err == nil || !strings.Contains(string(out), "<** 550 5.1.1") {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		if e.countInbound(t) != rows {
			t.Fatal("unknown recipient stored something")
		}
	})

	t.Run("swaks: oversized message gets 552", func(t *testing.T) {
		rows := e.countInbound(t)
		body := filepath.Join(t.TempDir(), "big.txt")
		must(t, os.WriteFile(body, []byte(strings.Repeat("a long line of text to exceed the limit.\r\n", 3000)), 0o600))
		out, err := ms.Swaks(ctx, "--server", e.saddr, "--ehlo", "client.customer.test", "--from", "x@customer.test",
			"--to", inbound, "--body", "@"+body)
		if err == nil || !strings.Contains(string(out), "<** 552 5.3.4 Message too large") {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		if e.countInbound(t) != rows {
			t.Fatal("oversized message stored")
		}
		// And a normal one from swaks is accepted.
		out, err = ms.Swaks(ctx, "--server", e.saddr, "--ehlo", "client.customer.test", "--from", "x@customer.test",
			"--to", inbound, "--header", "Subject: via swaks")
		if err != nil || !strings.Contains(string(out), "<-  250 2.0.0") {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func bytesReplace(b []byte, old, new string) []byte {
	return []byte(strings.ReplaceAll(string(b), old, new))
}
