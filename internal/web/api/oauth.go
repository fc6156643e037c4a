package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/oauth"
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
// must match the cookie set by oauthStart in this browser. When the
// mailbox that signed in is the channel's, it stores the token encrypted,
// points the channel's IMAP/SMTP login at it with auth "oauth", reloads the
// sync and returns to the channel form (?oauth=connected). When it is
// another account, the channel is left as it was and the connection waits
// for the admin's decision on the form (?oauth=mismatch). A failure returns
// a browser to the form with ?oauth=error&reason=<oauth.Reason> (shown in
// the admin's language) and answers a JSON client with a problem.
func (d Deps) oauthCallback(w http.ResponseWriter, r *http.Request) {
	clearCookie := func() {
		http.SetCookie(w, &http.Cookie{Name: oauthCookie, Path: "/oauth", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	channelID := int64(0) // known once the state is verified
	fail := func(status int, code, reason, msg string) {
		clearCookie()
		if wantsJSON(r) {
			problem(w, status, code, msg, nil)
			return
		}
		q := url.Values{"oauth": {"error"}, "reason": {reason}}
		http.Redirect(w, r, d.oauthReturn(channelID)+"?"+q.Encode(), http.StatusSeeOther)
	}
	if d.OAuth == nil || d.Secrets == nil {
		fail(http.StatusServiceUnavailable, "oauth_not_configured", oauth.ReasonNotConfigured, "OAuth connections are not configured on this server.")
		return
	}
	q := r.URL.Query()
	c, err := r.Cookie(oauthCookie)
	provider, sealed, ok := "", "", false
	if err == nil {
		provider, sealed, ok = strings.Cut(c.Value, ".")
	}
	client, cerr := d.OAuth.Clients.For(provider)
	if e := q.Get("error"); e != "" {
		// The admin declined (or the tenant refused) at the provider.
		if ok && cerr == nil {
			channelID = client.ChannelOf(d.Secrets, sealed, q.Get("state"), d.OAuth.now())
		}
		d.Log.Info("oauth: provider refused the authorization", "provider", provider, "error", e, "description", q.Get("error_description"))
		fail(http.StatusBadRequest, "oauth_denied", oauth.ReasonDenied, "The provider did not grant access ("+e+"). Start the connection again from the channel settings.")
		return
	}
	if !ok || cerr != nil {
		fail(http.StatusBadRequest, "oauth_bad_state", oauth.ReasonBadState, oauth.ErrBadState.Error())
		return
	}
	res, err := client.Complete(r.Context(), d.Secrets, sealed, q.Get("state"), q.Get("code"), d.OAuth.now())
	if err != nil {
		var fe *oauth.FlowError
		if errors.As(err, &fe) {
			channelID = fe.ChannelID
		}
		reason := oauth.Reason(err)
		d.Log.Warn("oauth: complete connection", "provider", provider, "channel", channelID, "reason", reason, "err", err)
		switch {
		case reason == oauth.ReasonBadState:
			fail(http.StatusBadRequest, "oauth_bad_state", reason, err.Error())
		case errors.Is(err, oauth.ErrIDToken):
			fail(http.StatusBadGateway, "oauth_id_token", reason, err.Error())
		case reason == oauth.ReasonNoIdentity || reason == oauth.ReasonNoRefreshToken:
			fail(http.StatusBadGateway, "oauth_"+reason, reason, err.Error())
		default:
			fail(http.StatusBadGateway, "oauth_failed", reason, "Could not finish the connection with the provider; start again.")
		}
		return
	}
	channelID = res.ChannelID
	out, err := d.OAuth.Tokens.Connect(r.Context(), res)
	if err != nil {
		clearCookie()
		d.fail(w, r, err)
		return
	}
	clearCookie()
	ch := out.Channel
	if out.Pending != nil {
		d.Log.Info("oauth: connection waits for the admin: another mailbox than the channel's", "company", ch.CompanyID, "channel", ch.ID, "provider", res.Provider)
		if wantsJSON(r) {
			reply(w, http.StatusOK, map[string]any{"channel_id": ch.ID, "provider": res.Provider, "email": res.Email,
				"pending": true, "expected": out.Pending.Expected})
			return
		}
		http.Redirect(w, r, d.oauthReturn(ch.ID)+"?oauth=mismatch", http.StatusFound)
		return
	}
	d.Log.Info("oauth: channel connected", "company", ch.CompanyID, "channel", ch.ID, "provider", res.Provider)
	d.channelChanged(r.Context())
	if wantsJSON(r) {
		reply(w, http.StatusOK, map[string]any{"channel_id": ch.ID, "provider": res.Provider, "email": res.Email})
		return
	}
	http.Redirect(w, r, d.oauthReturn(ch.ID)+"?oauth=connected", http.StatusFound)
}

// oauthReturn is where the browser goes back to: the channel's form, or
// the channel list when the channel is unknown (forged or expired state).
func (d Deps) oauthReturn(channelID int64) string {
	if channelID == 0 {
		return "/channels"
	}
	if d.OAuth != nil && d.OAuth.ChannelURL != nil {
		return d.OAuth.ChannelURL(channelID)
	}
	return fmt.Sprintf("/channels/%d", channelID)
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
