package smtpin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func TestRcptAnswers(t *testing.T) {
	e := newStoreEnv(t)
	other := &model.Company{Slug: "beta", Name: "Beta"}
	must(t, e.st.CreateCompany(bg, other))
	betaCh := e.addChannel(t, other, "vendas", nil)
	disabled := e.addChannel(t, e.co, "antigo", func(c *model.Channel) { c.Enabled = false })
	external := e.addChannel(t, e.co, "imap", func(c *model.Channel) { c.Incoming = model.ConnExternal })
	e.start(t, Config{}, nil)

	tests := []struct {
		name string
		rcpt string
		code int
		enh  smtp.EnhancedCode
		text string
	}{
		{"inbound address", e.addr, 0, smtp.EnhancedCode{}, ""},
		{"inbound address upper case", strings.ToUpper(e.addr), 0, smtp.EnhancedCode{}, ""},
		{"unknown token", InboundAddress("acme", NewInboundToken(), testDomain), 550, smtp.EnhancedCode{5, 1, 1}, "No such mailbox"},
		{"token of another company under our slug", InboundAddress("acme", betaCh.InboundToken, testDomain), 550, smtp.EnhancedCode{5, 1, 1}, "No such mailbox"},
		{"unknown slug", InboundAddress("nope", e.ch.InboundToken, testDomain), 550, smtp.EnhancedCode{5, 1, 1}, "No such mailbox"},
		{"disabled channel", InboundAddress("acme", disabled.InboundToken, testDomain), 550, smtp.EnhancedCode{5, 2, 1}, "disabled"},
		{"external channel", InboundAddress("acme", external.InboundToken, testDomain), 550, smtp.EnhancedCode{5, 1, 1}, "not internal"},
		{"other domain", "someone@elsewhere.test", 550, smtp.EnhancedCode{5, 1, 1}, "No such mailbox"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rcptErrs, _ := send(t, e.saddr, "a@example.com", []string{tc.rcpt}, buildMail("a@example.com", tc.rcpt, "", "x", "r@x", "x"))
			if tc.code == 0 {
				if rcptErrs[0] != nil {
					t.Fatalf("RCPT %s: %v", tc.rcpt, rcptErrs[0])
				}
				return
			}
			se := wantCode(t, rcptErrs[0], tc.code, tc.enh)
			if !strings.Contains(se.Message, tc.text) {
				t.Fatalf("reply text %q does not contain %q", se.Message, tc.text)
			}
		})
	}
}

func TestDeliverStoresThenProcesses(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{AuthServID: "auth.atende.test"}, nil)
	raw := buildMail("Cliente <cliente@example.com>", "Suporte <suporte@acme.test>", "Ana <ana@acme.test>, bob@example.org",
		"Pedido 42", "pedido-42@example.com", "Meu pedido não chegou.")
	rcptErrs, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, raw)
	if rcptErrs[0] != nil || dataErr != nil {
		t.Fatalf("send: rcpt %v data %v", rcptErrs[0], dataErr)
	}
	// 250 means durable: the inbound row and blob exist before any worker ran.
	got := e.pendingRaw(t)
	if len(got[e.ch.ID]) != 1 {
		t.Fatalf("stored for channel: %d messages, want 1 (all: %d)", len(got[e.ch.ID]), len(got))
	}
	stored := got[e.ch.ID][0]
	if !bytes.HasSuffix(stored, raw) {
		t.Fatalf("stored message does not end with the original bytes:\n%s", stored)
	}
	prefix := string(stored[:len(stored)-len(raw)])
	for _, want := range []string{"Return-Path: <cliente@example.com>\r\n", "Authentication-Results: auth.atende.test;",
		"Received: from client.example.net ([127.0.0.1])\r\n\tby mx.atende.test (Atende) with ESMTP id ", "\tfor <" + e.addr + ">;"} {
		if !strings.Contains(prefix, want) {
			t.Fatalf("prepended headers lack %q:\n%s", want, prefix)
		}
	}
	if strings.Index(prefix, "Authentication-Results:") > strings.Index(prefix, "Received:") {
		t.Fatalf("A-R should come before Received:\n%s", prefix)
	}

	e.drain(t)
	tks, err := e.st.ListTickets(bg, e.co.ID, store.TicketFilter{})
	must(t, err)
	if len(tks) != 1 || tks[0].ChannelID != e.ch.ID || tks[0].Subject != "Pedido 42" {
		t.Fatalf("tickets = %+v", tks)
	}
	msgs, err := e.st.ListMessages(bg, e.co.ID, tks[0].ID)
	must(t, err)
	if len(msgs) != 1 {
		t.Fatalf("messages = %d", len(msgs))
	}
	m := msgs[0]
	var cc []string
	for _, a := range m.Cc {
		cc = append(cc, a.Address)
	}
	if m.From.Address != "cliente@example.com" || len(m.To) != 1 || m.To[0].Address != "suporte@acme.test" ||
		strings.Join(cc, ",") != "ana@acme.test,bob@example.org" {
		t.Fatalf("addresses not preserved: from %v to %v cc %v", m.From, m.To, m.Cc)
	}
}

func TestSeveralChannelsOneTransaction(t *testing.T) {
	e := newStoreEnv(t)
	second := e.addChannel(t, e.co, "vendas", nil)
	beta := &model.Company{Slug: "beta", Name: "Beta"}
	must(t, e.st.CreateCompany(bg, beta))
	betaCh := e.addChannel(t, beta, "suporte", nil)
	e.start(t, Config{}, nil)
	a2 := InboundAddress("acme", second.InboundToken, testDomain)
	b1 := InboundAddress("beta", betaCh.InboundToken, testDomain)
	unknown := InboundAddress("acme", NewInboundToken(), testDomain)
	raw := buildMail("cliente@example.com", "suporte@acme.test", "vendas@acme.test, beta@beta.test", "Três canais", "multi@example.com", "oi")
	rcpts := []string{e.addr, a2, strings.ToUpper(e.addr), unknown, b1}
	rcptErrs, dataErr := send(t, e.saddr, "cliente@example.com", rcpts, raw)
	for i, err := range rcptErrs {
		if i == 3 {
			wantCode(t, err, 550, smtp.EnhancedCode{5, 1, 1})
		} else if err != nil {
			t.Fatalf("rcpt %s: %v", rcpts[i], err)
		}
	}
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	got := e.pendingRaw(t)
	if len(got) != 3 || len(got[e.ch.ID]) != 1 || len(got[second.ID]) != 1 || len(got[betaCh.ID]) != 1 {
		t.Fatalf("stored per channel: %d/%d/%d (channels %d)", len(got[e.ch.ID]), len(got[second.ID]), len(got[betaCh.ID]), len(got))
	}
	if !bytes.Equal(got[e.ch.ID][0], got[betaCh.ID][0]) || !bytes.Equal(got[e.ch.ID][0], got[second.ID][0]) {
		t.Fatal("channels got different bytes")
	}
	// Several recipients: no "for <...>" in Received.
	if rec := headerValues(got[e.ch.ID][0], "Received"); len(rec) != 1 || strings.Contains(rec[0], " for <") {
		t.Fatalf("Received = %q", rec)
	}
	e.drain(t)
	for _, c := range []struct {
		co int64
		n  int
	}{{e.co.ID, 1}, {beta.ID, 1}} { // ingest dedupes one mail per company
		n, err := e.st.CountTickets(bg, c.co)
		must(t, err)
		if n != c.n {
			t.Fatalf("company %d tickets = %d, want %d", c.co, n, c.n)
		}
	}
}

func TestStorageFailureAnswers451(t *testing.T) {
	e := newStoreEnv(t)
	acc := &failingAcceptor{inner: e.svc}
	acc.fails.Store(2)
	e.start(t, Config{}, acc)
	raw := buildMail("cliente@example.com", "suporte@acme.test", "", "Falha", "fail@example.com", "retry me")
	for i := 0; i < 2; i++ {
		_, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, raw)
		se := wantCode(t, dataErr, 451, smtp.EnhancedCode{4, 3, 0})
		if !se.Temporary() || !strings.Contains(se.Message, "try again later") {
			t.Fatalf("451 text %q", se.Message)
		}
	}
	if n := e.countInbound(t); n != 0 {
		t.Fatalf("inbound rows after failures = %d", n)
	}
	if _, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, raw); dataErr != nil {
		t.Fatalf("third attempt: %v", dataErr)
	}
	e.drain(t)
	if n, _ := e.st.CountMessages(bg, e.co.ID); n != 1 {
		t.Fatalf("messages = %d, want 1", n)
	}
	if acc.calls.Load() != 3 {
		t.Fatalf("acceptor calls = %d", acc.calls.Load())
	}
}

func TestPartialFailureRetryMakesOneMessagePerChannel(t *testing.T) {
	e := newStoreEnv(t)
	second := e.addChannel(t, e.co, "vendas", nil)
	// First channel stored, second fails: 451, and the sender retries the
	// whole message for both channels.
	e.start(t, Config{}, &seqAcceptor{inner: e.svc, failOn: map[int64]bool{2: true}})
	raw := buildMail("cliente@example.com", "suporte@acme.test", "vendas@acme.test", "Parcial", "partial@example.com", "x")
	rcpts := []string{e.addr, InboundAddress("acme", second.InboundToken, testDomain)}
	_, dataErr := send(t, e.saddr, "cliente@example.com", rcpts, raw)
	wantCode(t, dataErr, 451, smtp.EnhancedCode{4, 3, 0})
	if _, dataErr = send(t, e.saddr, "cliente@example.com", rcpts, raw); dataErr != nil {
		t.Fatal(dataErr)
	}
	e.drain(t)
	tks, err := e.st.ListTickets(bg, e.co.ID, store.TicketFilter{})
	must(t, err)
	n, err := e.st.CountMessages(bg, e.co.ID)
	must(t, err)
	// Three inbound rows (first channel twice, second once); ingest's
	// content dedupe key makes them one message per company.
	if in := e.countInbound(t); in != 3 {
		t.Fatalf("inbound rows = %d, want 3", in)
	}
	if n != 1 || len(tks) != 1 {
		t.Fatalf("messages = %d, tickets = %d; want 1 and 1", n, len(tks))
	}
}

func TestOversizedAnswers552(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{MaxMessageSize: 16 << 10}, nil)
	big := buildMail("cliente@example.com", "suporte@acme.test", "", "Grande", "big@example.com", strings.Repeat("0123456789abcdef\r\n", 2000))
	_, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, big)
	se := wantCode(t, dataErr, 552, smtp.EnhancedCode{5, 3, 4})
	if !strings.Contains(se.Message, "Message too large") || !strings.Contains(se.Message, "16 KB") {
		t.Fatalf("552 text %q", se.Message)
	}
	if n := e.countInbound(t); n != 0 {
		t.Fatalf("inbound rows = %d", n)
	}
	// The connection stays usable and a small message still goes through.
	small := buildMail("cliente@example.com", "suporte@acme.test", "", "Pequena", "small@example.com", "ok")
	if _, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, small); dataErr != nil {
		t.Fatal(dataErr)
	}
}

func TestLargeMessageSpoolsToDisk(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{SpoolDir: t.TempDir()}, nil)
	body := strings.Repeat("linha de texto longa para passar de um megabyte.\r\n", 50000) // ~2.5 MB
	raw := buildMail("cliente@example.com", "suporte@acme.test", "", "Anexo", "large@example.com", body)
	if _, dataErr := send(t, e.saddr, "cliente@example.com", []string{e.addr}, raw); dataErr != nil {
		t.Fatal(dataErr)
	}
	got := e.pendingRaw(t)
	if len(got[e.ch.ID]) != 1 || !bytes.HasSuffix(got[e.ch.ID][0], raw) {
		t.Fatal("large message not stored intact")
	}
}

func TestSpoolSpills(t *testing.T) {
	sp := newSpool(t.TempDir(), 10)
	defer sp.Close()
	for _, p := range []string{"12345", "678", "90abcdef", "g"} {
		if _, err := sp.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if !sp.OnDisk() || sp.Size() != 17 {
		t.Fatalf("on disk %v size %d", sp.OnDisk(), sp.Size())
	}
	for i := 0; i < 2; i++ {
		var b bytes.Buffer
		b.ReadFrom(sp.Reader())
		if b.String() != "1234567890abcdefg" {
			t.Fatalf("read %d = %q", i, b.String())
		}
	}
	mem := newSpool(t.TempDir(), 10)
	mem.Write([]byte("abc"))
	if mem.OnDisk() {
		t.Fatal("small spool went to disk")
	}
}

// seqAcceptor fails the calls whose 1-based number is in failOn.
type seqAcceptor struct {
	inner  Acceptor
	n      atomic.Int64
	failOn map[int64]bool
}

func (s *seqAcceptor) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error) {
	if s.failOn[s.n.Add(1)] {
		_, _ = io.Copy(io.Discard, raw)
		return ingest.Result{}, errors.New("injected failure")
	}
	return s.inner.AcceptContent(ctx, ch, raw)
}

func TestSPF(t *testing.T) {
	tests := []struct {
		name, record, want string
	}{
		{"pass", "v=spf1 ip4:127.0.0.0/8 -all", "pass"},
		{"fail (forwarder's IP)", "v=spf1 ip4:192.0.2.0/24 -all", "fail"},
		{"softfail", "v=spf1 ~all", "softfail"},
		{"none", "", "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newStoreEnv(t)
			if tc.record != "" {
				e.dns.SetTXT("customer.test", tc.record)
			}
			e.start(t, Config{AuthServID: "atende.test"}, nil)
			raw := buildMail("c@customer.test", "suporte@acme.test", "", "SPF", "spf@customer.test", "x")
			if _, err := send(t, e.saddr, "c@customer.test", []string{e.addr}, raw); err != nil {
				t.Fatal(err)
			}
			stored := e.pendingRaw(t)[e.ch.ID][0]
			_, res := parseAR(t, headerValues(stored, "Authentication-Results")[0])
			spf := res["spf"][0].(*authres.SPFResult)
			if string(spf.Value) != tc.want || spf.From != "customer.test" {
				t.Fatalf("spf = %+v, want %s for customer.test", spf, tc.want)
			}
		})
	}
}

func TestDKIMAndDMARC(t *testing.T) {
	e := newStoreEnv(t)
	key := newDKIMKey(t, e.dns, "customer.test", "sel1")
	e.dns.SetTXT("_dmarc.customer.test", "v=DMARC1; p=reject")
	// The forwarder's IP is not in the sender's SPF: SPF fails, as for all forwarded mail.
	e.dns.SetTXT("customer.test", "v=spf1 ip4:192.0.2.1 -all")
	other := newDKIMKey(t, e.dns, "bulk-sender.test", "s")
	e.start(t, Config{AuthServID: "atende.test"}, nil)

	signed := key.sign(t, buildMail("Cliente <c@customer.test>", "suporte@acme.test", "", "Assinada", "dkim-1@customer.test", "corpo original"))
	tampered := bytes.Replace(signed, []byte("corpo original"), []byte("corpo alterado"), 1)
	subSigned := key.sign(t, buildMail("c@mail.customer.test", "suporte@acme.test", "", "Subdomínio", "dkim-2@customer.test", "x"))
	unaligned := other.sign(t, buildMail("c@customer.test", "suporte@acme.test", "", "Outro domínio", "dkim-3@customer.test", "x"))
	unsigned := buildMail("c@nodmarc.test", "suporte@acme.test", "", "Sem política", "dkim-4@customer.test", "x")

	tests := []struct {
		name      string
		raw       []byte
		dkim      []string // value:domain per signature
		dmarc     string
		dmarcFrom string
		dmarcRsn  string
	}{
		{"signed passes", signed, []string{"pass:customer.test"}, "pass", "customer.test", "p=reject"},
		{"tampered body fails", tampered, []string{"fail:customer.test"}, "fail", "customer.test", "p=reject"},
		{"subdomain relaxed alignment", subSigned, []string{"pass:customer.test"}, "pass", "mail.customer.test", "p=reject"},
		{"valid but unaligned signature", unaligned, []string{"pass:bulk-sender.test"}, "fail", "customer.test", "p=reject"},
		{"no signature no policy", unsigned, []string{"none:"}, "none", "nodmarc.test", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := send(t, e.saddr, "c@customer.test", []string{e.addr}, tc.raw); err != nil {
				t.Fatal(err)
			}
			stored := e.pendingRaw(t)[e.ch.ID]
			if len(stored) != 1 {
				t.Fatalf("stored %d", len(stored))
			}
			ars := headerValues(stored[0], "Authentication-Results")
			id, res := parseAR(t, ars[0])
			if id != "atende.test" {
				t.Fatalf("authserv-id %q", id)
			}
			var got []string
			for _, r := range res["dkim"] {
				d := r.(*authres.DKIMResult)
				got = append(got, string(d.Value)+":"+d.Domain)
			}
			if strings.Join(got, ",") != strings.Join(tc.dkim, ",") {
				t.Fatalf("dkim = %v, want %v (A-R %q)", got, tc.dkim, ars[0])
			}
			dm := res["dmarc"][0].(*authres.DMARCResult)
			if string(dm.Value) != tc.dmarc || dm.From != tc.dmarcFrom || strings.Trim(dm.Reason, `"`) != tc.dmarcRsn {
				t.Fatalf("dmarc = %+v, want %s from %s reason %q", dm, tc.dmarc, tc.dmarcFrom, tc.dmarcRsn)
			}
			if s := res["spf"][0].(*authres.SPFResult); s.Value != authres.ResultFail {
				t.Fatalf("spf = %v, want fail (forwarded from 127.0.0.1)", s.Value)
			}
			// The ingest worker reads our header: dmarc=fail flags the message.
			e.drain(t)
			tks, err := e.st.ListTickets(bg, e.co.ID, store.TicketFilter{Limit: 1})
			must(t, err)
			msgs, err := e.st.ListMessages(bg, e.co.ID, tks[0].ID)
			must(t, err)
			if got := msgs[len(msgs)-1].Flags.Has(model.FlagDMARCFail); got != (tc.dmarc == "fail") {
				t.Fatalf("FlagDMARCFail = %v for dmarc=%s", got, tc.dmarc)
			}
		})
	}
}

func TestForgedAuthResultsRemoved(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{AuthServID: "Atende.Test"}, nil)
	orig := buildMail("c@phish.test", "suporte@acme.test", "", "Confie", "forged@phish.test", "clique aqui")
	forged := append([]byte("Authentication-Results: atende.test;\r\n\tdkim=pass header.d=bank.test;\r\n\tdmarc=pass header.from=bank.test\r\n"+
		"Authentication-Results: mx.google.com; dkim=pass header.i=@phish.test\r\n"+
		"Authentication-Results: ATENDE.TEST (forged comment); spf=pass smtp.mailfrom=bank.test\r\n"+
		"X-Atende-ARC: sets=1; sealer=bank.test; cv=pass; verified=yes\r\n"), orig...)
	if _, err := send(t, e.saddr, "c@phish.test", []string{e.addr}, forged); err != nil {
		t.Fatal(err)
	}
	stored := e.pendingRaw(t)[e.ch.ID][0]
	ars := headerValues(stored, "Authentication-Results")
	if len(ars) != 2 {
		t.Fatalf("A-R fields = %q, want ours and Google's", ars)
	}
	if id, res := parseAR(t, ars[0]); !strings.EqualFold(id, "atende.test") || res["dmarc"][0].(*authres.DMARCResult).Value == authres.ResultPass {
		t.Fatalf("first A-R is not ours: %q", ars[0])
	}
	if !strings.HasPrefix(ars[1], "mx.google.com;") {
		t.Fatalf("foreign A-R not kept: %q", ars[1])
	}
	if bytes.Contains(stored, []byte("bank.test")) || bytes.Contains(stored, []byte("X-Atende-ARC")) {
		t.Fatalf("forged fields survived:\n%s", stored)
	}
	if !bytes.HasSuffix(stored, orig[bytes.Index(orig, []byte("From:")):]) {
		t.Fatal("rest of the message changed")
	}
	if !strings.Contains(e.logs.String(), "removed forged Authentication-Results") {
		t.Fatal("forgery not logged")
	}
}

func TestARCRecorded(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{}, nil)
	raw := append([]byte("ARC-Seal: i=2; a=rsa-sha256; t=1; cv=pass; d=forwarder.test; s=x; b=abc\r\n"+
		"ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; s=arc-20160816; b=def\r\n"+
		"ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@customer.test\r\n"),
		buildMail("c@customer.test", "suporte@acme.test", "", "ARC", "arc@customer.test", "x")...)
	if _, err := send(t, e.saddr, "c@customer.test", []string{e.addr}, raw); err != nil {
		t.Fatal(err)
	}
	stored := e.pendingRaw(t)[e.ch.ID][0]
	got := headerValues(stored, "X-Atende-ARC")
	if len(got) != 1 || got[0] != "sets=2; sealer=forwarder.test; cv=pass; verified=no" {
		t.Fatalf("X-Atende-ARC = %q", got)
	}
}

func TestPrimaryAndAdditionalEmails(t *testing.T) {
	e := newStoreEnv(t) // channel "suporte" claims suporte@acme.test
	ch2 := e.addChannel(t, e.co, "vendas", func(c *model.Channel) {
		c.Settings.PrimaryEmail = "Vendas@ACME.test"
		c.Settings.AdditionalEmails = []string{"compras@acme.test", "shared@acme.test", "dup@acme.test"}
	})
	e.addChannel(t, e.co, "dup", func(c *model.Channel) { c.Settings.PrimaryEmail = "dup@acme.test" })
	beta := &model.Company{Slug: "beta", Name: "Beta"}
	must(t, e.st.CreateCompany(bg, beta))
	// Beta lists an address of acme's domain: a claim, not ownership.
	e.addChannel(t, beta, "geral", func(c *model.Channel) { c.Settings.AdditionalEmails = []string{"shared@acme.test"} })
	e.addChannel(t, beta, "imap", func(c *model.Channel) {
		c.Incoming = model.ConnExternal
		c.Settings.PrimaryEmail = "imap@beta.test"
	})
	verify(t, e.st, e.co.ID, store.IdentityDomain, "acme.test")
	verify(t, e.st, beta.ID, store.IdentityDomain, "beta.test")
	srv := e.start(t, Config{AddressTTL: time.Minute}, nil)

	tests := []struct {
		rcpt    string
		code    int
		enh     smtp.EnhancedCode
		channel int64
		text    string
	}{
		{"suporte@acme.test", 0, smtp.EnhancedCode{}, e.ch.ID, ""},
		{"VENDAS@acme.test", 0, smtp.EnhancedCode{}, ch2.ID, ""},
		{"compras+rt7x@acme.test", 0, smtp.EnhancedCode{}, ch2.ID, ""},
		// Beta's claim does not take acme's mail, nor block it.
		{"shared@acme.test", 0, smtp.EnhancedCode{}, ch2.ID, ""},
		{"dup@acme.test", 550, smtp.EnhancedCode{5, 1, 1}, 0, "more than one Atende channel"},
		{"imap@beta.test", 550, smtp.EnhancedCode{5, 1, 1}, 0, "not internal"},
		{"nobody@acme.test", 550, smtp.EnhancedCode{5, 1, 1}, 0, "No such mailbox"},
	}
	for _, tc := range tests {
		t.Run(tc.rcpt, func(t *testing.T) {
			raw := buildMail("c@customer.test", tc.rcpt, "", "x", "p-"+tc.rcpt, "x")
			rcptErrs, dataErr := send(t, e.saddr, "c@customer.test", []string{tc.rcpt}, raw)
			if tc.code != 0 {
				se := wantCode(t, rcptErrs[0], tc.code, tc.enh)
				if !strings.Contains(se.Message, tc.text) {
					t.Fatalf("text %q", se.Message)
				}
				return
			}
			if rcptErrs[0] != nil || dataErr != nil {
				t.Fatal(rcptErrs[0], dataErr)
			}
			if got := e.pendingRaw(t); len(got[tc.channel]) != 1 {
				t.Fatalf("not stored for channel %d: %v", tc.channel, len(got))
			}
		})
	}

	// A new claimant from another company appears: after the TTL acme's
	// mail still goes to acme (before verification existed, a second
	// claim answered 550 to the real owner).
	e.addChannel(t, beta, "copia", func(c *model.Channel) { c.Settings.PrimaryEmail = "compras@acme.test" })
	e.clk.Advance(2 * time.Minute)
	rcptErrs, _ := send(t, e.saddr, "c@customer.test", []string{"compras@acme.test"}, buildMail("c@customer.test", "compras@acme.test", "", "y", "y2@x", "y"))
	if rcptErrs[0] != nil {
		t.Fatalf("owner's mail after a foreign claim: %v", rcptErrs[0])
	}
	// Invalidate picks up a change at once.
	ch2.Settings.AdditionalEmails = []string{"novo@acme.test"}
	must(t, e.st.UpdateChannel(bg, ch2))
	srv.InvalidateAddresses()
	rcptErrs, _ = send(t, e.saddr, "c@customer.test", []string{"novo@acme.test"}, buildMail("c@customer.test", "novo@acme.test", "", "z", "z@x", "z"))
	if rcptErrs[0] != nil {
		t.Fatalf("after invalidate: %v", rcptErrs[0])
	}
}

// verify marks kind/value verified for a company, as identity.Service
// does after the DNS record or the mailed code.
func verify(t testing.TB, st store.Store, companyID int64, kind, value string) {
	t.Helper()
	must(t, st.CreateIdentity(bg, &store.Identity{CompanyID: companyID, Kind: kind, Value: value, VerifiedAt: time.Now()}))
}

// Issue #13, item 1 (failed before the fix: beta's channel received
// acme's customers' mail): a company lists another company's address; the
// mail is not routed to it. An address nobody verified is refused with a
// clear 550 and the claimant's admins get one notice a day.
func TestUnverifiedAddressDoesNotRoute(t *testing.T) {
	e := newStoreEnv(t)
	beta := &model.Company{Slug: "beta", Name: "Beta"}
	must(t, e.st.CreateCompany(bg, beta))
	verify(t, e.st, beta.ID, store.IdentityDomain, "b.test")
	// Acme (the attacker here) lists billing@b.test and an address
	// nobody verified; beta has no channel for billing@b.test at all.
	evil := e.addChannel(t, e.co, "evil", func(c *model.Channel) {
		c.Settings.PrimaryEmail = "billing@b.test"
		c.Settings.AdditionalEmails = []string{"contato@nobody.test"}
	})
	e.start(t, Config{}, nil)
	for _, rcpt := range []string{"billing@b.test", "contato@nobody.test", "contato@nobody.test"} {
		rcptErrs, _ := send(t, e.saddr, "c@customer.test", []string{rcpt}, buildMail("c@customer.test", rcpt, "", "x", "u-"+rcpt, "x"))
		se := wantCode(t, rcptErrs[0], 550, smtp.EnhancedCode{5, 7, 1})
		if !strings.Contains(se.Message, "not verified") {
			t.Fatalf("text %q", se.Message)
		}
	}
	if got := e.pendingRaw(t); len(got[evil.ID]) != 0 {
		t.Fatal("mail to an unverified address was stored")
	}
	ns, err := e.st.ListNotices(bg, e.co.ID, store.NoticeFilter{})
	must(t, err)
	// One notice (contato@nobody.test, twice refused today); none about
	// billing@b.test, which beta owns.
	if len(ns) != 1 || ns[0].Kind != "mail_refused_unverified" || !strings.HasPrefix(ns[0].Code, "contato@nobody.test ") || ns[0].ChannelID != evil.ID {
		t.Fatalf("notices %+v", ns)
	}
	// The channel's own inbound address works without any verification.
	rcptErrs, dataErr := send(t, e.saddr, "c@customer.test", []string{InboundAddress(e.co.Slug, evil.InboundToken, testDomain)},
		buildMail("c@customer.test", "x@y.test", "", "x", "inb@x", "x"))
	if rcptErrs[0] != nil || dataErr != nil {
		t.Fatal(rcptErrs[0], dataErr)
	}
}

func TestConnectionLimits(t *testing.T) {
	t.Run("concurrent per IP", func(t *testing.T) {
		e := newStoreEnv(t)
		e.start(t, Config{MaxConnsPerIP: 2, ConnsPerMinute: -1}, nil)
		var open []net.Conn
		for i := 0; i < 2; i++ {
			c, line := dialGreeting(t, e.saddr)
			open = append(open, c)
			if !strings.HasPrefix(line, "220 ") {
				t.Fatalf("conn %d greeting %q", i, line)
			}
		}
		c, line := dialGreeting(t, e.saddr)
		c.Close()
		if !strings.HasPrefix(line, "421 4.7.0 ") || !strings.Contains(line, "concurrent") {
			t.Fatalf("third connection got %q, want 421 4.7.0", line)
		}
		open[0].Close()
		// The slot is released when a connection closes.
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, line = dialGreeting(t, e.saddr)
			c.Close()
			if strings.HasPrefix(line, "220 ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("slot not released: %q", line)
			}
			time.Sleep(20 * time.Millisecond)
		}
		open[1].Close()
	})
	t.Run("rate per IP", func(t *testing.T) {
		e := newStoreEnv(t)
		e.start(t, Config{MaxConnsPerIP: -1, ConnsPerMinute: 1, ConnBurst: 3}, nil)
		for i := 0; i < 3; i++ {
			c, line := dialGreeting(t, e.saddr)
			c.Close()
			if !strings.HasPrefix(line, "220 ") {
				t.Fatalf("conn %d: %q", i, line)
			}
		}
		c, line := dialGreeting(t, e.saddr)
		c.Close()
		if !strings.HasPrefix(line, "421 4.7.0 ") || !strings.Contains(line, "slow down") {
			t.Fatalf("4th connection got %q, want 421 4.7.0", line)
		}
	})
}

func dialGreeting(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _ := c.Read(buf)
	return c, strings.TrimSpace(string(buf[:n]))
}

func TestSTARTTLS(t *testing.T) {
	e := newStoreEnv(t)
	cert := selfSigned(t)
	e.start(t, Config{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
	plain, err := smtp.Dial(e.saddr)
	must(t, err)
	must(t, plain.Hello("client.example.net"))
	if ok, _ := plain.Extension("STARTTLS"); !ok {
		t.Fatal("STARTTLS not offered")
	}
	plain.Close()
	c, err := smtp.DialStartTLS(e.saddr, &tls.Config{InsecureSkipVerify: true})
	must(t, err)
	defer c.Close()
	must(t, c.Mail("c@customer.test", nil))
	must(t, c.Rcpt(e.addr, nil))
	w, err := c.Data()
	must(t, err)
	w.Write(buildMail("c@customer.test", "suporte@acme.test", "", "TLS", "tls@customer.test", "x"))
	must(t, w.Close())
	stored := e.pendingRaw(t)[e.ch.ID][0]
	if rec := headerValues(stored, "Received"); len(rec) != 1 || !strings.Contains(rec[0], "with ESMTPS id") {
		t.Fatalf("Received = %q", rec)
	}
}

func TestRunStopsAllGoroutines(t *testing.T) {
	e := newStoreEnv(t)
	before := runtime.NumGoroutine()
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain, ShutdownGrace: 300 * time.Millisecond, MaxConnsPerIP: 1, ConnsPerMinute: -1},
		Deps{Store: e.st, Ingest: e.svc, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, nil)
	must(t, err)
	must(t, srv.Listen())
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	// One idle session (holds the per-IP slot) and one refused connection.
	idle, err := smtp.Dial(srv.Addr().String())
	must(t, err)
	must(t, idle.Hello("idle.example.net"))
	c2, line := dialGreeting(t, srv.Addr().String())
	c2.Close()
	if !strings.HasPrefix(line, "421") {
		t.Fatalf("second connection: %q", line)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v; an idle session is told 421 at once, not after the grace", d)
	}
	// The idle client sees its connection closed.
	if err := idle.Noop(); err == nil {
		t.Fatal("idle session still alive after Run returned")
	}
	idle.Close()
	// Every goroutine the server started is gone.
	deadline := time.Now().Add(3 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.Listen(); !errors.Is(err, smtp.ErrServerClosed) {
		t.Fatalf("Listen after Run = %v", err)
	}
}

func TestGracefulShutdownFinishesTransaction(t *testing.T) {
	e := newStoreEnv(t)
	gate := &gateAcceptor{inner: e.svc, entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain, ShutdownGrace: 10 * time.Second},
		Deps{Store: e.st, Ingest: gate, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, nil)
	must(t, err)
	must(t, srv.Listen())
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	res := make(chan error, 1)
	go func() {
		_, dataErr := send(t, srv.Addr().String(), "c@customer.test", []string{e.addr},
			buildMail("c@customer.test", "suporte@acme.test", "", "Graceful", "g@customer.test", "x"))
		res <- dataErr
	}()
	<-gate.entered
	cancel() // shutdown starts while the message is being stored
	select {
	case <-done:
		t.Fatal("Run returned before the transaction finished")
	case <-time.After(100 * time.Millisecond):
	}
	// New connections are refused during shutdown.
	if c, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second); err == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 64)
		n, _ := c.Read(b)
		c.Close()
		if strings.HasPrefix(string(b[:n]), "220") {
			t.Fatal("accepted a new connection during shutdown")
		}
	}
	close(gate.release)
	if err := <-res; err != nil {
		t.Fatalf("in-flight message: %v, want 250", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := e.countInbound(t); n != 1 {
		t.Fatalf("inbound = %d", n)
	}
}

func TestCloseAbandonsStorage(t *testing.T) {
	e := newStoreEnv(t)
	gate := &gateAcceptor{inner: e.svc, entered: make(chan struct{}), release: make(chan struct{})}
	srv, err := New(Config{Addr: "127.0.0.1:0", InboundDomain: testDomain}, Deps{Store: e.st, Ingest: gate, Blobs: e.bl, Resolver: e.dns, Clock: e.clk}, nil)
	must(t, err)
	must(t, srv.Listen())
	done := make(chan error, 1)
	go func() { done <- srv.Run(bg) }()
	res := make(chan error, 1)
	go func() {
		_, dataErr := send(t, srv.Addr().String(), "c@customer.test", []string{e.addr},
			buildMail("c@customer.test", "suporte@acme.test", "", "Close", "close@customer.test", "x"))
		res <- dataErr
	}()
	<-gate.entered
	must(t, srv.Close())
	if err := <-res; err == nil {
		t.Fatal("client got 250 although the server closed during storage")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
}

// gateAcceptor blocks in AcceptContent until release (or ctx ends).
type gateAcceptor struct {
	inner   Acceptor
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gateAcceptor) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error) {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.release:
	case <-ctx.Done():
		return ingest.Result{}, fmt.Errorf("gate: %w", ctx.Err())
	}
	return g.inner.AcceptContent(ctx, ch, raw)
}

func TestIdleTimeout(t *testing.T) {
	e := newStoreEnv(t)
	e.start(t, Config{ReadTimeout: 300 * time.Millisecond}, nil)
	c, line := dialGreeting(t, e.saddr)
	defer c.Close()
	if !strings.HasPrefix(line, "220 mx.atende.test ESMTP") {
		t.Fatalf("greeting %q", line)
	}
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	n, _ := c.Read(buf)
	if got := string(buf[:n]); !strings.HasPrefix(got, "421 4.4.2") {
		t.Fatalf("after idling got %q, want 421 4.4.2", got)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("timed out after %v, want ~300ms", d)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	e := newStoreEnv(t)
	deps := Deps{Store: e.st, Ingest: e.svc, Blobs: e.bl, Clock: e.clk}
	if _, err := New(Config{}, deps, nil); err == nil || !strings.Contains(err.Error(), "InboundDomain") {
		t.Fatalf("missing domain: %v", err)
	}
	if _, err := New(Config{InboundDomain: "x.test"}, Deps{Store: e.st}, nil); err == nil {
		t.Fatal("missing deps accepted")
	}
	if _, err := New(Config{InboundDomain: "x.test", CertFile: "/nonexistent.pem", KeyFile: "/nonexistent.key"}, deps, nil); err == nil {
		t.Fatal("bad certificate accepted")
	}
	s, err := New(Config{InboundDomain: "X.Test."}, deps, nil)
	must(t, err)
	if s.cfg.Addr != DefaultAddr || s.cfg.MaxMessageSize != 50<<20 || s.InboundDomain() != "x.test" || s.cfg.AuthServID != s.cfg.Hostname {
		t.Fatalf("defaults: %+v", s.cfg)
	}
}
