package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
)

// JobKind is the job queue kind of outbound sends.
const JobKind = "send"

// Default daily quotas by account kind (Conecta seed: personal accounts
// send about 25 mails a day; business accounts far more).
const (
	DefaultPersonalQuota = 25
	DefaultBusinessQuota = 2000
)

// Sender delivers a raw message through a channel's outgoing connection.
type Sender interface {
	Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error
}

// SMTPStatus is implemented by errors that carry an SMTP reply.
type SMTPStatus interface {
	SMTPStatus() (code int, enhanced string, text string)
}

// Config tunes the Service.
type Config struct {
	Sender      Sender
	Location    *time.Location // the "day" of daily quotas; nil = UTC
	Lease       time.Duration  // default 10 min
	MaxAttempts int            // temporary failures before giving up; default 20
	Poll        time.Duration  // default 1 s
	Workers     int            // default 1
	// Batch is how many jobs a worker claims at once (default 8). The
	// server claims 1: after a crash only the reply being sent waits for
	// its lease, not a whole batch.
	Batch int
}

// Service enqueues and sends.
type Service struct {
	st     store.Store
	bl     blob.Store
	log    *slog.Logger
	cfg    Config
	clk    clock.Clock
	wake   chan struct{}
	onSent func(ctx context.Context, m *model.Message)
	health Health
	down   breaker // channels whose server does not answer (health.go)
}

// OnSent registers a hook called after a delivery is committed (live
// updates, the message.sent webhook). Call it before Run.
func (s *Service) OnSent(fn func(ctx context.Context, m *model.Message)) { s.onSent = fn }

// New builds the Service. clk is the program's one clock (package clock).
func New(st store.Store, bl blob.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 10 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	return &Service{st: st, bl: bl, clk: clk, log: log, cfg: cfg, wake: make(chan struct{}, 1)}
}

type payload struct {
	MessageID int64 `json:"message_id"`
}

// Enqueue queues a stored outbound message (status queued, RawKey set)
// for sending. Call it inside the transaction that stored the message.
func Enqueue(ctx context.Context, q store.Queries, m *model.Message) error {
	return EnqueueAt(ctx, q, m, time.Time{})
}

// EnqueueAt is Enqueue with the send held until runAt (zero: now): the
// undo-send delay. Until a worker claims it, Cancel takes it back.
func EnqueueAt(ctx context.Context, q store.Queries, m *model.Message, runAt time.Time) error {
	if m.Direction != model.DirOut || m.RawKey == "" {
		return fmt.Errorf("outbox: message %d is not an outbound message with raw bytes", m.ID)
	}
	b, _ := json.Marshal(payload{MessageID: m.ID})
	j := &model.Job{CompanyID: m.CompanyID, Kind: JobKind, Payload: b, UniqueKey: uniqueKey(m.ID), RunAt: runAt}
	if err := q.EnqueueJob(ctx, j); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("outbox: enqueue message %d: %w", m.ID, err)
	}
	return nil
}

func uniqueKey(messageID int64) string { return fmt.Sprintf("msg-%d", messageID) }

// Cancel takes back a queued message no worker has claimed yet ("Desfazer"
// within the undo-send delay): its send job, the message and its
// attachment rows are deleted in q's transaction. False means too late
// (a worker has it, or it was sent) and nothing changed.
func Cancel(ctx context.Context, q store.Queries, m *model.Message) (bool, error) {
	if m.Direction != model.DirOut || m.Status != model.MsgQueued {
		return false, nil
	}
	ok, err := q.CancelSend(ctx, m.CompanyID, m.ID, JobKind, uniqueKey(m.ID))
	if err != nil {
		return false, fmt.Errorf("outbox: cancel message %d: %w", m.ID, err)
	}
	return ok, nil
}

// Wake nudges the workers (after a commit that enqueued something).
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Quota is a channel's daily send limit (0 = unlimited).
func Quota(ch *model.Channel) int {
	if ch.Settings.DailyQuota != 0 {
		if ch.Settings.DailyQuota < 0 {
			return 0
		}
		return ch.Settings.DailyQuota
	}
	if ch.Settings.AccountKind == model.AccountPersonal {
		return DefaultPersonalQuota
	}
	return DefaultBusinessQuota
}

// Status is what the channel list shows about sending.
type Status struct {
	SentToday int
	Quota     int // 0 = unlimited
	Queued    int
	// ResumesAt is set when sending waits (quota reached or paused).
	ResumesAt time.Time
	Paused    string // the provider's limit message when paused
}

// LimitReached reports whether today's quota is used up.
func (st Status) LimitReached() bool { return st.Quota > 0 && st.SentToday >= st.Quota }

// ChannelStatus computes a channel's sending status now.
func (s *Service) ChannelStatus(ctx context.Context, ch *model.Channel) (Status, error) {
	now := s.clk.Now()
	var st Status
	var err error
	st.Quota = Quota(ch)
	if st.SentToday, err = s.st.CountSends(ctx, ch.CompanyID, ch.ID, s.dayStart(now)); err != nil {
		return st, err
	}
	if st.Queued, err = s.st.CountQueued(ctx, ch.CompanyID, ch.ID); err != nil {
		return st, err
	}
	until, reason, err := s.st.ChannelPause(ctx, ch.CompanyID, ch.ID)
	if err != nil {
		return st, err
	}
	if until.After(now) {
		st.ResumesAt, st.Paused = until, reason
	} else if st.LimitReached() {
		st.ResumesAt = s.dayStart(now).AddDate(0, 0, 1)
	}
	return st, nil
}

// String renders the status line of the seeds' channel list.
func (st Status) String() string {
	switch {
	case st.Paused != "":
		return fmt.Sprintf("provider sending limit: %d queued, sending resumes at %s", st.Queued, st.ResumesAt.Format("15:04"))
	case st.LimitReached():
		return fmt.Sprintf("daily limit reached: %d queued, sending resumes at %s", st.Queued, st.ResumesAt.Format("15:04"))
	case st.Quota > 0:
		return fmt.Sprintf("%d of %d sent today", st.SentToday, st.Quota)
	}
	return fmt.Sprintf("%d sent today", st.SentToday)
}

func (s *Service) dayStart(t time.Time) time.Time {
	t = t.In(s.cfg.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.cfg.Location)
}

// Run sends until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < s.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(0)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-s.wake:
				case <-t.C:
				}
				for ctx.Err() == nil {
					n, err := s.ProcessDue(ctx)
					if err != nil {
						s.log.Error("outbox: claim jobs", "err", err)
						break
					}
					if n == 0 {
						break
					}
				}
				t.Reset(s.cfg.Poll)
			}
		}()
	}
	wg.Wait()
	return nil
}

// ProcessDue claims and handles one batch of due send jobs; it returns
// how many it claimed.
func (s *Service) ProcessDue(ctx context.Context) (int, error) {
	batch := s.cfg.Batch
	if batch <= 0 {
		batch = 8
	}
	jobs, err := s.st.ClaimJobs(ctx, []string{JobKind}, s.cfg.Lease, batch)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			// Stopping: hand the rest back now (attempt given back),
			// not when their lease runs out.
			s.wait(ctx, j, s.clk.Now())
			continue
		}
		s.handle(ctx, j)
	}
	return len(jobs), nil
}

func (s *Service) handle(ctx context.Context, j model.Job) {
	log := s.log.With("job", j.ID, "company", j.CompanyID)
	var p payload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		s.retry(ctx, j, fmt.Sprintf("bad payload: %v", err), time.Time{}, true)
		return
	}
	m, err := s.st.GetMessage(ctx, j.CompanyID, p.MessageID)
	if err != nil {
		s.retry(ctx, j, err.Error(), time.Time{}, errors.Is(err, store.ErrNotFound))
		return
	}
	if m.Status == model.MsgSent {
		_ = s.st.CompleteJob(ctx, j.ID) // already delivered
		return
	}
	ch, err := s.st.GetChannel(ctx, j.CompanyID, m.ChannelID)
	if err != nil {
		s.retry(ctx, j, err.Error(), s.backoff(j), false)
		return
	}
	now := s.clk.Now()
	// A paused channel (provider limit) or a used-up quota waits; this is
	// not a failed attempt.
	st, err := s.ChannelStatus(ctx, ch)
	if err != nil {
		s.retry(ctx, j, err.Error(), s.backoff(j), false)
		return
	}
	if !st.ResumesAt.IsZero() {
		s.wait(ctx, j, st.ResumesAt)
		return
	}
	// The channel's server did not answer a moment ago: wait for the
	// next try without using up an attempt.
	if at := s.down.wait(ch.ID, now); !at.IsZero() {
		s.wait(ctx, j, at)
		return
	}
	rc, err := s.bl.Open(ctx, m.RawKey)
	if err != nil {
		s.retry(ctx, j, err.Error(), s.backoff(j), false)
		return
	}
	rcpts := recipients(m)
	err = s.cfg.Sender.Send(ctx, ch, m.From.Address, rcpts, rc)
	rc.Close()
	if err == nil {
		s.down.ok(ch.ID)
		if s.health != nil {
			s.health.OK(ctx, ch.CompanyID, ch.ID, sendCause(ch))
		}
		err = s.st.Tx(context.WithoutCancel(ctx), func(q store.Queries) error {
			if err := q.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgSent, ""); err != nil {
				return err
			}
			if err := q.RecordSend(ctx, m.CompanyID, ch.ID, m.ID, now); err != nil {
				return err
			}
			if m.Flags.Has(model.FlagAutoReply) {
				if err := q.AddActivity(ctx, activity(m, store.ActivityAutoReply, now, nil)); err != nil {
					return err
				}
			}
			return q.CompleteJob(ctx, j.ID)
		})
		if err != nil {
			log.Error("outbox: record a delivered message", "message", m.ID, "err", err)
			return
		}
		if s.onSent != nil {
			m.Status = model.MsgSent
			s.onSent(ctx, m)
		}
		return
	}
	text := err.Error()
	switch classify(err) {
	case providerLimit:
		until := s.dayStart(now).AddDate(0, 0, 1)
		log.Warn("outbox: provider sending limit; channel paused", "channel", ch.ID, "until", until, "err", err)
		_ = s.st.PauseChannel(ctx, ch.CompanyID, ch.ID, until, text)
		_ = s.st.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgQueued, "waiting: "+text)
		s.wait(ctx, j, until)
	case permanent:
		kind := FailRejected
		if c := configProblem(err); c != "" {
			kind = FailConfig
			if c == providers.CodeStartTLSMissing && ch.Outgoing == model.ConnInternal {
				kind = FailRelayStartTLS
			}
		}
		log.Warn("outbox: message failed", "message", m.ID, "kind", kind, "err", err)
		s.fail(ctx, m, kind, text)
		s.retry(ctx, j, text, now, true)
	default:
		if s.health != nil {
			s.health.Fail(ctx, ch.CompanyID, ch.ID, sendCause(ch), text)
		}
		if unreachable(err) && ctx.Err() == nil {
			// Not this message's fault: it waits for the next try of
			// the channel, its attempt given back.
			at := s.down.fail(ch.ID, now)
			_ = s.st.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgQueued, FailureText(FailRetrying, text))
			s.wait(ctx, j, at)
			return
		}
		if j.Attempts >= s.cfg.MaxAttempts {
			log.Warn("outbox: message failed after retries", "message", m.ID, "attempts", j.Attempts, "err", err)
			s.fail(ctx, m, FailGaveUp, text)
			s.retry(ctx, j, text, now, true)
			return
		}
		_ = s.st.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgQueued, FailureText(FailRetrying, text))
		next := s.backoff(j)
		s.note(ctx, activity(m, store.ActivityDeliveryRetry, now, map[string]string{"attempt": strconv.Itoa(j.Attempts), "next": next.UTC().Format(time.RFC3339)}))
		s.retry(ctx, j, text, next, false)
	}
}

// Why a send failed, as stored at the start of the message's error text
// ("[rejected] smtpout: permanent failure: 550 5.1.1 ..."): the UI
// explains each kind in the agent's language and shows the server's
// text as the detail.
const (
	FailRejected      = "rejected"       // the receiving server refused it for good (5xx)
	FailConfig        = "config"         // our sending connection is misconfigured (TLS, login)
	FailRelayStartTLS = "relay_starttls" // the relay offers no STARTTLS (--relay-encryption)
	FailGaveUp        = "gave_up"        // temporary failures until MaxAttempts
	FailRetrying      = "retrying"       // a temporary failure; still queued
)

// FailureText is the stored error text of a failure of this kind.
func FailureText(kind, text string) string { return "[" + kind + "] " + text }

// ParseFailure splits a stored error text into its kind and the server's
// text; older texts without a kind give kind "".
func ParseFailure(errText string) (kind, detail string) {
	if strings.HasPrefix(errText, "[") {
		if k, rest, ok := strings.Cut(errText[1:], "] "); ok && !strings.ContainsAny(k, " []") {
			return k, rest
		}
	}
	return "", errText
}

// NoticeSendFailed is the admin notice kind of a message that could not be
// sent; one per message (its Code is "msg-<id>").
const NoticeSendFailed = "send_failed"

// fail marks m failed and tells the channel's admins, once per message.
func (s *Service) fail(ctx context.Context, m *model.Message, kind, text string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.st.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgFailed, FailureText(kind, text)); err != nil {
		s.log.Error("outbox: mark message failed", "message", m.ID, "err", err)
	}
	s.note(ctx, activity(m, store.ActivityDeliveryFailed, s.clk.Now().UTC(), map[string]string{"reason": kind}))
	var to []string
	for _, a := range m.To {
		to = append(to, a.Address)
	}
	n := &store.Notice{CompanyID: m.CompanyID, ChannelID: m.ChannelID, Kind: NoticeSendFailed, Title: m.Subject,
		Key: "notice.send_failed", Params: map[string]string{"subject": m.Subject, "to": strings.Join(to, ", "), "reason": kind, "error": text},
		Body: strings.Join(to, ", ") + "\n" + FailureText(kind, text), Code: fmt.Sprintf("msg-%d", m.ID),
		Link: fmt.Sprintf("/tickets/%d#m%d", m.TicketID, m.ID), CreatedAt: s.clk.Now().UTC()}
	if err := s.st.CreateNotice(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Error("outbox: admin notice of a failed message", "message", m.ID, "err", err)
	}
}

// Requeue sends a failed outbound message again: the same stored bytes
// (same Message-ID) through its existing send job, put back in the queue
// due at now. It is idempotent: a message that is not failed (already
// queued again, or sent) is left alone and Requeue reports false. Call it
// inside the transaction that sets the message back to queued.
func Requeue(ctx context.Context, q store.Queries, m *model.Message, now time.Time) (bool, error) {
	if m.Direction != model.DirOut || m.RawKey == "" || m.Status != model.MsgFailed {
		return false, nil
	}
	if err := q.UpdateMessageStatus(ctx, m.CompanyID, m.ID, model.MsgQueued, ""); err != nil {
		return false, fmt.Errorf("outbox: requeue message %d: %w", m.ID, err)
	}
	b, _ := json.Marshal(payload{MessageID: m.ID})
	j := &model.Job{CompanyID: m.CompanyID, Kind: JobKind, Payload: b, UniqueKey: fmt.Sprintf("msg-%d", m.ID), RunAt: now}
	err := q.EnqueueJob(ctx, j)
	if errors.Is(err, store.ErrConflict) {
		// The message's job failed: restart it. (A job still pending
		// would send the message anyway.)
		if _, err = q.RestartJob(ctx, m.CompanyID, j.ID, now); err != nil {
			return false, fmt.Errorf("outbox: requeue message %d: %w", m.ID, err)
		}
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("outbox: requeue message %d: %w", m.ID, err)
	}
	return true, nil
}

// ConnProblem is implemented by send errors that carry a connection
// problem (smtpout.SendError).
type ConnProblem interface {
	ConnProblem() *providers.Problem
}

// configProblem is the code of a sending-setup problem that retrying
// cannot fix ("" for anything else).
func configProblem(err error) providers.Code {
	var cp ConnProblem
	var p *providers.Problem
	switch {
	case errors.As(err, &cp) && cp.ConnProblem() != nil:
		p = cp.ConnProblem()
	case errors.As(err, &p):
	default:
		return ""
	}
	switch p.Code {
	case providers.CodeStartTLSMissing, providers.CodeTLSMismatch, providers.CodeCertificateInvalid, providers.CodeInsecureRefused,
		providers.CodeSMTPAuthFailed, providers.CodeSMTPAuthMissing, providers.CodeOAuthReconnect, providers.CodeOAuthRefused:
		return p.Code
	}
	return ""
}

func recipients(m *model.Message) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range [][]model.Address{m.To, m.Cc, m.Bcc} {
		for _, a := range l {
			k := model.NormalizeEmail(a.Address)
			if k != "" && !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

func (s *Service) retry(ctx context.Context, j model.Job, text string, at time.Time, failed bool) {
	if at.IsZero() {
		at = s.clk.Now()
	}
	if err := s.st.RetryJob(context.WithoutCancel(ctx), j.ID, text, at, failed); err != nil {
		s.log.Error("outbox: reschedule job", "job", j.ID, "err", err)
	}
}

// wait reschedules without counting an attempt against the job: days
// of waiting for a quota never make a message fail.
func (s *Service) wait(ctx context.Context, j model.Job, until time.Time) {
	if err := s.st.PostponeJob(context.WithoutCancel(ctx), j.ID, until); err != nil {
		s.log.Error("outbox: postpone job", "job", j.ID, "err", err)
	}
}

// backoff: 2^attempt seconds with jitter, from 2 s up to 1 h.
func (s *Service) backoff(j model.Job) time.Time {
	d := time.Second << min(j.Attempts, 12)
	if d > time.Hour {
		d = time.Hour
	}
	return s.clk.Now().Add(d/2 + rand.N(d/2+1))
}

type class int

const (
	temporary class = iota
	permanent
	providerLimit
)

var codeRE = regexp.MustCompile(`\b([245])\d\d\b`)

// classify decides what an error means for the message.
func classify(err error) class {
	code, enhanced, text := 0, "", err.Error()
	var st SMTPStatus
	if errors.As(err, &st) {
		code, enhanced, text = st.SMTPStatus()
		text = text + " " + err.Error()
	} else if m := codeRE.FindString(text); m != "" {
		code, _ = strconv.Atoi(m)
	}
	lower := strings.ToLower(text)
	if enhanced == "5.4.5" || strings.Contains(lower, "5.4.5") || strings.Contains(lower, "sending limit") ||
		strings.Contains(lower, "sending quota") || strings.Contains(lower, "daily user sending") ||
		strings.Contains(lower, "rate limit exceeded") {
		return providerLimit
	}
	if code >= 500 && code < 600 || configProblem(err) != "" {
		return permanent
	}
	return temporary
}

// activity is a timeline entry of m's ticket by Atende itself.
func activity(m *model.Message, kind string, at time.Time, data map[string]string) *store.Activity {
	if data == nil {
		data = map[string]string{}
	}
	data["message"] = strconv.FormatInt(m.ID, 10)
	return &store.Activity{CompanyID: m.CompanyID, TicketID: m.TicketID, Kind: kind, Data: data, CreatedAt: at.UTC()}
}

// note records a delivery event on the ticket's timeline; a failure to
// record it is logged, never a reason to send again.
func (s *Service) note(ctx context.Context, a *store.Activity) {
	if a.TicketID == 0 {
		return // not a ticket's message
	}
	if err := s.st.AddActivity(context.WithoutCancel(ctx), a); err != nil {
		s.log.Error("outbox: record activity", "ticket", a.TicketID, "kind", a.Kind, "err", err)
	}
}
