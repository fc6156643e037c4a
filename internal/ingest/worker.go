package ingest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/autoreply"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/mailparse"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/routing"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/thread"
	ticketsvc "github.com/atende-helpdesk/atende/internal/ticket"
)

// Event tells the rest of the app (live UI, webhooks, auto-replies) that a
// message was stored. Notifiers run after the transaction committed.
type Event struct {
	CompanyID int64
	ChannelID int64
	TicketID  int64
	MessageID int64
	NewTicket bool
	Flags     model.Flags
	// SendInitialMessage is the routing decision for a new ticket.
	SendInitialMessage bool
	From               string
}

// Notifier receives events; it must not block for long.
type Notifier interface {
	MessageStored(ctx context.Context, ev Event)
}

// WorkerConfig tunes the workers.
type WorkerConfig struct {
	Workers     int           // goroutines claiming rows; default 2
	Batch       int           // rows claimed at once; default 16
	Lease       time.Duration // how long a claimed row is ours; default 5 min
	Poll        time.Duration // look for work at least this often; default 2 s
	MaxAttempts int           // then the row is marked failed; default 12
	Notifier    Notifier      // optional
	// Failed, optional, observes a processing error (metrics);
	// permanent says the row was given up.
	Failed func(in model.Inbound, permanent bool)
	// Drain is how long, once ctx ended, a worker goes on with the rows it
	// already claimed (a graceful stop finishes leased work instead of
	// leaving it to the lease); 0 stops at once.
	Drain time.Duration
}

// permanentError marks an error that retrying will not fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Run processes pending inbound rows until ctx ends. Rows left pending by
// an earlier crash are picked up at once.
func (s *Service) Run(ctx context.Context, cfg WorkerConfig) error {
	return s.run(ctx, cfg, nil)
}

// RunUntilIdle is Run for a batch job (`atende import`): the same workers
// process rows while input arrives, and return once input is closed and no
// row is left to claim (rows waiting for a retry later are left pending).
func (s *Service) RunUntilIdle(ctx context.Context, cfg WorkerConfig, input <-chan struct{}) error {
	if input == nil {
		input = make(chan struct{})
	}
	return s.run(ctx, cfg, input)
}

func (s *Service) run(ctx context.Context, cfg WorkerConfig, input <-chan struct{}) error {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	var wg sync.WaitGroup
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.loop(ctx, cfg, input)
		}()
	}
	wg.Wait()
	return nil
}

// loop is one worker. With input (RunUntilIdle) it returns when input is
// closed and a claim finds nothing.
func (s *Service) loop(ctx context.Context, cfg WorkerConfig, input <-chan struct{}) {
	t := time.NewTimer(0)
	defer t.Stop()
	inputOpen := input != nil
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		case <-whenOpen(input, inputOpen):
			inputOpen = false
		}
		// One batch in flight while the next is claimed and parsed.
		prev := func() {}
		for ctx.Err() == nil {
			n, wait, err := s.processBatch(ctx, cfg)
			prev()
			prev = wait
			if err != nil {
				s.log.Error("ingest: claim pending mail", "err", err)
				break
			}
			if n == 0 {
				break
			}
			// Another worker may be idle: pass the wake-up on.
			s.Wake()
		}
		prev()
		if input != nil && !inputOpen {
			// Input ended before this last look found nothing: done.
			s.Wake() // let the other workers see it too
			return
		}
		if input != nil {
			select {
			case <-input:
				inputOpen = false
				t.Reset(0)
				continue
			default:
			}
		}
		t.Reset(cfg.Poll)
	}
}

// whenOpen is ch while open is true, else nil (a case that never fires).
func whenOpen(ch <-chan struct{}, open bool) <-chan struct{} {
	if open {
		return ch
	}
	return nil
}

// ProcessPending claims one batch and processes it; it returns how many
// rows it claimed, once every one of them is stored or failed.
func (s *Service) ProcessPending(ctx context.Context, cfg WorkerConfig) (int, error) {
	n, wait, err := s.processBatch(ctx, cfg)
	wait()
	return n, err
}

// processBatch claims one batch, parses its rows and queues their writes;
// wait returns once every row is stored or failed. A worker claims and
// parses its next batch while the last writes of this one commit, instead
// of idling through that commit and its next claim's wait for the writer.
func (s *Service) processBatch(ctx context.Context, cfg WorkerConfig) (n int, wait func(), err error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	rows, err := s.store.ClaimInbound(ctx, cfg.Lease, cfg.Batch)
	if err != nil {
		return 0, func() {}, err
	}
	// Rows claimed are finished even when ctx ends meanwhile, for up to
	// cfg.Drain more; what is left then, the lease returns to the queue.
	work, stop := context.WithCancel(context.WithoutCancel(ctx))
	cancelLater := context.AfterFunc(ctx, func() {
		if cfg.Drain <= 0 {
			stop()
			return
		}
		t := time.AfterFunc(cfg.Drain, stop)
		context.AfterFunc(work, func() { t.Stop() })
	})
	// Each row is parsed here and its writes are queued (storeCommit);
	// the next row is parsed while they commit.
	var wg sync.WaitGroup
	chans := channelCache{}
	for _, in := range rows {
		if work.Err() != nil {
			break // the lease returns the rest to the queue
		}
		wg.Add(1)
		s.safeProcess(work, in, chans, func(ev Event, err error) {
			defer wg.Done()
			s.finishOne(work, cfg, in, ev, err)
		})
	}
	return len(rows), func() {
		wg.Wait()
		cancelLater()
		stop()
	}, nil
}

// finishOne reports a processed row: the event to the notifier, or the
// failure to the queue (retry with backoff, or failed for good).
func (s *Service) finishOne(ctx context.Context, cfg WorkerConfig, in model.Inbound, ev Event, err error) {
	log := s.log.With("inbound", in.ID, "company", in.CompanyID, "channel", in.ChannelID)
	if err == nil {
		if cfg.Notifier != nil && ev.TicketID != 0 {
			cfg.Notifier.MessageStored(ctx, ev)
		}
		return
	}
	if ctx.Err() != nil {
		return // shutting down: the lease hands the row back later
	}
	var perm permanentError
	failed := errors.As(err, &perm) || in.Attempts >= cfg.MaxAttempts
	retryAt := s.now().Add(backoff(in.Attempts))
	if cfg.Failed != nil {
		cfg.Failed(in, failed)
	}
	if failed {
		log.Error("ingest: message failed; raw bytes kept", "attempts", in.Attempts, "err", err)
	} else {
		log.Warn("ingest: message will be retried", "attempts", in.Attempts, "retry_at", retryAt, "err", err)
	}
	if err2 := s.store.RetryInbound(context.WithoutCancel(ctx), in.CompanyID, in.ID, err.Error(), retryAt, failed); err2 != nil {
		log.Error("ingest: record failure", "err", err2)
	}
}

// backoff grows 2^n seconds with jitter, capped at one hour.
func backoff(attempt int) time.Duration {
	d := time.Second << min(attempt, 12)
	if d > time.Hour {
		d = time.Hour
	}
	return d/2 + rand.N(d/2+1)
}

// safeProcess parses the row and queues its writes; finish is called
// exactly once, when the writes committed or the row failed. A panic in
// parsing becomes a permanent error for this row instead of a crashed
// process.
func (s *Service) safeProcess(ctx context.Context, in model.Inbound, chans channelCache, finish func(Event, error)) {
	write, err := s.safePrepare(ctx, in, chans)
	if err != nil {
		finish(Event{}, err)
		return
	}
	var ev Event
	s.stores.submit(ctx, func(ctx context.Context, q store.Queries, safe bool) error {
		var err error
		ev, err = write(ctx, q, safe)
		return err
	}, func(err error) {
		var dup errDuplicateNewTicket
		if errors.As(err, &dup) {
			// A store without savepoints rolled back the whole transaction.
			err = s.store.FinishInbound(context.WithoutCancel(ctx), in.CompanyID, in.ID, dup.existing, s.now())
			ev = Event{}
		}
		if err != nil {
			ev = Event{}
		}
		finish(ev, err)
	})
}

func (s *Service) safePrepare(ctx context.Context, in model.Inbound, chans channelCache) (write writeFunc, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = permanentError{fmt.Errorf("panic while processing: %v\n%s", p, debug.Stack())}
		}
	}()
	return s.prepare(ctx, in, chans)
}

// channelCache holds the channels one claimed batch's rows came in
// through (read once per batch, not once per message); one worker's, no
// locking.
type channelCache map[int64]*model.Channel

func (c channelCache) get(ctx context.Context, st store.Store, companyID, id int64) (*model.Channel, error) {
	if ch, ok := c[id]; ok && ch.CompanyID == companyID {
		return ch, nil
	}
	ch, err := st.GetChannel(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	c[id] = ch
	return ch, nil
}

// parse reads the stored raw message. The parser fails only when the bytes
// cannot be read; a panic in it (a bug) still yields a readable partial
// message (mailparse.Fallback), so a customer's mail is never hidden behind
// a failed row.
// It also returns the SHA-256 of every byte read, to check the content
// against its key.
func (s *Service) parse(ctx context.Context, rawKey string, tee *dedupeTee, opts mailparse.Options) (pm *mailparse.Message, sum []byte, err error) {
	rc, err := s.blobs.Open(ctx, rawKey)
	if err != nil {
		return nil, nil, fmt.Errorf("open raw message: %w", err)
	}
	h := sha256.New()
	src := io.TeeReader(s.gate.Reader(rc, rawYieldEvery), io.MultiWriter(tee, h))
	var crash any
	func() {
		defer func() {
			if crash = recover(); crash != nil {
				s.log.Error("ingest: parser panic; message stored as partially read", "raw", rawKey, "panic", crash, "stack", string(debug.Stack()))
			}
		}()
		pm, err = mailparse.Parse(src, opts)
	}()
	if err == nil && crash == nil {
		// The parser may stop before the end (limits); the key covers all.
		_, err = io.Copy(io.Discard, src)
	}
	rc.Close()
	if crash == nil {
		return pm, h.Sum(nil), err
	}
	rc, err = s.blobs.Open(ctx, rawKey)
	if err != nil {
		return nil, nil, fmt.Errorf("open raw message: %w", err)
	}
	defer rc.Close()
	// The tee saw only part of the bytes: hash them again from the start.
	tee.restart()
	h.Reset()
	src = io.TeeReader(rc, io.MultiWriter(tee, h))
	pm = mailparse.Fallback(src, fmt.Sprint(crash))
	if _, err := io.Copy(io.Discard, src); err != nil {
		return nil, nil, fmt.Errorf("read raw message: %w", err)
	}
	return pm, h.Sum(nil), nil
}

// rawYieldEvery is how often the parser's read of a raw message yields
// the processor (package yield): the parser decodes and hashes as it
// reads, a few microseconds per KiB.
const rawYieldEvery = 32 << 10

// cidURL is where the UI serves an inline part, relative to the
// message's body URL (…/messages/{id}/body → …/messages/{id}/cid/{cid}).
func cidURL(cid string) string { return "cid/" + url.PathEscape(cid) }

// writeFunc writes a prepared message inside the committer's
// transaction; safe says it runs in a savepoint of its own (storeReq).
type writeFunc func(ctx context.Context, q store.Queries, safe bool) (Event, error)

// prepare reads and parses the row's raw message (storing its
// attachments) and returns the writes that turn it into a ticket message.
func (s *Service) prepare(ctx context.Context, in model.Inbound, chans channelCache) (writeFunc, error) {
	ch, err := chans.get(ctx, s.store, in.CompanyID, in.ChannelID)
	if err != nil {
		return nil, fmt.Errorf("load channel: %w", err)
	}
	var sinkErr error
	// One read of the raw message: the parser reads it and the dedupe key
	// is hashed from the same bytes (dedupeTee).
	tee := newDedupeTee()
	var small smallBlobs
	// Parsing is the workers' CPU-heavy part: bulk work for the gate,
	// which may park it at its yield points while an accept's transaction
	// commits (yield.Gate, groupCommit.insert).
	var pm *mailparse.Message
	var sum []byte
	s.gate.Work(func() {
		pm, sum, err = s.parse(ctx, in.RawKey, tee, mailparse.Options{
			AttachmentURL: cidURL,
			Sink: func(meta mailparse.Attachment, r io.Reader) (string, int64, error) {
				key, n, err := s.keepAttachment(ctx, r, &small)
				if err != nil && sinkErr == nil {
					sinkErr = err
				}
				return key, n, err
			},
			Gate: s.gate,
		})
	})
	if errors.Is(err, blob.ErrNotFound) {
		return s.unavailable(ctx, in, chans, "missing")
	}
	if err != nil {
		// Only reading the stored bytes can fail: worth a retry.
		return nil, fmt.Errorf("parse: %w", err)
	}
	// The key is the content's hash: a blob damaged on disk is caught here.
	if got := blob.KeyOfSum(sum); got != in.RawKey && strings.HasPrefix(in.RawKey, "sha256/") {
		return s.unavailable(ctx, in, chans, "damaged")
	}
	dkey, err := tee.Key()
	if err != nil {
		return nil, fmt.Errorf("dedupe key: %w", err)
	}
	if sinkErr != nil {
		return nil, fmt.Errorf("store attachment: %w", sinkErr)
	}
	oneLineHeaders(pm)
	// The full-text work of the message's insert, done here by this
	// worker instead of in the committer's transaction (PostgreSQL; no-op
	// on SQLite). Without it the insert computes it: a failure only costs
	// speed.
	probe := &model.Message{Subject: pm.Subject, From: model.Address{Name: pm.From.Name, Address: senderOf(pm)}, Text: pm.TextBody}
	if err := s.store.PrecomputeSearch(ctx, probe); err != nil {
		s.log.Warn("ingest: full-text vector not computed ahead", "inbound", in.ID, "err", err)
	}
	search := probe.Search

	small = small.referenced(pm)
	write := func(q store.Queries) (Event, error) {
		for _, b := range small {
			if err := q.PutInlineBlob(ctx, b.key, b.data); err != nil {
				return Event{}, fmt.Errorf("keep attachment: %w", err)
			}
		}
		return s.store1(ctx, q, ch, in, pm, dkey, search)
	}
	return func(ctx context.Context, q store.Queries, safe bool) (Event, error) {
		sp, ok := q.(store.Savepointer)
		if !ok || !safe {
			// A duplicate that opened a ticket fails the transaction
			// (errDuplicateNewTicket); it runs again in savepoint mode.
			return write(q)
		}
		var ev Event
		err := sp.Savepoint(ctx, func(q store.Queries) error {
			var err error
			ev, err = write(q)
			return err
		})
		var dup errDuplicateNewTicket
		if errors.As(err, &dup) {
			// Rolled back the ticket it would have opened; link the row to
			// the message stored earlier.
			return Event{}, q.FinishInbound(ctx, in.CompanyID, in.ID, dup.existing, s.now())
		}
		return ev, err
	}, nil
}

// Small attachments (signature logos, inline images of a few KB: most
// attachments by count) are kept in the database like small raw messages,
// written by the message's own transaction, instead of as blob files: no
// file to create and two fsyncs per attachment on the worker's path.
const (
	// attachInlineMax is the largest attachment kept so.
	attachInlineMax = 64 << 10
	// attachInlineTotal bounds what one message keeps so (it is held in
	// memory until its transaction commits); the rest go to blob files.
	attachInlineTotal = 256 << 10
)

type smallBlob struct {
	key  string
	data []byte
}

// smallBlobs are the attachments of one message waiting for its
// transaction.
type smallBlobs []smallBlob

func (sb smallBlobs) size() int {
	n := 0
	for _, b := range sb {
		n += len(b.data)
	}
	return n
}

// referenced keeps the blobs pm's attachments name (a parser that gave up
// half-way falls back to a message without them: nothing to keep).
func (sb smallBlobs) referenced(pm *mailparse.Message) smallBlobs {
	keys := map[string]bool{}
	for _, a := range pm.Attachments {
		keys[a.BlobKey] = true
	}
	var out smallBlobs
	seen := map[string]bool{}
	for _, b := range sb {
		if keys[b.key] && !seen[b.key] {
			seen[b.key] = true
			out = append(out, b)
		}
	}
	return out
}

// keepAttachment stores one decoded attachment: a small one (with inlining
// on and room left in the message's share) in memory for the message's
// transaction, else in the blob store.
func (s *Service) keepAttachment(ctx context.Context, r io.Reader, small *smallBlobs) (string, int64, error) {
	if s.inlineMax > 0 {
		head, rest, err := readSmall(r, int64(min(attachInlineMax, attachInlineTotal-small.size())))
		if err != nil {
			return "", 0, fmt.Errorf("attachment: %w", err)
		}
		if rest == nil {
			key := blob.KeyOf(head)
			*small = append(*small, smallBlob{key, head})
			return key, int64(len(head)), nil
		}
		r = rest
	}
	return s.blobs.Put(ctx, r, 0)
}

// senderOf is the address a message is from: From, else the first
// Reply-To, else an address that is never deliverable.
func senderOf(pm *mailparse.Message) string {
	from := pm.From.Address
	if from == "" && len(pm.ReplyTo) > 0 {
		from = pm.ReplyTo[0].Address
	}
	if from == "" {
		from = "unknown@invalid" // RFC 2606: never deliverable
	}
	return from
}

// store1 writes one parsed message (its headers made one-line by
// prepare) inside the transaction; search is its full-text vector
// computed ahead, or nil.
func (s *Service) store1(ctx context.Context, q store.Queries, ch *model.Channel, in model.Inbound, pm *mailparse.Message, dkey string,
	search *model.SearchVector) (Event, error) {
	now := s.now().UTC()
	ev := Event{CompanyID: in.CompanyID, ChannelID: ch.ID}
	from := senderOf(pm)
	ev.From = model.NormalizeEmail(from)

	recipients := pm.DeliveredTo
	for _, a := range append(append([]mailparse.Address{}, pm.To...), pm.Cc...) {
		recipients = append(recipients, a.Address)
	}
	tin := thread.Input{CompanyID: in.CompanyID, ChannelID: ch.ID, MessageID: pm.MessageID, InReplyTo: pm.InReplyTo,
		References: pm.References, Subject: pm.Subject, From: from, Recipients: recipients}
	if pm.Bounce != nil && pm.Bounce.OriginalMessageID != "" {
		// A bounce belongs with the message that bounced.
		tin.InReplyTo = append([]string{pm.Bounce.OriginalMessageID}, tin.InReplyTo...)
	}
	res, err := thread.Resolve(ctx, threadIndex{q}, tin)
	if err != nil {
		return ev, fmt.Errorf("thread: %w", err)
	}

	var ticket *model.Ticket
	if res.Found {
		if ticket, err = q.GetTicket(ctx, in.CompanyID, res.Ticket.ID); err != nil {
			return ev, fmt.Errorf("load ticket: %w", err)
		}
	} else {
		contact, err := q.UpsertContact(ctx, in.CompanyID, from, pm.From.Name)
		if err != nil {
			return ev, err
		}
		body := pm.TextBody
		rule := routing.FromModel(ch.Settings.Rule)
		dec := routing.Evaluate(rule, routing.Input{From: from, Recipients: recipients, Subject: pm.Subject, Body: body})
		subject := pm.Subject
		if subject == "" {
			subject = "(sem assunto)"
		}
		ticket = &model.Ticket{CompanyID: in.CompanyID, ChannelID: ch.ID, ContactID: contact.ID, TeamID: dec.TeamID,
			AssigneeID: dec.AssigneeID, Subject: subject, Status: model.StatusOpen, Priority: dec.Priority, Tags: dec.Tags,
			ReplyToken: thread.NewReplyToken(), CreatedAt: now, LastMessageAt: now}
		if err := q.CreateTicket(ctx, ticket); err != nil {
			return ev, err
		}
		if err := ticketsvc.RecordRouted(ctx, q, ticket, rule, dec); err != nil {
			return ev, err
		}
		ev.NewTicket = true
		ev.SendInitialMessage = dec.SendInitialMessage
	}

	m := &model.Message{CompanyID: in.CompanyID, TicketID: ticket.ID, ChannelID: ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
		From: model.Address{Name: pm.From.Name, Address: from}, To: addrs(pm.To), Cc: addrs(pm.Cc), Bcc: addrs(pm.Bcc),
		Subject: pm.Subject, MessageID: pm.MessageID, References: pm.References, Date: pm.Date,
		Text: pm.TextBody, HTML: pm.HTMLBody, ReplyText: pm.ReplyVisibleText, RawKey: in.RawKey, Size: in.Size,
		DedupeKey: dkey, InboundID: in.ID, CreatedAt: now, Meta: map[string]string{}, Search: search}
	if len(pm.InReplyTo) > 0 {
		m.InReplyTo = pm.InReplyTo[0]
	}
	if pm.AutoSubmitted {
		m.Flags |= model.FlagAutoSubmitted
	}
	if pm.Bulk {
		m.Flags |= model.FlagBulk
	}
	if res.Forwarded && !res.Found {
		m.Flags |= model.FlagForwarded
	}
	if pm.Bounce != nil {
		m.Flags |= model.FlagBounce
		m.Meta["bounce_recipient"] = pm.Bounce.Recipient
		m.Meta["bounce_status"] = pm.Bounce.Status
	}
	if raw, fail := authVerdict(pm.Headers["authentication-results"], s.authID, ch.Incoming == model.ConnExternal); raw != "" {
		m.Meta["authentication_results"] = raw
		if fail {
			m.Flags |= model.FlagDMARCFail
		}
	}
	if len(pm.Warnings) > 0 {
		m.Meta["parse_warnings"] = fmt.Sprint(len(pm.Warnings))
	}
	if pm.Partial {
		// "Could not be fully read": the UI shows what was read with a
		// warning and the raw message (RawKey) to download.
		m.Meta["partial"] = pm.PartialReason
	}
	if res.Method != thread.MethodNew {
		m.Meta["threaded_by"] = string(res.Method)
	}
	ev.Flags = m.Flags
	err = q.CreateMessage(ctx, m)
	if errors.Is(err, store.ErrConflict) {
		// The same mail arrived before (another source key, another
		// channel, or a relay that delivered twice): one message only.
		// A ticket created just now is rolled back with the transaction,
		// so the duplicate leaves no trace but this row's link.
		if ev.NewTicket {
			return ev, errDuplicateNewTicket{existing: m.ID}
		}
		ev.MessageID = m.ID
		return ev, q.FinishInbound(ctx, in.CompanyID, in.ID, m.ID, now)
	}
	if err != nil {
		return ev, err
	}
	for _, a := range pm.Attachments {
		att := &model.Attachment{CompanyID: in.CompanyID, MessageID: m.ID, BlobKey: a.BlobKey, Filename: a.Filename,
			ContentType: a.ContentType, Size: a.Size, ContentID: a.ContentID, Inline: a.Inline}
		if att.BlobKey == "" {
			continue // the sink failed for this part; already an error above
		}
		if err := q.CreateAttachment(ctx, att); err != nil {
			return ev, err
		}
	}
	if pm.Bounce != nil && pm.Bounce.OriginalMessageID != "" && res.Found {
		if err := markBounced(ctx, q, in.CompanyID, ticket.ID, pm.Bounce); err != nil {
			return ev, err
		}
	}
	if res.Found && (ticket.Status == model.StatusResolved || ticket.Status == model.StatusClosed) && m.Flags&(model.FlagAutoSubmitted|model.FlagBounce) == 0 {
		// The customer wrote again: the ticket needs attention.
		from := ticket.Status
		ticket.Status = model.StatusOpen
		if err := q.UpdateTicket(ctx, ticket); err != nil {
			return ev, err
		}
		if err := ticketsvc.RecordReopened(ctx, q, ticket, from, now); err != nil {
			return ev, err
		}
	}
	if !ev.NewTicket {
		// A ticket opened just now already has this message's time.
		if err := q.TouchTicket(ctx, in.CompanyID, ticket.ID, now); err != nil {
			return ev, err
		}
	}
	if ev.NewTicket && ev.SendInitialMessage && m.Flags&(model.FlagAutoSubmitted|model.FlagBulk|model.FlagBounce) == 0 {
		// The decision is durable with the ticket; autoreply applies the
		// remaining guards (noreply senders, our own addresses, window).
		if err := autoreply.Enqueue(ctx, q, in.CompanyID, m.ID); err != nil {
			return ev, err
		}
	}
	ev.TicketID, ev.MessageID = ticket.ID, m.ID
	return ev, q.FinishInbound(ctx, in.CompanyID, in.ID, m.ID, now)
}

// markBounced marks our outbound message that a DSN refers to as failed,
// with the reported recipient and status as the reason.
func markBounced(ctx context.Context, q store.Queries, companyID, ticketID int64, b *mailparse.Bounce) error {
	msgs, err := q.ListMessages(ctx, companyID, ticketID)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Direction == model.DirOut && m.MessageID == b.OriginalMessageID {
			reason := fmt.Sprintf("bounced: %s %s", b.Status, b.Recipient)
			return q.UpdateMessageStatus(ctx, companyID, m.ID, model.MsgFailed, reason)
		}
	}
	return nil
}

type errDuplicateNewTicket struct{ existing int64 }

func (e errDuplicateNewTicket) Error() string {
	return fmt.Sprintf("duplicate of message %d", e.existing)
}

func addrs(in []mailparse.Address) []model.Address {
	out := make([]model.Address, 0, len(in))
	for _, a := range in {
		out = append(out, model.Address{Name: a.Name, Address: model.NormalizeEmail(a.Address)})
	}
	return out
}

// NoticeBlobUnavailable is the kind of the admin notice about a stored
// mail whose original bytes are gone or damaged.
const NoticeBlobUnavailable = "blob_unavailable"

// unavailable turns an inbound row whose raw mail is missing or damaged in
// the blob store into a ticket message saying so ("mensagem original
// indisponível") and an admin notice, instead of retrying it for hours: no
// retry can bring the bytes back.
func (s *Service) unavailable(ctx context.Context, in model.Inbound, chans channelCache, why string) (writeFunc, error) {
	s.log.Error("ingest: the raw mail is "+why+" in the blob store; stored as an unavailable message", "inbound", in.ID, "raw", in.RawKey)
	raw := fmt.Sprintf("From: =?utf-8?q?remetente_desconhecido?= <unknown@invalid>\r\nSubject: =?utf-8?q?mensagem_original_indispon=C3=ADvel?=\r\n"+
		"Message-ID: <unavailable-%d-%d@atende.invalid>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"mensagem original indisponível: o arquivo desta mensagem (recebida em %s) sumiu ou está danificado no armazenamento.\r\n"+
		"(original message unavailable: its file is missing or damaged in the blob store.)\r\n",
		in.CompanyID, in.ID, in.ReceivedAt.UTC().Format(time.RFC3339))
	key, _, err := s.blobs.Put(ctx, strings.NewReader(raw), 0)
	if err != nil {
		return nil, fmt.Errorf("store the unavailable-message note: %w", err)
	}
	n := &store.Notice{CompanyID: in.CompanyID, ChannelID: in.ChannelID, Kind: NoticeBlobUnavailable, Key: "notice.blob_" + why,
		Title: "Mensagem original indisponível", Code: fmt.Sprintf("inbound-%d", in.ID), CreatedAt: s.now(),
		Body: fmt.Sprintf("O arquivo de uma mensagem recebida (%s) sumiu ou está danificado no armazenamento de arquivos; ela aparece no atendimento como \"mensagem original indisponível\". Confira o armazenamento e os backups.", why)}
	if err := s.store.CreateNotice(ctx, n); err != nil && !errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("notice of an unavailable message: %w", err)
	}
	in.RawKey = key
	return s.prepare(ctx, in, chans)
}
