package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// TestEndToEndExternalConnection runs `atende serve` with a channel on a
// real Dovecot mailbox (external connection): mail a customer sends to
// the mailbox becomes a ticket through IMAP sync; the agent's reply goes
// out through the mailbox's own SMTP (Postfix submission, STARTTLS +
// AUTH, certificate verified against the stack's CA) and a copy lands in
// the mailbox's Sent folder.
func TestEndToEndExternalConnection(t *testing.T) {
	ctx := context.Background()
	ms := mailstack.StartT(t, mailstack.Options{Forwards: map[string]string{}})
	data := t.TempDir()
	key := secrets.NewKey()
	box, err := secrets.NewBox(key)
	must(t, err)
	st, err := sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	must(t, err)
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	hostPort := func(addr string) (string, int) {
		h, p, _ := net.SplitHostPort(addr)
		var n int
		fmt.Sscan(p, &n)
		return h, n
	}
	_, ip := hostPort(ms.IMAPAddr)
	_, sp := hostPort(ms.SubmissionAddr)
	ch := &model.Channel{CompanyID: co.ID, Slug: "suporte", Name: "Suporte", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
		InboundToken: "exttoken", Settings: model.ChannelSettings{Provider: "other", FromEmail: ms.Address("support"), FromName: "ACME Suporte",
			IMAP:       model.ServerConf{Host: "localhost", Port: ip, Encryption: "starttls", Username: ms.Address("support"), Auth: "password"},
			SMTP:       model.ServerConf{Host: "localhost", Port: sp, Encryption: "starttls", Username: ms.Address("support"), Auth: "password"},
			CopyToSent: true, SentFolder: "Sent"}}
	must(t, st.CreateChannel(ctx, ch))
	must(t, box.PutChannelSecret(ctx, st, co.ID, ch.ID, secrets.IMAPPassword, ms.Password("support")))

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var logs syncBuf
	done := make(chan int, 1)
	// DNS only on loopback: SPF/DMARC of the customer's mail ask dnstest.
	env := map[string]string{"ATENDE_SECRET_KEY": base64.StdEncoding.EncodeToString(key), "ATENDE_DNS_RESOLVER": dnstest.Start(t).Addr()}
	go func() {
		// The mailbox is on loopback: allowed like a self-hosted server.
		done <- Run(runCtx, []string{"serve", "--data", data, "--http", freePort(t), "--smtp", "", "--extra-ca-file", ms.CAFile,
			"--allow-private-hosts", "127.0.0.0/8,::1"},
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
			t.Logf("atende log:\n%s", logs.String())
		}
	}()
	// The sync loop must be connected (its first checkpoint taken) before
	// the customer's mail arrives: history "none" imports only new mail.
	waitFor(t, 20*time.Second, "the IMAP checkpoint", func() bool {
		_, err := st.GetSyncCheckpoint(ctx, co.ID, ch.ID, "INBOX")
		return err == nil
	})
	raw := "From: Carol <carol@example.test>\r\nTo: support@example.test\r\nSubject: Troca de produto\r\nMessage-ID: <ext-1@example.test>\r\n\r\nQuero trocar o produto.\r\n"
	must(t, ms.SendSMTP(ctx, "carol@example.test", []string{ms.Address("support")}, []byte(raw)))
	var tk *model.Ticket
	waitFor(t, 20*time.Second, "the ticket from IMAP", func() bool {
		list, err := st.ListTickets(ctx, co.ID, store.TicketFilter{})
		if err == nil && len(list) == 1 {
			tk = &list[0]
		}
		return tk != nil
	})
	// Imported with BODY.PEEK: still unread in the mailbox for the people who use it.
	inbox, err := ms.Messages(ctx, "support", "INBOX")
	must(t, err)
	if len(inbox) != 1 || strings.Contains(strings.Join(inbox[0].Flags, " "), `\Seen`) {
		t.Fatalf("mailbox copy: %+v", inbox)
	}

	bl, _ := blob.NewFS(filepath.Join(data, "blobs"))
	msgs, _ := st.ListMessages(ctx, co.ID, tk.ID)
	chNow, _ := st.GetChannel(ctx, co.ID, ch.ID)
	out, err := reply.Compose(reply.Input{Channel: chNow, Ticket: tk, CompanyName: co.Name, Thread: msgs,
		Contact: model.Address{Address: "carol@example.test"}, Markdown: "Claro, Carol. Enviamos a etiqueta de troca.", Now: time.Now()})
	must(t, err)
	sent, err := outbox.New(st, bl, clock.System{}, discardLog(), outbox.Config{}).QueueComposed(ctx, tk, 0, out, 0)
	must(t, err)
	carol, err := ms.WaitMessages(ctx, "carol", "INBOX", 1)
	if err != nil {
		t.Fatalf("reply not delivered: %v", err)
	}
	if carol[0].Header.Get("In-Reply-To") != "<ext-1@example.test>" {
		t.Fatalf("In-Reply-To = %q", carol[0].Header.Get("In-Reply-To"))
	}
	sentCopy, err := ms.WaitMessages(ctx, "support", "Sent", 1)
	if err != nil || !strings.Contains(string(sentCopy[0].Raw), "etiqueta de troca") {
		t.Fatalf("no copy in Sent: %v", err)
	}
	waitFor(t, 10*time.Second, "status sent", func() bool {
		m, _ := st.GetMessage(ctx, co.ID, sent.ID)
		return m.Status == model.MsgSent
	})
	// The reply itself is not imported back as a customer message.
	time.Sleep(1500 * time.Millisecond)
	if n, _ := st.CountMessages(ctx, co.ID); n != 2 {
		t.Fatalf("messages = %d, want 2", n)
	}
}
