package mailstack

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// verifiedTLS returns the stack's TLS config plus a flag set once Go's verification of the
// server certificate chain succeeded.
func verifiedTLS(s *Stack) (*tls.Config, *bool) {
	ok := new(bool)
	cfg := s.TLSConfig()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		*ok = len(cs.VerifiedChains) > 0 && cs.ServerName == "localhost"
		return nil
	}
	return cfg, ok
}

func TestIMAP(t *testing.T) {
	t.Parallel()
	s := StartT(t, Options{})
	ctx := testCtx(t, 60*time.Second)
	t.Logf("stack started by start.sh in %v (dir %s)", s.StartupTime, s.Dir)

	if len(s.Users) != 4 || s.Users["bob@example.test"] != "bobpw" || s.Password("support") != "supportpw" {
		t.Fatalf("Users = %v", s.Users)
	}
	if got := s.Forwards["support@example.test"]; got != "helpdesk@support.test" {
		t.Fatalf("Forwards = %v", s.Forwards)
	}
	if len(s.Dir) > 60 || !strings.HasPrefix(s.Dir, "/tmp/ms.") {
		t.Fatalf("Dir = %q, want a short /tmp/ms.* path", s.Dir)
	}

	t.Run("STARTTLS login and SELECT INBOX, verified", func(t *testing.T) {
		cfg, verified := verifiedTLS(s)
		c, err := imapclient.DialStartTLS(s.IMAPAddr, &imapclient.Options{TLSConfig: cfg})
		if err != nil {
			t.Fatalf("DialStartTLS: %v", err)
		}
		defer c.Close()
		if err := c.Login("alice@example.test", "alicepw").Wait(); err != nil {
			t.Fatalf("LOGIN: %v", err)
		}
		if !*verified {
			t.Fatal("certificate chain was not verified")
		}
		sel, err := c.Select("INBOX", nil).Wait()
		if err != nil {
			t.Fatalf("SELECT INBOX: %v", err)
		}
		if sel.NumMessages != 0 || sel.UIDValidity == 0 {
			t.Fatalf("SELECT INBOX = %d messages, uidvalidity %d; want 0 and non-zero", sel.NumMessages, sel.UIDValidity)
		}
		for _, cp := range []imap.Cap{imap.CapIdle, imap.CapUIDPlus, imap.CapMove, imap.CapCondStore} {
			if !c.Caps().Has(cp) {
				t.Errorf("capability %s missing", cp)
			}
		}
		if err := c.Logout().Wait(); err != nil {
			t.Fatalf("LOGOUT: %v", err)
		}
	})

	t.Run("IMAPS login, verified", func(t *testing.T) {
		cfg, verified := verifiedTLS(s)
		c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: cfg})
		if err != nil {
			t.Fatalf("DialTLS: %v", err)
		}
		defer c.Close()
		if err := c.Login("bob@example.test", "bobpw").Wait(); err != nil {
			t.Fatalf("LOGIN: %v", err)
		}
		if !*verified {
			t.Fatal("certificate chain was not verified")
		}
		n, err := SelectInbox(c)
		if err != nil || n != 0 {
			t.Fatalf("SelectInbox = %d, %v", n, err)
		}
	})

	t.Run("TLS verification rejects wrong trust or name", func(t *testing.T) {
		cases := []struct {
			name string
			cfg  *tls.Config
		}{
			{"system roots", &tls.Config{ServerName: "localhost"}},
			{"wrong server name", &tls.Config{RootCAs: s.CAPool, ServerName: "imap.example.org"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c, err := imapclient.DialTLS(s.IMAPSAddr, &imapclient.Options{TLSConfig: tc.cfg})
				if err == nil {
					err = c.Login("bob@example.test", "bobpw").Wait()
					c.Close()
				}
				if err == nil {
					t.Fatal("TLS handshake succeeded; want a certificate error")
				}
				if !strings.Contains(err.Error(), "certificate") {
					t.Fatalf("err = %v; want a certificate error", err)
				}
			})
		}
	})

	t.Run("wrong password is refused", func(t *testing.T) {
		_, err := s.LoginIMAP(ctx, "bob", "not-bobs", nil)
		if err == nil || !strings.Contains(err.Error(), "AUTHENTICATIONFAILED") {
			t.Fatalf("LoginIMAP with a wrong password: err = %v; want AUTHENTICATIONFAILED", err)
		}
	})

	t.Run("APPEND returns the UID that doveadm sees", func(t *testing.T) {
		raw, id := loadEML(t, "customer-question.eml")
		uid, err := s.Append(ctx, "alice", "alicepw", "Archive", raw)
		if err != nil {
			t.Fatal(err)
		}
		uid2, err := s.Append(ctx, "alice@example.test", "alicepw", "Archive", raw)
		if err != nil {
			t.Fatal(err)
		}
		if uid == 0 || uid2 != uid+1 {
			t.Fatalf("APPEND UIDs = %d, %d; want n, n+1", uid, uid2)
		}
		msgs, err := s.Messages(ctx, "alice", "Archive")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].UID != uid || msgs[1].UID != uid2 {
			t.Fatalf("Messages = %+v; want UIDs %d, %d", msgs, uid, uid2)
		}
		if got := msgs[0].Header.Get("Subject"); got != "=?UTF-8?Q?Pedido_n=C2=BA_4711_n=C3=A3o_chegou?=" {
			t.Errorf("Subject = %q", got)
		}
		if !bytes.Contains(msgs[0].Raw, []byte("meu pedido n=C2=BA 4711")) {
			t.Errorf("Raw lacks the body:\n%s", msgs[0].Raw)
		}
		uids, err := s.Search(ctx, "alice", "Archive", "header", "message-id", id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(uids, []uint32{uid, uid2}) {
			t.Fatalf("Search by Message-ID = %v; want [%d %d]", uids, uid, uid2)
		}
	})

	t.Run("Deliver and DeliverLMTP without IMAP", func(t *testing.T) {
		raw, id := loadEML(t, "internal-reply.eml")
		if err := s.Deliver(ctx, "carol", raw); err != nil {
			t.Fatal(err)
		}
		raw2, id2 := loadEML(t, "internal-reply.eml")
		if err := s.DeliverLMTP(ctx, "bob@example.test", []string{"carol@example.test"}, raw2); err != nil {
			t.Fatal(err)
		}
		msgs, err := s.Messages(ctx, "carol@example.test", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || findByMessageID(msgs, id) == nil || findByMessageID(msgs, id2) == nil {
			t.Fatalf("carol's INBOX = %+v; want both messages", msgs)
		}
		if rp := findByMessageID(msgs, id2).Header.Get("Return-Path"); rp != "<bob@example.test>" {
			t.Errorf("LMTP copy Return-Path = %q", rp)
		}
		// and an IMAP session sees the same
		c, err := s.LoginIMAP(ctx, "carol", s.Password("carol"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n, err := SelectInbox(c); err != nil || n != 2 {
			t.Fatalf("SELECT INBOX over IMAP = %d, %v; want 2", n, err)
		}
	})

	t.Run("not found", func(t *testing.T) {
		cases := []struct {
			name string
			run  func() error
		}{
			{"Messages of missing mailbox", func() error { _, err := s.Messages(ctx, "bob", "NoSuchBox"); return err }},
			{"Search of missing mailbox", func() error { _, err := s.Search(ctx, "bob", "NoSuchBox"); return err }},
			{"Messages of unknown user", func() error { _, err := s.Messages(ctx, "nobody", "INBOX"); return err }},
			{"Deliver to unknown user", func() error { return s.Deliver(ctx, "nobody", []byte("Subject: x\r\n\r\nx\r\n")) }},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.run(); !errors.Is(err, ErrNotFound) {
					t.Fatalf("err = %v; want ErrNotFound", err)
				}
			})
		}
		err := s.DeliverLMTP(ctx, "x@else.test", []string{"nobody@example.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
		if err == nil || !strings.Contains(err.Error(), "550") {
			t.Fatalf("LMTP to unknown user: err = %v; want 550", err)
		}
	})
}

func TestSMTPFlows(t *testing.T) {
	t.Parallel()
	s := StartT(t, Options{})
	ctx := testCtx(t, 60*time.Second)
	// First, with nothing listening on the relay target yet.
	sink := checkRelayQueuedUntilServerUp(t, s)

	t.Run("SMTP to bob lands in his Dovecot INBOX", func(t *testing.T) {
		c, err := s.LoginIMAP(ctx, "bob", "bobpw", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := SelectInbox(c); err != nil {
			t.Fatal(err)
		}
		raw, id := loadEML(t, "internal-reply.eml")
		if err := s.SendSMTP(ctx, "carol@example.test", []string{"bob@example.test"}, raw); err != nil {
			t.Fatal(err)
		}
		// poll with NOOP + UID SEARCH, bounded
		crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}
		deadline := time.Now().Add(10 * time.Second)
		var uids []imap.UID
		for {
			if err := c.Noop().Wait(); err != nil {
				t.Fatal(err)
			}
			data, err := c.UIDSearch(crit, nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			if uids = data.AllUIDs(); len(uids) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if len(uids) != 1 {
			t.Fatalf("UID SEARCH HEADER Message-ID %s = %v after 10 s; want one message", id, uids)
		}
		msgs, err := s.Messages(ctx, "bob", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		m := findByMessageID(msgs, id)
		if m == nil || m.UID != uint32(uids[0]) {
			t.Fatalf("doveadm sees %+v; want UID %d", m, uids[0])
		}
		if rp := m.Header.Get("Return-Path"); rp != "<carol@example.test>" {
			t.Errorf("Return-Path = %q", rp)
		}
		if !strings.Contains(m.Header.Get("Received"), "mta.mailstack.test") {
			t.Errorf("Received = %q; want Postfix's hop", m.Header.Get("Received"))
		}
	})

	t.Run("support keeps a copy and the helpdesk gets it relayed", func(t *testing.T) {
		before, err := s.Messages(ctx, "support", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		raw, id := loadEML(t, "customer-question.eml")
		if err := s.SendSMTP(ctx, "maria.souza@cliente.test", []string{"support@example.test"}, raw); err != nil {
			t.Fatal(err)
		}
		got := waitRelayed(t, sink, id, 10*time.Second)
		if got.From != "maria.souza@cliente.test" || !slices.Equal(got.To, []string{"helpdesk@support.test"}) {
			t.Fatalf("relayed envelope = from %q to %v; want the customer's sender, to helpdesk@support.test", got.From, got.To)
		}
		if !bytes.Contains(got.Data, []byte("meu pedido n=C2=BA 4711")) {
			t.Errorf("relayed message lacks the body:\n%s", got.Data)
		}
		waitCtx := testCtx(t, 10*time.Second)
		msgs, err := s.WaitMessages(waitCtx, "support", "INBOX", len(before)+1)
		if err != nil {
			t.Fatal(err)
		}
		if findByMessageID(msgs, id) == nil {
			t.Fatalf("support's INBOX has no copy of %s: %+v", id, msgs)
		}
	})

	t.Run("SMTP rejections", func(t *testing.T) {
		cases := []struct {
			name, to, want string
		}{
			{"unknown user", "nobody@example.test", "550"},
			{"relay to the outside is denied", "someone@gmail.com", "554"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				raw, _ := loadEML(t, "internal-reply.eml")
				err := s.SendSMTP(ctx, "bob@example.test", []string{tc.to}, raw)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("SendSMTP to %s: err = %v; want %s", tc.to, err, tc.want)
				}
			})
		}
	})

	t.Run("swaks to carol", func(t *testing.T) {
		out, err := s.Swaks(ctx, "--to", "carol@example.test", "--from", "alice@example.test",
			"--header", "Subject: swaks check", "--body", "hello from swaks")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(out, []byte("250 2.0.0 Ok: queued")) {
			t.Fatalf("swaks output lacks the queue confirmation:\n%s", out)
		}
		msgs, err := s.WaitMessages(testCtx(t, 10*time.Second), "carol", "INBOX", 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := msgs[len(msgs)-1].Header.Get("Subject"); got != "swaks check" {
			t.Fatalf("Subject = %q", got)
		}
	})

	t.Run("IDLE sees an SMTP delivery after about 500 ms", func(t *testing.T) {
		exists := make(chan uint32, 16)
		c, err := s.LoginIMAP(ctx, "bob", "bobpw", &imapclient.Options{
			UnilateralDataHandler: &imapclient.UnilateralDataHandler{
				Mailbox: func(d *imapclient.UnilateralDataMailbox) {
					if d.NumMessages != nil {
						exists <- *d.NumMessages
					}
				},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		before, err := SelectInbox(c)
		if err != nil {
			t.Fatal(err)
		}
		idle, err := c.Idle()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := loadEML(t, "internal-reply.eml")
		t0 := time.Now()
		if err := s.SendSMTP(ctx, "carol@example.test", []string{"bob@example.test"}, raw); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-exists:
			if n != before+1 {
				t.Fatalf("EXISTS %d; want %d", n, before+1)
			}
			t.Logf("SMTP → Postfix → LMTP → Dovecot → IDLE EXISTS took %v", time.Since(t0))
		case <-time.After(10 * time.Second):
			t.Fatal("no EXISTS during IDLE within 10 s")
		}
		if err := idle.Close(); err != nil {
			t.Fatal(err)
		}
		if err := idle.Wait(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Postfix outage", func(t *testing.T) {
		raw, _ := loadEML(t, "internal-reply.eml")
		before, err := s.Messages(ctx, "bob", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StopPostfix(ctx); err != nil {
			t.Fatal(err)
		}
		if portOpen(s.SMTPAddr) || portOpen(s.SubmissionAddr) {
			t.Fatal("SMTP ports still open after StopPostfix")
		}
		if err := s.SendSMTP(ctx, "carol@example.test", []string{"bob@example.test"}, raw); err == nil {
			t.Fatal("SendSMTP succeeded while Postfix is stopped")
		}
		if !portOpen(s.IMAPAddr) {
			t.Fatal("StopPostfix took IMAP down too")
		}
		if err := s.StartPostfix(ctx); err != nil {
			t.Fatal(err)
		}
		raw2, id2 := loadEML(t, "internal-reply.eml")
		if err := s.SendSMTP(ctx, "carol@example.test", []string{"bob@example.test"}, raw2); err != nil {
			t.Fatalf("SendSMTP after StartPostfix: %v", err)
		}
		msgs, err := s.WaitMessages(testCtx(t, 10*time.Second), "bob", "INBOX", len(before)+1)
		if err != nil || findByMessageID(msgs, id2) == nil {
			t.Fatalf("message sent after StartPostfix not delivered: %v", err)
		}
	})
}

// checkRelayQueuedUntilServerUp sends mail for the helpdesk while nothing listens on the relay
// target: it must wait in Postfix's queue and arrive once a server is up. It returns that
// server's channel of received messages.
func checkRelayQueuedUntilServerUp(t *testing.T, s *Stack) chan relayed {
	t.Helper()
	ctx := testCtx(t, 60*time.Second)
	raw, id := loadEML(t, "customer-question.eml")
	if err := s.SendSMTP(ctx, "maria.souza@cliente.test", []string{"support@example.test"}, raw); err != nil {
		t.Fatal(err)
	}
	// The mailbox copy is delivered at once; the relayed copy waits for a server.
	if _, err := s.WaitMessages(testCtx(t, 10*time.Second), "support", "INBOX", 1); err != nil {
		t.Fatal(err)
	}
	var deferred *QueuedMessage
	for deadline := time.Now().Add(10 * time.Second); deferred == nil; {
		q, err := s.PostfixQueue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 1 && len(q[0].Recipients) == 1 && q[0].Recipients[0].DelayReason != "" {
			deferred = &q[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("queue = %+v after 10 s; want one deferred message", q)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if r := deferred.Recipients[0]; r.Address != "helpdesk@support.test" ||
		!strings.Contains(r.DelayReason, "Connection refused") || deferred.Sender != "maria.souza@cliente.test" {
		t.Fatalf("deferred entry = %+v; want helpdesk@support.test refused, sender maria", deferred)
	}
	// Still queued after a retry cycle (queue_run_delay 1 s) with nobody listening.
	time.Sleep(1200 * time.Millisecond)
	if n, err := s.PostfixQueueLen(ctx); err != nil || n != 1 {
		t.Fatalf("PostfixQueueLen = %d, %v; want 1", n, err)
	}

	sink := startSink(t, s.RelayTarget)
	t0 := time.Now()
	if err := s.FlushPostfixQueue(ctx); err != nil {
		t.Fatal(err)
	}
	got := waitRelayed(t, sink, id, 10*time.Second)
	t.Logf("queued message relayed %v after the flush", time.Since(t0))
	if !slices.Equal(got.To, []string{"helpdesk@support.test"}) {
		t.Fatalf("relayed to %v", got.To)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		n, err := s.PostfixQueueLen(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue still has %d messages 5 s after the relay", n)
		}
	}
	return sink
}

func TestDovecotRestartAndOutage(t *testing.T) {
	t.Parallel()
	s := StartT(t, Options{})
	ctx := testCtx(t, 60*time.Second)

	var uids []uint32
	for range 3 {
		raw, _ := loadEML(t, "internal-reply.eml")
		uid, err := s.Append(ctx, "bob", "bobpw", "INBOX", raw)
		if err != nil {
			t.Fatal(err)
		}
		uids = append(uids, uid)
	}
	c, err := s.LoginIMAP(ctx, "bob", "bobpw", nil)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}

	t0 := time.Now()
	if err := s.RestartDovecot(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("RestartDovecot took %v", time.Since(t0))
	// the old session is gone
	if err := c.Noop().Wait(); err == nil {
		t.Fatal("NOOP on a session from before the restart succeeded")
	}
	c.Close()

	c2, err := s.LoginIMAP(ctx, "bob", "bobpw", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	sel2, err := c2.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if sel2.NumMessages != 3 || sel2.UIDValidity != sel.UIDValidity || sel2.UIDNext != sel.UIDNext {
		t.Fatalf("after restart: %d messages, uidvalidity %d, uidnext %d; before: %d, %d, %d",
			sel2.NumMessages, sel2.UIDValidity, sel2.UIDNext, sel.NumMessages, sel.UIDValidity, sel.UIDNext)
	}
	got, err := s.Search(ctx, "bob", "INBOX")
	if err != nil || !slices.Equal(got, uids) {
		t.Fatalf("Search after restart = %v, %v; want %v", got, err, uids)
	}
	c2.Close()

	// Outage: IMAP refused, SMTP still accepted and queued, delivered after Dovecot is back.
	if err := s.StopDovecot(ctx); err != nil {
		t.Fatal(err)
	}
	if portOpen(s.IMAPAddr) || portOpen(s.IMAPSAddr) {
		t.Fatal("IMAP port still open after StopDovecot")
	}
	raw, id := loadEML(t, "internal-reply.eml")
	if err := s.SendSMTP(ctx, "carol@example.test", []string{"bob@example.test"}, raw); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		q, err := s.PostfixQueue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) == 1 && len(q[0].Recipients) == 1 && q[0].Recipients[0].DelayReason != "" {
			t.Logf("while Dovecot is down: %s", q[0].Recipients[0].DelayReason)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue = %+v; want the message deferred while Dovecot is down", q)
		}
	}
	if err := s.StartDovecot(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.FlushPostfixQueue(ctx); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.WaitMessages(testCtx(t, 10*time.Second), "bob", "INBOX", 4)
	if err != nil {
		t.Fatal(err)
	}
	if findByMessageID(msgs, id) == nil {
		t.Fatalf("queued message %s not delivered after Dovecot came back", id)
	}
	if err := s.StartDovecot(ctx); err != nil { // already running: no-op
		t.Fatalf("StartDovecot on a running Dovecot: %v", err)
	}
}

func TestTwoStacksSideBySide(t *testing.T) {
	t.Parallel()
	a := StartT(t, Options{})
	b := StartT(t, Options{
		Users:       map[string]string{"dave": "davepw", "erin": "erinpw"},
		Forwards:    map[string]string{},
		Domain:      "acme.test",
		RelayDomain: "help.acme.test",
	})
	ctx := testCtx(t, 60*time.Second)
	if a.Dir == b.Dir || a.IMAPAddr == b.IMAPAddr || a.SMTPAddr == b.SMTPAddr || a.RelayTarget == b.RelayTarget {
		t.Fatalf("stacks share dir or ports: %+v / %+v", a, b)
	}
	if len(b.Users) != 2 || b.Users["dave@acme.test"] != "davepw" || len(b.Forwards) != 0 {
		t.Fatalf("b.Users = %v, b.Forwards = %v", b.Users, b.Forwards)
	}
	if b.Address("erin") != "erin@acme.test" || b.RelayDomain != "help.acme.test" {
		t.Fatalf("b.Address = %q, RelayDomain = %q", b.Address("erin"), b.RelayDomain)
	}

	raw, id := loadEML(t, "internal-reply.eml")
	if err := b.SendSMTP(ctx, "x@else.test", []string{"dave@acme.test"}, raw); err != nil {
		t.Fatal(err)
	}
	if err := a.SendSMTP(ctx, "x@else.test", []string{"dave@acme.test"}, raw); err == nil {
		t.Fatal("stack a accepted mail for b's domain")
	}
	msgs, err := b.WaitMessages(testCtx(t, 10*time.Second), "dave", "INBOX", 1)
	if err != nil || findByMessageID(msgs, id) == nil {
		t.Fatalf("dave's INBOX = %+v, %v", msgs, err)
	}
	if _, err := b.Messages(ctx, "bob", "INBOX"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b has a bob: err = %v", err)
	}
	// b relays its relay domain to its own target
	sink := startSink(t, b.RelayTarget)
	raw2, id2 := loadEML(t, "customer-question.eml")
	if err := b.SendSMTP(ctx, "maria@cliente.test", []string{"tickets@help.acme.test"}, raw2); err != nil {
		t.Fatal(err)
	}
	if got := waitRelayed(t, sink, id2, 10*time.Second); !slices.Equal(got.To, []string{"tickets@help.acme.test"}) {
		t.Fatalf("b relayed to %v", got.To)
	}

	// Stopping a leaves nothing running and b untouched.
	env, err := os.ReadFile(filepath.Join(a.Dir, "env"))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := parseEnv(bytes.NewReader(env))
	if err != nil {
		t.Fatal(err)
	}
	wd, err := os.ReadFile(filepath.Join(a.Dir, "watchdog.pid"))
	if err != nil {
		t.Fatalf("no watchdog for the stack: %v", err)
	}
	kv["WATCHDOG_PID"] = strings.TrimSpace(string(wd))
	t0 := time.Now()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop took %v", time.Since(t0))
	for _, k := range []string{"DOVECOT_PID", "POSTFIX_PID", "WATCHDOG_PID"} {
		if kv[k] == "" || !procGone(kv[k]) {
			t.Errorf("%s %q still running after Stop", k, kv[k])
		}
	}
	for _, addr := range []string{a.IMAPAddr, a.IMAPSAddr, a.SMTPAddr, a.SubmissionAddr} {
		if portOpen(addr) {
			t.Errorf("%s still open after Stop", addr)
		}
	}
	if _, err := os.Stat(a.Dir); !os.IsNotExist(err) {
		t.Errorf("stack dir %s still exists after Stop: %v", a.Dir, err)
	}
	if err := a.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	c, err := b.LoginIMAP(ctx, "erin", "erinpw", nil)
	if err != nil {
		t.Fatalf("b after stopping a: %v", err)
	}
	c.Close()
}

func TestNoPostfix(t *testing.T) {
	t.Parallel()
	s := StartT(t, Options{NoPostfix: true, Users: map[string]string{"frank": "frank.pw-1"}})
	ctx := testCtx(t, 30*time.Second)
	if s.SMTPAddr != "" || s.SubmissionAddr != "" || s.RelayTarget != "" || s.PostfixConf != "" {
		t.Fatalf("NoPostfix stack has Postfix addresses: %+v", s)
	}
	if len(s.Forwards) != 0 {
		t.Fatalf("Forwards = %v; want none without a support user", s.Forwards)
	}
	uid, err := s.Append(ctx, "frank", "frank.pw-1", "INBOX", []byte("Subject: hi\r\n\r\nhi\r\n"))
	if err != nil || uid != 1 {
		t.Fatalf("Append = %d, %v; want UID 1", uid, err)
	}
	for name, err := range map[string]error{
		"SendSMTP":          s.SendSMTP(ctx, "a@b.test", []string{"frank@example.test"}, []byte("x")),
		"FlushPostfixQueue": s.FlushPostfixQueue(ctx),
		"StopPostfix":       s.StopPostfix(ctx),
	} {
		if !errors.Is(err, ErrNoPostfix) {
			t.Errorf("%s: err = %v; want ErrNoPostfix", name, err)
		}
	}
}

func TestWatchdogStopsStackOfDeadOwner(t *testing.T) {
	t.Parallel()
	Require(t)
	scripts, err := ScriptsDir()
	if err != nil {
		t.Fatal(err)
	}
	owner := exec.Command("sleep", "1")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("/tmp", "ms.")
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{Dir: dir, scripts: scripts, log: slog.New(slog.DiscardHandler)}
	t.Cleanup(func() { _ = s.stopScript(dir, "--rm") })
	ctx := testCtx(t, 30*time.Second)
	err = s.runScript(ctx, "start.sh", os.Environ(), dir, "--imap", strconv.Itoa(ports[0]),
		"--imaps", strconv.Itoa(ports[1]), "--smtp", strconv.Itoa(ports[2]),
		"--submission", strconv.Itoa(ports[3]), "--relay-port", strconv.Itoa(ports[4]),
		"--owner-pid", strconv.Itoa(owner.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.loadEnv(); err != nil {
		t.Fatal(err)
	}
	if !portOpen(s.IMAPAddr) {
		t.Fatal("IMAP not listening after start")
	}
	_ = owner.Wait() // the owner exits (and is reaped) after 1 s
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, statErr := os.Stat(dir)
		if os.IsNotExist(statErr) && !portOpen(s.IMAPAddr) && !portOpen(s.SMTPAddr) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack of a dead owner still there after 10 s (dir err %v)", statErr)
		}
	}
}

func TestStartCancelledLeavesNothing(t *testing.T) {
	t.Parallel()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	s, err := Start(ctx, Options{})
	if err == nil {
		s.Stop()
		t.Skip("the stack started within 150 ms; nothing to cancel")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start with an expiring ctx: err = %v; want DeadlineExceeded", err)
	}
	dir := regexp.MustCompile(`/tmp/ms\.[0-9]+`).FindString(err.Error())
	if dir == "" {
		t.Fatalf("error does not name the stack dir: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stack dir %s left behind: %v", dir, err)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if cmd, err := os.ReadFile(p); err == nil && bytes.Contains(cmd, []byte(dir+"/")) {
			pid := filepath.Base(filepath.Dir(p))
			if !procGone(pid) {
				t.Errorf("process %s still running for the cancelled stack: %q", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))
			}
		}
	}
}
