package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
)

// AuthOAuth is model.ServerConf.Auth for a mailbox connected with OAuth2.
const AuthOAuth = "oauth"

// UsesOAuth reports whether ch logs in with OAuth2: IMAP auth "oauth", SMTP
// auth "oauth" (or empty with IMAP on oauth), or the Office 365 outgoing
// connection.
func UsesOAuth(ch *model.Channel) bool {
	s := ch.Settings
	return s.IMAP.Auth == AuthOAuth || s.SMTP.Auth == AuthOAuth || ch.Outgoing == model.ConnOffice365
}

// SMTPUsesOAuth reports whether ch's outgoing mail authenticates with
// OAuth2 (XOAUTH2).
func SMTPUsesOAuth(ch *model.Channel) bool {
	s := ch.Settings
	return s.SMTP.Auth == AuthOAuth || (s.SMTP.Auth == "" && s.IMAP.Auth == AuthOAuth) || ch.Outgoing == model.ConnOffice365
}

// ProviderFor is the OAuth provider ID ("google", "microsoft") of a
// channel, from its mail provider preset or its Office 365 connection;
// "" when none fits.
func ProviderFor(ch *model.Channel) string {
	switch strings.ToLower(ch.Settings.Provider) {
	case "gmail", "google":
		return Google.ID
	case "office365", "outlook", "microsoft", "hotmail":
		return Microsoft.ID
	}
	if ch.Outgoing == model.ConnOffice365 {
		return Microsoft.ID
	}
	return ""
}

// ProviderByID returns the built-in provider with that ID.
func ProviderByID(id string) (Provider, bool) {
	switch id {
	case Google.ID:
		return Google, true
	case Microsoft.ID:
		return Microsoft, true
	}
	return Provider{}, false
}

// Clients are an installation's registrations, by provider ID.
type Clients map[string]*Client

// NewClients registers the providers whose client ID is set; the redirect
// URL is baseURL + "/oauth/callback".
func NewClients(baseURL string, hc *http.Client, googleID, googleSecret, microsoftID, microsoftSecret string) Clients {
	cs := Clients{}
	redirect := strings.TrimRight(baseURL, "/") + "/oauth/callback"
	if googleID != "" {
		cs[Google.ID] = &Client{Provider: Google, ClientID: googleID, ClientSecret: googleSecret, RedirectURL: redirect, HTTP: hc}
	}
	if microsoftID != "" {
		cs[Microsoft.ID] = &Client{Provider: Microsoft, ClientID: microsoftID, ClientSecret: microsoftSecret, RedirectURL: redirect, HTTP: hc}
	}
	return cs
}

// ErrNotConfigured: the provider's client ID is not set.
var ErrNotConfigured = errors.New("oauth: provider not configured")

// For returns the client of a provider ID.
func (cs Clients) For(provider string) (*Client, error) {
	if c, ok := cs[provider]; ok {
		return c, nil
	}
	env := map[string]string{Google.ID: "ATENDE_GOOGLE_CLIENT_ID / --google-client-id", Microsoft.ID: "ATENDE_MICROSOFT_CLIENT_ID / --microsoft-client-id"}[provider]
	if env == "" {
		return nil, fmt.Errorf("%w: unknown OAuth provider %q (google or microsoft)", ErrNotConfigured, provider)
	}
	return nil, fmt.Errorf("%w: %s OAuth client ID is not set (%s)", ErrNotConfigured, provider, env)
}

// CheckChannels is the start-up check: every enabled channel that logs in
// with OAuth2 needs its provider's client configured.
func (cs Clients) CheckChannels(chs []model.Channel) error {
	var errs []error
	for i := range chs {
		ch := &chs[i]
		if !ch.Enabled || !UsesOAuth(ch) {
			continue
		}
		p := ProviderFor(ch)
		if p == "" {
			errs = append(errs, fmt.Errorf("channel %d (%s) uses OAuth but its provider %q is neither Google nor Microsoft", ch.ID, ch.Slug, ch.Settings.Provider))
			continue
		}
		if _, err := cs.For(p); err != nil {
			errs = append(errs, fmt.Errorf("channel %d (%s) uses OAuth: %w", ch.ID, ch.Slug, err))
		}
	}
	return errors.Join(errs...)
}

// clientFor picks the Tokens' client: Client when set, else the channel's
// provider in Clients.
func (t *Tokens) clientFor(ctx context.Context, companyID, channelID int64) (*Client, error) {
	if t.Client != nil {
		return t.Client, nil
	}
	ch, err := t.Store.GetChannel(ctx, companyID, channelID)
	if err != nil {
		return nil, fmt.Errorf("oauth: load channel: %w", err)
	}
	return t.Clients.For(ProviderFor(ch))
}
