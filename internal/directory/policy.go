package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// HostChecker refuses hosts the server must not connect to on a
// company's behalf (netguard.Guard: internal addresses).
type HostChecker interface {
	CheckHost(ctx context.Context, host string) error
}

// SenderChecker says whether a company may send as an address through
// Atende's shared relay: the address, or its domain, is verified by that
// company (identity.Service).
type SenderChecker interface {
	CanSendAs(ctx context.Context, companyID int64, address string) (bool, error)
}

// Policies are the checks that need the network or other companies'
// data. The server sets both; a Service without them (tests of other
// features) skips those checks.
type Policies struct {
	Hosts   HostChecker
	Senders SenderChecker
}

// SetPolicies installs p; call it before serving requests.
func (s *Service) SetPolicies(p Policies) { s.pol = p }

// Field messages of the policy checks (the UI translates them by these
// texts).
const (
	MsgInternalHost     = "is on an internal network, which this server does not connect to for a company"
	MsgUnverifiedSender = "is not verified for this company: verify the address, or its domain, before sending through Atende's relay"
	MsgInsecureRemote   = "none sends the password unencrypted; it is only allowed for a server on this machine (localhost)"
)

// RelayFrom is the address mail of ch leaves with through the relay
// (internal outgoing connection): From email, else the primary email; ""
// for channels that send through their own mailbox.
func RelayFrom(ch *model.Channel) string {
	if ch.Outgoing == model.ConnExternal || ch.Outgoing == model.ConnOffice365 {
		return ""
	}
	if ch.Settings.FromEmail != "" {
		return model.NormalizeEmail(ch.Settings.FromEmail)
	}
	return model.NormalizeEmail(ch.Settings.PrimaryEmail)
}

// checkPolicies runs the network and ownership checks on a channel about
// to be saved (prev is the stored channel, nil for a new one): the mailbox
// servers must not be internal, and a relay From that is new or changed
// must be verified by the company. A From already stored before
// verification existed keeps the channel savable; sending waits until it
// is verified (the sender checks again).
func (s *Service) checkPolicies(ctx context.Context, ch, prev *model.Channel, v *ValidationError) error {
	if err := s.checkHosts(ctx, ch, v); err != nil {
		return err
	}
	return s.checkSender(ctx, ch, prev, v)
}

// checkHosts refuses mailbox servers on internal networks.
func (s *Service) checkHosts(ctx context.Context, ch *model.Channel, v *ValidationError) error {
	if s.pol.Hosts != nil {
		for _, srv := range []struct {
			name string
			c    model.ServerConf
			used bool
		}{{"imap", ch.Settings.IMAP, ch.Incoming == model.ConnExternal}, {"smtp", ch.Settings.SMTP, ch.Outgoing == model.ConnExternal}} {
			if !srv.used || srv.c.Host == "" {
				continue
			}
			if err := s.pol.Hosts.CheckHost(ctx, srv.c.Host); err != nil {
				var hna interface{ HostNotAllowed() bool }
				if !errors.As(err, &hna) {
					return fmt.Errorf("directory: check %s host: %w", srv.name, err)
				}
				v.add(srv.name+".host", MsgInternalHost)
			}
		}
	}
	return nil
}

// checkSender refuses a new or changed relay From the company has not
// verified.
func (s *Service) checkSender(ctx context.Context, ch, prev *model.Channel, v *ValidationError) error {
	if s.pol.Senders == nil {
		return nil
	}
	from := RelayFrom(ch)
	if from == "" || (prev != nil && RelayFrom(prev) == from) {
		return nil
	}
	ok, err := s.pol.Senders.CanSendAs(ctx, ch.CompanyID, from)
	if err != nil {
		return fmt.Errorf("directory: check sender %s: %w", from, err)
	}
	if !ok {
		field := "from_email"
		if ch.Settings.FromEmail == "" {
			field = "primary_email"
		}
		v.add(field, MsgUnverifiedSender)
	}
	return nil
}

// insecureRemote reports an encryption "none" to a host that is not this
// machine: a mailbox password never crosses a network in the clear.
func insecureRemote(c model.ServerConf) bool {
	return c.Encryption == providers.None && !providers.LoopbackHost(strings.TrimSpace(c.Host))
}

// sameServer reports whether a and b are the same endpoint for a
// stored secret: host (case-insensitive), port, user and encryption.
func sameServer(a, b model.ServerConf) bool {
	return strings.EqualFold(strings.TrimSuffix(a.Host, "."), strings.TrimSuffix(b.Host, ".")) && a.Port == b.Port &&
		a.Username == b.Username && a.Encryption == b.Encryption
}

// SameServer is sameServer for callers that decide whether a stored
// secret may be used with submitted settings (the connection test).
func SameServer(a, b model.ServerConf) bool { return sameServer(a, b) }

// forgetMovedSecrets deletes the stored secrets of a server whose host,
// port, user or encryption changed: a mailbox password (or OAuth token)
// is only ever sent to the server it was saved for. The admin types the
// password again for the new server.
func forgetMovedSecrets(ctx context.Context, q store.Queries, prev, ch *model.Channel) error {
	var names []string
	if !sameServer(prev.Settings.IMAP, ch.Settings.IMAP) {
		names = append(names, secrets.IMAPPassword)
		if prev.Settings.IMAP.Auth == "oauth" {
			names = append(names, secrets.OAuthToken)
		}
	}
	if !sameServer(prev.Settings.SMTP, ch.Settings.SMTP) {
		names = append(names, secrets.SMTPPassword)
	}
	for _, n := range names {
		if err := q.DeleteSecret(ctx, ch.CompanyID, ch.ID, n); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("forget %s: %w", n, err)
		}
	}
	return nil
}
