package ingest_test

import (
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
