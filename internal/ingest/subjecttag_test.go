package ingest_test

import (
	"bytes"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
)

// A reply from the ticket's own contact whose mail client dropped
// In-Reply-To and References ("Re: [#1] ...") reopens the resolved ticket.
func TestSubjectTagReopensResolvedTicketFromContact(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.accept(t, "s1", mail("Maria <maria@cliente.com.br>", "Pedido 123", "p1@cliente.com.br", "", "Onde está?"))
		e.drain(t)
		tk, _ := e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		tk.Status = model.StatusResolved
		if err := e.st.UpdateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		e.accept(t, "s2", mail("Maria <maria@cliente.com.br>", "Re: [#1] Pedido 123", "p2@cliente.com.br", "", "Ainda não chegou"))
		e.drain(t)
		if n, _ := e.counts(t); n != 1 {
			t.Fatalf("tickets = %d, want 1 (the tagged reply must join #1)", n)
		}
		tk, _ = e.st.GetTicketByNumber(ctx, e.co.ID, 1)
		if tk.Status != model.StatusOpen {
			t.Fatalf("status = %s, want open", tk.Status)
		}
	})
}

// Nobody else joins by typing the tag: not a stranger, not someone at the
// contact's own domain, and not the contact on another channel.
func TestSubjectTagOutsidersOpenNewTickets(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		e.accept(t, "s1", mail("Maria <maria@cliente.com.br>", "Pedido 123", "p1@cliente.com.br", "", "Onde está?"))
		e.drain(t)
		e.accept(t, "s2", mail("pedro@cliente.com.br", "Re: [#1] Pedido 123", "p2@cliente.com.br", "", "Eu também"))
		e.accept(t, "s3", mail("curioso@outro.test", "Re: [#1] Pedido 123", "p3@outro.test", "", "Oi"))
		e.drain(t)
		other := &model.Channel{CompanyID: e.co.ID, Slug: "vendas", Name: "Vendas", Enabled: true, Incoming: model.ConnInternal,
			Outgoing: model.ConnInternal, InboundToken: "tok2", Settings: model.ChannelSettings{PrimaryEmail: "vendas@acme.test"}}
		if err := e.st.CreateChannel(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AcceptContent(ctx, other, bytesReader(mail("maria@cliente.com.br", "Re: [#1] Pedido 123", "p4@cliente.com.br", "", "Outro canal"))); err != nil {
			t.Fatal(err)
		}
		e.drain(t)
		if n, _ := e.counts(t); n != 4 {
			t.Fatalf("tickets = %d, want 4 (each outsider and the other channel open their own)", n)
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
