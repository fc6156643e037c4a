package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"strings"

	gmail "github.com/emersion/go-message/mail"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/store"
)

// systemMailer sends Atende's own mail to agents (password reset links):
// through the relay as From (no-reply at the inbound domain) when one is
// configured, else through the company's first enabled channel that
// sends through its own mailbox (From its primary address). Mail is
// queued in memory and sent by Run, so the web form answers at once
// whether or not the address exists; a lost reset mail (a restart, a
// full queue) costs the agent a second request, nothing else.
type systemMailer struct {
	st    store.Store
	relay relayMailer // nil without a relay
	chans outbox.Sender
	from  string // relay From
	clk   clock.Clock
	log   *slog.Logger
	queue chan systemMail
}

// relayMailer is the relay's smtpout.Sender.
type relayMailer interface {
	Send(ctx context.Context, from string, to []string, raw io.Reader) error
}

type systemMail struct {
	companyID         int64
	to, subject, text string
}

var errSystemMailFull = errors.New("system mail queue is full")

func newSystemMailer(st store.Store, relay relayMailer, chans outbox.Sender, from string, clk clock.Clock, log *slog.Logger) *systemMailer {
	return &systemMailer{st: st, relay: relay, chans: chans, from: from, clk: clk, log: log, queue: make(chan systemMail, 256)}
}

// Queue hands a mail to Run; it never waits.
func (m *systemMailer) Queue(_ context.Context, companyID int64, to, subject, text string) error {
	select {
	case m.queue <- systemMail{companyID, to, subject, text}:
		return nil
	default:
		return errSystemMailFull
	}
}

// Run sends queued mail until ctx ends.
func (m *systemMailer) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case x := <-m.queue:
			if err := m.send(ctx, x); err != nil {
				m.log.Warn("system mail not sent", "company", x.companyID, "err", err) // never the text: it holds the link
			}
		}
	}
}

// send delivers one mail now.
func (m *systemMailer) send(ctx context.Context, x systemMail) error {
	if m.relay != nil {
		raw, err := m.compose(m.from, x)
		if err != nil {
			return err
		}
		return m.relay.Send(ctx, addrOnly(m.from), []string{x.to}, bytes.NewReader(raw))
	}
	chs, err := m.st.ListChannels(ctx, x.companyID)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	for i := range chs {
		ch := &chs[i]
		if !ch.Enabled || (ch.Outgoing != model.ConnExternal && ch.Outgoing != model.ConnOffice365) || ch.Settings.PrimaryEmail == "" {
			continue
		}
		from := ch.Settings.PrimaryEmail
		if ch.Name != "" {
			from = (&mail.Address{Name: ch.Name, Address: from}).String()
		}
		raw, err := m.compose(from, x)
		if err != nil {
			return err
		}
		return m.chans.Send(ctx, ch, ch.Settings.PrimaryEmail, []string{x.to}, bytes.NewReader(raw))
	}
	return errors.New("no relay configured and no channel of the company sends through its own mailbox")
}

func addrOnly(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.Address
	}
	return s
}

// compose is a plain-text message, quoted-printable.
func (m *systemMailer) compose(from string, x systemMail) ([]byte, error) {
	f, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("system mail From %q: %w", from, err)
	}
	now := m.clk.Now()
	var h gmail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gmail.Address{{Name: f.Name, Address: f.Address}})
	h.SetAddressList("To", []*gmail.Address{{Address: x.to}})
	h.SetSubject(x.subject)
	_, domain, _ := strings.Cut(f.Address, "@")
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	h.SetMessageID(fmt.Sprintf("atende.system.%d.%s@%s", now.Unix(), hex.EncodeToString(rb[:]), domain))
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("X-Auto-Response-Suppress", "All")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := gmail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("system mail: %w", err)
	}
	io.WriteString(w, x.text)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("system mail: %w", err)
	}
	return buf.Bytes(), nil
}
