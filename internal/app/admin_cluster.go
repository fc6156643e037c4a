package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// adminNodes: atende admin nodes [--json] lists the nodes sharing the
// database, their heartbeats and the mailboxes each holds.
func adminNodes(ctx context.Context, args []string, sys IO) error {
	var asJSON bool
	cfg, extra, err := loadConfig("admin nodes", args, sys, func(_ *config.Config, fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	})
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", extra)}
	}
	st, _, err := openStores(ctx, cfg, sys.Clock)
	if err != nil {
		return err
	}
	defer st.Close()
	nodes, err := st.ListNodes(ctx)
	if err != nil {
		return err
	}
	leases, err := st.ListMailboxLeases(ctx)
	if err != nil {
		return err
	}
	chans, err := st.ListEnabledChannels(ctx)
	if err != nil {
		return err
	}
	held := map[string][]int64{}
	owned := map[int64]bool{}
	for _, l := range leases {
		if l.NodeID != "" && l.ExpiresIn > 0 {
			held[l.NodeID] = append(held[l.NodeID], l.ChannelID)
			owned[l.ChannelID] = true
		}
	}
	var orphans []int64
	for _, ch := range chans {
		if ch.Incoming == model.ConnExternal && !owned[ch.ID] {
			orphans = append(orphans, ch.ID)
		}
	}
	const liveWithin = 15 * time.Second // the lease period (cluster.Config.TTL)
	state := func(n store.Node) string {
		switch {
		case n.Stopped:
			return "stopped"
		case n.HeartbeatAge < liveWithin:
			return "live"
		}
		return "gone"
	}
	if asJSON {
		type node struct {
			ID            string    `json:"id"`
			State         string    `json:"state"`
			HeartbeatAgeS float64   `json:"heartbeat_age_seconds"`
			StartedAt     time.Time `json:"started_at"`
			HTTP          string    `json:"http"`
			SMTP          string    `json:"smtp"`
			Version       string    `json:"version"`
			Mailboxes     []int64   `json:"mailboxes"`
		}
		out := struct {
			Nodes     []node  `json:"nodes"`
			Unowned   []int64 `json:"unowned_mailboxes"`
			Mailboxes int     `json:"mailboxes"`
		}{Nodes: []node{}, Unowned: orphans, Mailboxes: len(owned) + len(orphans)}
		for _, n := range nodes {
			mb := held[n.ID]
			if mb == nil {
				mb = []int64{}
			}
			out.Nodes = append(out.Nodes, node{n.ID, state(n), n.HeartbeatAge.Seconds(), n.StartedAt, n.HTTPAddr, n.SMTPAddr, n.Version, mb})
		}
		enc := json.NewEncoder(sys.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(sys.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tSTATE\tHEARTBEAT\tSTARTED (UTC)\tHTTP\tSMTP\tVERSION\tMAILBOXES")
	for _, n := range nodes {
		mb := held[n.ID]
		sort.Slice(mb, func(i, j int) bool { return mb[i] < mb[j] })
		fmt.Fprintf(tw, "%s\t%s\t%s ago\t%s\t%s\t%s\t%s\t%s\n", n.ID, state(n), n.HeartbeatAge.Round(100*time.Millisecond),
			n.StartedAt.UTC().Format("2006-01-02 15:04:05"), dash(n.HTTPAddr), dash(n.SMTPAddr), dash(n.Version), idList(mb))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(nodes) == 0 {
		fmt.Fprintln(sys.Out, "No node has run `atende serve` on this database yet.")
	}
	if len(orphans) > 0 {
		fmt.Fprintf(sys.Out, "Mailboxes without an owner right now: %s (a live node takes them within a few seconds)\n", idList(orphans))
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func idList(ids []int64) string {
	if len(ids) == 0 {
		return "-"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return fmt.Sprintf("%d (%s)", len(ids), strings.Join(parts, ", "))
}

// adminMigrateBlobs: atende admin migrate-blobs --to s3://… copies every
// blob of the filesystem store to S3, checking each one's content against
// its key; blobs already there are skipped, so it can run again (and
// while the old installation still runs, then once more after it stops).
func adminMigrateBlobs(ctx context.Context, args []string, sys IO) error {
	var from, to string
	var workers int
	cfg, extra, err := loadConfig("admin migrate-blobs", args, sys, func(c *config.Config, fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "filesystem blob directory to copy from (default: DATA/blobs)")
		fs.StringVar(&to, "to", "", "s3://bucket?endpoint=…&region=… to copy to (default: --blobs)")
		fs.IntVar(&workers, "parallel", 4, "blobs copied at once")
	})
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", extra)}
	}
	if from == "" {
		from = cfg.BlobDir()
	}
	if to == "" {
		to = cfg.Blobs
	}
	if !strings.HasPrefix(to, "s3://") {
		return usageError{"--to (or --blobs) must be an s3:// URL"}
	}
	if workers < 1 || workers > 64 {
		return usageError{"--parallel must be between 1 and 64"}
	}
	src, err := blob.NewFS(from)
	if err != nil {
		return err
	}
	tcfg := cfg
	tcfg.Blobs = to
	dst, _, err := openBlobs(ctx, tcfg)
	if err != nil {
		return err
	}
	start := time.Now()
	var copied, skipped, bytes atomic.Int64
	var total atomic.Int64
	keys := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range keys {
				n, fresh, err := copyBlob(ctx, src, dst, key)
				if err != nil {
					errs <- err
					return
				}
				if fresh {
					copied.Add(1)
					bytes.Add(n)
				} else {
					skipped.Add(1)
				}
				if done := copied.Load() + skipped.Load(); done%500 == 0 {
					fmt.Fprintf(sys.Err, "migrate-blobs: %d of %d done\n", done, total.Load())
				}
			}
		}()
	}
	walkErr := src.Walk(ctx, func(key string, _ int64) error {
		total.Add(1)
		select {
		case keys <- key:
			return nil
		case err := <-errs:
			errs <- err
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(keys)
	wg.Wait()
	close(errs)
	for err := range errs {
		walkErr = errors.Join(walkErr, err)
	}
	took := time.Since(start).Round(time.Millisecond)
	fmt.Fprintf(sys.Out, "Copied %d blobs (%s), %d already there, in %v.\n", copied.Load(), humanBytes(bytes.Load()), skipped.Load(), took)
	if walkErr != nil {
		return fmt.Errorf("migrate-blobs stopped: %w (run it again: what was copied is skipped)", walkErr)
	}
	fmt.Fprintf(sys.Out, "Every blob of %s is in %s. Start every node with --blobs '%s'.\n", from, redactURL(to), to)
	return nil
}

// copyBlob copies one blob unless the target has it; the content must
// hash to its key (a damaged file is reported, not copied under a wrong name).
func copyBlob(ctx context.Context, src, dst blob.Store, key string) (int64, bool, error) {
	if ok, err := dst.Exists(ctx, key); err != nil {
		return 0, false, err
	} else if ok {
		return 0, false, nil
	}
	rc, err := src.Open(ctx, key)
	if err != nil {
		return 0, false, err
	}
	defer rc.Close()
	got, n, err := dst.Put(ctx, rc, 0)
	if err != nil {
		return 0, false, fmt.Errorf("copy %s: %w", key, err)
	}
	if got != key {
		return 0, false, fmt.Errorf("copy %s: the file's content hashes to %s: it is damaged on disk", key, got)
	}
	return n, true, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// redactURL drops the query (endpoint details stay in the flag the admin typed).
func redactURL(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}
