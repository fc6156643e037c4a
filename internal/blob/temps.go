package blob

import (
	"context"
	"time"
)

// TempCollector is a store that a crash can leave temporaries in that
// its own start-up does not clear: S3's unfinished multipart uploads and
// temporary objects (the filesystem store empties its tmp directory when
// it opens). Garbage collection removes those older than before.
type TempCollector interface {
	RemoveStaleTemps(ctx context.Context, before time.Time, dryRun bool) (TempReport, error)
}

// TempReport says what RemoveStaleTemps found (and, unless a dry run,
// removed).
type TempReport struct {
	Objects int   `json:"objects"` // temporary objects
	Bytes   int64 `json:"bytes"`   // their size
	Uploads int   `json:"uploads"` // unfinished multipart uploads (their parts are stored and billed)
}
