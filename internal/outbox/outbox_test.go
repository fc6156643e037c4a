package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var ctx = context.Background()

// fakeSender records deliveries; fail decides the error for each try.
type fakeSender struct {
	mu    sync.Mutex
	sent  map[string]int // Message-ID header → deliveries
	tries int
	fail  func(try int) error
}

func (f *fakeSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	b, _ := io.ReadAll(raw)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if f.fail != nil {
		if err := f.fail(f.tries); err != nil {
			return err
		}
	}
	if f.sent == nil {
		f.sent = map[string]int{}
	}
	i := bytes.Index(b, []byte("Message-Id: <"))
	f.sent[string(b[i:i+30])]++
	return nil
}

type env struct {
	st  store.Store
	bl  *blob.FS
	svc *outbox.Service
	ch  *model.Channel
	tk  *model.Ticket
	clk *clock.Fake
	snd *fakeSender
}

func newEnv(t *testing.T, kind model.AccountKind, quota int) *env { return newEnvTB(t, kind, quota) }

func newEnvB(b *testing.B) *env { return newEnvTB(b, model.AccountBusiness, -1) }

func newEnvTB(t testing.TB, kind model.AccountKind, quota int) *env {
	dir := t.TempDir()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bl, _ := blob.NewFS(filepath.Join(dir, "blobs"))
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(ctx, co)
	ch := &model.Channel{CompanyID: co.ID, Slug: "c", Name: "C", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
		InboundToken: "t", Settings: model.ChannelSettings{FromEmail: "suporte@acme.test", AccountKind: kind, DailyQuota: quota}}
	st.CreateChannel(ctx, ch)
	c, _ := st.UpsertContact(ctx, co.ID, "cliente@example.com", "")
	tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: c.ID, Subject: "S", ReplyToken: "tok"}
	st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) })
	snd := &fakeSender{}
	svc := outbox.New(st, bl, clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: snd})
	return &env{st: st, bl: bl, svc: svc, ch: ch, tk: tk, clk: clk, snd: snd}
}

func (e *env) queueB(b *testing.B, i int) *model.Message { return e.queueTB(b, i) }

// queue stores an outbound message and its send job in one transaction.
func (e *env) queue(t *testing.T, i int) *model.Message { return e.queueTB(t, i) }

func (e *env) queueTB(t testing.TB, i int) *model.Message {
	raw := fmt.Sprintf("From: suporte@acme.test\r\nTo: cliente@example.com\r\nMessage-Id: <out-%05d@acme.test>\r\nSubject: R\r\n\r\nresposta %d\r\n", i, i)
	key, size, err := e.bl.Put(ctx, bytes.NewReader([]byte(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Message{CompanyID: e.ch.CompanyID, TicketID: e.tk.ID, ChannelID: e.ch.ID, Direction: model.DirOut, Status: model.MsgQueued,
		From: model.Address{Address: "suporte@acme.test"}, To: []model.Address{{Address: "cliente@example.com"}},
		Bcc: []model.Address{{Address: "arquivo@acme.test"}}, MessageID: fmt.Sprintf("out-%05d@acme.test", i), RawKey: key, Size: size}
	err = e.st.Tx(ctx, func(q store.Queries) error {
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		return outbox.Enqueue(ctx, q, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (e *env) run(t *testing.T) {
	for i := 0; i < 1000; i++ {
		n, err := e.svc.ProcessDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func (e *env) status(t *testing.T, id int64) model.Message {
	m, err := e.st.GetMessage(ctx, e.ch.CompanyID, id)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

func TestDailyQuota30RepliesWith25(t *testing.T) {
	e := newEnv(t, model.AccountPersonal, 0) // personal: default quota 25
	var msgs []*model.Message
	for i := 0; i < 30; i++ {
		msgs = append(msgs, e.queue(t, i))
	}
	e.run(t)
	sent := 0
	for _, m := range msgs {
		if e.status(t, m.ID).Status == model.MsgSent {
			sent++
		}
	}
	if sent != 25 || len(e.snd.sent) != 25 {
		t.Fatalf("sent %d (sender saw %d), want 25", sent, len(e.snd.sent))
	}
	st, err := e.svc.ChannelStatus(ctx, e.ch)
	if err != nil {
		t.Fatal(err)
	}
	if !st.LimitReached() || st.Queued != 5 || st.String() != "daily limit reached: 5 queued, sending resumes at 00:00" {
		t.Fatalf("status = %+v %q", st, st.String())
	}
	// Still the same day: nothing more goes out.
	e.clk.Advance(10 * time.Hour)
	e.run(t)
	if len(e.snd.sent) != 25 {
		t.Fatalf("sent past the quota: %d", len(e.snd.sent))
	}
	// Next day: the 5 queued ones are sent, each exactly once.
	e.clk.Advance(6 * time.Hour)
	e.run(t)
	if len(e.snd.sent) != 30 {
		t.Fatalf("after the window: %d sent", len(e.snd.sent))
	}
	for id, n := range e.snd.sent {
		if n != 1 {
			t.Fatalf("%s sent %d times", id, n)
		}
	}
	st, _ = e.svc.ChannelStatus(ctx, e.ch)
	if st.Queued != 0 || st.SentToday != 5 {
		t.Fatalf("next day status = %+v", st)
	}
}

func waitingJob(t *testing.T, e *env) int64 {
	t.Helper()
	// Peek two days ahead, then come back.
	now := e.clk.Now()
	e.clk.Set(now.Add(48 * time.Hour))
	jobs, err := e.st.ClaimJobs(ctx, []string{outbox.JobKind}, time.Nanosecond, 10)
	e.clk.Set(now)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs = %v %v", jobs, err)
	}
	// Give back the attempt this peek counted.
	if err := e.st.PostponeJob(ctx, jobs[0].ID, jobs[0].RunAt); err != nil {
		t.Fatal(err)
	}
	return jobs[0].ID
}

// Waiting for the quota day after day never uses up the attempts that
// temporary failures are counted against.
func TestQuotaWaitsDoNotCountAsAttempts(t *testing.T) {
	e := newEnv(t, model.AccountPersonal, 1)
	e.queue(t, 0)
	m := e.queue(t, 1)
	e.run(t) // message 0 uses the day's quota
	for try := 0; try < 30; try++ {
		e.clk.Advance(10 * time.Minute) // same day: message 1 waits again
		// Make the postponed job due now, as a restart or a long wait would.
		if err := e.st.PostponeJob(ctx, waitingJob(t, e), e.clk.Now()); err != nil {
			t.Fatal(err)
		}
		e.run(t)
	}
	e.clk.Advance(48 * time.Hour)
	jobs, err := e.st.ClaimJobs(ctx, []string{outbox.JobKind}, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Attempts != 1 {
		t.Fatalf("waiting job = %+v (attempts must not grow while waiting)", jobs)
	}
	if got := e.status(t, m.ID); got.Status != model.MsgQueued {
		t.Fatalf("waiting message = %s", got.Status)
	}
}

type smtpErr struct {
	code     int
	enhanced string
	text     string
}

func (e smtpErr) Error() string { return fmt.Sprintf("%d %s %s", e.code, e.enhanced, e.text) }
func (e smtpErr) SMTPStatus() (int, string, string) {
	return e.code, e.enhanced, e.text
}

func TestTemporaryErrorsRetryThenDeliverOnce(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.snd.fail = func(try int) error {
		if try == 1 {
			return errors.New("dial tcp 127.0.0.1:25: connect: connection refused")
		}
		if try == 2 {
			return smtpErr{451, "4.3.0", "try again later"}
		}
		return nil
	}
	m := e.queue(t, 1)
	e.run(t)
	if got := e.status(t, m.ID); got.Status != model.MsgQueued || got.Error == "" {
		t.Fatalf("after a refused connection: %+v", got)
	}
	for i := 0; i < 3; i++ {
		e.clk.Advance(time.Hour) // past any backoff
		e.run(t)
	}
	if got := e.status(t, m.ID); got.Status != model.MsgSent || got.Error != "" {
		t.Fatalf("after retries: %+v", got)
	}
	if e.snd.tries != 3 || len(e.snd.sent) != 1 {
		t.Fatalf("tries=%d delivered=%d", e.snd.tries, len(e.snd.sent))
	}
}

func TestPermanentFailureShowsServerText(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.snd.fail = func(int) error {
		return smtpErr{550, "5.1.1", "<cliente@example.com>: Recipient address rejected: User unknown"}
	}
	m := e.queue(t, 1)
	e.run(t)
	e.clk.Advance(2 * time.Hour)
	e.run(t)
	got := e.status(t, m.ID)
	if got.Status != model.MsgFailed || got.Error == "" || !bytes.Contains([]byte(got.Error), []byte("User unknown")) {
		t.Fatalf("message = %+v", got)
	}
	if e.snd.tries != 1 {
		t.Fatalf("a 5xx was retried: %d tries", e.snd.tries)
	}
}

func TestProviderLimitPausesChannel(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.snd.fail = func(try int) error {
		if try == 1 {
			return smtpErr{550, "5.4.5", "Daily user sending limit exceeded"}
		}
		return nil
	}
	m1, m2 := e.queue(t, 1), e.queue(t, 2)
	e.run(t)
	for _, m := range []*model.Message{m1, m2} {
		if got := e.status(t, m.ID); got.Status != model.MsgQueued {
			t.Fatalf("message failed instead of waiting: %+v", got)
		}
	}
	st, _ := e.svc.ChannelStatus(ctx, e.ch)
	if st.Paused == "" || st.Queued != 2 {
		t.Fatalf("status = %+v", st)
	}
	if e.snd.tries != 1 {
		t.Fatalf("kept sending into a paused channel: %d", e.snd.tries)
	}
	e.clk.Advance(16 * time.Hour) // next day
	e.run(t)
	if e.status(t, m1.ID).Status != model.MsgSent || e.status(t, m2.ID).Status != model.MsgSent {
		t.Fatal("not resumed the next day")
	}
}

func TestEnqueueIsIdempotentAndEnvelopeHasBcc(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	var rcpts []string
	e.snd.fail = nil
	m := e.queue(t, 1)
	// Enqueuing the same message again (a retried API call) adds no job.
	if err := e.st.Tx(ctx, func(q store.Queries) error { return outbox.Enqueue(ctx, q, m) }); err != nil {
		t.Fatal(err)
	}
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: senderFunc(func(to []string) { rcpts = to })})
	e.run(t)
	if fmt.Sprint(rcpts) != "[cliente@example.com arquivo@acme.test]" {
		t.Fatalf("envelope = %v", rcpts)
	}
	n := 0
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: senderFunc(func([]string) { n++ })})
	e.clk.Advance(time.Hour)
	e.run(t)
	if n != 0 {
		t.Fatal("sent twice")
	}
}

type senderFunc func(to []string)

func (f senderFunc) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	f(to)
	return nil
}
