package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Acceptor is the part of ingest.Service a sync loop needs.
type Acceptor interface {
	Accept(ctx context.Context, ch *model.Channel, sourceKey string, raw io.Reader) (ingest.Result, error)
}

// CheckpointStore is where folder positions live (store.Sync).
type CheckpointStore interface {
	GetSyncCheckpoint(ctx context.Context, companyID, channelID int64, folder string) (*store.SyncCheckpoint, error)
	PutSyncCheckpoint(ctx context.Context, cp *store.SyncCheckpoint) error
}

// Config tunes the sync loops. Zero values take the defaults.
type Config struct {
	// TLS is the base TLS configuration (RootCAs in tests); verification
	// is always on. ServerName is set per server.
	TLS *tls.Config
	// AllowInsecure permits Encryption "none" (explicit opt-in), and only
	// to a loopback host: a mailbox password never crosses a network
	// unencrypted.
	AllowInsecure bool
	// Dial opens the TCP connection (netguard.Guard.DialContext in the
	// server: no internal addresses); nil dials directly.
	Dial DialFunc
	// PollInterval is how often a server without IDLE is checked (60 s).
	PollInterval time.Duration
	// IdleRestart re-issues IDLE this often (25 min; RFC 2177 servers may
	// drop an IDLE after 29 min).
	IdleRestart time.Duration
	// BatchSize is the number of messages fetched per UID FETCH (100).
	BatchSize int
	// BackoffMin/BackoffMax bound the reconnect delay (1 s / 5 min).
	BackoffMin, BackoffMax time.Duration
	// BackoffHealthyMax caps the delay instead of BackoffMax while the
	// server is unreachable after a healthy connection (5 s), for up to
	// HealthyWindow (15 min) of outage: a restarted server is back in
	// seconds, while a mailbox that never worked backs off to minutes.
	BackoffHealthyMax, HealthyWindow time.Duration
	// DialTimeout covers connect + TLS + greeting (30 s).
	DialTimeout time.Duration
	// CommandTimeout bounds one command, and the gap between two fetched
	// messages (2 min).
	CommandTimeout time.Duration
	// ReloadInterval: how often Manager.Run re-reads the channel list (30 s).
	ReloadInterval time.Duration
	// Clock is the program's one clock; NewManager sets it, NewFolder
	// requires it.
	Clock clock.Clock
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, 60*time.Second)
	def(&c.IdleRestart, 25*time.Minute)
	def(&c.BackoffMin, time.Second)
	def(&c.BackoffMax, 5*time.Minute)
	def(&c.BackoffHealthyMax, 5*time.Second)
	def(&c.HealthyWindow, 15*time.Minute)
	def(&c.DialTimeout, 30*time.Second)
	def(&c.CommandTimeout, 2*time.Minute)
	def(&c.ReloadInterval, 30*time.Second)
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	return c
}

// Event is what a folder loop reports to its status sink.
type Event struct {
	Folder  string
	State   store.SyncState
	Done    int64 // initial import progress of this folder
	Total   int64
	Problem *providers.Problem // with StateError / StateReconnectNeeded, or a warning
	// Imported is the number of messages accepted in this step.
	Imported int
	IDLE     bool // the server supports IDLE (set with State connected)
}

// Folder syncs one folder of one channel. Create it with NewFolder and
// call Run; it owns one IMAP connection at a time.
type Folder struct {
	ch       *model.Channel
	folder   string
	password func(ctx context.Context) (string, error)
	// token gives the access token when the IMAP auth is "oauth" (set by
	// the Manager from its TokenProvider; see SetToken).
	token  func(ctx context.Context, force bool) (string, error)
	acc    Acceptor
	cps    CheckpointStore
	cfg    Config
	log    *slog.Logger
	report func(Event)

	c    *imapclient.Client
	conn net.Conn // under c; closing it unblocks everything
	wake chan struct{}
	// counters, for tests and metrics
	sessions atomic.Int64
	idles    atomic.Int64
	polls    atomic.Int64
	open     atomic.Bool // connected now (metrics)
	// selected is set when a session got as far as selecting the folder
	// (a healthy connection), for the reconnect pacing in Run.
	selected atomic.Bool
	// failures in a row before this session, and since when (unix ns),
	// for the "reconnected" log line.
	failures  atomic.Int64
	downSince atomic.Int64
}

// NewFolder makes a loop for ch's folder. password is asked on every
// (re)connect so a changed secret takes effect; report receives status
// events (may be nil).
func NewFolder(ch *model.Channel, folder string, password func(ctx context.Context) (string, error), acc Acceptor,
	cps CheckpointStore, cfg Config, log *slog.Logger, report func(Event)) *Folder {
	if cfg.Clock == nil {
		panic("imapsync: NewFolder needs cfg.Clock")
	}
	if report == nil {
		report = func(Event) {}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Folder{ch: ch, folder: folder, password: password, acc: acc, cps: cps, cfg: cfg.withDefaults(),
		log: log.With("channel", ch.ID, "company", ch.CompanyID, "folder", folder), report: report}
}

// SetToken sets where an "oauth" channel's access token comes from; call
// it before Run.
func (f *Folder) SetToken(token func(ctx context.Context, force bool) (string, error)) {
	f.token = token
}

// Run syncs until ctx ends, reconnecting with backoff. It returns nil on
// cancellation; it never returns early for server errors.
func (f *Folder) Run(ctx context.Context) error {
	backoff := f.cfg.BackoffMin
	var healthyAt time.Time // wall clock: end of the last session that worked
	var downSince time.Time // first failure of the current streak
	failures := 0
	for ctx.Err() == nil {
		start := time.Now() // wall clock: how long the session really lasted paces the backoff
		f.selected.Store(false)
		err := f.safeSession(ctx)
		if ctx.Err() != nil {
			return nil
		}
		now := time.Now()
		if f.selected.Load() {
			// This session worked: the next failure starts a new streak
			// with a short delay.
			healthyAt, backoff, failures, downSince = now, f.cfg.BackoffMin, 0, time.Time{}
		}
		var p *providers.Problem
		if !errors.As(err, &p) {
			p = providers.NetProblem("imap", serverAddr(f.ch.Settings.IMAP), f.ch.Settings.Provider, err)
		}
		state := store.SyncError
		limit := f.cfg.BackoffMax
		recent := !healthyAt.IsZero() && now.Sub(healthyAt) < f.cfg.HealthyWindow
		if recent && providers.Unreachable(p) {
			// It worked before: the server is down, the set-up is fine.
			p = &providers.Problem{Code: providers.CodeServerUnreachable, Severity: providers.SeverityError, Server: "imap",
				Host: p.Host, Provider: p.Provider, Err: p.Err}
			limit = f.cfg.BackoffHealthyMax
		}
		wait := min(backoff, limit)
		if isAuthProblem(err) {
			state = store.SyncReconnectNeeded
			wait = f.cfg.BackoffMax
		}
		failures++
		if downSince.IsZero() {
			downSince = now
		}
		f.failures.Store(int64(failures))
		f.log.Warn("imapsync: session ended", "err", err, "code", p.Code, "retry_in", wait, "failures", failures)
		f.report(Event{Folder: f.folder, State: state, Problem: p})
		// A session that ran a good while was healthy: start over small.
		if time.Since(start) > 2*f.cfg.BackoffMax {
			backoff = f.cfg.BackoffMin
		}
		if !sleep(ctx, jitter(wait)) {
			return nil
		}
		backoff = min(backoff*2, f.cfg.BackoffMax)
		f.downSince.Store(downSince.UnixNano())
	}
	return nil
}

// jitter spreads d over [d/2, d) so many mailboxes don't reconnect in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// safeSession runs one session, turning a panic into an error so one bad
// mailbox never takes the process down.
func (f *Folder) safeSession(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			f.log.Error("imapsync: panic", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("imapsync: panic: %v", r)
		}
		if f.c != nil {
			f.conn.Close()
			// Client.Close waits for its reader, which a panic may have
			// left blocked on an undrained response: don't wait here.
			go f.c.Close()
			f.c, f.conn = nil, nil
		}
	}()
	return f.session(ctx)
}

func (f *Folder) session(ctx context.Context) error {
	f.sessions.Add(1)
	set := f.ch.Settings
	addr := serverAddr(set.IMAP)
	f.wake = make(chan struct{}, 1)
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case f.wake <- struct{}{}:
				default:
				}
			}
		},
	}
	useOAuth := set.IMAP.Auth == AuthOAuth
	var pw, token string
	var err error
	if useOAuth {
		// before dialing: a revoked grant never reaches the server
		if token, err = f.accessToken(ctx, false); err != nil {
			return err
		}
	} else if pw, err = f.password(ctx); err != nil {
		return providers.New(providers.CodeMissingPassword, "imap", addr, set.Provider, err)
	}
	c, conn, err := connect(ctx, set.IMAP, dialOptions{TLS: f.cfg.TLS, Insecure: f.cfg.AllowInsecure, DialTimeout: f.cfg.DialTimeout, Dial: f.cfg.Dial,
		Provider: set.Provider, Handler: handler})
	if err != nil {
		return err
	}
	f.c, f.conn = c, conn
	f.open.Store(true)
	defer f.open.Store(false)
	// Cancelling ctx closes the connection, which ends any blocked command.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if useOAuth {
		if err := f.oauthLogin(ctx, c, token); err != nil {
			return err
		}
	} else if err := f.guard(func() error { return login(c, set.IMAP, pw, set.Provider) }); err != nil {
		return err
	}
	readOnly := set.AfterImport == "" || set.AfterImport == "none"
	var sel *imap.SelectData
	err = f.guard(func() error {
		var err error
		sel, err = c.Select(f.folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
		return err
	})
	if err != nil {
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
			p := providers.New(providers.CodeFolderNotFound, "imap", addr, set.Provider, err)
			p.Folder = f.folder
			return p
		}
		return providers.NetProblem("imap", addr, set.Provider, fmt.Errorf("select %q: %w", f.folder, err))
	}
	idle := c.Caps().Has(imap.CapIdle)
	f.selected.Store(true)
	if n := f.failures.Swap(0); n > 0 {
		since := time.Unix(0, f.downSince.Swap(0))
		f.log.Info("imapsync: reconnected", "failures", n, "down_ms", time.Since(since).Milliseconds())
	}
	f.report(Event{Folder: f.folder, State: store.SyncConnected, IDLE: idle})
	if !idle {
		f.report(Event{Folder: f.folder, State: store.SyncConnected, Problem: providers.New(providers.CodeIdleMissing, "imap", addr, set.Provider, nil)})
	}
	cp, err := f.checkpoint(ctx, sel)
	if err != nil {
		return err
	}
	for {
		if err := f.syncNew(ctx, cp); err != nil {
			return err
		}
		f.report(Event{Folder: f.folder, State: store.SyncIdle, Done: cp.ImportDone, Total: cp.ImportTotal})
		if idle {
			err = f.idleWait(ctx)
		} else {
			err = f.pollWait(ctx)
		}
		if err != nil {
			return err
		}
	}
}

// guard runs one blocking IMAP exchange; if it takes longer than
// CommandTimeout the connection is closed, which makes it return.
func (f *Folder) guard(fn func() error) error {
	conn := f.conn
	t := time.AfterFunc(f.cfg.CommandTimeout, func() {
		f.log.Warn("imapsync: command timed out; closing connection")
		conn.Close()
	})
	defer t.Stop()
	return fn()
}

// checkpoint loads the folder's checkpoint, creating it by the history
// policy on first sync, or resetting it after a UIDVALIDITY change.
func (f *Folder) checkpoint(ctx context.Context, sel *imap.SelectData) (*store.SyncCheckpoint, error) {
	cp, err := f.cps.GetSyncCheckpoint(ctx, f.ch.CompanyID, f.ch.ID, f.folder)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("imapsync: load checkpoint: %w", err)
	}
	now := f.cfg.Clock.Now().UTC()
	uidNext := uint32(sel.UIDNext)
	if uidNext == 0 { // server did not say: find the highest UID
		uids, err := f.searchUIDs(&imap.SearchCriteria{})
		if err != nil {
			return nil, err
		}
		uidNext = 1
		if len(uids) > 0 {
			uidNext = uids[len(uids)-1] + 1
		}
	}
	switch {
	case cp == nil:
		cp = &store.SyncCheckpoint{CompanyID: f.ch.CompanyID, ChannelID: f.ch.ID, Folder: f.folder, UIDValidity: sel.UIDValidity}
		days := f.ch.Settings.HistoryDays
		switch {
		case days == 0: // only new mail
			cp.LastUID, cp.ImportUntil, cp.ImportComplete, cp.SyncedSince = uidNext-1, uidNext-1, true, now
		case days < 0: // everything
			if err := f.planImport(cp, &imap.SearchCriteria{}, uidNext); err != nil {
				return nil, err
			}
		default:
			cp.SyncedSince = now.AddDate(0, 0, -days)
			if err := f.planImport(cp, &imap.SearchCriteria{Since: cp.SyncedSince}, uidNext); err != nil {
				return nil, err
			}
		}
		f.log.Info("imapsync: first sync", "history_days", days, "from_uid", cp.LastUID+1, "total", cp.ImportTotal)
	case cp.UIDValidity != sel.UIDValidity:
		f.log.Warn("imapsync: UIDVALIDITY changed; re-scanning", "old", cp.UIDValidity, "new", sel.UIDValidity, "since", cp.SyncedSince)
		crit := &imap.SearchCriteria{}
		if !cp.SyncedSince.IsZero() {
			crit.Since = cp.SyncedSince.AddDate(0, 0, -1) // SINCE is date-only and server-local
		}
		cp.UIDValidity, cp.ImportDone, cp.ImportComplete = sel.UIDValidity, 0, false
		if err := f.planImport(cp, crit, uidNext); err != nil {
			return nil, err
		}
	default:
		return cp, nil
	}
	if err := f.cps.PutSyncCheckpoint(ctx, cp); err != nil {
		return nil, fmt.Errorf("imapsync: save checkpoint: %w", err)
	}
	return cp, nil
}

// planImport sets an initial import of the messages matching crit: it
// starts below the first match and runs up to the UIDs existing now.
func (f *Folder) planImport(cp *store.SyncCheckpoint, crit *imap.SearchCriteria, uidNext uint32) error {
	uids, err := f.searchUIDs(crit)
	if err != nil {
		return err
	}
	cp.ImportUntil = uidNext - 1
	cp.ImportDone = 0
	if len(uids) == 0 {
		cp.LastUID, cp.ImportTotal, cp.ImportComplete = uidNext-1, 0, true
		return nil
	}
	cp.LastUID = uids[0] - 1
	cp.ImportTotal = int64(len(uids))
	cp.ImportComplete = false
	return nil
}

func (f *Folder) searchUIDs(crit *imap.SearchCriteria) ([]uint32, error) {
	var data *imap.SearchData
	err := f.guard(func() error {
		var err error
		data, err = f.c.UIDSearch(crit, nil).Wait()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("imapsync: uid search: %w", err)
	}
	all := data.AllUIDs()
	out := make([]uint32, len(all))
	for i, u := range all {
		out[i] = uint32(u)
	}
	slices.Sort(out)
	return out, nil
}

// syncNew imports every message above the checkpoint, in batches.
func (f *Folder) syncNew(ctx context.Context, cp *store.SyncCheckpoint) error {
	uids, err := f.searchUIDs(&imap.SearchCriteria{UID: []imap.UIDSet{{imap.UIDRange{Start: imap.UID(cp.LastUID + 1), Stop: 0}}}})
	if err != nil {
		return err
	}
	// "n:*" always matches the highest UID, even when it is below n.
	uids = slices.DeleteFunc(uids, func(u uint32) bool { return u <= cp.LastUID })
	if len(uids) == 0 {
		return nil
	}
	if !cp.ImportComplete {
		f.report(Event{Folder: f.folder, State: store.SyncSyncing, Done: cp.ImportDone, Total: cp.ImportTotal})
	}
	for len(uids) > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n := min(len(uids), f.cfg.BatchSize)
		if err := f.fetchBatch(ctx, cp, uids[:n]); err != nil {
			return err
		}
		uids = uids[n:]
	}
	return nil
}

// fetchBatch fetches the given UIDs (ascending) with BODY.PEEK[], hands
// each to ingest, then advances the checkpoint past every UID that was
// accepted or no longer exists, and applies the after-import action.
func (f *Folder) fetchBatch(ctx context.Context, cp *store.SyncCheckpoint, uids []uint32) error {
	set := imap.UIDSet{}
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	accepted := make(map[uint32]bool, len(uids))
	var acceptedList []imap.UID
	c, conn := f.c, f.conn
	// The watchdog is re-armed for every message, so a big mailbox is
	// fine as long as the server keeps sending.
	wd := time.AfterFunc(f.cfg.CommandTimeout, func() { conn.Close() })
	defer wd.Stop()
	fetch := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	var firstErr error
	for msg := fetch.Next(); msg != nil; msg = fetch.Next() {
		wd.Reset(f.cfg.CommandTimeout)
		uid, err := f.safeAcceptOne(ctx, msg, cp.UIDValidity, wd)
		if err != nil {
			firstErr = err
			break
		}
		if uid != 0 {
			accepted[uid] = true
			acceptedList = append(acceptedList, imap.UID(uid))
		}
	}
	if firstErr != nil {
		// Stop reading: drop the connection (Close below then drains
		// nothing); the checkpoint advances only over what was accepted.
		conn.Close()
	}
	closeErr := fetch.Close()
	wd.Stop()
	complete := firstErr == nil && closeErr == nil
	// Advance over the accepted prefix; when the FETCH completed, UIDs the
	// server did not return were expunged meanwhile and are skipped too.
	last := cp.LastUID
	for _, u := range uids {
		if accepted[u] || complete {
			last = u
			continue
		}
		break
	}
	if n := len(acceptedList); n > 0 || last != cp.LastUID {
		cp.LastUID = last
		if !cp.ImportComplete {
			cp.ImportDone += int64(n)
			if cp.LastUID >= cp.ImportUntil {
				cp.ImportComplete = true
				cp.ImportDone = max(cp.ImportDone, cp.ImportTotal)
			}
		}
		if err := f.cps.PutSyncCheckpoint(ctx, cp); err != nil {
			return fmt.Errorf("imapsync: save checkpoint: %w", err)
		}
		state := store.SyncSyncing
		if cp.ImportComplete {
			state = store.SyncIdle
		}
		f.report(Event{Folder: f.folder, State: state, Done: cp.ImportDone, Total: cp.ImportTotal, Imported: n})
	}
	if firstErr != nil {
		return firstErr
	}
	if closeErr != nil {
		return fmt.Errorf("imapsync: fetch: %w", closeErr)
	}
	return f.afterImport(acceptedList)
}

// safeAcceptOne is acceptOne with a panic turned into an error, so the
// FETCH is still closed (drained) properly by the caller.
func (f *Folder) safeAcceptOne(ctx context.Context, msg *imapclient.FetchMessageData, uidValidity uint32, wd *time.Timer) (uid uint32, err error) {
	defer func() {
		if r := recover(); r != nil {
			f.log.Error("imapsync: panic while importing", "panic", r, "stack", string(debug.Stack()))
			uid, err = 0, fmt.Errorf("imapsync: panic: %v", r)
		}
	}()
	return f.acceptOne(ctx, msg, uidValidity, wd)
}

// acceptOne streams one FETCH response into ingest. It returns the UID
// accepted, or 0 when the response carried no body (a flags update).
func (f *Folder) acceptOne(ctx context.Context, msg *imapclient.FetchMessageData, uidValidity uint32, wd *time.Timer) (uint32, error) {
	var uid uint32
	var spool *os.File
	defer func() {
		if spool != nil {
			spool.Close()
			os.Remove(spool.Name())
		}
	}()
	var body io.Reader
	for item := msg.Next(); item != nil; item = msg.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			uid = uint32(it.UID)
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				continue
			}
			r := &progressReader{r: it.Literal, wd: wd, d: f.cfg.CommandTimeout}
			if uid != 0 {
				if err := f.accept(ctx, uid, uidValidity, r); err != nil {
					return 0, err
				}
				body = r
				continue
			}
			// The body came before the UID: spool it to disk (bounded
			// memory) until we know the UID.
			var err error
			spool, err = os.CreateTemp("", "atende-imap-*.eml")
			if err != nil {
				return 0, fmt.Errorf("imapsync: spool: %w", err)
			}
			if _, err := io.Copy(spool, r); err != nil {
				return 0, fmt.Errorf("imapsync: spool: %w", err)
			}
		}
	}
	switch {
	case spool != nil && uid != 0:
		if _, err := spool.Seek(0, io.SeekStart); err != nil {
			return 0, err
		}
		if err := f.accept(ctx, uid, uidValidity, spool); err != nil {
			return 0, err
		}
	case body == nil:
		return 0, nil
	}
	return uid, nil
}

// accept hands one message to ingest. Messages ingest can never take
// (too large, empty) are logged and skipped so they don't block the
// folder forever; any other error stops the batch.
func (f *Folder) accept(ctx context.Context, uid, uidValidity uint32, r io.Reader) error {
	key := "imap:" + f.folder + ":" + strconv.FormatUint(uint64(uidValidity), 10) + ":" + strconv.FormatUint(uint64(uid), 10)
	res, err := f.acc.Accept(ctx, f.ch, key, r)
	if errors.Is(err, ingest.ErrTooLarge) || errors.Is(err, ingest.ErrEmpty) {
		f.log.Error("imapsync: message skipped", "uid", uid, "err", err)
		_, _ = io.Copy(io.Discard, r)
		return nil
	}
	if err != nil {
		return fmt.Errorf("imapsync: accept uid %d: %w", uid, err)
	}
	f.log.Debug("imapsync: accepted", "uid", uid, "inbound", res.InboundID, "size", res.Size, "duplicate", res.Duplicate)
	return nil
}

// progressReader re-arms the watchdog while a literal streams in.
type progressReader struct {
	r  io.Reader
	wd *time.Timer
	d  time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.wd.Reset(p.d)
	}
	return n, err
}

// afterImport applies the channel's after-import action to accepted UIDs.
func (f *Folder) afterImport(uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	set := imap.UIDSetNum(uids...)
	c := f.c
	switch f.ch.Settings.AfterImport {
	case "mark_read":
		return f.guard(func() error {
			return c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		})
	case "move":
		to := f.ch.Settings.MoveTo
		if to == "" || to == f.folder {
			return nil
		}
		if c.Caps().Has(imap.CapMove) {
			return f.guard(func() error {
				_, err := c.Move(set, to).Wait()
				return wrapMove(err, to)
			})
		}
		return f.guard(func() error {
			if _, err := c.Copy(set, to).Wait(); err != nil {
				return wrapMove(err, to)
			}
			if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
				return fmt.Errorf("imapsync: flag moved messages deleted: %w", err)
			}
			if c.Caps().Has(imap.CapUIDPlus) {
				return c.UIDExpunge(set).Close()
			}
			return nil // without UIDPLUS an EXPUNGE could remove other people's \Deleted mail
		})
	}
	return nil
}

func wrapMove(err error, to string) error {
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo {
		p := providers.New(providers.CodeFolderNotFound, "imap", "", "", err)
		p.Folder = to
		return p
	}
	return fmt.Errorf("imapsync: move to %q: %w", to, err)
}

// idleWait runs IDLE until the server reports new mail, IdleRestart
// passes, or ctx ends.
func (f *Folder) idleWait(ctx context.Context) error {
	f.idles.Add(1)
	c := f.c
	var cmd *imapclient.IdleCommand
	err := f.guard(func() error {
		var err error
		cmd, err = c.Idle()
		return err
	})
	if err != nil {
		return fmt.Errorf("imapsync: idle: %w", err)
	}
	t := time.NewTimer(f.cfg.IdleRestart)
	defer t.Stop()
	select {
	case <-f.wake:
	case <-t.C:
	case <-ctx.Done():
	case <-c.Closed():
	}
	return f.guard(func() error {
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("imapsync: idle done: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("imapsync: idle: %w", err)
		}
		return ctx.Err()
	})
}

// pollWait sleeps PollInterval (or until ctx ends) and sends NOOP, which
// also lets the server report new messages.
func (f *Folder) pollWait(ctx context.Context) error {
	f.polls.Add(1)
	if !sleep(ctx, f.cfg.PollInterval) {
		return ctx.Err()
	}
	return f.guard(func() error {
		if err := f.c.Noop().Wait(); err != nil {
			return fmt.Errorf("imapsync: noop: %w", err)
		}
		return nil
	})
}
