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
	"github.com/atende-helpdesk/atende/internal/yield"
)

// DefaultMaxSize is the default largest raw message accepted (50 MB).
const DefaultMaxSize = 50 << 20

// DefaultInlineMax is the largest raw message `serve` keeps in the
// database instead of the blob store (Config.InlineMax): 95% of mail by
// count (the realistic mix: 5 KB text, 50 KB HTML) but a small part of the
// bytes.
const DefaultInlineMax = 64 << 10

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
	// gate gives the committers priority for the processors over the
	// workers' parsing while an accept waits on them (yield.Gate).
	gate   *yield.Gate
	authID string
	// inlineMax: raw messages up to this size go into the database with
	// their inbound row (0: every one goes to the blob store).
	inlineMax int64
}

// Config tunes a Service.
type Config struct {
	MaxSize int64 // 0 = DefaultMaxSize
	// AuthServID is the authserv-id of the Authentication-Results header
	// Atende's own SMTP server adds; only that one (or, for mailbox sync,
	// the provider's topmost one) is trusted for the DMARC warning.
	AuthServID string
	// InlineMax keeps raw messages of up to this many bytes in the
	// database, written by the transaction that inserts their inbound row,
	// instead of as blobs: no file to create and sync per message, and
	// the bytes commit with the row in the accept's group commit. Readers
	// must then read blobs through Blobs (blob.Inline). 0: none.
	InlineMax int64
}

// Blobs is the blob store that also reads the raw messages ingest kept in
// the database (Config.InlineMax): files (the filesystem or S3 store) for
// the rest. Everything that opens a raw message by its key must use it.
func Blobs(st store.Store, files blob.Store) *blob.Inline {
	return &blob.Inline{Files: files, Get: func(ctx context.Context, key string) ([]byte, bool, error) {
		b, err := st.GetInlineBlob(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return b, true, nil
	}}
}

// New builds the Service. clk is the program's one clock (package clock).
func New(st store.Store, blobs blob.Store, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	// While an accept waits for its commit, the parsing workers step
	// aside (yield.Gate; on two processors all of them), each time for at
	// most parkMax. BenchmarkAcceptSaturated, medians of interleaved pairs
	// on two cores: SQLite p99 22.1 -> 13.3 ms, PostgreSQL 16.4 -> 8.3 ms,
	// ingest throughput unchanged (see parkMax).
	gate := yield.NewGate(parkMax(st.Dialect()))
	s := &Service{store: st, blobs: blobs, log: log, maxSize: cfg.MaxSize, now: clk.Now, wake: make(chan struct{}, 1),
		stores: &storeCommit{st: st, maxBatch: 16, gate: gate}, gate: gate, authID: cfg.AuthServID}
	s.rows = &groupCommit{sc: s.stores}
	if cfg.InlineMax > 0 {
		s.inlineMax = cfg.InlineMax
		if _, ok := blobs.(*blob.Inline); !ok {
			// The workers must find what Accept keeps in the database.
			s.blobs = Blobs(st, blobs)
		}
	}
	if st.Dialect() != "sqlite" {
		// PostgreSQL takes concurrent writers: accepts get a committer of
		// their own, so an SMTP or IMAP acknowledgement never waits behind
		// a processing transaction (it did, and a killed node's mailboxes
		// resumed 10-20 s later in the three-node test). SQLite has one
		// writer: there the accepts ride ahead in the shared committer.
		s.rows = &groupCommit{sc: &storeCommit{st: st, maxBatch: 16, gate: gate}}
	}
	return s
}

// parkMax is the longest a parsing worker parks for an accept (New).
// SQLite's one committer does the accepts and all the workers' writes, and
// 5 KB text ingest runs on it: a worker back sooner only takes processor
// time from it (2 ms: text 2,034 -> 1,913 msg/s). On PostgreSQL the
// committers wait on the server, the workers' parsing is what ingest
// needs (10 ms: text 518 -> 476; 2 ms: unchanged).
func parkMax(dialect string) time.Duration {
	if dialect == "sqlite" {
		return 10 * time.Millisecond
	}
	return 2 * time.Millisecond
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
	key, size, data, err := s.keep(ctx, raw)
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
	in := &model.Inbound{CompanyID: ch.CompanyID, ChannelID: ch.ID, SourceKey: sourceKey, RawKey: key, Size: size, Raw: data, ReceivedAt: s.now()}
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

// keep stores raw's bytes: a message of up to inlineMax bytes is read into
// memory and returned as data, for the inbound row's transaction to keep
// (its key hashed here: the same content address a blob gets); a larger
// one is streamed into the blob store, durable when keep returns.
func (s *Service) keep(ctx context.Context, raw io.Reader) (key string, size int64, data []byte, err error) {
	if s.inlineMax <= 0 {
		key, size, err = s.blobs.Put(ctx, raw, s.maxSize)
		return key, size, nil, err
	}
	head, rest, err := readSmall(raw, s.inlineMax)
	if err != nil {
		return "", 0, nil, err
	}
	if rest != nil {
		key, size, err = s.blobs.Put(ctx, rest, s.maxSize)
		return key, size, nil, err
	}
	if int64(len(head)) > s.maxSize {
		return "", 0, nil, fmt.Errorf("%w: more than %d bytes", blob.ErrTooLarge, s.maxSize)
	}
	return blob.KeyOf(head), int64(len(head)), head, nil
}

// readSmall reads r whole when it holds at most max bytes (rest is nil);
// else rest reads all of r's bytes again from the start, for the blob
// store.
func readSmall(r io.Reader, max int64) (data []byte, rest io.Reader, err error) {
	head, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(head)) > max {
		return nil, io.MultiReader(bytes.NewReader(head), r), nil
	}
	return head, nil, nil
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
