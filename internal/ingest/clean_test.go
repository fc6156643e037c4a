package ingest_test

import (
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Issue #13, item 8 (failed before: the CR/LF of an encoded Subject or
// From name was stored as is, and every reply to that ticket failed with
// 422, a ticket nobody could answer): through ingest and then a reply.
func TestHeaderLineBreaksDoNotMakeTicketsUnanswerable(t *testing.T) {
	dialects(t, func(t *testing.T, e *env) {
		raw := mail(`=?utf-8?Q?Maria=0D=0AX-Injected=3A_1?= <maria@cliente.test>`, "=?utf-8?Q?Pedido_42=0D=0ABcc:_vitima@evil.test?=",
			"crlf-1@cliente.test", "", "Meu pedido não chegou.")
		raw = []byte(strings.Replace(string(raw), "To: Suporte <suporte@acme.test>", "To: =?utf-8?Q?Suporte=0AACME?= <suporte@acme.test>", 1))
		e.accept(t, "crlf-1", raw)
		e.drain(t)
		tks, err := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
		if err != nil || len(tks) != 1 {
			t.Fatalf("tickets %v %v", tks, err)
		}
		tk := tks[0]
		msgs, err := e.st.ListMessages(ctx, e.co.ID, tk.ID)
		if err != nil || len(msgs) != 1 {
			t.Fatal(msgs, err)
		}
		contact, err := e.st.GetContact(ctx, e.co.ID, tk.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		m := msgs[0]
		for what, v := range map[string]string{"ticket subject": tk.Subject, "message subject": m.Subject, "from name": m.From.Name,
			"to name": m.To[0].Name, "contact name": contact.Name} {
			if strings.ContainsAny(v, "\r\n") {
				t.Fatalf("%s stored with a line break: %q", what, v)
			}
		}
		if tk.Subject != "Pedido 42 Bcc: vitima@evil.test" || m.From.Name != "Maria X-Injected: 1" {
			t.Fatalf("subject %q, from name %q", tk.Subject, m.From.Name)
		}
		out, err := reply.Compose(reply.Input{Channel: e.ch, Ticket: &tk, CompanyName: e.co.Name, Thread: msgs,
			Contact: model.Address{Name: contact.Name, Address: contact.Email}, Markdown: "Olá Maria, já verificamos.", Now: e.clk.Now()})
		if err != nil {
			t.Fatalf("reply: %v", err)
		}
		if len(out.Recipients) != 1 || out.Recipients[0] != "maria@cliente.test" {
			t.Fatalf("recipients %v", out.Recipients)
		}
	})
}
