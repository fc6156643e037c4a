package outbox_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
)

func (e *env) timeline(t *testing.T) []store.Activity {
	t.Helper()
	acts, err := e.st.ListActivity(ctx, e.ch.CompanyID, e.tk.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	return acts
}

// queueAuto stores an automatic reply (as internal/autoreply does) and
// its send job.
func (e *env) queueAuto(t *testing.T, i int) *model.Message {
	t.Helper()
	raw := fmt.Sprintf("From: suporte@acme.test\r\nTo: cliente@example.com\r\nMessage-Id: <auto-%05d@acme.test>\r\nSubject: R\r\n\r\nrecebemos\r\n", i)
	key, size, err := e.bl.Put(ctx, bytes.NewReader([]byte(raw)), 0)
	if err != nil {
		t.Fatal(err)
	}
	m := &model.Message{CompanyID: e.ch.CompanyID, TicketID: e.tk.ID, ChannelID: e.ch.ID, Direction: model.DirOut, Status: model.MsgQueued,
		From: model.Address{Address: "suporte@acme.test"}, To: []model.Address{{Address: "cliente@example.com"}},
		MessageID: fmt.Sprintf("auto-%05d@acme.test", i), RawKey: key, Size: size, Flags: model.FlagAutoReply}
	if err := e.st.Tx(ctx, func(q store.Queries) error {
		if err := q.CreateMessage(ctx, m); err != nil {
			return err
		}
		return outbox.Enqueue(ctx, q, m)
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDeliveryOnTimeline (issue 16): a temporary failure is a retry on
// the ticket's timeline, a permanent one a failure, and an automatic
// reply that went out "auto-reply sent"; ordinary deliveries add nothing.
func TestDeliveryOnTimeline(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	e.snd.fail = func(try int) error {
		switch try {
		case 1:
			return errors.New("dial tcp 127.0.0.1:25: connect: connection refused")
		case 3:
			return smtpErr{550, "5.1.1", "User unknown"}
		}
		return nil
	}
	m := e.queue(t, 1)
	e.run(t)
	e.clk.Advance(time.Hour)
	e.run(t) // delivered on the second try
	m2 := e.queue(t, 2)
	e.run(t) // refused for good
	auto := e.queueAuto(t, 3)
	e.run(t)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	acts := e.timeline(t)
	if len(acts) != 3 || acts[0].Kind != store.ActivityDeliveryRetry || acts[0].Data["message"] != id(m.ID) || acts[0].ActorID != 0 ||
		acts[1].Kind != store.ActivityDeliveryFailed || acts[1].Data["message"] != id(m2.ID) || acts[1].Data["reason"] != outbox.FailRejected ||
		acts[2].Kind != store.ActivityAutoReply || acts[2].Data["message"] != id(auto.ID) {
		t.Fatalf("timeline %+v", acts)
	}
}
