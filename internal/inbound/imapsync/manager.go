package imapsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Store is what the Manager needs from store.Store.
type Store interface {
	store.Sync
	store.Secrets
	ListEnabledChannels(ctx context.Context) ([]model.Channel, error)
}

// Manager runs one Folder loop per folder of every enabled channel whose
// incoming connection is external.
type Manager struct {
	st  Store
	acc Acceptor
	box *secrets.Box
	cfg Config
	log *slog.Logger
	// OAuth channels (SetOAuth)
	tokens  TokenProvider
	notices NoticeStore
	// several nodes (SetOwnership, lease.go)
	own    Ownership
	fenced FencedCheckpoints
	// health hears of each channel's failures and recoveries (SetHealth)
	health Health

	mu      sync.Mutex
	base    context.Context // Run's ctx: loops live under it, not under a Reload caller's ctx
	running map[int64]*channelRun
	wg      sync.WaitGroup
}

type channelRun struct {
	fingerprint string
	cancel      context.CancelFunc
	done        chan struct{}
	folders     []*Folder

	mu      sync.Mutex
	status  store.ChannelStatus
	folderS map[string]Event
	// badToken is the sealed OAuth token the provider refused (set when
	// the channel went reconnect_needed); a different stored token means
	// the admin reconnected, and Reload restarts the channel.
	badToken string
}

// NewManager makes a Manager. box opens the IMAP passwords stored in
// st's Secrets group; clk is the program's one clock (package clock).
func NewManager(st Store, acc Acceptor, box *secrets.Box, clk clock.Clock, log *slog.Logger, cfg Config) *Manager {
	cfg.Clock = clk
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Manager{st: st, acc: acc, box: box, cfg: cfg.withDefaults(), log: log, running: map[int64]*channelRun{}}
}

// SetOAuth enables channels whose IMAP auth is "oauth": tokens gives their
// access tokens (*oauth.Tokens), notices receives an admin notice (kind
// NoticeOAuthReconnect) when a channel's grant was revoked (nil: none).
// Call it before Run / Reload.
func (m *Manager) SetOAuth(tokens TokenProvider, notices NoticeStore) {
	m.mu.Lock()
	m.tokens, m.notices = tokens, notices
	m.mu.Unlock()
}

// Health receives each failure and recovery of a channel's mailbox
// (*alerts.Monitor): cause "imap" (server unreachable) or "auth" (login
// refused).
type Health interface {
	Fail(ctx context.Context, companyID, channelID int64, cause, detail string) bool
	OK(ctx context.Context, companyID, channelID int64, cause string)
}

// SetHealth sets where failures and recoveries are reported; call it
// before Run.
func (m *Manager) SetHealth(h Health) {
	m.mu.Lock()
	m.health = h
	m.mu.Unlock()
}

// Run reloads the channel list every ReloadInterval until ctx ends, then
// stops every loop and waits for them.
func (m *Manager) Run(ctx context.Context) error {
	m.mu.Lock()
	m.base = ctx
	m.mu.Unlock()
	defer m.stopAll()
	for {
		if err := m.Reload(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("imapsync: reload channels", "err", err)
		}
		if !sleep(ctx, m.cfg.ReloadInterval) {
			return nil
		}
	}
}

// Reload starts loops for new channels, restarts those whose connection
// settings or password changed, and stops those disabled or switched away
// from external incoming mail. Call it after saving a channel to apply the
// change at once (from any goroutine, e.g. an HTTP handler: once Run is
// going, loops live under Run's context, not ctx; before Run, under ctx).
func (m *Manager) Reload(ctx context.Context) error {
	chans, err := m.st.ListEnabledChannels(ctx)
	if err != nil {
		return fmt.Errorf("imapsync: list channels: %w", err)
	}
	want := map[int64]model.Channel{}
	prints := map[int64]string{}
	for _, ch := range chans {
		if !ch.Enabled || ch.Incoming != model.ConnExternal {
			continue
		}
		want[ch.ID] = ch
		prints[ch.ID] = m.fingerprint(ctx, &ch)
	}
	m.owned(want, prints) // several nodes: only the mailboxes whose lease we hold
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, run := range m.running {
		reconnected := false
		if ch, ok := want[id]; ok && prints[id] == run.fingerprint {
			reconnected = m.reconnected(ctx, &ch, run)
		}
		if _, ok := want[id]; !ok || prints[id] != run.fingerprint || reconnected {
			m.log.Info("imapsync: stopping channel", "channel", id, "changed", ok, "reconnected", reconnected)
			run.cancel()
			<-run.done
			delete(m.running, id)
		}
	}
	parent := ctx
	if m.base != nil {
		parent = m.base
	}
	for id, ch := range want {
		if _, ok := m.running[id]; ok {
			continue
		}
		m.start(parent, ch, prints[id])
	}
	return nil
}

// fingerprint changes when anything a loop depends on changes.
func (m *Manager) fingerprint(ctx context.Context, ch *model.Channel) string {
	s := ch.Settings
	b, _ := json.Marshal([]any{ch.CompanyID, s.Provider, s.IMAP, s.Folders, s.AfterImport, s.MoveTo, s.HistoryDays})
	fp := string(b)
	if sec, err := m.st.GetSecret(ctx, ch.CompanyID, ch.ID, secrets.IMAPPassword); err == nil {
		fp += "|" + sec.UpdatedAt.String() + fmt.Sprintf("|%x", sec.Ciphertext)
	}
	return fp
}

func folders(ch *model.Channel) []string {
	if len(ch.Settings.Folders) == 0 {
		return []string{"INBOX"}
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range ch.Settings.Folders {
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

func (m *Manager) start(parent context.Context, ch model.Channel, fp string) {
	ctx, cancel := context.WithCancel(parent)
	run := &channelRun{fingerprint: fp, cancel: cancel, done: make(chan struct{}), folderS: map[string]Event{},
		status: store.ChannelStatus{CompanyID: ch.CompanyID, ChannelID: ch.ID, State: store.SyncConnected}}
	if old, err := m.st.GetChannelStatus(ctx, ch.CompanyID, ch.ID); err == nil {
		run.status = *old // keep last_error / last_message_at history
	}
	chp := &ch
	password := func(ctx context.Context) (string, error) {
		if m.box == nil {
			return "", errors.New("no secrets box configured")
		}
		return m.box.ChannelSecret(ctx, m.st, ch.CompanyID, ch.ID, secrets.IMAPPassword)
	}
	var token func(ctx context.Context, force bool) (string, error)
	if m.tokens != nil {
		token = func(ctx context.Context, force bool) (string, error) {
			return m.tokens.Access(ctx, ch.CompanyID, ch.ID, force)
		}
	}
	var fwg sync.WaitGroup
	for _, name := range folders(chp) {
		f := NewFolder(chp, name, password, m.acc, m.checkpoints(ch.ID), m.cfg, m.log, func(e Event) { m.report(ctx, run, e) })
		f.SetToken(token)
		run.folders = append(run.folders, f)
		fwg.Add(1)
		go func() {
			defer fwg.Done()
			_ = f.Run(ctx) // Run recovers panics of a session itself
		}()
	}
	m.running[ch.ID] = run
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fwg.Wait()
		close(run.done)
	}()
	m.log.Info("imapsync: started channel", "channel", ch.ID, "company", ch.CompanyID, "folders", len(run.folders))
}

func (m *Manager) stopAll() {
	m.mu.Lock()
	for id, run := range m.running {
		run.cancel()
		delete(m.running, id)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Wait blocks until every loop started by Reload has stopped (their ctx
// ended).
func (m *Manager) Wait() { m.wg.Wait() }

// Running lists the channel IDs with running loops.
func (m *Manager) Running() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ids []int64
	for id := range m.running {
		ids = append(ids, id)
	}
	return ids
}

// stateRank orders states for the channel summary: the worst folder wins.
var stateRank = map[store.SyncState]int{store.SyncIdle: 0, store.SyncConnected: 1, store.SyncSyncing: 2, store.SyncError: 3, store.SyncReconnectNeeded: 4}

// report folds a folder event into the channel status and saves it.
func (m *Manager) report(ctx context.Context, run *channelRun, e Event) {
	run.mu.Lock()
	if e.Problem != nil && e.Problem.Severity == providers.SeverityWarning {
		run.mu.Unlock()
		return // warnings (no IDLE) are shown by the connection test
	}
	prev := run.folderS[e.Folder]
	if e.State == store.SyncError || e.State == store.SyncReconnectNeeded || e.State == store.SyncConnected {
		e.Done, e.Total = prev.Done, prev.Total
	}
	run.folderS[e.Folder] = e
	st := &run.status
	now := m.cfg.Clock.Now().UTC()
	st.State, st.Done, st.Total = store.SyncIdle, 0, 0
	for _, fe := range run.folderS {
		if stateRank[fe.State] > stateRank[st.State] {
			st.State = fe.State
		}
		st.Done += fe.Done
		st.Total += fe.Total
	}
	if e.Problem != nil && (e.Problem.Code == CodeOAuthReconnect || e.Problem.Code == CodeOAuthRefused) && run.badToken == "" {
		// remember the refused token: a new one (reconnect) restarts the channel at once
		run.badToken = m.sealedToken(ctx, st.CompanyID, st.ChannelID)
		if e.Problem.Code == CodeOAuthReconnect {
			m.noticeReconnect(ctx, st.CompanyID, st.ChannelID)
		}
	}
	if e.Problem != nil {
		st.LastError = e.Problem.Message("pt-BR")
		st.LastErrorCode = string(e.Problem.Code)
		st.LastErrorAt = now
	} else if stateRank[st.State] < stateRank[store.SyncError] && st.LastError != "" {
		// Every folder works again: the error is history (LastErrorAt
		// stays), not the channel's state.
		st.LastError, st.LastErrorCode = "", ""
	}
	if e.Imported > 0 {
		st.LastMessageAt = now
	}
	if h := m.health; h != nil {
		switch {
		case e.State == store.SyncReconnectNeeded && e.Problem != nil:
			h.Fail(ctx, st.CompanyID, st.ChannelID, "auth", e.Problem.Message("pt-BR"))
		case e.State == store.SyncError && e.Problem != nil:
			h.Fail(ctx, st.CompanyID, st.ChannelID, "imap", e.Problem.Message("pt-BR"))
		case stateRank[st.State] < stateRank[store.SyncError]:
			h.OK(ctx, st.CompanyID, st.ChannelID, "imap")
			h.OK(ctx, st.CompanyID, st.ChannelID, "auth")
		}
	}
	st.UpdatedAt = now
	snapshot := *st
	// Save under the lock so statuses are written in order.
	if err := m.st.PutChannelStatus(context.WithoutCancel(ctx), &snapshot); err != nil {
		m.log.Warn("imapsync: save channel status", "channel", snapshot.ChannelID, "err", err)
	}
	run.mu.Unlock()
}

// sealedToken is the stored (sealed) OAuth token of a channel, "" when none.
func (m *Manager) sealedToken(ctx context.Context, companyID, channelID int64) string {
	sec, err := m.st.GetSecret(context.WithoutCancel(ctx), companyID, channelID, secrets.OAuthToken)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%x", sec.Ciphertext)
}

// reconnected reports whether a channel stuck on a revoked OAuth grant got
// a new token since (the admin connected it again).
func (m *Manager) reconnected(ctx context.Context, ch *model.Channel, run *channelRun) bool {
	if ch.Settings.IMAP.Auth != AuthOAuth {
		return false
	}
	run.mu.Lock()
	bad := run.badToken
	run.mu.Unlock()
	return bad != "" && m.sealedToken(ctx, ch.CompanyID, ch.ID) != bad
}

// noticeReconnect leaves one unread "reconnect the mailbox" notice for the
// channel's admins (not another while one is still unread).
func (m *Manager) noticeReconnect(ctx context.Context, companyID, channelID int64) {
	if m.notices == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	existing, err := m.notices.ListNotices(ctx, companyID, store.NoticeFilter{ChannelID: channelID, UnreadOnly: true, Limit: 500})
	if err == nil {
		for _, n := range existing {
			if n.Kind == NoticeOAuthReconnect {
				return
			}
		}
	}
	reconnect := &providers.Problem{Code: CodeOAuthReconnect}
	n := &store.Notice{CompanyID: companyID, ChannelID: channelID, Kind: NoticeOAuthReconnect, Key: "notice.oauth_reconnect",
		Title:     "Reconecte a caixa de email / Reconnect the mailbox",
		Body:      reconnect.Message("pt-BR") + "\n\n" + reconnect.Message("en"),
		CreatedAt: m.cfg.Clock.Now().UTC()}
	if err := m.notices.CreateNotice(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
		m.log.Warn("imapsync: create reconnect notice", "channel", channelID, "err", err)
	}
}
