package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// OAuthDeps enables "Connect with Google / Microsoft" for channels.
type OAuthDeps struct {
	// Clients are the configured provider registrations (oauth.NewClients).
	Clients oauth.Clients
	// Tokens stores the connected token (encrypted, secrets.OAuthToken).
	Tokens *oauth.Tokens
	// ChannelURL is where the browser lands after connecting (default
	// "/channels/{id}").
	ChannelURL func(channelID int64) string
	// Secure marks the state cookie Secure (the base URL is https).
	Secure bool
	// Now is the clock (time.Now).
	Now func() time.Time
}

// oauthCookie carries the sealed state between start and callback; only
// sent to /oauth (the callback), never to the API.
const oauthCookie = "atende_oauth"

func (o *OAuthDeps) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// wantsJSON: API clients (and the UI's fetch) ask for JSON instead of a
// redirect.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// oauthStart begins connecting a channel's mailbox: it sets the sealed
// state cookie and redirects to the provider (302), or answers
// {"authorize_url": ...} to a client that accepts JSON.
func (d Deps) oauthStart(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ch, err := d.Directory.GetChannel(r.Context(), principal(r).CompanyID, id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if d.OAuth == nil || d.Secrets == nil {
		problem(w, http.StatusServiceUnavailable, "oauth_not_configured", "OAuth connections are not configured on this server (set ATENDE_GOOGLE_CLIENT_ID / ATENDE_MICROSOFT_CLIENT_ID and --base-url).", nil)
		return
	}
	provider := r.URL.Query().Get("provider")
	if provider == "" {
		provider = oauth.ProviderFor(ch)
	}
	if _, ok := oauth.ProviderByID(provider); !ok {
		problem(w, http.StatusUnprocessableEntity, "validation", "Choose the provider to connect with.",
			[]directory.FieldError{{Field: "provider", Message: "must be google or microsoft"}})
		return
	}
	client, err := d.OAuth.Clients.For(provider)
	if err != nil {
		problem(w, http.StatusConflict, "oauth_not_configured", err.Error(), nil)
		return
	}
	authURL, sealed, err := client.Begin(d.Secrets, ch.CompanyID, ch.ID, d.OAuth.now())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: provider + "." + sealed, Path: "/oauth",
		MaxAge: 600, HttpOnly: true, Secure: d.OAuth.Secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if wantsJSON(r) {
		reply(w, http.StatusOK, map[string]string{"authorize_url": authURL, "provider": provider})
		return
	}
	http.Redirect(w, r, authURL, http.StatusFound)
}

// oauthCallback is where the provider sends the browser back: the state
// must match the cookie set by oauthStart in this browser. It stores the
// token encrypted, points the channel's IMAP/SMTP login at the connected
// mailbox with auth "oauth", reloads the sync and returns to the channel.
func (d Deps) oauthCallback(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, msg string) {
		http.SetCookie(w, &http.Cookie{Name: oauthCookie, Path: "/oauth", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		problem(w, status, code, msg, nil)
	}
	if d.OAuth == nil || d.Secrets == nil {
		fail(http.StatusServiceUnavailable, "oauth_not_configured", "OAuth connections are not configured on this server.")
		return
	}
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		fail(http.StatusBadRequest, "oauth_denied", "The provider did not grant access ("+e+"). Start the connection again from the channel settings.")
		return
	}
	c, err := r.Cookie(oauthCookie)
	provider, sealed, ok := "", "", false
	if err == nil {
		provider, sealed, ok = strings.Cut(c.Value, ".")
	}
	client, cerr := d.OAuth.Clients.For(provider)
	if !ok || cerr != nil {
		fail(http.StatusBadRequest, "oauth_bad_state", oauth.ErrBadState.Error())
		return
	}
	res, err := client.Complete(r.Context(), d.Secrets, sealed, q.Get("state"), q.Get("code"), d.OAuth.now())
	if errors.Is(err, oauth.ErrBadState) {
		fail(http.StatusBadRequest, "oauth_bad_state", err.Error())
		return
	}
	if err != nil {
		d.Log.Warn("oauth: complete connection", "provider", provider, "err", err)
		fail(http.StatusBadGateway, "oauth_failed", "Could not finish the connection with the provider; start again.")
		return
	}
	ch, err := d.connectChannel(r.Context(), res)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.Log.Info("oauth: channel connected", "company", ch.CompanyID, "channel", ch.ID, "provider", res.Provider)
	d.channelChanged(r.Context())
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Path: "/oauth", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if wantsJSON(r) {
		reply(w, http.StatusOK, map[string]any{"channel_id": ch.ID, "provider": res.Provider, "email": res.Email})
		return
	}
	to := fmt.Sprintf("/channels/%d", ch.ID)
	if d.OAuth.ChannelURL != nil {
		to = d.OAuth.ChannelURL(ch.ID)
	}
	http.Redirect(w, r, to+"?oauth=connected", http.StatusFound)
}

// connectChannel saves the token and the mailbox identity on the channel.
func (d Deps) connectChannel(ctx context.Context, res *oauth.Result) (*model.Channel, error) {
	ch, err := d.Store.GetChannel(ctx, res.CompanyID, res.ChannelID)
	if err != nil {
		return nil, err
	}
	if err := d.OAuth.Tokens.Save(ctx, res.CompanyID, res.ChannelID, res.Token); err != nil {
		return nil, fmt.Errorf("api: save oauth token: %w", err)
	}
	s := &ch.Settings
	if oauth.ProviderFor(ch) != res.Provider {
		s.Provider = map[string]string{oauth.Google.ID: "gmail", oauth.Microsoft.ID: "office365"}[res.Provider]
	}
	if p, ok := providers.Get(s.Provider); ok {
		if s.IMAP.Host == "" {
			s.IMAP.Host, s.IMAP.Port, s.IMAP.Encryption = p.IMAP.Host, p.IMAP.Port, p.IMAP.Encryption
		}
		if s.SMTP.Host == "" {
			s.SMTP.Host, s.SMTP.Port, s.SMTP.Encryption = p.SMTP.Host, p.SMTP.Port, p.SMTP.Encryption
		}
	}
	s.IMAP.Username, s.IMAP.Auth = res.Email, oauth.AuthOAuth
	s.SMTP.Username, s.SMTP.Auth = res.Email, oauth.AuthOAuth
	if s.PrimaryEmail == "" {
		s.PrimaryEmail = res.Email
	}
	if s.FromEmail == "" {
		s.FromEmail = res.Email
	}
	if err := d.Store.UpdateChannel(ctx, ch); err != nil {
		return nil, fmt.Errorf("api: save oauth channel: %w", err)
	}
	return ch, nil
}

// oauthAccess is a connected channel's access token (for a connection test).
func (d Deps) oauthAccess(ctx context.Context, companyID, channelID int64) (string, error) {
	if d.OAuth == nil || d.OAuth.Tokens == nil {
		return "", oauth.ErrNotConfigured
	}
	return d.OAuth.Tokens.Access(ctx, companyID, channelID, false)
}

// failOAuth answers a token failure: reconnect needed (409), provider not
// configured (503), anything else through fail.
func (d Deps) failOAuth(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, oauth.ErrReconnectNeeded):
		problem(w, http.StatusConflict, "oauth_reconnect_needed", "The mailbox authorization was revoked or expired; connect the channel again (Connect with Google / Microsoft).", nil)
	case errors.Is(err, oauth.ErrNotConfigured):
		problem(w, http.StatusServiceUnavailable, "oauth_not_configured", "OAuth connections are not configured on this server.", nil)
	default:
		d.fail(w, r, err)
	}
}
