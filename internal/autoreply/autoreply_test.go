package autoreply_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/autoreply"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var ctx = context.Background()

// helpdesk is one Atende installation with one channel whose rule sends
// an initial message; what it sends lands in outbox (captured).
type helpdesk struct {
	st   store.Store
	bl   *blob.FS
	in   *ingest.Service
	ar   *autoreply.Service
	out  *outbox.Service
	ch   *model.Channel
	clk  *clock.Fake
	mu   sync.Mutex
	sent [][]byte
}

func newHelpdesk(t *testing.T, addr string) *helpdesk {
	dir := t.TempDir()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewFS(filepath.Join(dir, "blobs"))
	co := &model.Company{Slug: "co", Name: "Co"}
	st.CreateCompany(ctx, co)
	team := &model.Team{CompanyID: co.ID, Name: "N1"}
	st.CreateTeam(ctx, team)
	ch := &model.Channel{CompanyID: co.ID, Slug: "c", Name: "Suporte", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "t", Settings: model.ChannelSettings{PrimaryEmail: addr, FromEmail: addr,
			Rule: model.ChannelRule{DefaultTeamID: team.ID, SendInitialMessage: true, InitialMessage: "Recebemos sua mensagem. Protocolo #{{ticket.number}}."}}}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	h := &helpdesk{st: st, bl: bl, ch: ch, clk: clk}
	log := slog.New(slog.DiscardHandler)
	h.in = ingest.New(st, bl, clk, log, ingest.Config{})
	h.ar = autoreply.New(st, bl, clk, log, autoreply.Config{})
	h.out = outbox.New(st, bl, clk, log, outbox.Config{Sender: h})
	return h
}

// Send implements outbox.Sender: capture instead of SMTP.
func (h *helpdesk) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	b, _ := io.ReadAll(raw)
	h.mu.Lock()
	h.sent = append(h.sent, b)
	h.mu.Unlock()
	return nil
}

// receive runs one mail through ingest, autoreply and outbox; it returns
// what this helpdesk sent in response.
func (h *helpdesk) receive(t *testing.T, raw []byte) [][]byte {
	t.Helper()
	before := len(h.sent)
	if _, err := h.in.AcceptContent(ctx, h.ch, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	for {
		n1, err := h.in.ProcessPending(ctx, ingest.WorkerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		n2, err := h.ar.ProcessDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n3, err := h.out.ProcessDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n1+n2+n3 == 0 {
			break
		}
	}
	return h.sent[before:]
}

func mail(from, subject, extra string, i int) []byte {
	return []byte(fmt.Sprintf("From: %s\r\nTo: suporte@acme.test\r\nSubject: %s\r\nMessage-ID: <ar-%d-%d@x>\r\n%s\r\nOlá\r\n", from, subject, i, time.Now().UnixNano(), extra))
}

func TestInitialMessageSentOncePerWindow(t *testing.T) {
	h := newHelpdesk(t, "suporte@acme.test")
	out := h.receive(t, mail("Maria <maria@cliente.com>", "Pedido", "", 1))
	if len(out) != 1 {
		t.Fatalf("auto-replies = %d, want 1", len(out))
	}
	raw := string(out[0])
	for _, want := range []string{"Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All", "To: \"Maria\" <maria@cliente.com>",
		"Recebemos sua mensagem", "[#1]"} {
		if !strings.Contains(raw, want) {
			t.Errorf("auto-reply lacks %q:\n%s", want, raw)
		}
	}
	// The same contact opens a second ticket within 24 h: no second auto-reply.
	if out := h.receive(t, mail("maria@cliente.com", "Outro assunto", "", 2)); len(out) != 0 {
		t.Fatalf("second auto-reply inside the window")
	}
	h.clk.Advance(25 * time.Hour)
	if out := h.receive(t, mail("maria@cliente.com", "Mais um", "", 3)); len(out) != 1 {
		t.Fatalf("no auto-reply after the window")
	}
	// A reply on an existing ticket never gets the initial message.
	if n, _ := h.st.CountTickets(ctx, h.ch.CompanyID); n != 3 {
		t.Fatalf("tickets = %d", n)
	}
}

func TestNeverAutoReplyTo(t *testing.T) {
	cases := map[string][]byte{
		"auto-submitted":  mail("ana@cliente.com", "Fora do escritório", "Auto-Submitted: auto-replied\r\n", 1),
		"precedence bulk": mail("news@loja.com", "Ofertas", "Precedence: bulk\r\n", 2),
		"list":            mail("list@lists.example.org", "Digest", "List-Id: <dev.lists.example.org>\r\n", 3),
		"mailer-daemon":   mail("MAILER-DAEMON@mx.example.com", "Undelivered Mail Returned to Sender", "", 4),
		"noreply":         mail("no-reply@servico.com.br", "Sua fatura", "", 5),
		"our own address": mail("suporte@acme.test", "Teste interno", "", 6),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			h := newHelpdesk(t, "suporte@acme.test")
			if out := h.receive(t, raw); len(out) != 0 {
				t.Fatalf("auto-replied to %s:\n%s", name, out[0])
			}
			if n, _ := h.st.CountTickets(ctx, h.ch.CompanyID); n != 1 {
				t.Fatalf("the mail itself must still become a ticket (tickets = %d)", n)
			}
		})
	}
}

// Two helpdesks answering each other stop after one automatic message each.
func TestLoopBetweenTwoHelpdesksStops(t *testing.T) {
	a := newHelpdesk(t, "suporte@a.test")
	b := newHelpdesk(t, "atendimento@b.test")
	// b writes to a (a human at b, say): a auto-replies to b.
	msgs := a.receive(t, []byte("From: atendimento@b.test\r\nTo: suporte@a.test\r\nSubject: Oi\r\nMessage-ID: <loop-1@b.test>\r\n\r\nOlá\r\n"))
	total := len(msgs)
	for round := 0; round < 5 && len(msgs) > 0; round++ {
		var next [][]byte
		for _, m := range msgs {
			next = append(next, b.receive(t, m)...)
		}
		var back [][]byte
		for _, m := range next {
			back = append(back, a.receive(t, m)...)
		}
		total += len(next) + len(back)
		msgs = back
	}
	if total != 1 {
		t.Fatalf("automatic messages exchanged = %d, want 1 (a's initial message, which b must not answer)", total)
	}
}

// An autoresponder that does not mark its replies is stopped by the window.
func TestLoopWithUnmarkedAutoresponderStops(t *testing.T) {
	a := newHelpdesk(t, "suporte@a.test")
	total := 0
	for i := 0; i < 5; i++ {
		// The autoresponder answers each of our messages with a new subject (a new ticket each time).
		out := a.receive(t, mail("robo@outra.test", fmt.Sprintf("Resposta automática %d", i), "", 100+i))
		total += len(out)
	}
	if total != 1 {
		t.Fatalf("automatic messages to the autoresponder = %d, want 1", total)
	}
}
