package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// DefaultMaxSize is the default largest raw message accepted (50 MB).
const DefaultMaxSize = 50 << 20

// Errors callers map to protocol answers (SMTP 552/554, CLI messages).
var (
	ErrTooLarge = errors.New("message too large")
	ErrEmpty    = errors.New("empty message (0 bytes)")
	// ErrNotMail: the bytes do not start like an RFC 5322 message.
	ErrNotMail = errors.New("not an email message")
)

// Service accepts raw mail durably and wakes the workers.
type Service struct {
	store   store.Store
	blobs   blob.Store
	log     *slog.Logger
	maxSize int64
	now     func() time.Time
	wake    chan struct{}
	rows    *groupCommit
	stores  *storeCommit
	authID  string
}

// Config tunes a Service.
type Config struct {
	MaxSize int64 // 0 = DefaultMaxSize
	// AuthServID is the authserv-id of the Authentication-Results header
	// Atende's own SMTP server adds; only that one (or, for mailbox sync,
	// the provider's topmost one) is trusted for the DMARC warning.
	AuthServID string
}

// New builds the Service. clk is the program's one clock (package clock).
func New(st store.Store, blobs blob.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	s := &Service{store: st, blobs: blobs, log: log, maxSize: cfg.MaxSize, now: clk.Now, wake: make(chan struct{}, 1),
		stores: &storeCommit{st: st, maxBatch: 16}, authID: cfg.AuthServID}
	s.rows = &groupCommit{sc: s.stores}
	if st.Dialect() != "sqlite" {
		// PostgreSQL takes concurrent writers: accepts get a committer of
		// their own, so an SMTP or IMAP acknowledgement never waits behind
		// a processing transaction (it did, and a killed node's mailboxes
		// resumed 10-20 s later in the three-node test). SQLite has one
		// writer: there the accepts ride ahead in the shared committer.
		s.rows = &groupCommit{sc: &storeCommit{st: st, maxBatch: 16}}
	}
	return s
}

// MaxSize is the largest raw message Accept takes.
func (s *Service) MaxSize() int64 { return s.maxSize }

// Result is what Accept stored.
type Result struct {
	InboundID int64
	Size      int64
	RawKey    string
	Duplicate bool // the source key was accepted before; nothing new stored
}

// Accept durably stores one raw message from a source. sourceKey
// identifies the message at its source (e.g. "imap:<uidvalidity>:<uid>",
// "smtp:<queue id>", "file:<sha256>") and must be stable across retries.
// When Accept returns nil the caller may acknowledge the message.
func (s *Service) Accept(ctx context.Context, ch *model.Channel, sourceKey string, raw io.Reader) (Result, error) {
	if sourceKey == "" {
		return Result{}, fmt.Errorf("ingest: accept: empty source key")
	}
	return s.accept(ctx, ch, func(string) string { return sourceKey }, raw, nil)
}

// AcceptContent is Accept for sources without a stable identity of their
// own (imported files): the source key is derived from the bytes, so
// importing the same message twice reports Duplicate.
func (s *Service) AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (Result, error) {
	return s.accept(ctx, ch, func(rawKey string) string { return "content:" + rawKey }, raw, nil)
}

// Order lets a caller run several AcceptContent calls at once and still get
// the rows (so the tickets) in the order it started them: once the bytes
// are stored, Wait returns when the previous call's row is queued; Queued
// is called when this call's row is. Wait is not called when storing the
// bytes failed; the caller then calls Wait and Queued itself.
type Order struct {
	Wait   func()
	Queued func()
}

// AcceptContentInOrder is AcceptContent with an Order (`atende import`:
// the blob writes and fsyncs of several messages overlap, the messages
// still become tickets in mailbox order).
func (s *Service) AcceptContentInOrder(ctx context.Context, ch *model.Channel, raw io.Reader, order Order) (Result, error) {
	return s.accept(ctx, ch, func(rawKey string) string { return "content:" + rawKey }, raw, &order)
}

func (s *Service) accept(ctx context.Context, ch *model.Channel, keyOf func(rawKey string) string, raw io.Reader, order *Order) (Result, error) {
	key, size, err := s.blobs.Put(ctx, raw, s.maxSize)
	if errors.Is(err, blob.ErrTooLarge) {
		return Result{}, fmt.Errorf("ingest: %w: over the %s limit", ErrTooLarge, HumanSize(s.maxSize))
	}
	if err != nil {
		return Result{}, fmt.Errorf("ingest: store raw message: %w", err)
	}
	if size == 0 {
		return Result{}, fmt.Errorf("ingest: %w", ErrEmpty)
	}
	sourceKey := keyOf(key)
	in := &model.Inbound{CompanyID: ch.CompanyID, ChannelID: ch.ID, SourceKey: sourceKey, RawKey: key, Size: size, ReceivedAt: s.now()}
	var queued func()
	if order != nil {
		order.Wait()
		queued = order.Queued
	}
	dup, err := s.rows.insert(ctx, in, queued)
	if dup {
		return Result{InboundID: in.ID, Size: in.Size, RawKey: in.RawKey, Duplicate: true}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("ingest: record inbound %s: %w", sourceKey, err)
	}
	s.Wake()
	return Result{InboundID: in.ID, Size: size, RawKey: key}, nil
}

// Wake nudges the workers to look for pending rows now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Sniff checks that head (the first bytes of a file) looks like an email:
// a header field line ("Name: value"), or an mbox "From " line. It is used
// by importers to reject binary files with a clear error; the protocol
// adapters accept whatever arrives and let the worker decide.
func Sniff(head []byte) error {
	if len(head) == 0 {
		return ErrEmpty
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return fmt.Errorf("%w: binary data (NUL bytes) in the first %d bytes", ErrNotMail, len(head))
	}
	sc := bufio.NewScanner(bytes.NewReader(head))
	sc.Buffer(make([]byte, 0, 4096), len(head)+1)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue // leading blank lines
		}
		if bytes.HasPrefix(line, []byte("From ")) {
			return nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			break
		}
		for _, c := range line[:colon] {
			if c <= ' ' || c > '~' {
				return fmt.Errorf("%w: first line is not a header field", ErrNotMail)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: no header fields found", ErrNotMail)
}

// HumanSize formats a byte count the way the UI and errors show it.
func HumanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
