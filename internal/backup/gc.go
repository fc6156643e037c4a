package backup

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
)

// DefaultGrace is how old an unreferenced blob must be before GC takes it.
const DefaultGrace = 24 * time.Hour

// GCReport says what a collection found (and, unless a dry run, removed).
type GCReport struct {
	Blobs        int      `json:"blobs"`        // blobs in the store
	Referenced   int      `json:"referenced"`   // keys the database references
	Unreferenced int      `json:"unreferenced"` // blobs nothing references
	Young        int      `json:"young"`        // of those, kept: newer than the grace period
	Removed      int      `json:"removed"`      // removed (would be, in a dry run)
	RemovedBytes int64    `json:"removed_bytes"`
	Keys         []string `json:"keys,omitempty"` // the first 100 removed keys
	DryRun       bool     `json:"dry_run"`
	// What crashed uploads left (S3: temporary objects and unfinished
	// multipart uploads older than the grace period), when the store
	// keeps such things.
	StaleTemps *blob.TempReport `json:"stale_temps,omitempty"`
}

// GC removes from st (the filesystem store or S3) every blob db does not
// reference that was last written before now-grace. The references are
// read first; a blob written (or re-put: both stores refresh a
// deduplicated blob's time) after that moment minus grace is never taken,
// so an ingest whose row is not committed yet keeps its blob. Each
// removal asks the store for the blob's time again (RemoveIfOlder), so a
// blob put while GC runs survives. The listing streams (page by page on
// S3); only the unreferenced keys are kept in memory. A dry run removes
// nothing and reports what a run would have removed, judged by the listed
// times.
func GC(ctx context.Context, db *sql.DB, st blob.Collectable, now time.Time, grace time.Duration, dryRun bool) (*GCReport, error) {
	if grace < 0 {
		return nil, fmt.Errorf("gc: negative grace period")
	}
	if m, ok := st.(interface{ MinGrace() time.Duration }); ok && grace < m.MinGrace() {
		// A re-put of an old blob would not refresh its time in time.
		return nil, fmt.Errorf("gc: grace period %v shorter than the blob store's minimum %v", grace, m.MinGrace())
	}
	cutoff := now.Add(-grace)
	refs, err := Referenced(ctx, db)
	if err != nil {
		return nil, err
	}
	r := &GCReport{Referenced: len(refs), DryRun: dryRun}
	type cand struct {
		key      string
		size     int64
		modified time.Time
	}
	var cands []cand
	err = st.List(ctx, func(key string, size int64, modified time.Time) error {
		r.Blobs++
		if _, ok := refs[key]; !ok {
			cands = append(cands, cand{key, size, modified})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	refs = nil
	if tc, ok := st.(blob.TempCollector); ok {
		tr, err := tc.RemoveStaleTemps(ctx, cutoff, dryRun)
		if err != nil {
			return nil, err
		}
		r.StaleTemps = &tr
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].key < cands[j].key })
	for _, c := range cands {
		r.Unreferenced++
		var removed bool
		switch {
		case !c.modified.Before(cutoff):
			// young when listed: not even asked again
		case dryRun:
			removed = true
		default:
			if removed, err = st.RemoveIfOlder(ctx, c.key, cutoff); err != nil {
				return r, err
			}
		}
		if !removed {
			r.Young++
			continue
		}
		r.Removed++
		r.RemovedBytes += c.size
		if len(r.Keys) < 100 {
			r.Keys = append(r.Keys, c.key)
		}
	}
	return r, nil
}
