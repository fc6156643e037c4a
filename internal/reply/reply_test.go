package reply

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/mailparse"
	"github.com/atende-helpdesk/atende/internal/model"
)

func fixture() Input {
	ch := &model.Channel{Name: "Suporte ACME", Settings: model.ChannelSettings{
		FromName: "ACME Suporte", FromEmail: "suporte@acme.com.br", PrimaryEmail: "suporte@acme.com.br",
		AdditionalEmails: []string{"atendimento@acme.com.br"},
		Signature:        "<p><b>Equipe {{channel.name}}</b><br>Atendimento #{{ticket.number}}</p>",
	}}
	tk := &model.Ticket{Number: 42, Subject: "Pedido atrasado", ReplyToken: "abcdefghijklmnopqrstuvwx"}
	date := time.Date(2024, 6, 5, 10, 0, 0, 0, time.UTC)
	thread := []model.Message{
		{Direction: model.DirIn, From: model.Address{Name: "Maria", Address: "maria@cliente.com"},
			To: []model.Address{{Address: "suporte@acme.com.br"}}, Cc: []model.Address{{Name: "João", Address: "joao@cliente.com"}, {Address: "atendimento@acme.com.br"}},
			MessageID: "m1@cliente.com", Date: date, Text: "Meu pedido não chegou.\nPodem ver?", HTML: "<p>Meu pedido não chegou.</p>"},
		{Direction: model.DirNote, Text: "nota interna: verificar transportadora"},
		{Direction: model.DirIn, From: model.Address{Name: "Maria", Address: "maria@cliente.com"},
			To: []model.Address{{Address: "suporte@acme.com.br"}}, Cc: []model.Address{{Address: "Joao@Cliente.com"}, {Address: "financeiro@cliente.com"}},
			MessageID: "m2@cliente.com", References: []string{"m1@cliente.com"}, Date: date.Add(time.Hour), Text: "Alguma novidade?"},
	}
	return Input{Channel: ch, Ticket: tk, Thread: thread, Contact: model.Address{Address: "maria@cliente.com"},
		Markdown: "Olá Maria,\n\nSeu pedido **saiu** hoje.", Now: date.Add(2 * time.Hour)}
}

func parse(t *testing.T, raw []byte) *mailparse.Message {
	t.Helper()
	m, err := mailparse.Parse(bytes.NewReader(raw), mailparse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestComposeReplyHeadersAndRecipients(t *testing.T) {
	in := fixture()
	in.SubjectTag = true
	in.Channel.Settings.CarbonCopy = "arquivo@acme.com.br"
	in.Bcc = []model.Address{{Address: "gerente@acme.com.br"}}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	m := parse(t, out.Raw)
	if m.From.Address != "suporte@acme.com.br" || m.From.Name != "ACME Suporte" {
		t.Errorf("from = %+v", m.From)
	}
	if len(m.To) != 1 || m.To[0].Address != "maria@cliente.com" {
		t.Errorf("to = %+v", m.To)
	}
	// CC keeps everyone else on the thread, minus our own addresses and duplicates.
	var cc []string
	for _, a := range m.Cc {
		cc = append(cc, a.Address)
	}
	if strings.Join(cc, ",") != "joao@cliente.com,financeiro@cliente.com" {
		t.Errorf("cc = %v", cc)
	}
	if m.Subject != "Re: Pedido atrasado [#42]" {
		t.Errorf("subject = %q", m.Subject)
	}
	if len(m.InReplyTo) != 1 || m.InReplyTo[0] != "m2@cliente.com" || strings.Join(m.References, " ") != "m1@cliente.com m2@cliente.com" {
		t.Errorf("threading = %v %v", m.InReplyTo, m.References)
	}
	if !strings.HasSuffix(m.MessageID, "@acme.com.br") || m.MessageID != out.MessageID {
		t.Errorf("message-id = %q", m.MessageID)
	}
	// Hidden copies are in the envelope only.
	if bytes.Contains(out.Raw, []byte("arquivo@acme.com.br")) || bytes.Contains(out.Raw, []byte("gerente@")) || bytes.Contains(out.Raw, []byte("Bcc:")) {
		t.Error("a hidden recipient leaked into the headers")
	}
	if strings.Join(out.Recipients, ",") != "maria@cliente.com,joao@cliente.com,financeiro@cliente.com,gerente@acme.com.br,arquivo@acme.com.br" {
		t.Errorf("envelope = %v", out.Recipients)
	}
	if !strings.Contains(m.HTMLBody, "<strong>saiu</strong>") || !strings.Contains(m.TextBody, "Seu pedido saiu hoje.") {
		t.Errorf("bodies: %q / %q", m.HTMLBody, m.TextBody)
	}
	if strings.Contains(m.TextBody, "nota interna") || strings.Contains(m.HTMLBody, "nota interna") {
		t.Error("an internal note was sent")
	}
}

func TestSignaturePriority(t *testing.T) {
	in := fixture()
	out, _ := Compose(in)
	if !strings.Contains(out.Text, "-- \nEquipe Suporte ACME\nAtendimento #42") || !strings.Contains(out.HTML, "<b>Equipe Suporte ACME</b>") {
		t.Fatalf("channel signature: %q", out.Text)
	}
	in.Agent = &model.Agent{Name: "Ana Souza", Signature: "<p>{{agent.name}} — ACME</p>"}
	out, _ = Compose(in)
	if !strings.Contains(out.Text, "-- \nAna Souza — ACME") || strings.Contains(out.Text, "Equipe") {
		t.Fatalf("personal signature must win: %q", out.Text)
	}
	in.Agent.Signature = "   "
	out, _ = Compose(in)
	if !strings.Contains(out.Text, "Equipe Suporte ACME") {
		t.Fatalf("blank personal signature falls back to the channel's: %q", out.Text)
	}
	in.Channel.Settings.Signature = `<p onclick="x()">Oi<script>alert(1)</script></p>`
	out, _ = Compose(in)
	if strings.Contains(out.HTML, "script") || strings.Contains(out.HTML, "onclick") {
		t.Fatalf("signature not sanitized: %s", out.HTML)
	}
}

func TestQuoteAndNoQuote(t *testing.T) {
	in := fixture()
	in.Channel.Settings.ShowQuote = true
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.Text, "Em 05/06/2024 11:00, Maria <maria@cliente.com> escreveu:\n> Alguma novidade?") {
		t.Fatalf("text quote: %q", out.Text)
	}
	if !strings.Contains(out.HTML, `<blockquote type="cite"`) || !strings.Contains(out.HTML, "Alguma novidade?") {
		t.Fatalf("html quote: %s", out.HTML)
	}
	in.Language = "en"
	out, _ = Compose(in)
	if !strings.Contains(out.Text, "On Wed, Jun 5, 2024 at 11:00, Maria <maria@cliente.com> wrote:") {
		t.Fatalf("english header: %q", out.Text)
	}
	no := false
	in.Quote = &no
	out, _ = Compose(in)
	if strings.Contains(out.Text, "Alguma novidade") || strings.Contains(out.HTML, "blockquote") {
		t.Fatalf("no quote still quotes: %q", out.Text)
	}
	in.Quote = nil
	in.Channel.Settings.ShowQuote = false
	out, _ = Compose(in)
	if strings.Contains(out.Text, "> ") {
		t.Fatalf("channel 'no quote' still quotes: %q", out.Text)
	}
}

func TestHeaderInjectionRejected(t *testing.T) {
	cases := map[string]func(*Input){
		"subject":      func(in *Input) { in.Subject = "Oi\r\nBcc: vitima@x.com" },
		"to name":      func(in *Input) { in.To = []model.Address{{Name: "X\nBcc: v@x.com", Address: "a@b.com"}} },
		"cc address":   func(in *Input) { in.Cc = []model.Address{{Address: "a@b.com\r\nBcc: v@x.com"}} },
		"bad address":  func(in *Input) { in.Bcc = []model.Address{{Address: "not an address"}} },
		"from name":    func(in *Input) { in.Channel.Settings.FromName = "ACME\r\nX-Evil: 1" },
		"no from":      func(in *Input) { in.Channel.Settings.FromEmail, in.Channel.Settings.PrimaryEmail = "", "" },
		"attach name":  func(in *Input) { in.Attachments = []Attachment{{Filename: "a\r\n.pdf", Open: openString("x")}} },
		"no recipient": func(in *Input) { in.To = []model.Address{}; in.Cc = []model.Address{} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			in := fixture()
			mutate(&in)
			_, err := Compose(in)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func openString(s string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func TestAttachmentsAndAutoReply(t *testing.T) {
	in := fixture()
	in.Attachments = []Attachment{{Filename: "nota fiscal.pdf", Open: openString("%PDF-1.4 fake")}}
	out, err := Compose(in)
	if err != nil {
		t.Fatal(err)
	}
	var got mailparse.Attachment
	m, err := mailparse.Parse(bytes.NewReader(out.Raw), mailparse.Options{Sink: func(a mailparse.Attachment, r io.Reader) (string, int64, error) {
		b, _ := io.ReadAll(r)
		got = a
		return "k", int64(len(b)), nil
	}})
	if err != nil || len(m.Attachments) != 1 || got.Filename != "nota fiscal.pdf" || m.Attachments[0].Size != int64(len("%PDF-1.4 fake")) {
		t.Fatalf("attachment: %v %+v", err, m.Attachments)
	}
	in = fixture()
	in.Auto = true
	in.Markdown = "Recebemos sua mensagem."
	out, _ = Compose(in)
	m = parse(t, out.Raw)
	if !m.AutoSubmitted || !bytes.Contains(out.Raw, []byte("X-Auto-Response-Suppress: All")) || !bytes.Contains(out.Raw, []byte("Auto-Submitted: auto-replied")) {
		t.Fatalf("auto headers missing:\n%s", out.Raw)
	}
}

func TestReferencesBounded(t *testing.T) {
	in := fixture()
	var refs []string
	for i := 0; i < 60; i++ {
		refs = append(refs, "r"+strings.Repeat("x", i%5)+string(rune('a'+i%26))+"@x")
	}
	in.Thread[2].References = refs
	out, _ := Compose(in)
	if len(out.Refs) != MaxReferences || out.Refs[0] != refs[0] || out.Refs[MaxReferences-1] != "m2@cliente.com" {
		t.Fatalf("refs = %d %v", len(out.Refs), out.Refs)
	}
}

// Issue #13, items 8, 9 and 13 on the composing side (each failed
// before): a ticket subject or a thread name with a line break (stored by
// an older version from an encoded header) no longer makes every reply
// fail; the channel's secret inbound address, which the customer wrote to
// directly, is not copied; an IP-literal recipient on the thread is left
// out of the defaults and refused when the agent types it.
func TestRepliesSurviveHostileThreads(t *testing.T) {
	in := fixture()
	in.Channel.InboundToken = "k3v9q2xw7mbt4zpa"
	in.Ticket.Subject = "Pedido\r\nBcc: vitima@evil.test"
	in.Thread[2].From.Name = "Maria\r\nX-Injected: 1"
	in.Thread[2].To = append(in.Thread[2].To, model.Address{Address: "acme-k3v9q2xw7mbt4zpa@inbound.atende.test"},
		model.Address{Address: "Acme-K3V9Q2XW7MBT4ZPA+detail@inbound.atende.test"})
	in.Thread[2].Cc = append(in.Thread[2].Cc, model.Address{Name: "Loop\nBack", Address: "x@[127.0.0.1]"}, model.Address{Address: "y@10.0.0.1"})
	out, err := Compose(in)
	if err != nil {
		t.Fatalf("reply to a hostile thread: %v", err)
	}
	if out.Subject != "Re: Pedido Bcc: vitima@evil.test" || strings.Contains(string(out.Raw), "\nX-Injected") || strings.Contains(string(out.Raw), "\nBcc:") {
		t.Fatalf("subject %q\n%s", out.Subject, out.Raw)
	}
	for _, r := range out.Recipients {
		if strings.Contains(strings.ToLower(r), "k3v9q2xw7mbt4zpa") || strings.Contains(r, "127.0.0.1") || strings.Contains(r, "10.0.0.1") || r == "vitima@evil.test" {
			t.Fatalf("recipient %q in %v", r, out.Recipients)
		}
	}
	m := parse(t, out.Raw)
	if len(m.Bcc) != 0 || m.To[0].Name != "Maria X-Injected: 1" {
		t.Fatalf("to %+v bcc %+v", m.To, m.Bcc)
	}
	// Typed by the agent: a clear error.
	for _, bad := range []string{"x@[127.0.0.1]", "x@127.0.0.1", "x@[IPv6:::1]", "x@localhost"} {
		in := fixture()
		in.Cc = []model.Address{{Address: bad}}
		if _, err := Compose(in); !errors.Is(err, ErrInvalid) {
			t.Fatalf("Cc %s: %v", bad, err)
		}
	}
}
