package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// rewriteSearchVectors runs the store's search upkeep (the PostgreSQL
// vectors made before migration 0028) batch by batch until none is left
// or ctx ends. It rests as long as each batch took, so it takes at most
// half of one database connection and live traffic comes first, and a
// minute after a failure (the database away: the batch is retried).
func rewriteSearchVectors(ctx context.Context, up store.SearchUpkeep, log *slog.Logger) error {
	total, report := 0, 10000
	for {
		start := time.Now()
		n, done, err := up.RevectorSearch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		total += n
		if err != nil {
			log.Warn("search: rewriting old search vectors failed; retrying in a minute", "err", err)
		} else if done {
			if total > 0 {
				log.Info("search: old search vectors rewritten", "messages", total)
			}
			return nil
		} else if total >= report {
			log.Info("search: rewriting old search vectors", "messages", total)
			report += 10000
		}
		rest := time.Since(start)
		if err != nil {
			rest = time.Minute
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(rest):
		}
	}
}
