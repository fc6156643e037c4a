package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/alerts"
	"github.com/atende-helpdesk/atende/internal/health"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/netguard"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/web/edge"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/autoreply"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/inbound/smtpin"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/metrics"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
	"github.com/atende-helpdesk/atende/internal/web/ui"
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
	clk := sys.Clock
	dns := resolver.New(cfg.DNSResolver) // every DNS lookup goes here
	// Connections made for a company (webhooks, mailbox servers) never
	// reach internal addresses, except those the operator allows.
	allow, err := netguard.ParseAllowList(cfg.AllowPrivateHosts)
	if err != nil {
		return fmt.Errorf("--allow-private-hosts: %w", err)
	}
	guard := netguard.New(dns, allow)
	st, bl, blobsReady, err := openAll(ctx, cfg, clk, sqlite.Options{})
	if err != nil {
		return err
	}
	// Free space under the data directory: below --min-free-space the node
	// is not ready and SMTP answers 452 before DATA.
	disk := &health.DiskSpace{Path: cfg.DataDir, Min: cfg.MinFreeSpace}
	mx := metrics.New()
	mx.WatchQueues(st, clk.Now)
	defer st.Close()
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP: cannot listen on %s: %w (is another atende running? choose another with --http)", cfg.HTTPAddr, err)
	}

	box, generated, err := secretBox(cfg, log)
	if err != nil {
		return err
	}
	if err := checkSecretsReadable(ctx, st, generated); err != nil {
		return err
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return err
	}
	sender, err := newChannelSender(cfg, st, box, tlsCfg, clk, log)
	if err != nil {
		return err
	}
	defer sender.Close()
	sender.dial = guard.DialContext
	// Which domains and addresses each company owns (DNS TXT or a mailed
	// code): inbound routing by address and the relay's From depend on it.
	identities := identity.New(st, dns, sender.mailer(), clk, log.With("component", "identity"), identity.Config{
		From: "Atende <no-reply@" + cfg.InboundDomain + ">", BaseURL: cfg.BaseURL, Reserved: []string{cfg.InboundDomain}})
	sender.owners = identities
	if _, err := identities.SweepUnverified(ctx); err != nil {
		log.Warn("identity: notices about unverified addresses", "err", err)
	}
	if n, err := api.SealWebhookSecrets(ctx, st, box); err != nil {
		return fmt.Errorf("seal webhook secrets: %w", err)
	} else if n > 0 {
		log.Info("webhooks: signing secrets sealed at rest", "count", n)
	}
	// OAuth2 mailboxes (Gmail / Office 365): every enabled channel that
	// logs in with OAuth needs its provider's client configured.
	oauthClients := oauth.NewClients(cfg.BaseURL, nil, cfg.GoogleClientID, cfg.GoogleClientSecret, cfg.MicrosoftClientID, cfg.MicrosoftClientSecret)
	if chs, err := st.ListEnabledChannels(ctx); err != nil {
		return fmt.Errorf("list channels: %w", err)
	} else if err := oauthClients.CheckChannels(chs); err != nil {
		return fmt.Errorf("OAuth: %w", err)
	}
	oauthTokens := &oauth.Tokens{Clients: oauthClients, Box: box, Store: st, Now: clk.Now}
	sender.tokens = oauthTokens
	// Headroom for the trace headers our SMTP server prepends, so a
	// message right at the limit is not refused after DATA.
	svc := ingest.New(st, bl, clk, log, ingest.Config{MaxSize: cfg.MaxMessageSize + 64<<10, AuthServID: authServID(cfg), InlineMax: ingest.DefaultInlineMax})
	out := outbox.New(st, bl, clk, log.With("component", "outbox"), outbox.Config{Sender: metrics.CountingSender{Sender: sender, M: mx}, Batch: 1})
	auto := autoreply.New(st, bl, clk, log.With("component", "autoreply"), autoreply.Config{Wake: out.Wake})
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
	authSvc := auth.New(st, clk, log.With("component", "auth"), auth.Config{})
	dir := directory.New(st, authSvc.HashPassword, log)
	dir.SetPolicies(directory.Policies{Hosts: guard, Senders: identities})
	dir.SetLanguages(ui.Languages()) // the locales the UI has catalogs for
	hub := api.NewHub(st, clk, log.With("component", "events"))
	tickets := ticket.New(st, bl, ticket.Queue{WakeFunc: out.Wake}, hub, clk, log)
	// Failure streaks: logged once, the admins told after --alert-after.
	alertMon := alerts.New(st, hub, clk, log.With("component", "alerts"), alerts.Config{After: cfg.AlertAfter})
	out.SetHealth(alertMon)
	run("alerts", alertMon.Run)
	run("watch-node", func(ctx context.Context) error { return watchNode(ctx, st, disk, alertMon) })
	out.OnSent(func(ctx context.Context, m *model.Message) {
		hub.Publish(ctx, ticket.Event{Type: ticket.EventMessageSent, CompanyID: m.CompanyID, TicketID: m.TicketID, MessageID: m.ID})
	})
	run("ingest", func(ctx context.Context) error {
		// A 30 s lease (not the 5 min default): rows a crashed node had
		// claimed go to another node, or to this one restarted, within
		// 30 s. A batch takes a second or two; should one outlive its
		// lease, the row is processed twice and stored once (dedupe key).
		return svc.Run(ctx, ingest.WorkerConfig{Workers: cfg.Workers, Lease: 30 * time.Second, Drain: cfg.ShutdownTimeout / 3, Notifier: metrics.Notifier{Next: hub, M: mx},
			Failed: func(in model.Inbound, permanent bool) { mx.Failed(in.ChannelID, permanent) }})
	})
	run("webhooks", (&api.WebhookWorker{Store: st, Clock: clk, Log: log.With("component", "webhooks"), Box: box,
		Client: guard.HTTPClient(10 * time.Second)}).Run)
	run("sessions", func(ctx context.Context) error { return authSvc.RunPurge(ctx, time.Hour) })
	if up, ok := st.(store.SearchUpkeep); ok {
		run("search-vectors", func(ctx context.Context) error {
			return rewriteSearchVectors(ctx, up, log.With("component", "search"))
		})
	}
	// Atende's own mail to agents (password reset links).
	var relay relayMailer
	if sender.relay != nil {
		relay = sender.relay
	}
	sysMail := newSystemMailer(st, relay, sender, "Atende <no-reply@"+cfg.InboundDomain+">", clk, log.With("component", "systemmail"))
	run("systemmail", sysMail.Run)
	// Snoozed tickets reopen when due (any node may claim the job).
	run("snooze", func(ctx context.Context) error { return tickets.RunSnoozes(ctx, 5*time.Second) })
	run("outbox", out.Run)
	run("autoreply", auto.Run)
	imapSync := imapsync.NewManager(st, metrics.CountingAcceptor{Acceptor: svc, M: mx, Source: "imap"}, box, clk, log.With("component", "imapsync"), imapsync.Config{TLS: tlsCfg, Dial: guard.DialContext})
	imapSync.SetOAuth(oauthTokens, st)
	imapSync.SetHealth(alertMon)
	run("imapsync", imapSync.Run)
	mx.LabeledGauges("imap_folders", "IMAP folder loops by state.", "state", func() map[string]float64 {
		out := map[string]float64{}
		for k, v := range imapSync.FolderStates() {
			out[k] = float64(v)
		}
		return out
	})
	mx.GaugeFunc("imap_connections", "IMAP connections open now.", func() float64 { return float64(imapSync.Connections()) })
	var smtpSrv *smtpin.Server
	smtpCtx, stopSMTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSMTP()
	var smtpDone chan struct{}
	if cfg.SMTPAddr != "" {
		smtpSrv, err = smtpin.New(smtpin.Config{
			Addr:           cfg.SMTPAddr,
			InboundDomain:  cfg.InboundDomain,
			AuthServID:     authServID(cfg),
			MaxMessageSize: cfg.MaxMessageSize,
			WrapListener:   mx.SMTPListener,
			ShutdownGrace:  cfg.ShutdownTimeout / 2,
			LowSpace:       disk.LowSpace,
		}, smtpin.Deps{Store: st, Ingest: metrics.CountingAcceptor{Acceptor: svc, M: mx, Source: "smtp"}, Blobs: bl, Clock: clk, Resolver: dns}, log.With("component", "smtpin"))
		if err == nil {
			err = smtpSrv.Listen()
		}
		if err != nil {
			stopWork()
			wg.Wait()
			return fmt.Errorf("SMTP: cannot listen on %s: %w (choose another with --smtp, or --smtp '' to disable)", cfg.SMTPAddr, err)
		}
		// SMTP stops first on a graceful stop (421 to every session, the
		// transfers in progress finish) while ingest still runs.
		smtpDone = make(chan struct{})
		go func() {
			defer close(smtpDone)
			defer func() {
				if p := recover(); p != nil {
					log.Error("component panicked", "component", "smtpin", "panic", p)
				}
			}()
			if err := smtpSrv.Run(smtpCtx); err != nil {
				log.Error("component stopped", "component", "smtpin", "err", err)
			}
		}()
		log.Info("inbound SMTP listening", "addr", smtpSrv.Addr().String(), "inbound_domain", cfg.InboundDomain)
	}
	// Several nodes on one database: mailbox leases (every node, SQLite
	// too) and live events between nodes (PostgreSQL).
	smtpAddr := ""
	if smtpSrv != nil {
		smtpAddr = smtpSrv.Addr().String()
	}
	nodes := newCluster(cfg, st, hub, imapSync, mx, ln.Addr().String(), smtpAddr, log)
	run("cluster", nodes.coord.Run)
	if nodes.bus != nil {
		run("events-bus", nodes.bus.Run)
	}

	authHTTP := &auth.HTTP{Svc: authSvc, TrustProxy: cfg.TrustProxy}
	// After a channel (or its credentials or rule) is saved: restart its
	// sync and refresh the SMTP server's address table.
	channelChanged := func(ctx context.Context) {
		if err := imapSync.Reload(context.WithoutCancel(ctx)); err != nil {
			log.Warn("imapsync: reload after channel change", "err", err)
		}
		if smtpSrv != nil {
			smtpSrv.InvalidateAddresses()
		}
	}
	checkConnection := func(ctx context.Context, s model.ChannelSettings, imapPW, smtpPW string, o imapsync.CheckOptions) *imapsync.CheckReport {
		o.TLS = tlsCfg
		o.Dial = guard.DialContext
		return imapsync.CheckConnection(ctx, s, imapPW, smtpPW, o)
	}
	sendingDNS := sender.dnsStatus(dns)
	var checkRelay func(context.Context) error
	if cfg.RelayAddr != "" {
		checkRelay = sender.checkRelay
	}
	regenerateAddress := func(ctx context.Context, companyID, channelID int64) (string, error) {
		addr, err := smtpin.RegenerateAddress(ctx, st, cfg.InboundDomain, companyID, channelID)
		if err == nil && smtpSrv != nil {
			smtpSrv.InvalidateAddresses()
		}
		return addr, err
	}
	var oauthProviders []string
	for _, p := range []string{oauth.Google.ID, oauth.Microsoft.ID} {
		if oauthClients[p] != nil {
			oauthProviders = append(oauthProviders, p)
		}
	}
	handler := api.Handler(api.Deps{Log: log, Checks: map[string]api.Checker{
		"database": api.CheckFunc(st.Ping),
		"blobs":    api.CheckFunc(blobsReady),
		"cluster":  api.CheckFunc(nodes.check),
		"disk":     disk,
		"queues":   health.QueueAge{Src: st, Queues: []string{"inbound"}, Max: 10 * time.Minute, Now: clk.Now},
	}, ReadyInfo: nodes.readyInfo, Store: st, Auth: authHTTP, Directory: dir, Tickets: tickets, Hub: hub,
		DNSRecords: sender.dnsRecords, SendingDNS: sendingDNS, CheckRelay: checkRelay, Identities: identities, Hosts: guard,
		Secrets: box, InboundDomain: cfg.InboundDomain,
		OAuth:             &api.OAuthDeps{Clients: oauthClients, Tokens: oauthTokens, Now: clk.Now, Secure: strings.HasPrefix(cfg.BaseURL, "https://")},
		ChannelChanged:    channelChanged,
		CheckConnection:   checkConnection,
		SendingStatus:     out.ChannelStatus,
		RegenerateAddress: regenerateAddress,
		NoticeText:        ui.APINoticeText})
	// The inbox's view counts are kept per company until the hub sees an
	// event of that company (here or from another node) or a resync; 30 s
	// at most, for a change that published no event (another process on
	// the same database: the CLI, a restore).
	viewCounts := ui.NewViewCounts(30 * time.Second)
	hub.Observe(viewCounts)
	uiHandler := ui.New(ui.Deps{Log: log.With("component", "ui"), Store: st, Auth: authHTTP, Directory: dir, Tickets: tickets, Blobs: bl,
		ViewCounts: viewCounts,
		Secrets:    box, InboundDomain: cfg.InboundDomain, ChannelChanged: channelChanged, CheckConnection: checkConnection,
		SendingStatus: out.ChannelStatus, OAuthProviders: oauthProviders, OAuth: oauthTokens, RegenerateAddress: regenerateAddress,
		Hosts: guard, Identities: identities, SendingDNS: sendingDNS, CheckRelay: checkRelay,
		SystemMail: sysMail.Queue, BaseURL: cfg.BaseURL})
	// Every request passes the edge: body limits (larger on uploads),
	// multipart refused on the login and setup forms, nosniff, HSTS.
	root := ui.Combine(handler, uiHandler)
	if cfg.MetricsAddr == "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", mx.Handler())
		mux.Handle("/", root)
		root = mux
	}
	if cfg.MetricsAddr != "" && cfg.MetricsAddr != "off" {
		if err := serveMetrics(workCtx, cfg.MetricsAddr, mx, log); err != nil {
			stopWork()
			wg.Wait()
			return err
		}
	}
	srv := edge.Server(mx.HTTP(edge.Handler(root, edge.Config{
		Uploads:     ui.UploadRoutes,
		UploadMax:   ticket.MaxAttachmentBytes + 1<<20,
		NoMultipart: []string{"POST /login", "POST /setup", "POST /password/forgot", "POST /api/v1/auth/login", "POST /api/v1/setup"},
		Secure:      authHTTP.Secure,
	})))
	// Requests (event streams too) see their context end when a stop begins.
	httpBase, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	srv.BaseContext = func(net.Listener) context.Context { return httpBase }
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	db := "sqlite " + cfg.SQLitePath()
	if cfg.DatabaseURL != "" {
		db = "postgres"
	}
	blobsAt := cfg.BlobDir()
	if cfg.Blobs != "" {
		blobsAt = "s3"
	}
	log.Info("atende started", "http", "http://"+ln.Addr().String(), "database", db, "data", cfg.DataDir, "blobs", blobsAt,
		"node", nodes.coord.NodeID(), "version", Version)

	select {
	case <-ctx.Done():
	case err = <-srvErr:
		err = fmt.Errorf("HTTP server: %w", err)
	}
	stopping := time.Now()
	log.Info("atende stopping", "timeout", cfg.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// 1. SMTP: 421 to new commands and sessions; DATA in progress is
	// stored (ingest still runs).
	stopSMTP()
	if smtpDone != nil {
		select {
		case <-smtpDone:
		case <-shutCtx.Done():
		}
	}
	// 2. HTTP: no new requests; event streams end.
	stopHTTP()
	httpCtx, cancelHTTP := context.WithTimeout(shutCtx, cfg.ShutdownTimeout/4)
	if e := srv.Shutdown(httpCtx); e != nil {
		log.Warn("HTTP shutdown", "err", e)
		_ = srv.Close()
	}
	cancelHTTP()
	// 3. Workers finish the rows they leased (ingest's Drain) and stop;
	// what is still leased when the timeout ends goes back to the queue
	// when its lease runs out.
	stopWork()
	workDone := make(chan struct{})
	go func() { wg.Wait(); close(workDone) }()
	select {
	case <-workDone:
	case <-shutCtx.Done():
		log.Warn("atende: components still running at the shutdown timeout; their leased work returns to the queue", "timeout", cfg.ShutdownTimeout)
	}
	log.Info("atende stopped", "ms", time.Since(stopping).Milliseconds())
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

// authServID names our Authentication-Results headers (RFC 8601): the
// inbound domain, which only our SMTP server speaks for.
func authServID(cfg config.Config) string { return cfg.InboundDomain }

// serveMetrics serves /metrics on a listener of its own (--metrics
// host:port) until ctx ends.
func serveMetrics(ctx context.Context, addr string, mx *metrics.Metrics, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: cannot listen on %s: %w (choose another with --metrics)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", mx.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	log.Info("metrics listening", "addr", ln.Addr().String())
	return nil
}

// watchNode reports the node's disk space and database to the alert
// monitor every few seconds (node-wide causes: every company is told).
func watchNode(ctx context.Context, st interface{ Ping(context.Context) error }, disk *health.DiskSpace, mon *alerts.Monitor) error {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := disk.Check(ctx); err != nil {
			mon.Fail(ctx, 0, 0, alerts.CauseDisk, err.Error())
		} else {
			mon.OK(ctx, 0, 0, alerts.CauseDisk)
		}
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := st.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			mon.Fail(ctx, 0, 0, alerts.CauseDatabase, "the database does not answer")
		} else if err == nil {
			mon.OK(ctx, 0, 0, alerts.CauseDatabase)
		}
	}
}
