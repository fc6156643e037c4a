package outbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
)

type healthRec struct {
	mu    sync.Mutex
	fails int
	first int
	oks   int
}

func (h *healthRec) Fail(ctx context.Context, companyID, channelID int64, cause, detail string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails++
	if h.fails == 1 || h.oks > 0 {
		h.first++
	}
	return true
}

func (h *healthRec) OK(ctx context.Context, companyID, channelID int64, cause string) {
	h.mu.Lock()
	h.oks++
	h.mu.Unlock()
}

// A relay that refuses connections for a long outage: the queued
// replies wait for the channel's next try (every few seconds at most)
// without using up their attempts, and all go out, once each, within
// seconds of the relay's return; the outage is reported as one streak.
func TestRelayOutageCostsNoAttempts(t *testing.T) {
	e := newEnv(t, model.AccountBusiness, 0)
	h := &healthRec{}
	e.svc = outbox.New(e.st, e.bl, e.clk, slog.New(slog.DiscardHandler), outbox.Config{Sender: e.snd, MaxAttempts: 3})
	e.svc.SetHealth(h)
	var down sync.Mutex
	relayDown := true
	e.snd.fail = func(int) error {
		down.Lock()
		defer down.Unlock()
		if relayDown {
			return fmt.Errorf("dial relay: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
		}
		return nil
	}
	var msgs []*model.Message
	for i := 0; i < 20; i++ {
		msgs = append(msgs, e.queue(t, i))
	}
	// Ten minutes of outage (past the 3 attempts many times over).
	for i := 0; i < 20; i++ {
		e.run(t)
		e.clk.Advance(30 * time.Second)
	}
	tries := e.snd.tries
	if tries > 400 {
		t.Fatalf("%d tries in ten minutes of outage for 20 messages: the channel is hammered", tries)
	}
	down.Lock()
	relayDown = false
	down.Unlock()
	// Back: within the longest probe delay everything goes.
	e.clk.Advance(6 * time.Second)
	e.run(t)
	e.clk.Advance(time.Second)
	e.run(t)
	for _, m := range msgs {
		if got := e.status(t, m.ID); got.Status != model.MsgSent {
			t.Fatalf("message %d after the relay is back: %s %q", m.ID, got.Status, got.Error)
		}
	}
	for id, n := range e.snd.sent {
		if n != 1 {
			t.Fatalf("%s delivered %d times", id, n)
		}
	}
	if h.first != 1 || h.oks == 0 {
		t.Fatalf("health: %d streaks begun, %d oks; want one streak, then ok", h.first, h.oks)
	}
}
