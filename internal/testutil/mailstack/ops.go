package mailstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// Message is one message as stored by Dovecot, read with doveadm (no IMAP session involved).
type Message struct {
	UID   uint32
	Flags []string // e.g. \Seen, \Recent
	// Raw is the message as stored: Dovecot's Maildir keeps LF line endings, so CRLF sent over
	// SMTP/IMAP comes back as LF. It passes through doveadm's JSON output, so bytes that are not
	// valid UTF-8 come back as U+FFFD; use IMAP FETCH when byte-exact 8-bit bodies matter.
	Raw    []byte
	Header mail.Header // parsed from Raw; nil if the header does not parse
}

// doveadm runs doveadm against the stack's config. Exit codes 67 (unknown user) and
// 68 (unknown mailbox) are reported as ErrNotFound.
func (s *Stack) doveadm(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	out, err := s.exec(ctx, stdin, "doveadm", append([]string{"-c", s.DovecotConf}, args...)...)
	var ee *exec.ExitError
	if err != nil && errors.As(err, &ee) && (ee.ExitCode() == 67 || ee.ExitCode() == 68) {
		return out, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return out, err
}

// exec runs a short-lived command (no daemons: pipes are fine) and returns its stdout.
func (s *Stack) exec(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("mailstack: %s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

// Save stores raw in user's mailbox with "doveadm save" (no IMAP, no SMTP; works while
// Dovecot is stopped too). IMAP sessions see the new message as usual (IDLE after ~500 ms).
func (s *Stack) Save(ctx context.Context, user, mailbox string, raw []byte) error {
	if _, err := s.doveadm(ctx, raw, "save", "-u", s.Address(user), "-m", mailbox); err != nil {
		return fmt.Errorf("mailstack: save into %s/%s: %w", s.Address(user), mailbox, err)
	}
	return nil
}

// Deliver stores raw in user's INBOX (see Save). user is a local part or a full address.
func (s *Stack) Deliver(ctx context.Context, user string, raw []byte) error {
	return s.Save(ctx, user, "INBOX", raw)
}

// DeliverLMTP delivers raw to the recipients over Dovecot's LMTP socket, the way Postfix does.
// An unknown recipient fails with 550.
func (s *Stack) DeliverLMTP(ctx context.Context, from string, to []string, raw []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", s.LMTPSocket)
	if err != nil {
		return fmt.Errorf("mailstack: lmtp: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := smtp.NewClientLMTP(conn)
	defer c.Close()
	if err := c.Hello("mailstack.test"); err != nil {
		return fmt.Errorf("mailstack: lmtp LHLO: %w", err)
	}
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("mailstack: lmtp deliver to %v: %w", to, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mailstack: lmtp QUIT: %w", err)
	}
	return nil
}

// checkMailbox returns ErrNotFound (wrapped) if user or mailbox does not exist; doveadm fetch
// and search silently return nothing for a missing mailbox.
func (s *Stack) checkMailbox(ctx context.Context, user, mailbox string) error {
	if _, err := s.doveadm(ctx, nil, "mailbox", "status", "-u", s.Address(user), "messages", mailbox); err != nil {
		return fmt.Errorf("mailstack: mailbox %s/%s: %w", s.Address(user), mailbox, err)
	}
	return nil
}

// Messages lists the messages in user's mailbox, in UID order, with "doveadm fetch".
func (s *Stack) Messages(ctx context.Context, user, mailbox string) ([]Message, error) {
	if err := s.checkMailbox(ctx, user, mailbox); err != nil {
		return nil, err
	}
	out, err := s.doveadm(ctx, nil, "-f", "json", "fetch", "-u", s.Address(user), "uid flags text", "mailbox", mailbox)
	if err != nil {
		return nil, fmt.Errorf("mailstack: fetch %s/%s: %w", s.Address(user), mailbox, err)
	}
	var rows []struct {
		UID   string `json:"uid"`
		Flags string `json:"flags"`
		Text  string `json:"text"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("mailstack: decode doveadm fetch output: %w", err)
	}
	msgs := make([]Message, 0, len(rows))
	for _, r := range rows {
		uid, err := strconv.ParseUint(r.UID, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("mailstack: doveadm fetch: bad uid %q: %w", r.UID, err)
		}
		m := Message{UID: uint32(uid), Flags: strings.Fields(r.Flags), Raw: []byte(r.Text)}
		if pm, err := mail.ReadMessage(strings.NewReader(r.Text)); err == nil {
			m.Header = pm.Header
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

// WaitMessages polls Messages every 20 ms until the mailbox holds at least n messages, and
// returns them; on ctx expiry it returns what it last saw and an error saying how many.
// A mailbox that does not exist yet counts as empty.
func (s *Stack) WaitMessages(ctx context.Context, user, mailbox string, n int) ([]Message, error) {
	for {
		msgs, err := s.Messages(ctx, user, mailbox)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return msgs, err
		}
		if len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			return msgs, fmt.Errorf("mailstack: waiting for %d messages in %s/%s, have %d: %w", n, s.Address(user), mailbox, len(msgs), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Search returns the UIDs of the messages in user's mailbox that match a doveadm search query
// (see doveadm-search-query(7)), e.g. Search(ctx, "bob", "INBOX", "header", "message-id", "<x@y>").
// No query means ALL.
func (s *Stack) Search(ctx context.Context, user, mailbox string, query ...string) ([]uint32, error) {
	if err := s.checkMailbox(ctx, user, mailbox); err != nil {
		return nil, err
	}
	if len(query) == 0 {
		query = []string{"ALL"}
	}
	args := append([]string{"-f", "json", "search", "-u", s.Address(user), "mailbox", mailbox}, query...)
	out, err := s.doveadm(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("mailstack: search %s/%s: %w", s.Address(user), mailbox, err)
	}
	var rows []struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		return nil, fmt.Errorf("mailstack: decode doveadm search output: %w", err)
	}
	uids := make([]uint32, 0, len(rows))
	for _, r := range rows {
		uid, err := strconv.ParseUint(r.UID, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("mailstack: doveadm search: bad uid %q: %w", r.UID, err)
		}
		uids = append(uids, uint32(uid))
	}
	return uids, nil
}

// LoginIMAP connects to the plain IMAP port, upgrades with STARTTLS (verified against the
// stack's CA) and logs in. opts may be nil; its TLSConfig is replaced by TLSConfig() if unset.
// The connection is closed if ctx ends before the login completes. Close it with Logout/Close.
func (s *Stack) LoginIMAP(ctx context.Context, user, password string, opts *imapclient.Options) (*imapclient.Client, error) {
	o := imapclient.Options{}
	if opts != nil {
		o = *opts
	}
	if o.TLSConfig == nil {
		o.TLSConfig = s.TLSConfig()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.IMAPAddr)
	if err != nil {
		return nil, fmt.Errorf("mailstack: imap dial: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := imapclient.NewStartTLS(conn, &o)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("mailstack: imap STARTTLS: %w", err)
	}
	if err := c.Login(s.Address(user), password).Wait(); err != nil {
		c.Close()
		return nil, fmt.Errorf("mailstack: imap LOGIN %s: %w", s.Address(user), err)
	}
	if !stop() {
		c.Close()
		return nil, fmt.Errorf("mailstack: imap login: %w", ctx.Err())
	}
	return c, nil
}

// Append stores raw in mailbox over IMAP (STARTTLS, LOGIN, APPEND, LOGOUT) and returns the
// UID Dovecot assigned (APPENDUID).
func (s *Stack) Append(ctx context.Context, user, password, mailbox string, raw []byte) (uint32, error) {
	c, err := s.LoginIMAP(ctx, user, password, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		return 0, fmt.Errorf("mailstack: imap APPEND to %s: %w", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		return 0, fmt.Errorf("mailstack: imap APPEND to %s: %w", mailbox, err)
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, fmt.Errorf("mailstack: imap APPEND to %s: %w", mailbox, err)
	}
	if data == nil || data.UID == 0 {
		return 0, fmt.Errorf("mailstack: imap APPEND to %s: no APPENDUID in the reply", mailbox)
	}
	if err := c.Logout().Wait(); err != nil {
		return 0, fmt.Errorf("mailstack: imap LOGOUT: %w", err)
	}
	return uint32(data.UID), nil
}

// SendSMTP sends raw to Postfix's SMTP port in plain text (what a remote MTA does), with
// go-smtp's smtp.NewClient + SendMail. (smtp.SendMail would insist on STARTTLS verified
// against the system roots.) The error carries Postfix's reply, e.g. 550 for unknown users.
func (s *Stack) SendSMTP(ctx context.Context, from string, to []string, raw []byte) error {
	if s.SMTPAddr == "" {
		return ErrNoPostfix
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.SMTPAddr)
	if err != nil {
		return fmt.Errorf("mailstack: smtp dial: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c := smtp.NewClient(conn)
	defer c.Close()
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("mailstack: smtp send to %v: %w", to, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("mailstack: smtp QUIT: %w", err)
	}
	return nil
}

// Swaks runs the swaks binary and returns its combined output. Unless args choose a target
// (--server/-s, --socket, --pipe), "--server <SMTPAddr>" is added.
func (s *Stack) Swaks(ctx context.Context, args ...string) ([]byte, error) {
	target := false
	for _, a := range args {
		switch a {
		case "-s", "--server", "--socket", "--pipe":
			target = true
		}
	}
	if !target {
		if s.SMTPAddr == "" {
			return nil, ErrNoPostfix
		}
		args = append([]string{"--server", s.SMTPAddr}, args...)
	}
	cmd := exec.CommandContext(ctx, "swaks", args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("mailstack: swaks %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// FlushPostfixQueue asks Postfix to retry every queued message now (postqueue -f). Delivery
// happens asynchronously; poll PostfixQueueLen or the receiver.
func (s *Stack) FlushPostfixQueue(ctx context.Context) error {
	if s.PostfixConf == "" {
		return ErrNoPostfix
	}
	if _, err := s.exec(ctx, nil, "postqueue", "-c", s.PostfixConf, "-f"); err != nil {
		return fmt.Errorf("mailstack: flush queue: %w", err)
	}
	return nil
}

// QueuedMessage is one entry of Postfix's queue (postqueue -j).
type QueuedMessage struct {
	QueueName  string            `json:"queue_name"` // "active", "deferred", "hold", ...
	QueueID    string            `json:"queue_id"`
	Sender     string            `json:"sender"`
	Recipients []QueuedRecipient `json:"recipients"`
}

// QueuedRecipient is a recipient still to be delivered; DelayReason says why the last attempt
// failed, e.g. "connect to 127.0.0.1:2525: Connection refused".
type QueuedRecipient struct {
	Address     string `json:"address"`
	DelayReason string `json:"delay_reason"`
}

// PostfixQueue lists Postfix's queue (postqueue -j).
func (s *Stack) PostfixQueue(ctx context.Context) ([]QueuedMessage, error) {
	if s.PostfixConf == "" {
		return nil, ErrNoPostfix
	}
	out, err := s.exec(ctx, nil, "postqueue", "-c", s.PostfixConf, "-j")
	if err != nil {
		return nil, fmt.Errorf("mailstack: list queue: %w", err)
	}
	var q []QueuedMessage
	for _, line := range bytes.Split(out, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m QueuedMessage
		if err := json.Unmarshal(line, &m); err != nil || m.QueueID == "" {
			return nil, fmt.Errorf("mailstack: postqueue -j: unexpected line %q", line)
		}
		q = append(q, m)
	}
	return q, nil
}

// PostfixQueueLen returns the number of messages in Postfix's queue.
func (s *Stack) PostfixQueueLen(ctx context.Context) (int, error) {
	q, err := s.PostfixQueue(ctx)
	return len(q), err
}

// SelectInbox is a small convenience for tests: SELECT INBOX on c and return the message count.
func SelectInbox(c *imapclient.Client) (uint32, error) {
	data, err := c.Select("INBOX", &imap.SelectOptions{}).Wait()
	if err != nil {
		return 0, fmt.Errorf("mailstack: SELECT INBOX: %w", err)
	}
	return data.NumMessages, nil
}
