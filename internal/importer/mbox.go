package importer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/atende-helpdesk/atende/internal/ingest"
)

// importMbox splits an mbox (mboxo/mboxrd: messages start with a "From "
// line at the start of the file or after a blank line; body lines
// ">From " are unescaped by one '>') and accepts each message as it
// streams.
func (im *Importer) importMbox(ctx context.Context, path string, br *bufio.Reader, s *Summary) {
	n := 0
	var pw *io.PipeWriter
	// bw batches the lines of the current message into large pipe writes
	// (one handoff per 64 KB, not per line).
	var bw *bufio.Writer
	var result chan error
	pendingBlank := []byte(nil) // a blank line may be the separator before the next "From "
	// finish ends the current message's bytes; its Accept (fsync, row
	// commit) goes on while the next message is read.
	finish := func() {
		if pw == nil {
			return
		}
		if bw.Flush() == nil {
			pw.Close()
		}
		pw = nil
	}
	start := func() {
		n++
		src := fmt.Sprintf("%s#%d", path, n)
		pr, w := io.Pipe()
		res := make(chan error, 1)
		pw, result = w, res
		if bw == nil {
			bw = bufio.NewWriterSize(w, 64<<10)
		} else {
			bw.Reset(w)
		}
		im.goAccept(func(order ingest.Order) {
			err := im.accept(ctx, src, pr, s, order)
			// Unblock the splitter if Accept stopped early (too large...).
			pr.CloseWithError(errStop)
			res <- err
		})
	}
	write := func(b []byte) {
		if pw == nil {
			return
		}
		if _, err := bw.Write(b); err != nil {
			// Accept gave up on this message; skip the rest of it.
			pw = nil
			<-result
		}
	}
	atStart := true
	var readErr error
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line[:0], chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			// A long line: pass it through in pieces.
			write(line)
			chunk, err = br.ReadSlice('\n')
			line = append(line[:0], chunk...)
		}
		if len(line) > 0 {
			isFrom := bytes.HasPrefix(line, []byte("From "))
			blank := len(bytes.TrimRight(line, "\r\n")) == 0
			switch {
			case isFrom && (atStart || pendingBlank != nil):
				pendingBlank = nil
				finish()
				start()
			case blank:
				if pendingBlank != nil {
					write(pendingBlank)
				}
				pendingBlank = append([]byte(nil), line...)
			default:
				if pendingBlank != nil {
					write(pendingBlank)
					pendingBlank = nil
				}
				if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) && line[0] == '>' {
					line = line[1:] // mboxrd unescape
				}
				write(line)
			}
			atStart = false
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				readErr = err
				if pw != nil {
					pw.CloseWithError(err) // the partial message is not accepted
				}
			}
			break
		}
	}
	finish()
	if readErr != nil {
		im.fail(s, fmt.Sprintf("%s#%d", path, n), readErr)
	}
	if n == 0 {
		im.fail(s, path, errors.New("mbox without messages"))
	}
}

var errStop = errors.New("importer: message rejected")
