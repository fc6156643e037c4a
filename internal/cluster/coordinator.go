package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

// Store is what a Coordinator needs from store.Store.
type Store interface {
	HeartbeatNode(ctx context.Context, n *store.Node, takeOver time.Duration) error
	StopNode(ctx context.Context, nodeID string) error
	ListNodes(ctx context.Context) ([]store.Node, error)
	AcquireMailboxLease(ctx context.Context, companyID, channelID int64, nodeID string, ttl time.Duration) (*store.MailboxLease, error)
	RenewMailboxLeases(ctx context.Context, nodeID string, leases map[int64]int64, ttl time.Duration) ([]int64, error)
	ReleaseMailboxLease(ctx context.Context, channelID int64, nodeID string, token int64) error
	ListMailboxLeases(ctx context.Context) ([]store.MailboxLease, error)
}

// Mailbox is one channel whose IMAP connection some node must hold.
type Mailbox struct {
	CompanyID int64
	ChannelID int64
}

// Lease kinds reported to Config.OnLease (metrics, logs).
const (
	LeaseAcquired = "acquired" // taken (free, released or expired)
	LeaseReleased = "released" // given up: rebalancing, channel gone, shutdown
	LeaseLost     = "lost"     // the database did not renew it, or a fenced write was refused
	LeaseExpired  = "expired"  // no renewal in time: dropped locally (self-fencing)
)

// Config configures a Coordinator. Zero durations take the defaults.
type Config struct {
	// NodeID names this node; unique among the nodes sharing the database.
	NodeID string
	// HTTPAddr, SMTPAddr, Version are shown by `atende admin nodes`.
	HTTPAddr, SMTPAddr, Version string

	TTL     time.Duration // lease period (15 s)
	Renew   time.Duration // renew interval (TTL/3)
	Margin  time.Duration // stop this long before a lease could run out (TTL/3)
	Balance time.Duration // how often to rebalance and take free leases (2 s)
	Tick    time.Duration // the loop's pace (Balance/4, at most 500 ms)

	// Mailboxes lists the mailboxes that need an owner (every enabled
	// channel whose incoming mail is external).
	Mailboxes func(ctx context.Context) ([]Mailbox, error)
	// OnChange is called, on the coordinator's goroutine, after the set of
	// held leases changed; when it returns, mailboxes no longer held must
	// have stopped syncing (imapsync.Manager.Reload does that).
	OnChange func(ctx context.Context)
	// Stopped, at shutdown, waits until no mailbox syncs any more; then
	// the leases are released (imapsync.Manager.Wait).
	Stopped func()
	// OnLease observes lease changes (metrics); optional.
	OnLease func(kind string, channelID int64)
	// OnPeerGone is called, on the coordinator's goroutine, when a node
	// that was live at the last balance is not any more (its heartbeat
	// went stale, it stopped, or another process took its ID). A node
	// killed between committing a change and publishing its event never
	// tells anyone: the app has this node's live clients re-read their
	// state. Optional.
	OnPeerGone func(nodeID string)
}

func (c Config) withDefaults() Config {
	if c.TTL <= 0 {
		c.TTL = 15 * time.Second
	}
	if c.Renew <= 0 {
		c.Renew = c.TTL / 3
	}
	if c.Margin <= 0 {
		c.Margin = c.TTL / 3
	}
	if c.Balance <= 0 {
		c.Balance = 2 * time.Second
	}
	if c.Tick <= 0 {
		c.Tick = min(c.Balance/4, 500*time.Millisecond)
	}
	if c.NodeID == "" {
		c.NodeID = DefaultNodeID()
	}
	return c
}

// DefaultNodeID is the host name (the --node-id default).
func DefaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "atende"
	}
	return h
}

// Held is one lease this node holds.
type Held struct {
	CompanyID int64
	ChannelID int64
	Token     int64
	// ValidFor is how much longer this node will consider the lease its
	// own without another renewal (self-fencing deadline).
	ValidFor time.Duration
}

type held struct {
	companyID int64
	token     int64
	until     time.Time // monotonic: sent time of the last good renewal + TTL - Margin
}

// Coordinator holds this node's mailbox leases; see the package doc.
type Coordinator struct {
	st  Store
	cfg Config
	log *slog.Logger

	instance string // random per process (store.Node.Instance)

	mu    sync.Mutex
	held  map[int64]held
	lost  chan struct{} // a fenced write was refused: drop at once
	nodes int           // live nodes at the last balance
	// beating: the last heartbeat was accepted; until then (a second
	// process with our node ID, a database outage) no lease is taken
	beating bool
	// nextExpiry: when another node's heartbeat goes stale or the first
	// lease it holds runs out (monotonic), so a dead node's mailboxes are
	// taken right then rather than at the next Balance tick
	nextExpiry time.Time
	err        error // last database error (readiness)
	// peers: the other live nodes at the last balance (ID → instance);
	// nil before the first
	peers map[string]string
}

// New makes a Coordinator; call Run.
func New(st Store, log *slog.Logger, cfg Config) *Coordinator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	var inst [8]byte
	_, _ = rand.Read(inst[:])
	return &Coordinator{st: st, cfg: cfg, log: log.With("node", cfg.NodeID), instance: hex.EncodeToString(inst[:]),
		held: map[int64]held{}, lost: make(chan struct{}, 1)}
}

// NodeID is this node's name.
func (c *Coordinator) NodeID() string { return c.cfg.NodeID }

// Token returns the fencing token of channelID's lease while this node
// holds it (and its self-fencing deadline has not passed).
func (c *Coordinator) Token(channelID int64) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.held[channelID]
	if !ok || !time.Now().Before(h.until) {
		return 0, false
	}
	return h.token, true
}

// Lost tells the coordinator that a write under token was refused
// (store.ErrLeaseLost): the lease is dropped without waiting for the next
// renewal.
func (c *Coordinator) Lost(channelID, token int64) {
	c.mu.Lock()
	if h, ok := c.held[channelID]; ok && h.token == token {
		h.until = time.Time{}
		c.held[channelID] = h
	}
	c.mu.Unlock()
	select {
	case c.lost <- struct{}{}:
	default:
	}
}

// Held lists the leases this node holds, by channel ID.
func (c *Coordinator) Held() []Held {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	out := make([]Held, 0, len(c.held))
	for id, h := range c.held {
		if v := h.until.Sub(now); v > 0 {
			out = append(out, Held{CompanyID: h.companyID, ChannelID: id, Token: h.token, ValidFor: v})
		}
	}
	slices.SortFunc(out, func(a, b Held) int { return int(a.ChannelID - b.ChannelID) })
	return out
}

// Status is the coordinator's view for readiness: live nodes at the last
// balance and the last database error (nil when the last round worked).
func (c *Coordinator) Status() (liveNodes int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes, c.err
}

// Run heartbeats, renews and balances until ctx ends; then it waits for
// Config.Stopped, releases every lease and marks the node stopped.
func (c *Coordinator) Run(ctx context.Context) error {
	defer c.shutdown()
	var lastRenew, lastBalance time.Time
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		changed := c.expire()
		if time.Since(lastRenew) >= c.cfg.Renew {
			lastRenew = time.Now()
			ch, err := c.renew(ctx)
			changed = changed || ch
			c.setErr(err)
		}
		c.mu.Lock()
		expiry := c.nextExpiry
		c.mu.Unlock()
		if time.Since(lastBalance) >= c.cfg.Balance || (!expiry.IsZero() && !time.Now().Before(expiry)) {
			lastBalance = time.Now()
			ch, err := c.balance(ctx, changed)
			changed = ch
			if err != nil {
				c.setErr(err)
			}
		} else if changed {
			c.notify(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-c.lost:
		}
	}
}

func (c *Coordinator) setErr(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		c.log.Warn("cluster: database round failed", "err", err)
	}
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
}

// notify runs OnChange, recovering a panic so the leases keep being renewed.
func (c *Coordinator) notify(ctx context.Context) {
	if c.cfg.OnChange == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("cluster: OnChange panicked", "panic", p, "stack", string(debug.Stack()))
		}
	}()
	c.cfg.OnChange(ctx)
}

func (c *Coordinator) observe(kind string, channelID int64) {
	if c.cfg.OnLease != nil {
		c.cfg.OnLease(kind, channelID)
	}
}

// expire drops the leases whose self-fencing deadline passed.
func (c *Coordinator) expire() bool {
	now := time.Now()
	var gone []int64
	c.mu.Lock()
	for id, h := range c.held {
		if !now.Before(h.until) {
			delete(c.held, id)
			gone = append(gone, id)
		}
	}
	c.mu.Unlock()
	for _, id := range gone {
		c.log.Warn("cluster: lease not renewed in time; mailbox sync stops", "channel", id)
		c.observe(LeaseExpired, id)
	}
	return len(gone) > 0
}

// renew heartbeats the node and renews its leases; leases the database
// did not renew are dropped.
func (c *Coordinator) renew(ctx context.Context) (changed bool, err error) {
	sent := time.Now()
	// A process restarted after a crash finds its old instance's row
	// fresh: it waits one lease period (the old leases run out meanwhile).
	if err := c.st.HeartbeatNode(ctx, &store.Node{ID: c.cfg.NodeID, HTTPAddr: c.cfg.HTTPAddr, SMTPAddr: c.cfg.SMTPAddr,
		Version: c.cfg.Version, Instance: c.instance}, c.cfg.TTL); err != nil {
		c.mu.Lock()
		c.beating = false
		c.mu.Unlock()
		return false, fmt.Errorf("heartbeat: %w", err)
	}
	c.mu.Lock()
	c.beating = true
	c.mu.Unlock()
	c.mu.Lock()
	want := make(map[int64]int64, len(c.held))
	for id, h := range c.held {
		want[id] = h.token
	}
	c.mu.Unlock()
	if len(want) == 0 {
		return false, nil
	}
	ok, err := c.st.RenewMailboxLeases(ctx, c.cfg.NodeID, want, c.cfg.TTL)
	if err != nil {
		return false, fmt.Errorf("renew leases: %w", err)
	}
	renewed := make(map[int64]bool, len(ok))
	for _, id := range ok {
		renewed[id] = true
	}
	var lost []int64
	c.mu.Lock()
	for id, tok := range want {
		h, still := c.held[id]
		if !still || h.token != tok {
			continue
		}
		if renewed[id] {
			h.until = sent.Add(c.cfg.TTL - c.cfg.Margin)
			c.held[id] = h
		} else {
			delete(c.held, id)
			lost = append(lost, id)
		}
	}
	c.mu.Unlock()
	for _, id := range lost {
		c.log.Warn("cluster: mailbox lease lost", "channel", id)
		c.observe(LeaseLost, id)
	}
	return len(lost) > 0, nil
}

// balance releases what is over this node's share and takes free leases
// up to it. changed says whether the held set already changed this round
// (OnChange is then called here, once).
func (c *Coordinator) balance(ctx context.Context, changed bool) (bool, error) {
	nodes, err := c.st.ListNodes(ctx)
	if err != nil {
		if changed {
			c.notify(ctx)
		}
		return false, fmt.Errorf("list nodes: %w", err)
	}
	live := 0
	now := time.Now()
	var next time.Time // when another node's heartbeat goes stale: look again then
	peers := map[string]string{}
	for _, n := range nodes {
		if n.ID == c.cfg.NodeID || (!n.Stopped && n.HeartbeatAge < c.cfg.TTL) {
			live++
		}
		if n.ID != c.cfg.NodeID && !n.Stopped && n.HeartbeatAge < c.cfg.TTL {
			peers[n.ID] = n.Instance
			if at := now.Add(c.cfg.TTL - n.HeartbeatAge + 20*time.Millisecond); next.IsZero() || at.Before(next) {
				next = at
			}
		}
	}
	c.mu.Lock()
	c.nextExpiry = next
	before := c.peers
	c.peers = peers
	c.mu.Unlock()
	if c.cfg.OnPeerGone != nil {
		for id, inst := range before {
			if peers[id] != inst {
				c.log.Info("cluster: node gone", "peer", id)
				c.cfg.OnPeerGone(id)
			}
		}
	}
	live = max(live, 1)
	mbs, err := c.cfg.Mailboxes(ctx)
	if err != nil {
		if changed {
			c.notify(ctx)
		}
		return false, fmt.Errorf("list mailboxes: %w", err)
	}
	c.mu.Lock()
	c.nodes = live
	c.mu.Unlock()
	wanted := make(map[int64]Mailbox, len(mbs))
	for _, mb := range mbs {
		wanted[mb.ChannelID] = mb
	}
	share := (len(mbs) + live - 1) / live

	// Give up leases of mailboxes that no longer sync, then the excess
	// over the share (the highest channel IDs: deterministic, so two
	// nodes shedding at once don't trade the same mailboxes back and
	// forth). Sync stops first (OnChange), then the database row.
	var drop []int64
	c.mu.Lock()
	var keep []int64
	for id := range c.held {
		if _, ok := wanted[id]; ok {
			keep = append(keep, id)
		} else {
			drop = append(drop, id)
		}
	}
	slices.Sort(keep)
	if len(keep) > share {
		drop = append(drop, keep[share:]...)
	}
	released := map[int64]int64{}
	for _, id := range drop {
		released[id] = c.held[id].token
		delete(c.held, id)
	}
	have := len(c.held)
	c.mu.Unlock()
	if len(released) > 0 {
		c.notify(ctx) // stops those syncs before anyone else may start them
		changed = false
		for id, tok := range released {
			if err := c.st.ReleaseMailboxLease(context.WithoutCancel(ctx), id, c.cfg.NodeID, tok); err != nil {
				c.log.Warn("cluster: release lease", "channel", id, "err", err) // it runs out by itself
			}
			c.log.Info("cluster: mailbox lease released", "channel", id, "share", share, "nodes", live)
			c.observe(LeaseReleased, id)
		}
	}

	c.mu.Lock()
	beating := c.beating
	c.mu.Unlock()
	if have < share && beating {
		got, err := c.acquire(ctx, wanted, share-have)
		if got {
			changed = true
		}
		if err != nil {
			if changed {
				c.notify(ctx)
			}
			return false, err
		}
	}
	if changed {
		c.notify(ctx)
	}
	return false, nil
}

// acquire takes up to n free or expired leases of wanted mailboxes.
func (c *Coordinator) acquire(ctx context.Context, wanted map[int64]Mailbox, n int) (bool, error) {
	leases, err := c.st.ListMailboxLeases(ctx)
	if err != nil {
		return false, fmt.Errorf("list leases: %w", err)
	}
	taken := make(map[int64]bool, len(leases))
	c.mu.Lock()
	next := c.nextExpiry
	c.mu.Unlock()
	now := time.Now()
	for _, l := range leases {
		if l.NodeID != "" && l.ExpiresIn > 0 {
			taken[l.ChannelID] = true
			if _, want := wanted[l.ChannelID]; want && l.NodeID != c.cfg.NodeID {
				// a little after it runs out by the database's clock
				if at := now.Add(l.ExpiresIn + 20*time.Millisecond); next.IsZero() || at.Before(next) {
					next = at
				}
			}
		}
	}
	c.mu.Lock()
	c.nextExpiry = next
	c.mu.Unlock()
	c.mu.Lock()
	var free []Mailbox
	for id, mb := range wanted {
		if _, mine := c.held[id]; !mine && !taken[id] {
			free = append(free, mb)
		}
	}
	c.mu.Unlock()
	// Random order: nodes racing for a dead node's mailboxes spread them.
	mrand.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	got := false
	for _, mb := range free {
		if n == 0 || ctx.Err() != nil {
			break
		}
		sent := time.Now()
		l, err := c.st.AcquireMailboxLease(ctx, mb.CompanyID, mb.ChannelID, c.cfg.NodeID, c.cfg.TTL)
		if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			continue // someone was faster, or the channel is gone
		}
		if err != nil {
			return got, fmt.Errorf("acquire lease of channel %d: %w", mb.ChannelID, err)
		}
		c.mu.Lock()
		c.held[mb.ChannelID] = held{companyID: mb.CompanyID, token: l.Token, until: sent.Add(c.cfg.TTL - c.cfg.Margin)}
		c.mu.Unlock()
		c.log.Info("cluster: mailbox lease acquired", "channel", mb.ChannelID, "token", l.Token)
		c.observe(LeaseAcquired, mb.ChannelID)
		got = true
		n--
	}
	return got, nil
}

// shutdown stops every sync, then releases the leases and marks the node
// stopped so the other nodes take its mailboxes at once.
func (c *Coordinator) shutdown() {
	c.mu.Lock()
	ids := make([]int64, 0, len(c.held))
	for id := range c.held {
		ids = append(ids, id)
	}
	c.held = map[int64]held{}
	c.mu.Unlock()
	if c.cfg.Stopped != nil {
		c.cfg.Stopped()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.st.StopNode(ctx, c.cfg.NodeID); err != nil {
		c.log.Warn("cluster: release leases at shutdown", "err", err)
		return
	}
	for _, id := range ids {
		c.observe(LeaseReleased, id)
	}
	c.log.Info("cluster: node stopped; leases released", "leases", len(ids))
}
