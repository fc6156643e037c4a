package app

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/importer"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// importMemoryLimit is the Go memory soft limit of `atende import`.
const importMemoryLimit = 40 << 20

// importCmd: atende import --company C --channel CH [--create] PATH...
func importCmd(ctx context.Context, args []string, sys IO) error {
	var company, channel string
	var create bool
	cfg, paths, err := loadConfig("import", args, sys, func(_ *config.Config, fs *flag.FlagSet) {
		fs.StringVar(&company, "company", "", "company slug (required)")
		fs.StringVar(&channel, "channel", "", "channel slug (required)")
		fs.BoolVar(&create, "create", false, "create the company and channel when missing")
	})
	if err != nil {
		return err
	}
	switch {
	case company == "" || channel == "":
		return usageError{"--company and --channel are required"}
	case len(paths) == 0:
		return usageError{"give at least one PATH (an .eml file, an mbox file or a Maildir folder)"}
	case !model.ValidSlug(company):
		return usageError{fmt.Sprintf("--company %q: use lowercase letters, digits and '-'", company)}
	case !model.ValidSlug(channel):
		return usageError{fmt.Sprintf("--channel %q: use lowercase letters, digits and '-'", channel)}
	}
	log := newLogger(cfg, io.Discard)
	if sys.Getenv == nil || sys.Getenv("GOMEMLIMIT") == "" {
		// A soft bound on Go's memory, so the garbage collector works
		// harder before an import of any size passes ~64 MB of RSS (the
		// prepared messages queued for the writer came and went in bursts:
		// 66-84 MB peaks in 2 of 10 runs of 10,000 messages without it,
		// 58-60 MB in 5 of 5 with it, ~3% slower; figures that included
		// the benchmark process's own peak, see TestMeasureChild: measured
		// alone, the import peaks at 54-56 MB with it, with 32 MiB too).
		// Restored afterwards (tests run imports in-process); GOMEMLIMIT
		// overrides it.
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(importMemoryLimit))
	}
	// The import reads each small raw message once from the database and
	// serves no searches: small reader page caches (peak RSS of a
	// 10,000-message import 58-60 MB with them, 64-72 without, as
	// measured then with the benchmark's own peak included).
	st, bl, _, err := openAll(ctx, cfg, sys.Clock, sqlite.Options{ReaderCacheKiB: 256})
	if err != nil {
		return err
	}
	defer st.Close()
	ch, err := findChannel(ctx, st, company, channel, create)
	if err != nil {
		return err
	}
	svc := ingest.New(st, bl, sys.Clock, log, ingest.Config{MaxSize: cfg.MaxMessageSize, InlineMax: ingest.DefaultInlineMax})
	im := &importer.Importer{Acceptor: svc, Channel: ch}
	start := time.Now()
	if isTerminal(sys.Err) {
		im.Progress = func(done, total int64, s *importer.Summary) {
			fmt.Fprintf(sys.Err, "\r%s %3d%%  %d imported, %d duplicates, %d failed ", bar(done, total, 30),
				percent(done, total), s.Imported, s.Duplicates, len(s.Failed))
		}
	}
	// The same worker pool as `serve` turns the stored mail into tickets
	// while the import goes on; it stops once the import is done and no
	// row is left.
	input := make(chan struct{})
	workers := make(chan error, 1)
	go func() {
		workers <- svc.RunUntilIdle(ctx, ingest.WorkerConfig{Workers: cfg.Workers, Poll: 200 * time.Millisecond}, input)
	}()
	sum := im.Import(ctx, paths)
	if im.Progress != nil {
		fmt.Fprintln(sys.Err)
	}
	close(input)
	if err := <-workers; err != nil {
		return fmt.Errorf("process imported mail: %w", err)
	}
	var parseFailed []string
	for _, a := range sum.Inbound {
		in, err := st.GetInbound(ctx, ch.CompanyID, a.InboundID)
		if err == nil && in.State == model.InboundFailed {
			parseFailed = append(parseFailed, fmt.Sprintf("%s: stored, but could not be read: %s", a.Source, in.LastError))
		}
	}
	fmt.Fprintf(sys.Out, "Imported into %s/%s in %s: %d imported, %d duplicates, %d failed.\n",
		company, channel, time.Since(start).Round(time.Millisecond), sum.Imported, sum.Duplicates, len(sum.Failed)+len(parseFailed))
	if len(sum.Failed)+len(parseFailed) > 0 {
		fmt.Fprintln(sys.Out, "Failed:")
		for _, f := range sum.Failed {
			fmt.Fprintln(sys.Out, "  "+f.String())
		}
		for _, f := range parseFailed {
			fmt.Fprintln(sys.Out, "  "+f)
		}
		return fmt.Errorf("%d of %d files or messages failed (the others were imported)", len(sum.Failed)+len(parseFailed),
			sum.Imported+sum.Duplicates+len(sum.Failed))
	}
	return nil
}

// findChannel resolves company and channel slugs, creating them with create.
func findChannel(ctx context.Context, st store.Store, companySlug, channelSlug string, create bool) (*model.Channel, error) {
	co, err := st.GetCompanyBySlug(ctx, companySlug)
	if errors.Is(err, store.ErrNotFound) {
		if !create {
			return nil, fmt.Errorf("company %q does not exist (add --create to create it)", companySlug)
		}
		co = &model.Company{Slug: companySlug, Name: companySlug}
		if err := st.CreateCompany(ctx, co); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		if co, err = st.GetCompanyBySlug(ctx, companySlug); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	ch, err := st.GetChannelBySlug(ctx, co.ID, channelSlug)
	if errors.Is(err, store.ErrNotFound) {
		if !create {
			return nil, fmt.Errorf("channel %q does not exist in company %q (add --create to create it)", channelSlug, companySlug)
		}
		ch = &model.Channel{CompanyID: co.ID, Slug: channelSlug, Name: channelSlug, Enabled: true,
			Incoming: model.ConnInternal, Outgoing: model.ConnInternal, InboundToken: randomToken()}
		if err := st.CreateChannel(ctx, ch); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, err
		}
		return st.GetChannelBySlug(ctx, co.ID, channelSlug)
	}
	return ch, err
}

func randomToken() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func percent(done, total int64) int64 {
	if total <= 0 {
		return 100
	}
	return done * 100 / total
}

func bar(done, total int64, width int) string {
	n := int(percent(done, total)) * width / 100
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]"
}
