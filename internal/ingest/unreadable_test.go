package ingest_test

import (
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
)

// TestUnreadableMailBecomesTicketMessage checks that mail the parser cannot
// fully read (no header at all, binary junk, a multipart whose boundary
// never appears, an empty body) still becomes a ticket message showing its
// readable text, marked partial, with the raw bytes kept, and never a failed
// row that hides it.
func TestUnreadableMailBecomesTicketMessage(t *testing.T) {
	cases := []struct {
		name, raw, text, warning string
	}{
		{"no header", "Bom dia, preciso da segunda via do boleto.\nPedido 4411.\n",
			"Bom dia, preciso da segunda via do boleto.\nPedido 4411.", "no header found"},
		{"binary junk", "\x00\x01\x02 not mail \xff\xfe",
			"\x01\x02 not mail ÿþ", "no header found"}, // NUL dropped (PostgreSQL refuses it)
		{"boundary never found", "From: Ana <ana@example.com>\r\nTo: suporte@acme.test\r\nSubject: Anexo\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"nunca\"\r\n\r\nO texto continua legível.\r\n",
			"O texto continua legível.", "boundary of multipart/mixed not found"},
	}
	dialects(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			res := e.accept(t, "unreadable-"+c.name, []byte(c.raw))
			e.drain(t)
			in, err := e.st.GetInbound(ctx, e.co.ID, res.InboundID)
			if err != nil {
				t.Fatal(err)
			}
			if in.State != model.InboundDone || in.MessageID == 0 {
				t.Fatalf("%s: row state %s, message %d, error %q", c.name, in.State, in.MessageID, in.LastError)
			}
			m, err := e.st.GetMessage(ctx, e.co.ID, in.MessageID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != c.text || m.ReplyText == "" {
				t.Errorf("%s: text %q, reply text %q; want %q", c.name, m.Text, m.ReplyText, c.text)
			}
			if !strings.Contains(m.Meta["partial"], c.warning) {
				t.Errorf("%s: meta partial = %q, want it to mention %q", c.name, m.Meta["partial"], c.warning)
			}
			if ok, _ := e.blobs.Exists(ctx, m.RawKey); !ok || m.RawKey != in.RawKey {
				t.Errorf("%s: raw message not kept for download", c.name)
			}
			if m.TicketID == 0 {
				t.Errorf("%s: no ticket", c.name)
			}
		}
	})
}

// TestDedupeKeyOfHeaderlessMail checks that two different messages without
// a header get different keys (their lines are text, not ignored header
// junk), while the same one delivered twice keeps its key.
func TestDedupeKeyOfHeaderlessMail(t *testing.T) {
	key := func(s string) string {
		k, err := ingest.DedupeKey(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	a, b := key("Preciso do boleto.\nPedido 4411.\n"), key("Cancelem o pedido 5531.\n")
	if a == b {
		t.Fatal("two headerless messages share a dedupe key")
	}
	if a != key("Preciso do boleto.\r\nPedido 4411.\r\n") {
		t.Fatal("line endings changed the key")
	}
}
