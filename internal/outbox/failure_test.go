package outbox_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
)

func (e *env) notices(t *testing.T) []store.Notice {
	t.Helper()
	ns, err := e.st.ListNotices(ctx, e.ch.CompanyID, store.NoticeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func (e *env) requeue(t *testing.T, id int64) bool {
	t.Helper()
	var ok bool
	err := e.st.Tx(ctx, func(q store.Queries) error {
		m, err := q.GetMessage(ctx, e.ch.CompanyID, id)
		if err != nil {
			return err
		}
		ok, err = outbox.Requeue(ctx, q, m, e.clk.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// Issue 15 item 9: a permanent refusal is stored with its kind, tells the
// admins once, and "Tentar novamente" sends the same message (same
// Message-ID) again through the same job, idempotently.
func TestFailedSendNoticeOnceAndRetry(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.snd.fail = func(try int) error {
		if try <= 2 {
			return smtpErr{550, "5.1.1", "<cliente@example.com>: Recipient address rejected: User unknown"}
		}
		return nil
	}
	m := e.queue(t, 1)
	e.run(t)
	got := e.status(t, m.ID)
	kind, detail := outbox.ParseFailure(got.Error)
	if got.Status != model.MsgFailed || kind != outbox.FailRejected || !strings.Contains(detail, "User unknown") {
		t.Fatalf("message = %+v (kind %q)", got, kind)
	}
	ns := e.notices(t)
	if len(ns) != 1 || ns[0].Kind != outbox.NoticeSendFailed || ns[0].ChannelID != e.ch.ID ||
		!strings.Contains(ns[0].Body, "User unknown") || !strings.HasPrefix(ns[0].Link, "/tickets/") {
		t.Fatalf("notices = %+v", ns)
	}
	// Retry: the same message fails again — still one notice.
	if !e.requeue(t, m.ID) {
		t.Fatal("failed message not requeued")
	}
	if e.requeue(t, m.ID) {
		t.Fatal("requeued twice")
	}
	if got := e.status(t, m.ID); got.Status != model.MsgQueued || got.Error != "" {
		t.Fatalf("after retry: %+v", got)
	}
	e.run(t)
	if got := e.status(t, m.ID); got.Status != model.MsgFailed {
		t.Fatalf("second try: %+v", got)
	}
	if n := len(e.notices(t)); n != 1 {
		t.Fatalf("notices = %d, want one per message", n)
	}
	// Third try goes through, once, with the same Message-ID.
	e.requeue(t, m.ID)
	e.run(t)
	if got := e.status(t, m.ID); got.Status != model.MsgSent || got.Error != "" {
		t.Fatalf("after the third try: %+v", got)
	}
	if e.snd.tries != 3 || len(e.snd.sent) != 1 || e.snd.sent["Message-Id: <out-00001@acme.te"] != 1 {
		t.Fatalf("tries %d, delivered %v", e.snd.tries, e.snd.sent)
	}
	// A sent message is never requeued.
	if e.requeue(t, m.ID) {
		t.Fatal("a sent message was requeued")
	}
}

// Temporary failures are retried; when the attempts run out the message
// fails as "gave up" (not as a refusal).
func TestTemporaryFailuresGiveUp(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: e.snd, MaxAttempts: 3})
	e.snd.fail = func(int) error { return errors.New("dial tcp 127.0.0.1:25: connect: connection refused") }
	m := e.queue(t, 1)
	e.run(t)
	if kind, _ := outbox.ParseFailure(e.status(t, m.ID).Error); kind != outbox.FailRetrying || e.status(t, m.ID).Status != model.MsgQueued {
		t.Fatalf("after one try: %+v", e.status(t, m.ID))
	}
	for i := 0; i < 5; i++ {
		e.clk.Advance(2 * time.Hour)
		e.run(t)
	}
	got := e.status(t, m.ID)
	if kind, _ := outbox.ParseFailure(got.Error); got.Status != model.MsgFailed || kind != outbox.FailGaveUp {
		t.Fatalf("after the attempts: %+v", got)
	}
	if e.snd.tries != 3 || len(e.notices(t)) != 1 {
		t.Fatalf("tries %d notices %d", e.snd.tries, len(e.notices(t)))
	}
}

type connErr struct{ p *providers.Problem }

func (c connErr) Error() string                   { return "smtpout: temporary failure " + c.p.Message("en") }
func (c connErr) ConnProblem() *providers.Problem { return c.p }

// Issue 15 item 14: a relay without STARTTLS (default --relay-encryption
// starttls) fails the message at once with its own kind instead of
// retrying for a day with advice about ports 993/465.
func TestRelayWithoutStartTLSFailsAtOnce(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.ch.Outgoing = model.ConnInternal
	if err := e.st.UpdateChannel(ctx, e.ch); err != nil {
		t.Fatal(err)
	}
	e.snd.fail = func(int) error {
		return connErr{providers.New(providers.CodeStartTLSMissing, "smtp", "127.0.0.1:25", "", errors.New("smtp: server doesn't support STARTTLS"))}
	}
	m := e.queue(t, 1)
	e.run(t)
	got := e.status(t, m.ID)
	if kind, _ := outbox.ParseFailure(got.Error); got.Status != model.MsgFailed || kind != outbox.FailRelayStartTLS {
		t.Fatalf("message = %+v", got)
	}
	if e.snd.tries != 1 {
		t.Fatalf("tries = %d", e.snd.tries)
	}
}

func TestParseFailure(t *testing.T) {
	for in, want := range map[string][2]string{
		"[rejected] smtpout: permanent failure: 550 x": {"rejected", "smtpout: permanent failure: 550 x"},
		"550 5.1.1 user unknown":                       {"", "550 5.1.1 user unknown"},
		"[not a kind] x":                               {"", "[not a kind] x"},
	} {
		k, d := outbox.ParseFailure(in)
		if k != want[0] || d != want[1] {
			t.Errorf("%q → %q %q", in, k, d)
		}
	}
}
