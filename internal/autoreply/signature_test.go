package autoreply_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/atende-helpdesk/atende/internal/mailparse"
)

// Issue 15 item 2: the channel's signature typed as plain lines keeps
// its lines in both alternatives of the automatic message.
func TestInitialMessageSignatureLines(t *testing.T) {
	h := newHelpdesk(t, "suporte@acme.test")
	h.ch.Settings.Signature = "Equipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922"
	if err := h.st.UpdateChannel(ctx, h.ch); err != nil {
		t.Fatal(err)
	}
	out := h.receive(t, mail("Maria <maria@cliente.com>", "Pedido", "", 1))
	if len(out) != 1 {
		t.Fatalf("auto-replies = %d", len(out))
	}
	m, err := mailparse.Parse(bytes.NewReader(out[0]), mailparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.TextBody, "Equipe de Suporte\nLoja Exemplo Ltda\n(11) 4002-8922") {
		t.Fatalf("text part:\n%s", m.TextBody)
	}
	if !strings.Contains(m.HTMLBody, "Equipe de Suporte<br") || !strings.Contains(m.HTMLBody, "Loja Exemplo Ltda<br") {
		t.Fatalf("html part:\n%s", m.HTMLBody)
	}
}
