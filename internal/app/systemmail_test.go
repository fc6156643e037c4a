package app

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// recordSender is an outbox.Sender that keeps what it was given.
type recordSender struct {
	ch   *model.Channel
	from string
	to   []string
	raw  string
}

func (r *recordSender) Send(_ context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	b, err := io.ReadAll(raw)
	r.ch, r.from, r.to, r.raw = ch, from, to, string(b)
	return err
}

// Without a relay, Atende's own mail goes through the company's first
// enabled channel that sends through its own mailbox, From its address;
// with no such channel it is not sent (and says why).
func TestSystemMailThroughFirstChannel(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	must(t, err)
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	rec := &recordSender{}
	m := newSystemMailer(st, nil, rec, "Atende <no-reply@inbound.test>", clk, discardLog())
	x := systemMail{companyID: co.ID, to: "ana@acme.test", subject: "Redefinir sua senha do Atende", text: "Olá, Ana.\n\nhttps://atende.test/password/reset/abc\n"}
	if err := m.send(ctx, x); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Fatalf("without channels: %v", err)
	}
	for i, c := range []model.Channel{
		{Slug: "interno", Name: "Interno", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: "t1",
			Settings: model.ChannelSettings{PrimaryEmail: "interno@acme.test"}},
		{Slug: "off", Name: "Desligado", Enabled: false, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "t2",
			Settings: model.ChannelSettings{PrimaryEmail: "off@acme.test"}},
		{Slug: "suporte", Name: "Suporte ACME", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal, InboundToken: "t3",
			Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}},
	} {
		c.CompanyID = co.ID
		must(t, st.CreateChannel(ctx, &c))
		_ = i
	}
	must(t, m.send(ctx, x))
	if rec.ch == nil || rec.ch.Slug != "suporte" || rec.from != "suporte@acme.test" || len(rec.to) != 1 || rec.to[0] != "ana@acme.test" {
		t.Fatalf("sent through %+v from %s to %v", rec.ch, rec.from, rec.to)
	}
	for _, want := range []string{"From: \"Suporte ACME\" <suporte@acme.test>", "To: <ana@acme.test>", "Subject: Redefinir sua senha do Atende",
		"Content-Transfer-Encoding: quoted-printable", "Auto-Submitted: auto-generated", "Ol=C3=A1, Ana."} {
		if !strings.Contains(rec.raw, want) {
			t.Fatalf("mail lacks %q:\n%s", want, rec.raw)
		}
	}
	// Queue never blocks: a full queue refuses.
	for i := 0; i < cap(m.queue); i++ {
		must(t, m.Queue(ctx, co.ID, "a@b.test", "s", "t"))
	}
	if err := m.Queue(ctx, co.ID, "a@b.test", "s", "t"); err == nil {
		t.Fatal("a full queue took more")
	}
	// Run sends what is queued and stops when its context ends.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	waitFor(t, 5*time.Second, "queue drained", func() bool { return len(m.queue) == 0 })
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}
