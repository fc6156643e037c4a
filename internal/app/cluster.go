package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/blob/s3blob"
	"github.com/atende-helpdesk/atende/internal/cluster"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/metrics"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
	"github.com/atende-helpdesk/atende/internal/web/api"
)

// openBlobs opens the blob store --blobs names (files under --data by
// default) and returns its readiness check.
func openBlobs(ctx context.Context, cfg config.Config) (blob.Store, func(context.Context) error, error) {
	if cfg.Blobs == "" {
		fs, err := blob.NewFS(cfg.BlobDir())
		if err != nil {
			return nil, nil, err
		}
		return fs, func(context.Context) error { return writable(cfg.BlobDir()) }, nil
	}
	c, err := s3blob.ParseURL(cfg.Blobs)
	if err != nil {
		return nil, nil, fmt.Errorf("--blobs: %w", err)
	}
	if c.TLS, err = tlsConfig(cfg); err != nil {
		return nil, nil, err
	}
	st, err := s3blob.New(ctx, c)
	if err != nil {
		return nil, nil, fmt.Errorf("--blobs: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := st.Check(cctx); err != nil {
		return nil, nil, fmt.Errorf("--blobs: %w (credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the AWS SDK's usual chain)", err)
	}
	return st, st.Check, nil
}

// clusterParts is what serve wires for several nodes on one database:
// the lease coordinator (on SQLite too: one node holding every lease, the
// same code path) and, on PostgreSQL, the event bus.
type clusterParts struct {
	coord *cluster.Coordinator
	bus   *cluster.Bus // nil on SQLite
}

// newCluster builds the coordinator that hands the IMAP sync manager its
// mailboxes, and the bus that carries live events to the other nodes.
func newCluster(cfg config.Config, st store.Store, hub *api.Hub, sync *imapsync.Manager, mx *metrics.Metrics,
	httpAddr, smtpAddr string, log *slog.Logger) *clusterParts {
	p := &clusterParts{}
	p.coord = cluster.New(st, log.With("component", "cluster"), cluster.Config{
		NodeID: cfg.NodeID, HTTPAddr: httpAddr, SMTPAddr: smtpAddr, Version: Version,
		Mailboxes: func(ctx context.Context) ([]cluster.Mailbox, error) {
			chs, err := st.ListEnabledChannels(ctx)
			if err != nil {
				return nil, err
			}
			var out []cluster.Mailbox
			for _, ch := range chs {
				if ch.Enabled && ch.Incoming == model.ConnExternal {
					out = append(out, cluster.Mailbox{CompanyID: ch.CompanyID, ChannelID: ch.ID})
				}
			}
			return out, nil
		},
		OnChange: func(ctx context.Context) {
			if err := sync.Reload(context.WithoutCancel(ctx)); err != nil {
				log.Warn("imapsync: reload after a lease change", "err", err)
			}
		},
		Stopped: sync.Wait,
		OnLease: mx.Lease,
		// A node killed between a commit and its event took the event
		// with it: this node's browsers re-read their lists.
		OnPeerGone: func(string) { hub.Resync() },
	})
	sync.SetOwnership(p.coord, st)
	mx.GaugeFunc("mailbox_leases_held", "Mailbox leases this node holds.", func() float64 { return float64(len(p.coord.Held())) })
	mx.GaugeFunc("cluster_nodes_live", "Live nodes seen at the last balance.", func() float64 { n, _ := p.coord.Status(); return float64(n) })
	if cfg.DatabaseURL == "" {
		return p
	}
	p.bus = cluster.NewBus(cluster.BusConfig{URL: cfg.DatabaseURL, NodeID: p.coord.NodeID(),
		Deliver: func(n cluster.Note) {
			hub.Deliver(ticket.Event{Type: n.Type, CompanyID: n.CompanyID, TicketID: n.TicketID, MessageID: n.MessageID, At: n.At})
		},
		Resync: hub.Resync,
	}, log.With("component", "events-bus"))
	hub.SetRelay(func(ev ticket.Event) {
		p.bus.Publish(cluster.Note{Type: ev.Type, CompanyID: ev.CompanyID, TicketID: ev.TicketID, MessageID: ev.MessageID, At: ev.At})
	})
	for _, c := range []struct {
		dir string
		fn  func(cluster.BusStats) int64
	}{{"sent", func(s cluster.BusStats) int64 { return s.Sent }}, {"received", func(s cluster.BusStats) int64 { return s.Received }},
		{"dropped", func(s cluster.BusStats) int64 { return s.Dropped }}} {
		mx.CounterFunc("events_bus_notifications_total", "Live-event traffic between nodes (LISTEN/NOTIFY).",
			map[string]string{"dir": c.dir}, func() float64 { return float64(c.fn(p.bus.Stats())) })
	}
	return p
}

// readyInfo is what /readyz adds about this node.
func (p *clusterParts) readyInfo() map[string]any {
	type lease struct {
		ChannelID int64   `json:"channel_id"`
		CompanyID int64   `json:"company_id"`
		Token     int64   `json:"token"`
		ValidFor  float64 `json:"valid_for_seconds"`
	}
	held := p.coord.Held()
	leases := make([]lease, 0, len(held))
	for _, h := range held {
		leases = append(leases, lease{h.ChannelID, h.CompanyID, h.Token, h.ValidFor.Round(time.Millisecond).Seconds()})
	}
	live, _ := p.coord.Status()
	info := map[string]any{"node": p.coord.NodeID(), "live_nodes": live, "mailbox_leases": leases}
	if p.bus != nil {
		info["events_bus"] = p.bus.Stats().Connected
	}
	return info
}

// check fails readiness while the node cannot reach the database for its
// heartbeats, or its event bus is down.
func (p *clusterParts) check(context.Context) error {
	if _, err := p.coord.Status(); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if p.bus != nil && !p.bus.Stats().Connected {
		return fmt.Errorf("cluster: live-event bus not connected")
	}
	return nil
}
