package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// TestEndToEndInternalConnection runs `atende serve` between a real
// Postfix and Dovecot: a customer mails the company's support mailbox,
// which keeps a copy and forwards to the channel's inbound address on
// Atende's SMTP server; the ticket appears; an agent's reply leaves
// through the relay (Postfix submission) DKIM-signed and lands in the
// customer's Dovecot mailbox with the threading headers; the customer's
// answer joins the same ticket.
func TestEndToEndInternalConnection(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	// The channel exists before the server starts (the admin UI/API will create it).
	st, err := sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "suporte", Name: "Suporte ACME", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "e2etoken4c7dq2ab", Settings: model.ChannelSettings{PrimaryEmail: "support@example.test", FromEmail: "support@example.test",
			FromName: "ACME Suporte", Signature: "<p>Equipe ACME</p>"}}
	must(t, st.CreateChannel(ctx, ch))
	// The company owns example.test (as after publishing its TXT record):
	// the relay sends as support@example.test.
	must(t, st.CreateIdentity(ctx, &store.Identity{CompanyID: co.ID, Kind: store.IdentityDomain, Value: "example.test", VerifiedAt: time.Now()}))

	smtpPort := freePort(t)
	_, port, _ := net.SplitHostPort(smtpPort)
	var relayPort int
	fmt.Sscan(port, &relayPort)
	inbound := "acme-e2etoken4c7dq2ab@support.test"
	ms := mailstack.StartT(t, mailstack.Options{RelayPort: relayPort, Forwards: map[string]string{"support": inbound}})

	httpAddr := freePort(t)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var logs syncBuf
	done := make(chan int, 1)
	// DNS only on loopback: SPF/DMARC of the customer's mail ask dnstest.
	env := map[string]string{"ATENDE_RELAY_PASSWORD": ms.Password("support"), "ATENDE_DNS_RESOLVER": dnstest.Start(t).Addr()}
	go func() {
		done <- Run(runCtx, []string{"serve", "--data", data, "--http", httpAddr, "--smtp", smtpPort, "--inbound-domain", "support.test",
			"--relay", ms.SubmissionAddr, "--relay-username", ms.Address("support"), "--extra-ca-file", ms.CAFile, "--log-level", "debug"},
			IO{Out: io.Discard, Err: &logs, Getenv: func(k string) string { return env[k] }})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
		if t.Failed() {
			t.Logf("atende log:\n%s\nmail stack log:\n%s", logs.String(), ms.Logs())
		}
	}()
	waitFor(t, 10*time.Second, "atende SMTP", func() bool {
		c, err := net.Dial("tcp", smtpPort)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	// 1. The customer writes to support, with a colleague in Cc.
	first := "From: Bob Cliente <bob@example.test>\r\nTo: support@example.test\r\nCc: carol@example.test\r\nSubject: Pedido 991 atrasado\r\n" +
		"Message-ID: <e2e-first@example.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nOlá, meu pedido 991 não chegou.\r\n"
	must(t, ms.SendSMTP(ctx, "bob@example.test", []string{"support@example.test", "carol@example.test"}, []byte(first)))
	var tk *model.Ticket
	waitFor(t, 20*time.Second, "the ticket", func() bool {
		ms.FlushPostfixQueue(ctx)
		list, err := st.ListTickets(ctx, co.ID, store.TicketFilter{})
		if err == nil && len(list) == 1 {
			tk = &list[0]
		}
		return tk != nil
	})
	if tk.Subject != "Pedido 991 atrasado" {
		t.Fatalf("ticket = %+v", tk)
	}
	msgs, _ := st.ListMessages(ctx, co.ID, tk.ID)
	if len(msgs) != 1 || len(msgs[0].Cc) != 1 || msgs[0].Cc[0].Address != "carol@example.test" {
		t.Fatalf("first message = %+v", msgs)
	}
	// The support mailbox kept its copy.
	if _, err := ms.WaitMessages(ctx, "support", "INBOX", 1); err != nil {
		t.Fatal(err)
	}

	// 2. An agent replies; the reply goes out through the relay.
	bl, _ := blob.NewFS(filepath.Join(data, "blobs"))
	queue := outbox.New(st, bl, clock.System{}, discardLog(), outbox.Config{})
	agent := &model.Agent{CompanyID: co.ID, Email: "ana@example.test", Name: "Ana", Role: model.RoleAgent, Signature: "<p>Ana — ACME</p>"}
	must(t, st.CreateAgent(ctx, agent))
	chNow, _ := st.GetChannel(ctx, co.ID, ch.ID)
	contact, _ := st.GetContact(ctx, co.ID, tk.ContactID)
	out, err := reply.Compose(reply.Input{Channel: chNow, Ticket: tk, CompanyName: co.Name, Agent: agent, Thread: msgs,
		Contact: model.Address{Address: contact.Email}, Markdown: "Olá Bob, o pedido **991** saiu hoje.", SubjectTag: true, Now: time.Now()})
	must(t, err)
	sent, err := queue.QueueComposed(ctx, tk, agent.ID, out, 0)
	must(t, err)
	var bobMsgs []mailstack.Message
	waitFor(t, 30*time.Second, "the reply in Bob's mailbox", func() bool {
		ms.FlushPostfixQueue(ctx)
		bobMsgs, _ = ms.Messages(ctx, "bob", "INBOX")
		return len(bobMsgs) >= 1
	})
	got := bobMsgs[0]
	if got.Header.Get("In-Reply-To") != "<e2e-first@example.test>" || !strings.Contains(got.Header.Get("Subject"), "[#1]") {
		t.Fatalf("reply headers: In-Reply-To=%q Subject=%q", got.Header.Get("In-Reply-To"), got.Header.Get("Subject"))
	}
	if !strings.Contains(string(got.Raw), "Ana") {
		t.Fatalf("personal signature missing:\n%s", got.Raw)
	}
	// Carol (Cc on the thread) got it too.
	if _, err := ms.WaitMessages(ctx, "carol", "INBOX", 2); err != nil {
		t.Fatalf("Cc'd colleague did not get the reply: %v", err)
	}
	// DKIM: verify against the record Atende tells the admin to publish.
	key, err := st.GetDKIMKey(ctx, co.ID, "example.test")
	must(t, err)
	recs := signing.DNSRecords(key, "")
	raw := bytes.ReplaceAll(bytes.ReplaceAll(got.Raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{LookupTXT: func(d string) ([]string, error) {
		if d == recs[0].Name {
			return []string{recs[0].Value}, nil
		}
		return nil, fmt.Errorf("no record %s", d)
	}})
	if err != nil || len(verifs) != 1 || verifs[0].Err != nil {
		t.Fatalf("DKIM: %v %+v", err, verifs)
	}
	m, _ := st.GetMessage(ctx, co.ID, sent.ID)
	if m.Status != model.MsgSent {
		t.Fatalf("outbound status = %s (%s)", m.Status, m.Error)
	}

	// 3. Bob answers the reply: it joins the same ticket.
	second := fmt.Sprintf("From: bob@example.test\r\nTo: support@example.test\r\nSubject: Re: %s\r\nMessage-ID: <e2e-second@example.test>\r\n"+
		"In-Reply-To: <%s>\r\nReferences: <e2e-first@example.test> <%s>\r\n\r\nObrigado!\r\n", out.Subject, out.MessageID, out.MessageID)
	must(t, ms.SendSMTP(ctx, "bob@example.test", []string{"support@example.test"}, []byte(second)))
	waitFor(t, 20*time.Second, "the customer's answer on the ticket", func() bool {
		ms.FlushPostfixQueue(ctx)
		list, _ := st.ListMessages(ctx, co.ID, tk.ID)
		return len(list) == 3
	})
	if n, _ := st.CountTickets(ctx, co.ID); n != 1 {
		t.Fatalf("tickets = %d, want 1", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
