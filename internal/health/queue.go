package health

import (
	"context"
	"fmt"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// QueueSource is the store's view of its queues (store.Store has it).
type QueueSource interface {
	QueueStats(ctx context.Context) ([]store.QueueStats, error)
}

// QueueAge fails when the oldest pending row of one of Queues is older
// than Max: mail is stored but nobody turns it into tickets.
type QueueAge struct {
	Src    QueueSource
	Queues []string // e.g. "inbound"
	Max    time.Duration
	Now    func() time.Time
}

// Check is the readiness check.
func (q QueueAge) Check(ctx context.Context) error {
	stats, err := q.Src.QueueStats(ctx)
	if err != nil {
		return fmt.Errorf("queue stats: %w", err)
	}
	now := q.Now()
	for _, s := range stats {
		if s.State != "pending" || s.Oldest.IsZero() {
			continue
		}
		for _, name := range q.Queues {
			if s.Queue == name {
				if age := now.Sub(s.Oldest); age > q.Max {
					return fmt.Errorf("queue %s: oldest pending item waits %s (more than %s; %d pending)", s.Queue, age.Round(time.Second), q.Max, s.Count)
				}
			}
		}
	}
	return nil
}
