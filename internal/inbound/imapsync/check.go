package imapsync

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// CheckOptions configures CheckConnection.
type CheckOptions struct {
	TLS           *tls.Config // base TLS config (RootCAs); verification is on
	AllowInsecure bool
	Timeout       time.Duration // per server (20 s)
	SkipSMTP      bool          // only test IMAP (incoming-only channels)
	// Dial opens the TCP connections of both tests (see Config.Dial).
	Dial DialFunc
}

// CheckReport is the result of a connection test.
type CheckReport struct {
	IMAPOK  bool
	SMTPOK  bool
	IDLE    bool     // the IMAP server supports push
	Folders []string // the folders checked and found
	// Problems lists errors and warnings (IDLE missing) in order.
	Problems []*providers.Problem
}

// OK reports whether no problem is an error.
func (r *CheckReport) OK() bool {
	for _, p := range r.Problems {
		if p.Severity == providers.SeverityError {
			return false
		}
	}
	return true
}

// CheckConnection tests a channel's settings before they are saved: it
// resolves and connects to the IMAP and SMTP servers with TLS verification
// on, logs in to both, checks that the folders exist and whether IDLE is
// supported. It sends and changes nothing. For an OAuth mailbox (IMAP auth
// "oauth") both passwords are its access token (XOAUTH2).
func CheckConnection(ctx context.Context, s model.ChannelSettings, imapPassword, smtpPassword string, o CheckOptions) *CheckReport {
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	r := &CheckReport{}
	r.IMAPOK = checkIMAP(ctx, s, imapPassword, o, r)
	if !o.SkipSMTP {
		r.SMTPOK = checkSMTP(ctx, s, smtpPassword, o, r)
	}
	return r
}

func checkIMAP(ctx context.Context, s model.ChannelSettings, password string, o CheckOptions, r *CheckReport) bool {
	add := func(err error) bool {
		var p *providers.Problem
		if !errors.As(err, &p) {
			p = providers.NetProblem("imap", serverAddr(s.IMAP), s.Provider, err)
		}
		r.Problems = append(r.Problems, p)
		return false
	}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, conn, err := connect(cctx, s.IMAP, dialOptions{TLS: o.TLS, Insecure: o.AllowInsecure, DialTimeout: o.Timeout, Provider: s.Provider, Dial: o.Dial})
	if err != nil {
		return add(err)
	}
	defer func() { conn.Close(); c.Close() }()
	stop := context.AfterFunc(cctx, func() { conn.Close() })
	defer stop()
	if s.IMAP.Auth == AuthOAuth { // password is the access token
		if err := c.Authenticate(oauthSASL(c.Caps(), oauthUser(s, s.IMAP), password)); err != nil {
			return add(providers.New(CodeOAuthRefused, "imap", serverAddr(s.IMAP), s.Provider, err))
		}
	} else if err := login(c, s.IMAP, password, s.Provider); err != nil {
		return add(err)
	}
	r.IDLE = c.Caps().Has(imap.CapIdle)
	if !r.IDLE {
		r.Problems = append(r.Problems, providers.New(providers.CodeIdleMissing, "imap", serverAddr(s.IMAP), s.Provider, nil))
	}
	names := folders(&model.Channel{Settings: s})
	if s.AfterImport == "move" && s.MoveTo != "" {
		names = append(names, s.MoveTo)
	}
	ok := true
	for _, name := range names {
		_, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				p := providers.New(providers.CodeFolderNotFound, "imap", serverAddr(s.IMAP), s.Provider, err)
				p.Folder = name
				r.Problems = append(r.Problems, p)
				ok = false
				continue
			}
			return add(err)
		}
		r.Folders = append(r.Folders, name)
	}
	_ = c.Logout().Wait()
	return ok
}

func checkSMTP(ctx context.Context, s model.ChannelSettings, password string, o CheckOptions, r *CheckReport) bool {
	user := s.SMTP.Username
	if user == "" {
		user = s.IMAP.Username
	}
	auth := smtpout.PasswordAuth(user, password)
	if s.SMTP.Auth == AuthOAuth || (s.SMTP.Auth == "" && s.IMAP.Auth == AuthOAuth) { // password is the access token
		if user == "" {
			user = s.PrimaryEmail
		}
		auth = smtpout.OAuthAuth(user, func(context.Context, bool) (string, error) { return password, nil })
	}
	sender := smtpout.New(smtpout.Config{Server: s.SMTP, Auth: auth, TLS: o.TLS,
		Provider: s.Provider, AllowInsecure: o.AllowInsecure && providers.LoopbackHost(s.SMTP.Host), DialTimeout: o.Timeout,
		CommandTimeout: o.Timeout, Dial: o.Dial}, nil)
	defer sender.Close()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := sender.Check(cctx); err != nil {
		var se *smtpout.SendError
		if errors.As(err, &se) && se.Problem != nil {
			r.Problems = append(r.Problems, se.Problem)
		} else {
			r.Problems = append(r.Problems, providers.NetProblem("smtp", serverAddr(s.SMTP), s.Provider, err))
		}
		return false
	}
	return true
}

// AppendSent stores a copy of a sent message in the mailbox's Sent folder
// (IMAP APPEND with \Seen), for providers that don't do it themselves.
// size is the exact length of raw. For IMAP auth "oauth" password is the
// channel's access token (XOAUTH2).
func AppendSent(ctx context.Context, s model.ChannelSettings, password, folder string, raw io.Reader, size int64, cfg Config) error {
	cfg = cfg.withDefaults()
	c, conn, err := connect(ctx, s.IMAP, dialOptions{TLS: cfg.TLS, Insecure: cfg.AllowInsecure, DialTimeout: cfg.DialTimeout, Provider: s.Provider, Dial: cfg.Dial})
	if err != nil {
		return err
	}
	defer func() { conn.Close(); c.Close() }()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if s.IMAP.Auth == AuthOAuth {
		if err := c.Authenticate(oauthSASL(c.Caps(), oauthUser(s, s.IMAP), password)); err != nil {
			return providers.New(CodeOAuthRefused, "imap", serverAddr(s.IMAP), s.Provider, err)
		}
	} else if err := login(c, s.IMAP, password, s.Provider); err != nil {
		return err
	}
	if folder == "" {
		folder = "Sent"
	}
	cmd := c.Append(folder, size, &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}})
	if _, err := io.Copy(cmd, raw); err != nil {
		cmd.Close()
		return fmt.Errorf("imapsync: append to %q: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("imapsync: append to %q: %w", folder, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("imapsync: append to %q: %w", folder, err)
	}
	_ = c.Logout().Wait()
	return nil
}
