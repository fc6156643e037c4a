package ingest_test

import (
	"os"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// A DSN that arrives later is linked to the outbound message it refers
// to (by the Message-ID in the returned message) and marks it failed.
func TestBounceMarksOutboundMessageFailed(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.accept(t, "s1", mail("cliente@example.com", "Pedido", "p1@example.com", "", "oi"))
		e.drain(t)
		tk, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		out := &model.Message{CompanyID: e.co.ID, TicketID: tk.ID, ChannelID: e.ch.ID, Direction: model.DirOut, Status: model.MsgSent,
			From: model.Address{Address: "suporte@lojaexemplo.com.br"}, To: []model.Address{{Address: "cliente.inexistente@exemplo.com.br"}},
			MessageID: "atende.6001.1720184400@lojaexemplo.com.br"}
		if err := e.st.CreateMessage(ctx, out); err != nil {
			t.Fatal(err)
		}
		dsn, err := os.ReadFile("../mailparse/testdata/corpus/dsn_postfix.eml")
		if err != nil {
			t.Fatal(err)
		}
		e.accept(t, "dsn", dsn)
		e.drain(t)
		got, _ := e.st.GetMessage(ctx, e.co.ID, out.ID)
		if got.Status != model.MsgFailed || !strings.Contains(got.Error, "5.1.1") || !strings.Contains(got.Error, "cliente.inexistente@exemplo.com.br") {
			t.Fatalf("outbound after bounce = %s %q", got.Status, got.Error)
		}
		// The bounce itself is on the same ticket, flagged, and opened no new ticket.
		list, _ := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
		msgs, _ := e.st.ListMessages(ctx, e.co.ID, tk.ID)
		if len(list) != 1 || len(msgs) != 3 || !msgs[2].Flags.Has(model.FlagBounce) {
			t.Fatalf("tickets=%d messages=%d", len(list), len(msgs))
		}
	})
}
