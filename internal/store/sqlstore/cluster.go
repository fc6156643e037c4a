package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// dbNowMS is the database's clock in milliseconds since the Unix epoch:
// the one clock leases are decided by (see store.Cluster). Everything
// else in this package uses the program's clock.
func (d *Dialect) dbNowMS() string {
	if d.Name == "postgres" {
		return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
	}
	return "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

const nodeCols = "node_id, http_addr, smtp_addr, version, instance, stopped, started_ms, heartbeat_ms"

// HeartbeatNode upserts the node's row on the database's clock, unless
// another live instance holds the ID.
func (s q) HeartbeatNode(ctx context.Context, n *store.Node, takeOver time.Duration) error {
	now := s.d.dbNowMS()
	var started, beat int64
	err := s.wrow(ctx, `INSERT INTO nodes (node_id, started_ms, heartbeat_ms, http_addr, smtp_addr, version, instance, stopped)
		VALUES (?, `+now+`, `+now+`, ?, ?, ?, ?, ?)
		ON CONFLICT (node_id) DO UPDATE SET heartbeat_ms = excluded.heartbeat_ms,
			started_ms = CASE WHEN nodes.instance = excluded.instance AND NOT nodes.stopped THEN nodes.started_ms ELSE excluded.started_ms END,
			http_addr = excluded.http_addr, smtp_addr = excluded.smtp_addr, version = excluded.version,
			instance = excluded.instance, stopped = excluded.stopped
		WHERE nodes.instance = excluded.instance OR nodes.stopped OR nodes.heartbeat_ms <= excluded.heartbeat_ms - ?
		RETURNING started_ms, heartbeat_ms`, n.ID, n.HTTPAddr, n.SMTPAddr, n.Version, n.Instance, false, takeOver.Milliseconds()).Scan(&started, &beat)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: heartbeat node %s: another process with this node ID is running: %w", n.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store: heartbeat node %s: %w", n.ID, err)
	}
	n.StartedAt, n.HeartbeatAt, n.HeartbeatAge, n.Stopped = msTime(started), msTime(beat), 0, false
	return nil
}

// StopNode marks a node stopped and releases its leases.
func (s q) StopNode(ctx context.Context, nodeID string) error {
	if _, err := s.exec(ctx, "UPDATE mailbox_leases SET node_id = '', expires_ms = 0 WHERE node_id = ?", nodeID); err != nil {
		return fmt.Errorf("store: stop node %s: release leases: %w", nodeID, err)
	}
	if _, err := s.exec(ctx, "UPDATE nodes SET stopped = ? WHERE node_id = ?", true, nodeID); err != nil {
		return fmt.Errorf("store: stop node %s: %w", nodeID, err)
	}
	return nil
}

// ListNodes lists every node with its heartbeat age on the database's clock.
func (s q) ListNodes(ctx context.Context) ([]store.Node, error) {
	return list(ctx, s, "list nodes", func(sc interface{ Scan(...any) error }) (*store.Node, error) {
		var n store.Node
		var started, beat, now int64
		err := sc.Scan(&n.ID, &n.HTTPAddr, &n.SMTPAddr, &n.Version, &n.Instance, &n.Stopped, &started, &beat, &now)
		n.StartedAt, n.HeartbeatAt, n.HeartbeatAge = msTime(started), msTime(beat), time.Duration(now-beat)*time.Millisecond
		return &n, err
	}, "SELECT "+nodeCols+", "+s.d.dbNowMS()+" FROM nodes ORDER BY node_id")
}

const leaseCols = "channel_id, company_id, node_id, token, acquired_ms, expires_ms"

func scanLease(sc interface{ Scan(...any) error }) (*store.MailboxLease, error) {
	var l store.MailboxLease
	var acq, exp, now int64
	err := sc.Scan(&l.ChannelID, &l.CompanyID, &l.NodeID, &l.Token, &acq, &exp, &now)
	l.AcquiredAt, l.ExpiresAt = msTime(acq), msTime(exp)
	if l.NodeID != "" && exp > now {
		l.ExpiresIn = time.Duration(exp-now) * time.Millisecond
	}
	return &l, err
}

// AcquireMailboxLease takes a free or expired lease with the next token.
func (s q) AcquireMailboxLease(ctx context.Context, companyID, channelID int64, nodeID string, ttl time.Duration) (*store.MailboxLease, error) {
	what := fmt.Sprintf("acquire mailbox lease %d for %s", channelID, nodeID)
	if err := s.ownsChannel(ctx, what, companyID, channelID); err != nil {
		return nil, err
	}
	now := s.d.dbNowMS()
	l, err := scanLease(s.wrow(ctx, `INSERT INTO mailbox_leases (`+leaseCols+`)
		VALUES (?, ?, ?, 1, `+now+`, `+now+` + ?)
		ON CONFLICT (channel_id) DO UPDATE SET node_id = excluded.node_id, token = mailbox_leases.token + 1,
			acquired_ms = excluded.acquired_ms, expires_ms = excluded.expires_ms
		WHERE mailbox_leases.node_id = '' OR mailbox_leases.expires_ms <= excluded.acquired_ms
		RETURNING `+leaseCols+`, `+now,
		channelID, companyID, nodeID, ttl.Milliseconds()))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: %s: %w", what, store.ErrConflict) // someone else holds it
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return l, nil
}

// RenewMailboxLeases extends the node's unexpired leases held under the
// given tokens, in one statement.
func (s q) RenewMailboxLeases(ctx context.Context, nodeID string, leases map[int64]int64, ttl time.Duration) ([]int64, error) {
	if len(leases) == 0 {
		return nil, nil
	}
	now := s.d.dbNowMS()
	args := []any{ttl.Milliseconds(), nodeID}
	conds := make([]string, 0, len(leases))
	for ch, tok := range leases {
		conds = append(conds, "(channel_id = ? AND token = ?)")
		args = append(args, ch, tok)
	}
	return s.ids(ctx, "renew mailbox leases of "+nodeID, `UPDATE mailbox_leases SET expires_ms = `+now+` + ?
		WHERE node_id = ? AND expires_ms > `+now+` AND (`+strings.Join(conds, " OR ")+`) RETURNING channel_id`, args...)
}

func (s q) ids(ctx context.Context, what, query string, args ...any) ([]int64, error) {
	rows, err := s.w.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// ReleaseMailboxLease clears a lease held under token, keeping the token.
func (s q) ReleaseMailboxLease(ctx context.Context, channelID int64, nodeID string, token int64) error {
	if _, err := s.exec(ctx, "UPDATE mailbox_leases SET node_id = '', expires_ms = 0 WHERE channel_id = ? AND node_id = ? AND token = ?",
		channelID, nodeID, token); err != nil {
		return fmt.Errorf("store: release mailbox lease %d: %w", channelID, err)
	}
	return nil
}

// ListMailboxLeases lists every lease row.
func (s q) ListMailboxLeases(ctx context.Context) ([]store.MailboxLease, error) {
	return list(ctx, s, "list mailbox leases", scanLease,
		"SELECT "+leaseCols+", "+s.d.dbNowMS()+" FROM mailbox_leases ORDER BY channel_id")
}

// PutSyncCheckpointFenced writes a checkpoint under a mailbox lease.
func (s q) PutSyncCheckpointFenced(ctx context.Context, cp *store.SyncCheckpoint, nodeID string, token int64) error {
	what := fmt.Sprintf("put sync checkpoint %d/%s under lease %d", cp.ChannelID, cp.Folder, token)
	cp.UpdatedAt = s.stamp(cp.UpdatedAt)
	// The lease is checked in the same statement that writes (both for a
	// new row and for a replacement), and the stored fence only grows.
	holds := `EXISTS (SELECT 1 FROM mailbox_leases l WHERE l.channel_id = ? AND l.company_id = ? AND l.node_id = ? AND l.token = ? AND l.expires_ms > ` + s.d.dbNowMS() + `)`
	res, err := s.exec(ctx, `INSERT INTO sync_checkpoints (`+checkpointCols+`, fence)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE `+holds+`
		ON CONFLICT (channel_id, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,
			import_until = excluded.import_until, import_total = excluded.import_total, import_done = excluded.import_done,
			import_complete = excluded.import_complete, synced_since = excluded.synced_since, updated_at = excluded.updated_at,
			fence = excluded.fence
		WHERE sync_checkpoints.company_id = excluded.company_id AND sync_checkpoints.fence <= excluded.fence`,
		cp.CompanyID, cp.ChannelID, cp.Folder, int64(cp.UIDValidity), int64(cp.LastUID), int64(cp.ImportUntil),
		cp.ImportTotal, cp.ImportDone, cp.ImportComplete, nullTime(cp.SyncedSince), cp.UpdatedAt, token,
		cp.ChannelID, cp.CompanyID, nodeID, token)
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", what, store.ErrLeaseLost)
	}
	return nil
}

// QueueStats counts what is not done in the inbound queue and the jobs.
func (s q) QueueStats(ctx context.Context) ([]store.QueueStats, error) {
	now := s.now()
	scan := func(sc interface{ Scan(...any) error }) (*store.QueueStats, error) {
		var st store.QueueStats
		err := sc.Scan(&st.Queue, &st.State, &st.Count, tsv{&st.Oldest}, &st.Running)
		return &st, err
	}
	in, err := list(ctx, s, "queue stats (inbound)", scan, `SELECT 'inbound', state, COUNT(*), MIN(received_at),
		SUM(CASE WHEN state = 'pending' AND lease_until > ? AND attempts > 0 THEN 1 ELSE 0 END)
		FROM inbound WHERE state <> 'done' GROUP BY state ORDER BY state`, now)
	if err != nil {
		return nil, err
	}
	jobs, err := list(ctx, s, "queue stats (jobs)", scan, `SELECT kind, state, COUNT(*), MIN(run_at),
		SUM(CASE WHEN state = 'pending' AND lease_until > ? AND lease_until > run_at THEN 1 ELSE 0 END)
		FROM jobs WHERE state <> 'done' GROUP BY kind, state ORDER BY kind, state`, now)
	if err != nil {
		return nil, err
	}
	return append(in, jobs...), nil
}
