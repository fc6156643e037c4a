// Package autoreply sends a channel's automatic initial message (Conecta
// seed: "Resposta automática" / "Mensagem Inicial") when a contact's mail
// opens a new ticket.
//
// The ingest transaction that opens the ticket enqueues an "autoreply"
// job, so the decision survives a crash. The worker then refuses to
// answer mail that must never get an automatic reply: auto-submitted
// (vacation notices, other helpdesks' auto-replies), bulk and list mail,
// bounces, mailer-daemon/postmaster/noreply senders, and mail from the
// company's own channel addresses; and it sends at most one automatic
// message per contact and channel in a window (default 24 h). Our own
// message carries Auto-Submitted: auto-replied and
// X-Auto-Response-Suppress: All, so another helpdesk (or another Atende)
// does not answer it: a loop stops after at most one message each way.
package autoreply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/reply"
	"github.com/atende-helpdesk/atende/internal/store"
)

// JobKind is the job queue kind the ingest pipeline enqueues.
const JobKind = "autoreply"

// Payload of an autoreply job.
type Payload struct {
	MessageID int64 `json:"message_id"` // the inbound message that opened the ticket
}

// Enqueue records the decision to answer, inside the ingest transaction.
func Enqueue(ctx context.Context, q store.Queries, companyID, messageID int64) error {
	b, _ := json.Marshal(Payload{MessageID: messageID})
	err := q.EnqueueJob(ctx, &model.Job{CompanyID: companyID, Kind: JobKind, Payload: b, UniqueKey: fmt.Sprintf("ar-%d", messageID)})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("autoreply: enqueue: %w", err)
	}
	return nil
}

// Config tunes the Service.
type Config struct {
	Window time.Duration // one automatic message per contact and channel per window; default 24 h
	Poll   time.Duration // default 2 s
	// Wake is called after an automatic message was queued (outbox.Service.Wake).
	Wake func()
}

// Service turns autoreply jobs into queued outbound messages.
type Service struct {
	st  store.Store
	bl  blob.Store
	clk clock.Clock
	log *slog.Logger
	cfg Config
}

// New builds the Service. clk is the program's one clock (package clock).
func New(st store.Store, bl blob.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.Window <= 0 {
		cfg.Window = 24 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	return &Service{st: st, bl: bl, clk: clk, log: log, cfg: cfg}
}

// Run processes jobs until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.ProcessDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("autoreply: claim jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ProcessDue handles the due jobs; it returns how many it claimed.
func (s *Service) ProcessDue(ctx context.Context) (int, error) {
	jobs, err := s.st.ClaimJobs(ctx, []string{JobKind}, 5*time.Minute, 16)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		sent, err := s.handle(ctx, j)
		if err != nil {
			s.log.Warn("autoreply: job failed", "job", j.ID, "err", err)
			failed := j.Attempts >= 10
			_ = s.st.RetryJob(context.WithoutCancel(ctx), j.ID, err.Error(), s.clk.Now().Add(time.Duration(j.Attempts)*time.Minute), failed)
			continue
		}
		if sent && s.cfg.Wake != nil {
			s.cfg.Wake()
		}
	}
	return len(jobs), nil
}

// noReplyLocal are senders that never get an automatic answer.
var noReplyLocal = []string{"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
	"do_not_reply", "bounce", "bounces", "listserv", "majordomo", "notifications", "notification"}

// Skip says why a message must not get an automatic reply ("" = may).
func Skip(m *model.Message, ourAddresses map[string]bool) string {
	switch {
	case m.Flags.Has(model.FlagAutoSubmitted):
		return "auto-submitted"
	case m.Flags.Has(model.FlagBulk):
		return "bulk or list mail"
	case m.Flags.Has(model.FlagBounce):
		return "bounce"
	}
	addr := model.NormalizeEmail(m.From.Address)
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || domain == "invalid" {
		return "no usable sender address"
	}
	base, _, _ := strings.Cut(local, "+")
	for _, n := range noReplyLocal {
		if base == n || strings.HasPrefix(base, n+"-") || strings.HasPrefix(base, n+".") {
			return "sender is " + n
		}
	}
	if ourAddresses[addr] {
		return "sender is one of our channels"
	}
	return ""
}

func (s *Service) handle(ctx context.Context, j model.Job) (bool, error) {
	var p Payload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return false, s.st.RetryJob(ctx, j.ID, "bad payload", s.clk.Now(), true)
	}
	now := s.clk.Now()
	done := func(reason string) (bool, error) {
		s.log.Debug("autoreply: not sent", "job", j.ID, "reason", reason)
		return false, s.st.CompleteJob(ctx, j.ID)
	}
	in, err := s.st.GetMessage(ctx, j.CompanyID, p.MessageID)
	if err != nil {
		return false, err
	}
	tk, err := s.st.GetTicket(ctx, j.CompanyID, in.TicketID)
	if err != nil {
		return false, err
	}
	ch, err := s.st.GetChannel(ctx, j.CompanyID, in.ChannelID)
	if err != nil {
		return false, err
	}
	rule := ch.Settings.Rule
	if strings.TrimSpace(rule.InitialMessage) == "" || !ch.Enabled {
		return done("no initial message")
	}
	chans, err := s.st.ListChannels(ctx, j.CompanyID)
	if err != nil {
		return false, err
	}
	ours := map[string]bool{}
	for i := range chans {
		for _, a := range chans[i].Addresses() {
			ours[a] = true
		}
	}
	if why := Skip(in, ours); why != "" {
		return done(why)
	}
	co, err := s.st.GetCompany(ctx, j.CompanyID)
	if err != nil {
		return false, err
	}
	thread, err := s.st.ListMessages(ctx, j.CompanyID, tk.ID)
	if err != nil {
		return false, err
	}
	out, err := reply.Compose(reply.Input{Channel: ch, Ticket: tk, CompanyName: co.Name, Thread: thread,
		To: []model.Address{in.From}, Cc: []model.Address{}, Contact: in.From, Markdown: rule.InitialMessage,
		Auto: true, SubjectTag: true, Now: now, Language: co.Language, Location: co.Location()})
	if errors.Is(err, reply.ErrInvalid) {
		s.log.Warn("autoreply: cannot compose", "channel", ch.ID, "err", err)
		return done(err.Error())
	}
	if err != nil {
		return false, err
	}
	key, size, err := s.bl.Put(ctx, bytes.NewReader(out.Raw), 0)
	if err != nil {
		return false, err
	}
	sent := false
	err = s.st.Tx(ctx, func(q store.Queries) error {
		ok, err := q.ClaimAutoReply(ctx, j.CompanyID, ch.ID, in.From.Address, now, now.Add(-s.cfg.Window))
		if err != nil {
			return err
		}
		if ok {
			m := out.Message(tk, 0, key, size, now)
			m.Flags = model.FlagAutoReply
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
			if err := outbox.Enqueue(ctx, q, m); err != nil {
				return err
			}
			sent = true
		}
		return q.CompleteJob(ctx, j.ID)
	})
	return sent, err
}
