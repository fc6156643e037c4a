package app

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// channelSender implements outbox.Sender: external channels send through
// their mailbox's SMTP (password from the encrypted secrets), internal
// channels through the configured relay. One smtpout.Sender per channel
// keeps its connection for reuse; a changed channel gets a new one.
type channelSender struct {
	st        store.Store
	box       *secrets.Box
	tls       *tls.Config
	relay     *smtpout.Sender // nil when no relay is configured
	sign      *signing.Signer // DKIM for relayed mail
	relayHost string
	log       *slog.Logger
	// tokens gives OAuth access tokens (Gmail / Office 365 channels); nil
	// when no OAuth provider is configured.
	tokens imapsync.TokenProvider
	// dial connects to channels' own SMTP/IMAP servers (netguard: never
	// an internal address); the relay is the operator's and dials directly.
	dial imapsync.DialFunc
	// owners says which From addresses a company may relay (identity);
	// nil checks nothing (tests of other features).
	owners   directory.SenderChecker
	relayCfg smtpout.Config

	mu      sync.Mutex
	senders map[int64]cachedSender
}

type cachedSender struct {
	version string // channel UpdatedAt: a change replaces the sender
	s       *smtpout.Sender
}

var _ outbox.Sender = (*channelSender)(nil)

func newChannelSender(cfg config.Config, st store.Store, box *secrets.Box, tlsCfg *tls.Config, clk clock.Clock, log *slog.Logger) (*channelSender, error) {
	cs := &channelSender{st: st, box: box, tls: tlsCfg, log: log, senders: map[int64]cachedSender{}, sign: signing.New(st, box, clk)}
	if cfg.RelayAddr != "" {
		host, port, _ := net.SplitHostPort(cfg.RelayAddr)
		cs.relayHost = host
		p, _ := strconv.Atoi(port)
		var auth smtpout.Auth
		if cfg.RelayUsername != "" {
			auth = smtpout.PasswordAuth(cfg.RelayUsername, cfg.RelayPassword)
		}
		cs.relayCfg = smtpout.Config{
			Server:        model.ServerConf{Host: host, Port: p, Encryption: cfg.RelayEncryption, Username: cfg.RelayUsername},
			Auth:          auth,
			TLS:           tlsCfg,
			AllowInsecure: cfg.RelayEncryption == "none",
			Provider:      smtpout.RelayProvider,
		}
		cs.relay = smtpout.New(cs.relayCfg, log.With("sender", "relay"))
	}
	return cs, nil
}

// errNoRelay is temporary on purpose: mail waits until a relay is set.
var errNoRelay = errors.New("no outgoing relay configured for internal-connection channels (set --relay / ATENDE_RELAY)")

// unverifiedFromError: the relay does not send as an address the company
// has not verified. Temporary on purpose: the reply waits (retried with
// backoff) while the admin verifies the domain or the address.
type unverifiedFromError struct{ from string }

func (e unverifiedFromError) Error() string {
	return "From " + e.from + " is not verified for this company: verify the address or its domain " +
		"(Administração → Domínios e endereços); the message is sent once it is"
}

func (cs *channelSender) Send(ctx context.Context, ch *model.Channel, from string, to []string, raw io.Reader) error {
	if ch.Outgoing != model.ConnExternal && ch.Outgoing != model.ConnOffice365 {
		if cs.relay == nil {
			return errNoRelay
		}
		// Defence in depth: the channel form refuses an unverified relay
		// From, and a message already queued is checked again here.
		if cs.owners != nil {
			ok, err := cs.owners.CanSendAs(ctx, ch.CompanyID, from)
			if err != nil {
				return fmt.Errorf("check From %s: %w", from, err)
			}
			if !ok {
				return unverifiedFromError{from}
			}
		}
		signed, err := cs.sign.Sign(ctx, ch.CompanyID, from, raw)
		if err != nil {
			return fmt.Errorf("DKIM: %w", err)
		}
		return cs.relay.Send(ctx, from, to, bytes.NewReader(signed))
	}
	s, err := cs.sender(ctx, ch)
	if err != nil {
		return err
	}
	if !ch.Settings.CopyToSent {
		return s.Send(ctx, from, to, raw)
	}
	b, err := io.ReadAll(raw)
	if err != nil {
		return err
	}
	if err := s.Send(ctx, from, to, bytes.NewReader(b)); err != nil {
		return err
	}
	// Delivered: a failed copy must not fail (and resend) the message.
	if err := cs.copyToSent(ctx, ch, b); err != nil {
		cs.log.Warn("copy to the Sent folder failed", "channel", ch.ID, "folder", ch.Settings.SentFolder, "err", err)
	}
	return nil
}

func (cs *channelSender) copyToSent(ctx context.Context, ch *model.Channel, raw []byte) error {
	if cs.box == nil {
		return errors.New("no secret key")
	}
	var pw string
	var err error
	if ch.Settings.IMAP.Auth == imapsync.AuthOAuth && cs.tokens != nil {
		pw, err = cs.tokens.Access(ctx, ch.CompanyID, ch.ID, false) // XOAUTH2 access token
	} else {
		pw, err = cs.box.ChannelSecret(ctx, cs.st, ch.CompanyID, ch.ID, secrets.IMAPPassword)
	}
	if err != nil {
		return err
	}
	return imapsync.AppendSent(ctx, ch.Settings, pw, ch.Settings.SentFolder, bytes.NewReader(raw), int64(len(raw)), imapsync.Config{TLS: cs.tls, Dial: cs.dial})
}

func (cs *channelSender) sender(ctx context.Context, ch *model.Channel) (*smtpout.Sender, error) {
	version := ch.UpdatedAt.String()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c, ok := cs.senders[ch.ID]; ok && c.version == version {
		return c.s, nil
	}
	if c, ok := cs.senders[ch.ID]; ok {
		c.s.Close()
	}
	conf, useOAuth := smtpout.ChannelServer(ch)
	var auth smtpout.Auth
	if useOAuth {
		if cs.tokens == nil {
			return nil, errors.New("channel uses OAuth but no OAuth provider is configured (ATENDE_GOOGLE_CLIENT_ID / ATENDE_MICROSOFT_CLIENT_ID)")
		}
		companyID, channelID := ch.CompanyID, ch.ID
		auth = smtpout.OAuthAuth(conf.Username, func(ctx context.Context, force bool) (string, error) {
			return cs.tokens.Access(ctx, companyID, channelID, force)
		})
	} else if conf.Username != "" {
		if cs.box == nil {
			return nil, errors.New("cannot read the mailbox password: no secret key")
		}
		pw, err := cs.box.ChannelSecret(ctx, cs.st, ch.CompanyID, ch.ID, secrets.SMTPPassword)
		if err != nil {
			// SMTP password defaults to the IMAP one.
			pw, err = cs.box.ChannelSecret(ctx, cs.st, ch.CompanyID, ch.ID, secrets.IMAPPassword)
		}
		if err != nil {
			return nil, fmt.Errorf("mailbox password: %w", err)
		}
		auth = smtpout.PasswordAuth(conf.Username, pw)
	}
	s := smtpout.New(smtpout.Config{Server: conf, Auth: auth, TLS: cs.tls, Provider: ch.Settings.Provider, Dial: cs.dial},
		cs.log.With("channel", ch.ID))
	cs.senders[ch.ID] = cachedSender{version, s}
	return s, nil
}

// Close closes every pooled connection.
func (cs *channelSender) Close() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for id, c := range cs.senders {
		c.s.Close()
		delete(cs.senders, id)
	}
	if cs.relay != nil {
		cs.relay.Close()
	}
}

// tlsConfig is the base client TLS config: system roots plus the
// configured extra CAs; verification always on.
func tlsConfig(cfg config.Config) (*tls.Config, error) {
	if cfg.ExtraCAFile == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}, nil
	}
	pem, err := os.ReadFile(cfg.ExtraCAFile)
	if err != nil {
		return nil, fmt.Errorf("--extra-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--extra-ca-file %s: no PEM certificates found", cfg.ExtraCAFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// secretBox returns the box for secrets at rest: ATENDE_SECRET_KEY, or a
// key generated once into DATA/secret.key (mode 0600) so the embedded
// defaults still encrypt; production should set the key outside the
// data directory.
func secretBox(cfg config.Config, log *slog.Logger) (box *secrets.Box, generated bool, err error) {
	var key []byte
	if cfg.SecretKey != "" {
		key, err = secrets.ParseKey(cfg.SecretKey)
	} else {
		path := filepath.Join(cfg.DataDir, "secret.key")
		var b []byte
		b, err = os.ReadFile(path)
		switch {
		case err == nil:
			key, err = secrets.ParseKey(string(b))
		case errors.Is(err, os.ErrNotExist):
			key, generated = secrets.NewKey(), true
			if err = os.MkdirAll(cfg.DataDir, 0o700); err == nil {
				err = writeKeyFile(path, key)
			}
			if err == nil {
				log.Warn("generated a secret key in the data directory; set ATENDE_SECRET_KEY to keep it elsewhere", "path", path)
			}
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("secret key: %w", err)
	}
	box, err = secrets.NewBox(key)
	return box, generated, err
}

// checkSecretsReadable refuses to start when channels have stored
// credentials (passwords, OAuth tokens) but the key was just generated:
// the original key is gone and nothing stored can be decrypted.
func checkSecretsReadable(ctx context.Context, st store.Store, generated bool) error {
	if !generated {
		return nil
	}
	chs, err := st.ListEnabledChannels(ctx)
	if err != nil {
		return err
	}
	for _, ch := range chs {
		for _, name := range []string{secrets.IMAPPassword, secrets.SMTPPassword, secrets.OAuthToken} {
			if _, err := st.GetSecret(ctx, ch.CompanyID, ch.ID, name); err == nil {
				return fmt.Errorf("channel %q has stored credentials but no secret key was found (ATENDE_SECRET_KEY unset and DATA/secret.key missing): "+
					"restore the key that encrypted them, or remove and re-enter the credentials", ch.Name)
			}
		}
	}
	return nil
}

// dnsRecords lists what an admin publishes for a sending domain: the DKIM
// key relayed mail is signed with (created on first use) and SPF for the
// relay host.
func (cs *channelSender) dnsRecords(ctx context.Context, companyID int64, domain string) ([]signing.Record, error) {
	k, err := cs.sign.EnsureKey(ctx, companyID, domain)
	if err != nil {
		return nil, err
	}
	return signing.DNSRecords(k, cs.relayHost), nil
}

// dnsStatus is dnsRecords with what the resolver finds for each
// (published / not found / different / lookup failed).
func (cs *channelSender) dnsStatus(res signing.TXTResolver) func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error) {
	return func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error) {
		recs, err := cs.dnsRecords(ctx, companyID, domain)
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return signing.CheckPublished(ctx, res, recs), nil
	}
}

// checkRelay connects to the relay and authenticates, on a connection of
// its own (closed after): the connection test of internal channels.
func (cs *channelSender) checkRelay(ctx context.Context) error {
	if cs.relay == nil {
		return errNoRelay
	}
	c := cs.relayCfg
	c.DialTimeout, c.CommandTimeout = 15*time.Second, 15*time.Second
	s := smtpout.New(c, cs.log.With("sender", "relay-check"))
	defer s.Close()
	return s.Check(ctx)
}

// mailer sends Atende's own mail (address verification codes) through
// the relay; nil without one.
func (cs *channelSender) mailer() identity.Mailer {
	if cs.relay == nil {
		return nil
	}
	return cs.relay
}
