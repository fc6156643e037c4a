package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// PendingSecret names the channel secret that holds a connection whose
// mailbox differs from the channel's address until the admin accepts it
// (AcceptPending) or drops it (DiscardPending). It is sealed like the
// live token (secrets.OAuthToken) and never used to log in.
const PendingSecret = "oauth_pending"

// PendingTTL is how long a pending connection waits for the admin; an
// older one is dropped when read.
const PendingTTL = time.Hour

// ErrNoPending: the channel has no pending connection (or it expired).
var ErrNoPending = errors.New("oauth: no pending connection for this channel")

// Pending is a completed connection that signed in as another mailbox than
// the channel's address (typically a personal account instead of the
// shared mailbox).
type Pending struct {
	Provider string        `json:"provider"`
	Email    string        `json:"email"`    // the account that signed in
	Expected string        `json:"expected"` // the channel's address then
	Created  time.Time     `json:"created"`
	Token    *oauth2.Token `json:"token"`
}

// Outcome is what Connect did.
type Outcome struct {
	Channel *model.Channel
	// Pending is set when the mailbox differs from the channel's address:
	// the channel is unchanged and the connection waits for the admin.
	Pending *Pending
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// ExpectedAddress is the address a connection of ch should sign in as: its
// primary address, else its current login; "" when it has neither.
func ExpectedAddress(ch *model.Channel) string {
	s := ch.Settings
	if s.PrimaryEmail != "" {
		return strings.ToLower(s.PrimaryEmail)
	}
	if isAddress(s.IMAP.Username) {
		return strings.ToLower(s.IMAP.Username)
	}
	return ""
}

// MailboxMatches reports whether email is one of ch's addresses (primary,
// additional, From, current IMAP/SMTP login), or ch has none yet.
func MailboxMatches(ch *model.Channel, email string) bool {
	s := ch.Settings
	known := append([]string{s.PrimaryEmail, s.FromEmail, s.IMAP.Username, s.SMTP.Username}, s.AdditionalEmails...)
	has := false
	for _, a := range known {
		if a == "" {
			continue
		}
		has = true
		if strings.EqualFold(strings.TrimSpace(a), email) {
			return true
		}
	}
	return !has
}

// Connect applies a completed connection to its channel when the mailbox is
// the channel's (MailboxMatches): the token is stored, the IMAP and SMTP
// logins become the mailbox with auth "oauth" and the provider's servers
// fill empty hosts. Otherwise nothing on the channel changes and the
// connection is kept as pending for the admin to accept or drop.
func (t *Tokens) Connect(ctx context.Context, res *Result) (*Outcome, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch, err := t.Store.GetChannel(ctx, res.CompanyID, res.ChannelID)
	if err != nil {
		return nil, fmt.Errorf("oauth: load channel: %w", err)
	}
	if !MailboxMatches(ch, res.Email) {
		p := &Pending{Provider: res.Provider, Email: res.Email, Expected: ExpectedAddress(ch), Created: t.now().UTC(), Token: res.Token}
		b, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		if err := t.Box.PutChannelSecret(ctx, t.Store, res.CompanyID, res.ChannelID, PendingSecret, string(b)); err != nil {
			return nil, fmt.Errorf("oauth: keep pending connection: %w", err)
		}
		return &Outcome{Channel: ch, Pending: p}, nil
	}
	if err := t.apply(ctx, ch, res.Provider, res.Email, res.Token); err != nil {
		return nil, err
	}
	return &Outcome{Channel: ch}, nil
}

// Pending is the channel's pending connection; ErrNoPending when there is
// none or it is older than PendingTTL (then it is dropped).
func (t *Tokens) Pending(ctx context.Context, companyID, channelID int64) (*Pending, error) {
	s, err := t.Box.ChannelSecret(ctx, t.Store, companyID, channelID, PendingSecret)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoPending
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: load pending connection: %w", err)
	}
	var p Pending
	if err := json.Unmarshal([]byte(s), &p); err != nil || p.Token == nil {
		return nil, fmt.Errorf("oauth: load pending connection: unreadable")
	}
	if t.now().After(p.Created.Add(PendingTTL)) {
		if err := t.DiscardPending(ctx, companyID, channelID); err != nil {
			return nil, err
		}
		return nil, ErrNoPending
	}
	return &p, nil
}

// AcceptPending makes the pending connection the channel's: its account
// becomes the IMAP and SMTP login (the admin chose it knowing it differs).
func (t *Tokens) AcceptPending(ctx context.Context, companyID, channelID int64) (*model.Channel, error) {
	p, err := t.Pending(ctx, companyID, channelID)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ch, err := t.Store.GetChannel(ctx, companyID, channelID)
	if err != nil {
		return nil, fmt.Errorf("oauth: load channel: %w", err)
	}
	if err := t.apply(ctx, ch, p.Provider, p.Email, p.Token); err != nil {
		return nil, err
	}
	return ch, nil
}

// DiscardPending drops the channel's pending connection, if any.
func (t *Tokens) DiscardPending(ctx context.Context, companyID, channelID int64) error {
	if err := t.Store.DeleteSecret(ctx, companyID, channelID, PendingSecret); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("oauth: drop pending connection: %w", err)
	}
	return nil
}

// apply stores tok as ch's token and points ch's logins at email, in one
// transaction that also drops a pending connection. Callers hold t.mu, so
// a refresh of the previous token cannot overwrite the new one.
func (t *Tokens) apply(ctx context.Context, ch *model.Channel, provider, email string, tok *oauth2.Token) error {
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	s := &ch.Settings
	if ProviderFor(ch) != provider {
		s.Provider = map[string]string{Google.ID: "gmail", Microsoft.ID: "office365"}[provider]
	}
	if p, ok := providers.Get(s.Provider); ok {
		if s.IMAP.Host == "" {
			s.IMAP.Host, s.IMAP.Port, s.IMAP.Encryption = p.IMAP.Host, p.IMAP.Port, p.IMAP.Encryption
		}
		if s.SMTP.Host == "" {
			s.SMTP.Host, s.SMTP.Port, s.SMTP.Encryption = p.SMTP.Host, p.SMTP.Port, p.SMTP.Encryption
		}
	}
	s.IMAP.Username, s.IMAP.Auth = email, AuthOAuth
	s.SMTP.Username, s.SMTP.Auth = email, AuthOAuth
	if s.PrimaryEmail == "" {
		s.PrimaryEmail = email
	}
	if s.FromEmail == "" {
		s.FromEmail = email
	}
	ch.UpdatedAt = t.now().UTC()
	return t.Store.Tx(ctx, func(q store.Queries) error {
		if err := t.Box.PutChannelSecret(ctx, q, ch.CompanyID, ch.ID, secrets.OAuthToken, string(b)); err != nil {
			return fmt.Errorf("oauth: save token: %w", err)
		}
		if err := q.DeleteSecret(ctx, ch.CompanyID, ch.ID, PendingSecret); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("oauth: drop pending connection: %w", err)
		}
		if err := q.UpdateChannel(ctx, ch); err != nil {
			return fmt.Errorf("oauth: save channel: %w", err)
		}
		return nil
	})
}
