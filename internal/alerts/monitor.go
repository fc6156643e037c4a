package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Causes of a failure streak.
const (
	CauseIMAP     = "imap"     // a mailbox server cannot be reached
	CauseAuth     = "auth"     // a mailbox or sending login is refused
	CauseSending  = "sending"  // a channel's own SMTP server cannot be reached
	CauseRelay    = "relay"    // the outgoing relay cannot be reached
	CauseDisk     = "disk"     // free space below the minimum (node-wide)
	CauseDatabase = "database" // the database does not answer (node-wide)
)

// Webhook and live event types.
const (
	EventChannelFailing   = "channel.failing"
	EventChannelRecovered = "channel.recovered"
)

// NoticeKind is the kind of the notices the Monitor writes.
const NoticeKind = "failing"

// Store is what the Monitor needs from the store.
type Store interface {
	CreateNotice(ctx context.Context, n *store.Notice) error
	MarkNoticeRead(ctx context.Context, companyID, id int64, at time.Time) error
	ListCompanies(ctx context.Context) ([]model.Company, error)
}

// Publisher sends events to webhooks and live clients (api.Hub).
type Publisher interface {
	Publish(ctx context.Context, ev ticket.Event)
}

// Config tunes a Monitor.
type Config struct {
	// After is how long a cause fails before the admins are told
	// (default 5 min).
	After time.Duration
	// Check is how often streaks are looked at (default After/10, at
	// most 15 s, at least 100 ms).
	Check time.Duration
}

// Key names one cause of one channel; CompanyID 0 is node-wide (disk,
// database): every company is told.
type Key struct {
	CompanyID, ChannelID int64
	Cause                string
}

type streak struct {
	since   time.Time
	count   int
	detail  string
	notices map[int64]int64 // company → notice ID
}

// Monitor keeps the failure streaks.
type Monitor struct {
	st  Store
	pub Publisher
	clk clock.Clock
	log *slog.Logger
	cfg Config

	mu      sync.Mutex
	streaks map[Key]*streak
}

// New makes a Monitor; pub may be nil.
func New(st Store, pub Publisher, clk clock.Clock, log *slog.Logger, cfg Config) *Monitor {
	if cfg.After <= 0 {
		cfg.After = 5 * time.Minute
	}
	if cfg.Check <= 0 {
		cfg.Check = min(max(cfg.After/10, 100*time.Millisecond), 15*time.Second)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Monitor{st: st, pub: pub, clk: clk, log: log, cfg: cfg, streaks: map[Key]*streak{}}
}

// Fail records one failure of a cause; the first of a streak is logged.
// It reports whether this failure began a streak.
func (m *Monitor) Fail(ctx context.Context, companyID, channelID int64, cause, detail string) bool {
	if m == nil {
		return false
	}
	k := Key{companyID, channelID, cause}
	m.mu.Lock()
	s := m.streaks[k]
	first := s == nil
	if first {
		s = &streak{since: m.clk.Now()}
		m.streaks[k] = s
	}
	s.count++
	s.detail = detail
	m.mu.Unlock()
	if first {
		m.log.Warn("failing: streak began (further failures are counted, not logged)", "cause", cause, "company", companyID,
			"channel", channelID, "detail", detail)
	}
	return first
}

// OK records a success of a cause: a streak ends (logged, the notice
// cleared, "channel.recovered" sent when the admins were told).
func (m *Monitor) OK(ctx context.Context, companyID, channelID int64, cause string) {
	if m == nil {
		return
	}
	k := Key{companyID, channelID, cause}
	m.mu.Lock()
	s := m.streaks[k]
	delete(m.streaks, k)
	m.mu.Unlock()
	if s == nil {
		return
	}
	now := m.clk.Now()
	m.log.Info("failing: recovered", "cause", cause, "company", companyID, "channel", channelID,
		"failures", s.count, "down_ms", now.Sub(s.since).Milliseconds(), "admins_told", len(s.notices) > 0)
	ctx = context.WithoutCancel(ctx)
	if s.notices == nil && now.Sub(s.since) >= m.cfg.After {
		// Long enough to tell, but the notice could not be written while
		// it lasted (the database itself was the cause, or it ended
		// between two sweeps): tell the admins now that it is over. The
		// notice stays unread: it is what happened while nobody was told.
		if _, err := m.notify(ctx, k, *s, now); err != nil {
			m.log.Warn("failing: notice after recovery not written", "cause", cause, "err", err)
		}
		m.publishAll(ctx, EventChannelRecovered, k, "")
		return
	}
	for co, id := range s.notices {
		if err := m.st.MarkNoticeRead(ctx, co, id, now); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Warn("failing: clear notice", "company", co, "notice", id, "err", err)
		}
		m.publish(ctx, EventChannelRecovered, co, channelID, cause, "")
	}
}

// Failing lists the streaks now (for tests and /readyz).
func (m *Monitor) Failing() map[Key]time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[Key]time.Time, len(m.streaks))
	for k, s := range m.streaks {
		out[k] = s.since
	}
	return out
}

// Run tells the admins about streaks older than After until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Check)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		m.Sweep(ctx)
	}
}

// Sweep tells the admins about every streak older than After not told yet.
func (m *Monitor) Sweep(ctx context.Context) {
	now := m.clk.Now()
	type due struct {
		k Key
		s streak
	}
	var todo []due
	m.mu.Lock()
	for k, s := range m.streaks {
		if s.notices == nil && now.Sub(s.since) >= m.cfg.After {
			todo = append(todo, due{k, *s})
		}
	}
	m.mu.Unlock()
	sort.Slice(todo, func(i, j int) bool { return todo[i].s.since.Before(todo[j].s.since) })
	for _, d := range todo {
		notices, err := m.notify(ctx, d.k, d.s, now)
		if err != nil {
			// The database itself may be the cause: try again next time.
			m.log.Warn("failing: notice not written yet", "cause", d.k.Cause, "err", err)
			continue
		}
		m.mu.Lock()
		if s := m.streaks[d.k]; s != nil && s.since.Equal(d.s.since) {
			s.notices = notices
		}
		m.mu.Unlock()
	}
}

func (m *Monitor) notify(ctx context.Context, k Key, s streak, now time.Time) (map[int64]int64, error) {
	companies := []int64{k.CompanyID}
	if k.CompanyID == 0 {
		cos, err := m.st.ListCompanies(ctx)
		if err != nil {
			return nil, fmt.Errorf("list companies: %w", err)
		}
		companies = companies[:0]
		for _, c := range cos {
			companies = append(companies, c.ID)
		}
	}
	title, body := Text(k.Cause, s.detail, now.Sub(s.since))
	key, params := Message(k.Cause, s.detail, now.Sub(s.since))
	out := map[int64]int64{}
	for _, co := range companies {
		n := &store.Notice{CompanyID: co, ChannelID: k.ChannelID, Kind: NoticeKind, Key: key, Params: params,
			Title: title, Body: body,
			// one notice per streak, even with several nodes
			Code: fmt.Sprintf("%s-%d", k.Cause, s.since.Unix()), CreatedAt: now}
		if err := m.st.CreateNotice(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("create notice: %w", err)
		}
		out[co] = n.ID
		if m.pub != nil {
			m.pub.Publish(ctx, ticket.Event{Type: EventChannelFailing, CompanyID: co, ChannelID: k.ChannelID, Cause: k.Cause,
				Detail: s.detail, NoticeID: n.ID, NoticeKey: key, NoticeParams: params, At: m.clk.Now().UTC()})
		}
	}
	m.log.Warn("failing: admins told", "cause", k.Cause, "company", k.CompanyID, "channel", k.ChannelID,
		"failures", s.count, "since", s.since, "companies", len(out))
	return out, nil
}

// publishAll sends typ to the key's company, or to every company for a
// node-wide cause.
func (m *Monitor) publishAll(ctx context.Context, typ string, k Key, detail string) {
	if k.CompanyID != 0 {
		m.publish(ctx, typ, k.CompanyID, k.ChannelID, k.Cause, detail)
		return
	}
	cos, err := m.st.ListCompanies(ctx)
	if err != nil {
		m.log.Warn("failing: list companies", "err", err)
		return
	}
	for _, c := range cos {
		m.publish(ctx, typ, c.ID, k.ChannelID, k.Cause, detail)
	}
}

func (m *Monitor) publish(ctx context.Context, typ string, companyID, channelID int64, cause, detail string) {
	if m.pub == nil {
		return
	}
	m.pub.Publish(ctx, ticket.Event{Type: typ, CompanyID: companyID, ChannelID: channelID, Cause: cause, Detail: detail, At: m.clk.Now().UTC()})
}

// Message keys of the Monitor's notices (the UI's catalogs have
// Key+".title" and Key+".body"; parameters "minutes", "detail" and, for
// KeyFailing, "cause").
const (
	KeyIMAP     = "notice.imap_down"
	KeyAuth     = "notice.auth_refused"
	KeySending  = "notice.sending_down"
	KeyRelay    = "notice.relay_down"
	KeyDisk     = "notice.disk_low"
	KeyDatabase = "notice.database_down"
	KeyFailing  = "notice.failing" // any other cause
)

// Message is a notice's message key and parameters: the notice is shown
// in each reader's language from them.
func Message(cause, detail string, d time.Duration) (key string, params map[string]string) {
	switch cause {
	case CauseIMAP:
		key = KeyIMAP
	case CauseAuth:
		key = KeyAuth
	case CauseSending:
		key = KeySending
	case CauseRelay:
		key = KeyRelay
	case CauseDisk:
		key = KeyDisk
	case CauseDatabase:
		key = KeyDatabase
	default:
		key = KeyFailing
	}
	params = map[string]string{"minutes": strconv.Itoa(minutes(d))}
	if detail != "" {
		params["detail"] = detail
	}
	if key == KeyFailing {
		params["cause"] = cause
	}
	return key, params
}

// minutes is how long a streak lasted, in whole minutes, at least 1.
func minutes(d time.Duration) int { return max(int(d.Round(time.Minute)/time.Minute), 1) }

// Text is a notice's stored title and body, in pt-BR: what a reader sees
// when the notice's key is unknown to the catalog (Message gives the key
// the UI and the API show it by, in the reader's language).
func Text(cause, detail string, d time.Duration) (title, body string) {
	mins := minutes(d)
	switch cause {
	case CauseIMAP:
		title = "A caixa de email do canal não responde"
		body = "O Atende não consegue se conectar ao servidor IMAP deste canal há %d min. Emails novos chegam quando ele voltar; nada se perde. Se o servidor mudou, confira as configurações do canal."
	case CauseAuth:
		title = "O login do canal está sendo recusado"
		body = "O servidor recusa o usuário ou a senha (ou o token) deste canal há %d min. Confira as credenciais do canal."
	case CauseSending:
		title = "O envio do canal está falhando"
		body = "O servidor de envio (SMTP) deste canal não aceita conexões há %d min. As respostas ficam na fila e saem quando ele voltar."
	case CauseRelay:
		title = "O relay de envio não responde"
		body = "O relay de saída configurado no Atende não aceita conexões há %d min. As respostas ficam na fila e saem quando ele voltar."
	case CauseDisk:
		title = "Pouco espaço em disco no servidor do Atende"
		body = "O espaço livre no diretório de dados está abaixo do mínimo há %d min. Emails novos são recusados temporariamente (os remetentes tentam de novo). Libere espaço."
	case CauseDatabase:
		title = "O banco de dados do Atende ficou inacessível"
		body = "O Atende não conseguiu falar com o banco de dados por %d min. Emails recebidos nesse tempo foram recusados temporariamente e chegam de novo."
	default:
		title = "Uma parte do Atende está falhando"
		body = "Falhas seguidas (" + cause + ") há %d min."
	}
	body = fmt.Sprintf(body, mins)
	if detail != "" {
		body += " Detalhe: " + detail
	}
	return title, body
}
