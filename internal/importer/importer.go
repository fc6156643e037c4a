// Package importer feeds .eml files, mbox files and Maildir folders into
// the ingest pipeline (`atende import`). It streams: an mbox is split
// line by line and each message goes to the blob store through a pipe, so
// memory does not grow with mailbox or attachment size.
//
// Each file or message is checked before it is accepted (empty, binary,
// over the size limit) and every failure names its file; what was stored
// before a failure stays stored.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
)

// Acceptor is the part of ingest.Service the importer uses.
type Acceptor interface {
	AcceptContent(ctx context.Context, ch *model.Channel, raw io.Reader) (ingest.Result, error)
}

// OrderedAcceptor, when the Acceptor has it, keeps the messages in file
// order while their accepts overlap (ingest.Service.AcceptContentInOrder).
type OrderedAcceptor interface {
	AcceptContentInOrder(ctx context.Context, ch *model.Channel, raw io.Reader, order ingest.Order) (ingest.Result, error)
}

var _ Acceptor = (*ingest.Service)(nil)

// Failure is one file or message that could not be imported.
type Failure struct {
	Source string // path, or path#N for the Nth message of an mbox
	Err    error
}

func (f Failure) String() string { return f.Source + ": " + f.Err.Error() }

// Summary counts what happened.
type Summary struct {
	Imported   int
	Duplicates int
	Failed     []Failure
	Bytes      int64
	// Inbound lists the rows created, so callers can wait for processing
	// and report parse failures.
	Inbound []Accepted
}

// Accepted is one message stored by this import.
type Accepted struct {
	Source    string
	InboundID int64
}

// Progress is told after each message: bytes of input read so far out of
// total, and the running summary.
type Progress func(doneBytes, totalBytes int64, s *Summary)

// Importer imports into one channel.
type Importer struct {
	Acceptor Acceptor
	Channel  *model.Channel
	Progress Progress // optional
	// Concurrency is how many messages may be in Accept at once (their
	// fsyncs and row commits overlap; the bytes are still read in order,
	// one message at a time). 0 means DefaultConcurrency.
	Concurrency int

	last chan struct{} // closed once the previous message's row is queued
	mu   sync.Mutex    // guards the Summary while accepts run
	sem  chan struct{}
	wg   sync.WaitGroup
}

// DefaultConcurrency is Importer.Concurrency's default.
const DefaultConcurrency = 8

// goAccept runs fn (one message's Accept) on its own goroutine once one of
// the Concurrency slots is free.
func (im *Importer) goAccept(fn func(order ingest.Order)) {
	im.sem <- struct{}{}
	im.wg.Add(1)
	prev, next := im.last, make(chan struct{})
	im.last = next
	var once sync.Once
	order := ingest.Order{
		Wait: func() {
			if prev != nil {
				<-prev
			}
		},
		Queued: func() { once.Do(func() { close(next) }) },
	}
	go func() {
		defer func() {
			// Failed before its row was queued: the next one may go once
			// the previous one has.
			order.Wait()
			order.Queued()
			<-im.sem
			im.wg.Done()
		}()
		fn(order)
	}()
}

func (im *Importer) fail(s *Summary, src string, err error) {
	im.mu.Lock()
	s.Failed = append(s.Failed, Failure{src, err})
	im.mu.Unlock()
}

type file struct {
	path string
	size int64
}

// Import walks paths (files or directories) and imports every message.
func (im *Importer) Import(ctx context.Context, paths []string) *Summary {
	s := &Summary{}
	n := im.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	im.sem = make(chan struct{}, n)
	im.last = nil
	defer im.wg.Wait()
	var files []file
	var total int64
	for _, p := range paths {
		fl, err := collect(p)
		if err != nil {
			s.Failed = append(s.Failed, Failure{p, err})
			continue
		}
		for _, f := range fl {
			total += f.size
		}
		files = append(files, fl...)
	}
	var done int64
	for _, f := range files {
		if ctx.Err() != nil {
			im.fail(s, f.path, ctx.Err())
			break
		}
		im.importFile(ctx, f, s)
		done += f.size
		if im.Progress != nil {
			im.mu.Lock()
			im.Progress(done, total, s)
			im.mu.Unlock()
		}
	}
	im.wg.Wait()
	return s
}

// collect expands a path into the files to read: a file is itself; a
// Maildir is its cur/ and new/ messages; any other directory is walked.
func collect(p string) ([]file, error) {
	st, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no such file or directory")
		}
		return nil, err
	}
	if !st.IsDir() {
		return []file{{p, st.Size()}}, nil
	}
	var out []file
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "tmp" && isMaildir(filepath.Dir(path)) {
				return filepath.SkipDir // deliveries in progress, not messages yet
			}
			return nil
		}
		if !d.Type().IsRegular() || d.Name()[0] == '.' {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, file{path, info.Size()})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, err
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

func (im *Importer) importFile(ctx context.Context, f file, s *Summary) {
	if f.size == 0 {
		im.fail(s, f.path, errors.New("empty file (0 bytes)"))
		return
	}
	fh, err := os.Open(f.path)
	if err != nil {
		im.fail(s, f.path, err)
		return
	}
	br := bufio.NewReaderSize(fh, 64<<10)
	head, _ := br.Peek(4096)
	if err := ingest.Sniff(head); err != nil {
		fh.Close()
		im.fail(s, f.path, err)
		return
	}
	im.mu.Lock()
	s.Bytes += f.size
	im.mu.Unlock()
	if bytes.HasPrefix(head, []byte("From ")) {
		defer fh.Close()
		im.importMbox(ctx, f.path, br, s)
		return
	}
	im.goAccept(func(order ingest.Order) {
		defer fh.Close()
		im.accept(ctx, f.path, br, s, order)
	})
}

func (im *Importer) accept(ctx context.Context, src string, r io.Reader, s *Summary, order ingest.Order) error {
	var res ingest.Result
	var err error
	if oa, ok := im.Acceptor.(OrderedAcceptor); ok {
		res, err = oa.AcceptContentInOrder(ctx, im.Channel, r, order)
	} else {
		res, err = im.Acceptor.AcceptContent(ctx, im.Channel, r)
	}
	im.mu.Lock()
	defer im.mu.Unlock()
	if err != nil {
		s.Failed = append(s.Failed, Failure{src, unwrapIngest(err)})
		return err
	}
	if res.Duplicate {
		s.Duplicates++
		return nil
	}
	s.Imported++
	s.Inbound = append(s.Inbound, Accepted{src, res.InboundID})
	return nil
}

// unwrapIngest drops the "ingest: " prefix: the user sees "file: reason".
func unwrapIngest(err error) error {
	switch {
	case errors.Is(err, ingest.ErrTooLarge), errors.Is(err, ingest.ErrEmpty):
		msg := err.Error()
		if len(msg) > 8 && msg[:8] == "ingest: " {
			return fmt.Errorf("%s", msg[8:])
		}
	}
	return err
}
