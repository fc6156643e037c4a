package outbox

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Health receives each failure and success of a channel's sending
// (*alerts.Monitor): cause "relay" for channels sending through the
// relay, "sending" for their own SMTP server. It logs the first failure
// of a streak, so the outbox logs no line per attempt.
type Health interface {
	Fail(ctx context.Context, companyID, channelID int64, cause, detail string) bool
	OK(ctx context.Context, companyID, channelID int64, cause string)
}

// SetHealth sets where sending failures and recoveries are reported; call
// it before Run.
func (s *Service) SetHealth(h Health) { s.health = h }

func sendCause(ch *model.Channel) string {
	if ch.Outgoing == model.ConnInternal {
		return "relay"
	}
	return "sending"
}

// Delays between tries of a channel whose server does not answer: every
// queued message waits for the next try (a probe) instead of counting an
// attempt of its own, so an outage of any length costs no message its
// attempts, and the queue moves within probeMax of the server's return.
const (
	probeMin = 500 * time.Millisecond
	probeMax = 5 * time.Second
)

// breaker remembers, per channel, that its server did not answer and when
// to try again.
type breaker struct {
	mu   sync.Mutex
	down map[int64]*probe
}

type probe struct {
	at    time.Time
	delay time.Duration
}

// wait reports when a message of the channel may next be tried (zero: now).
func (b *breaker) wait(channelID int64, now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.down[channelID]
	if p == nil || !now.Before(p.at) {
		return time.Time{}
	}
	// spread the waiting messages over a short window after the probe
	return p.at.Add(rand.N(probeMin))
}

// fail records that the channel's server did not answer; it returns the
// time of the next try.
func (b *breaker) fail(channelID int64, now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down == nil {
		b.down = map[int64]*probe{}
	}
	p := b.down[channelID]
	if p == nil {
		p = &probe{delay: probeMin}
		b.down[channelID] = p
	} else if !now.Before(p.at) {
		p.delay = min(p.delay*2, probeMax)
	}
	p.at = now.Add(p.delay)
	return p.at
}

func (b *breaker) ok(channelID int64) {
	b.mu.Lock()
	delete(b.down, channelID)
	b.mu.Unlock()
}

// unreachable says the error is the server not answering (refused, timed
// out, cut), as opposed to a reply about this message.
func unreachable(err error) bool {
	var cp ConnProblem
	if errors.As(err, &cp) && cp.ConnProblem() != nil {
		return providers.Unreachable(cp.ConnProblem())
	}
	return providers.Unreachable(providers.NetProblem("smtp", "", "", err))
}
