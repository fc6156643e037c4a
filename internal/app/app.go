// Package app is Atende's composition root: it turns a command line into
// a Config, opens the store and blob store, builds the services and the
// protocol adapters, and shuts them down in order. Wiring is plain code;
// nothing registers itself.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/ratelog"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// IO is the process's outside world, injected so commands are testable.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	Getenv func(string) string
	// Clock is the program's one clock, handed to the store and every
	// service; nil means the wall clock (clock.System).
	Clock clock.Clock
}

const usage = `Atende: the email helpdesk.

Usage:
  atende serve  [flags]                    run the server (web UI, API, workers)
  atende import [flags] --company C --channel CH [--create] PATH...
                                           import .eml files, mbox files or Maildir folders
  atende parse  FILE                       print what Atende reads out of one message, as JSON
  atende admin  create-company --slug S --name N
  atende admin  create-agent --company S --email E --name N [--role admin|agent] [--password-stdin]
  atende admin  nodes [--json]             nodes sharing the database and the mailboxes each holds
  atende admin  migrate-blobs --to s3://…  copy the filesystem blobs to S3-compatible storage
                                           scripted installs (the web UI offers first-run setup)
  atende backup [--data DIR] OUT           consistent snapshot of a running installation
  atende restore --data NEWDIR SNAPSHOT    bring a snapshot back into a new data directory
  atende admin  gc-blobs [--dry-run] [--grace 24h]
                                           remove blobs nothing references any more
  atende version

Run "atende COMMAND -h" for the flags of a command. Every flag also has an
ATENDE_* environment variable (flags win).
`

// Version is set at build time with -ldflags "-X ...app.Version=...".
var Version = "dev"

// Run executes one command and returns the process exit code.
func Run(ctx context.Context, args []string, sys IO) int {
	if sys.Getenv == nil {
		sys.Getenv = func(string) string { return "" }
	}
	if sys.Clock == nil {
		sys.Clock = clock.System{}
	}
	if len(args) == 0 {
		fmt.Fprint(sys.Err, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, sys)
	case "import":
		err = importCmd(ctx, rest, sys)
	case "parse":
		err = parseCmd(ctx, rest, sys)
	case "backup":
		err = backupCmd(ctx, rest, sys)
	case "restore":
		err = restoreCmd(ctx, rest, sys)
	case "admin":
		err = adminCmd(ctx, rest, sys)
	case "version", "--version":
		fmt.Fprintln(sys.Out, "atende", Version)
	case "help", "-h", "--help":
		fmt.Fprint(sys.Out, usage)
	default:
		fmt.Fprintf(sys.Err, "atende: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		if ue.msg != "" {
			fmt.Fprintf(sys.Err, "atende %s: %s\n", cmd, ue.msg)
		}
		return 2
	}
	fmt.Fprintf(sys.Err, "atende %s: %s\n", cmd, indent(err.Error()))
	return 1
}

// usageError is a bad command line (exit 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }

// loadConfig parses and validates flags for a command.
func loadConfig(name string, args []string, sys IO, extra func(*config.Config, *flag.FlagSet)) (config.Config, []string, error) {
	cfg, err := config.FromEnv(sys.Getenv)
	if err != nil {
		return cfg, nil, fmt.Errorf("configuration: %w", err)
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(sys.Err)
	cfg.FlagSet(fs)
	if extra != nil {
		extra(&cfg, fs)
	}
	if err := fs.Parse(args); err != nil {
		return cfg, nil, usageError{}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return cfg, fs.Args(), nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// A failing cause logs one warning or error per 10 s plus a count.
	return slog.New(ratelog.New(h, 0, nil))
}

// openStores opens the database (PostgreSQL when configured, else the
// SQLite file in the data directory) and the blob store, which also reads
// the small raw messages ingest keeps in the database (ingest.Blobs).
func openStores(ctx context.Context, cfg config.Config, clk clock.Clock) (store.Store, blob.Store, error) {
	st, bl, _, err := openAll(ctx, cfg, clk, sqlite.Options{})
	return st, bl, err
}

// openAll is openStores with the blob store's readiness check and the
// SQLite store's options.
func openAll(ctx context.Context, cfg config.Config, clk clock.Clock, so sqlite.Options) (store.Store, blob.Store, func(context.Context) error, error) {
	var st store.Store
	var err error
	if cfg.DatabaseURL != "" {
		st, err = postgres.Open(ctx, cfg.DatabaseURL, clk)
	} else {
		st, err = sqlite.OpenWith(ctx, cfg.SQLitePath(), clk, so)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open database: %w", err)
	}
	bl, check, err := openBlobs(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, ingest.Blobs(st, bl), check, nil
}
