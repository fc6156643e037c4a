package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// serve runs the server until ctx ends, then shuts down in order: stop
// taking HTTP requests, stop the workers (their leases hand unfinished
// rows to the next start), close the store.
func serve(ctx context.Context, args []string, sys IO) error {
	cfg, rest, err := loadConfig("serve", args, sys, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	}
	log := newLogger(cfg, sys.Err)
	st, bl, err := openStores(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP: cannot listen on %s: %w (is another atende running? choose another with --http)", cfg.HTTPAddr, err)
	}

	svc := ingest.New(st, bl, log, ingest.Config{MaxSize: cfg.MaxMessageSize})
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	run := func(name string, fn func(ctx context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					log.Error("component panicked", "component", name, "panic", p)
				}
			}()
			if err := fn(workCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("component stopped", "component", name, "err", err)
			}
		}()
	}
	run("ingest", func(ctx context.Context) error {
		return svc.Run(ctx, ingest.WorkerConfig{Workers: cfg.Workers})
	})

	handler := api.Handler(api.Deps{Log: log, Checks: map[string]api.Checker{
		"database": api.CheckFunc(st.Ping),
		"blobs":    api.CheckFunc(func(context.Context) error { return writable(cfg.BlobDir()) }),
	}})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	db := "sqlite " + cfg.SQLitePath()
	if cfg.DatabaseURL != "" {
		db = "postgres"
	}
	log.Info("atende started", "http", "http://"+ln.Addr().String(), "database", db, "data", cfg.DataDir, "version", Version)

	select {
	case <-ctx.Done():
	case err = <-srvErr:
		err = fmt.Errorf("HTTP server: %w", err)
	}
	log.Info("atende stopping")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e := srv.Shutdown(shutCtx); e != nil {
		log.Warn("HTTP shutdown", "err", e)
	}
	stopWork()
	wg.Wait()
	log.Info("atende stopped")
	return err
}

// writable checks that a file can be created in dir.
func writable(dir string) error {
	f, err := os.CreateTemp(filepath.Join(dir, "tmp"), "ready-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
