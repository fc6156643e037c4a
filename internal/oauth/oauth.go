package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"

	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Provider is an OAuth2 identity provider for mailboxes.
type Provider struct {
	ID       string // "google", "microsoft"
	Endpoint oauth2.Endpoint
	Scopes   []string
	// Issuers are the ID token's accepted "iss" values; "{tid}" stands for
	// the token's tenant (tid claim), for Microsoft's common endpoint.
	Issuers []string
	// UserInfoURL is the OpenID Connect UserInfo endpoint, asked only when
	// the ID token names no address, and only where the mail access token
	// is valid for it (Google's is; Microsoft's, issued for Outlook, is
	// refused by Graph's UserInfo, so Microsoft has none). Its JSON names
	// "email" (or "mail"/"preferred_username"/"userPrincipalName").
	UserInfoURL string
}

// Google and Microsoft are the providers the seeds name (Gmail, Office 365).
//
// Microsoft goes through the common endpoint, which signs in work and
// school accounts of any tenant as well as personal accounts (outlook.com,
// hotmail.com); the IMAP and SMTP scopes are Outlook's, for both.
var (
	Google = Provider{ID: "google", Endpoint: endpoints.Google,
		Scopes:      []string{"https://mail.google.com/", "openid", "email"},
		Issuers:     []string{"https://accounts.google.com", "accounts.google.com"},
		UserInfoURL: "https://openidconnect.googleapis.com/v1/userinfo"}
	Microsoft = Provider{ID: "microsoft", Endpoint: endpoints.AzureAD("common"),
		Scopes: []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send",
			"offline_access", "openid", "email", "profile"},
		Issuers: []string{"https://login.microsoftonline.com/{tid}/v2.0"}}
)

// Client is one installation's registration with a provider.
type Client struct {
	Provider     Provider
	ClientID     string
	ClientSecret string
	RedirectURL  string // BASE_URL/oauth/callback
	HTTP         *http.Client
}

func (c *Client) config() *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: c.Provider.Endpoint,
		RedirectURL: c.RedirectURL, Scopes: c.Provider.Scopes}
}

func (c *Client) ctx(ctx context.Context) context.Context {
	if c.HTTP != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, c.HTTP)
	}
	return ctx
}

// pending is what the sealed state cookie carries between Begin and Complete.
type pending struct {
	State     string    `json:"s"`
	Verifier  string    `json:"v"`
	Nonce     string    `json:"n"`
	CompanyID int64     `json:"c"`
	ChannelID int64     `json:"ch"`
	Provider  string    `json:"p"`
	Expires   time.Time `json:"e"`
}

// Errors of the flow.
var (
	ErrBadState = errors.New("oauth: the sign-in answer does not match this browser's request (expired or forged); start again")
	// ErrReconnectNeeded: the provider refused the refresh token (revoked,
	// expired after inactivity, password changed): an admin must connect again.
	ErrReconnectNeeded = errors.New("oauth: the mailbox authorization was revoked or expired; reconnect the channel")
	// ErrNoIdentity: neither the ID token nor UserInfo named the mailbox.
	ErrNoIdentity = errors.New("oauth: the provider did not tell the mailbox address (grant the openid, email and profile permissions)")
)

// Reasons a connection failed, for messages in the admin's language (see
// Reason); the ID token problems (IDTokenProblem) are reasons too.
const (
	ReasonBadState       = "bad_state"
	ReasonDenied         = "denied"
	ReasonNoCode         = "no_code"
	ReasonExchange       = "exchange"
	ReasonNoRefreshToken = "no_refresh_token"
	ReasonNoIdentity     = "no_identity"
	ReasonUserInfo       = "userinfo"
	ReasonNotConfigured  = "not_configured"
	ReasonFailed         = "failed"
)

// FlowError is a failed Complete after the state was verified: it names the
// channel, so the admin can be sent back to its form.
type FlowError struct {
	CompanyID, ChannelID int64
	Reason               string
	Err                  error
}

func (e *FlowError) Error() string { return e.Err.Error() }
func (e *FlowError) Unwrap() error { return e.Err }

// Reason is the stable code of a flow error: one of the Reason* constants
// or an IDTokenProblem.
func Reason(err error) string {
	var it *IDTokenError
	var fe *FlowError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBadState):
		return ReasonBadState
	case errors.As(err, &it):
		return string(it.Problem)
	case errors.Is(err, ErrNotConfigured):
		return ReasonNotConfigured
	case errors.Is(err, ErrNoIdentity):
		return ReasonNoIdentity
	case errors.As(err, &fe) && fe.Reason != "":
		return fe.Reason
	}
	return ReasonFailed
}

const stateTTL = 10 * time.Minute

func stateAD(provider string) []byte { return []byte("atende/oauth-state/v1\x00" + provider) }

func random() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// Begin starts the flow for a channel: it returns the provider URL to
// send the browser to and the value of a cookie to set (HttpOnly,
// SameSite=Lax, short-lived) that Complete needs back. The cookie seals
// the state, the PKCE verifier and the nonce that the ID token must carry.
func (c *Client) Begin(box *secrets.Box, companyID, channelID int64, now time.Time) (authURL, cookie string, err error) {
	state, err := random()
	if err != nil {
		return "", "", err
	}
	nonce, err := random()
	if err != nil {
		return "", "", err
	}
	p := pending{State: state, Verifier: oauth2.GenerateVerifier(), Nonce: nonce,
		CompanyID: companyID, ChannelID: channelID, Provider: c.Provider.ID, Expires: now.Add(stateTTL)}
	raw, _ := json.Marshal(p)
	sealed, err := box.Seal(raw, stateAD(c.Provider.ID))
	if err != nil {
		return "", "", err
	}
	authURL = c.config().AuthCodeURL(p.State, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(p.Verifier),
		oauth2.SetAuthURLParam("nonce", p.Nonce), oauth2.SetAuthURLParam("prompt", "consent"))
	return authURL, base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Result is a completed connection.
type Result struct {
	CompanyID, ChannelID int64
	Provider             string
	Email                string // the mailbox address, from the ID token (or UserInfo)
	Token                *oauth2.Token
}

// Complete checks the callback's state against the cookie, exchanges the
// code (with the PKCE verifier), checks the ID token (issuer, audience,
// expiry at now, nonce) and reads the mailbox address from it. Errors after
// the state check are *FlowError.
func (c *Client) Complete(ctx context.Context, box *secrets.Box, cookie, state, code string, now time.Time) (*Result, error) {
	p, err := c.openState(box, cookie, state, now)
	if err != nil {
		return nil, err
	}
	fail := func(reason string, err error) error {
		return &FlowError{CompanyID: p.CompanyID, ChannelID: p.ChannelID, Reason: reason, Err: err}
	}
	if code == "" {
		return nil, fail(ReasonNoCode, errors.New("oauth: the provider sent no authorization code (access denied?)"))
	}
	tok, err := c.config().Exchange(c.ctx(ctx), code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return nil, fail(ReasonExchange, fmt.Errorf("oauth: exchange code: %w", err))
	}
	stampExpiry(tok, now)
	if tok.RefreshToken == "" {
		return nil, fail(ReasonNoRefreshToken, errors.New("oauth: the provider returned no refresh token; remove Atende's access in the account settings and connect again"))
	}
	email, err := c.identity(ctx, tok, p.Nonce, now)
	if err != nil {
		return nil, fail(Reason(err), err)
	}
	return &Result{CompanyID: p.CompanyID, ChannelID: p.ChannelID, Provider: p.Provider, Email: email, Token: tok}, nil
}

// openState opens the sealed cookie and checks it belongs to this state
// and has not expired.
func (c *Client) openState(box *secrets.Box, cookie, state string, now time.Time) (*pending, error) {
	sealed, err := base64.RawURLEncoding.DecodeString(cookie)
	if err != nil || cookie == "" {
		return nil, ErrBadState
	}
	raw, err := box.Open(sealed, stateAD(c.Provider.ID))
	if err != nil {
		return nil, ErrBadState
	}
	var p pending
	if json.Unmarshal(raw, &p) != nil || p.State == "" || p.State != state || now.After(p.Expires) {
		return nil, ErrBadState
	}
	return &p, nil
}

// ChannelOf is the channel a callback's cookie and state were issued for,
// 0 when they do not verify (to send an admin who declined at the provider
// back to the right form).
func (c *Client) ChannelOf(box *secrets.Box, cookie, state string, now time.Time) int64 {
	p, err := c.openState(box, cookie, state, now)
	if err != nil {
		return 0
	}
	return p.ChannelID
}

// identity is the mailbox address: from the ID token of the token
// response, else from UserInfo where the provider has one. A present but
// invalid ID token is refused, never passed over for UserInfo.
func (c *Client) identity(ctx context.Context, tok *oauth2.Token, nonce string, now time.Time) (string, error) {
	var claims *idClaims
	if raw, _ := tok.Extra("id_token").(string); raw != "" {
		cl, err := c.checkIDToken(raw, nonce, now)
		if err != nil {
			return "", err
		}
		if a := cl.address(); a != "" {
			return a, nil
		}
		claims = cl
	}
	if c.Provider.UserInfoURL == "" {
		if claims == nil {
			return "", fmt.Errorf("%w: no ID token in the token response (is the openid scope granted?)", ErrNoIdentity)
		}
		return "", fmt.Errorf("%w: the ID token has no email, preferred_username or upn that is an address", ErrNoIdentity)
	}
	return c.userInfoEmail(ctx, tok, claims)
}

// userInfoEmail asks UserInfo; when an ID token was checked, UserInfo must
// describe the same subject (OpenID Connect Core 5.3.2).
func (c *Client) userInfoEmail(ctx context.Context, tok *oauth2.Token, claims *idClaims) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Provider.UserInfoURL, nil)
	if err != nil {
		return "", err
	}
	hc := c.config().Client(c.ctx(ctx), tok)
	resp, err := hc.Do(req)
	if err != nil {
		return "", &FlowError{Reason: ReasonUserInfo, Err: fmt.Errorf("oauth: read the mailbox identity: %w", err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", &FlowError{Reason: ReasonUserInfo, Err: fmt.Errorf("oauth: read the mailbox identity: UserInfo answered HTTP %d", resp.StatusCode)}
	}
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		return "", &FlowError{Reason: ReasonUserInfo, Err: fmt.Errorf("oauth: read the mailbox identity: %w", err)}
	}
	if claims != nil && claims.Subject != "" {
		if sub, _ := info["sub"].(string); sub != claims.Subject {
			return "", &FlowError{Reason: ReasonUserInfo, Err: errors.New("oauth: UserInfo describes another user than the ID token (sub differs)")}
		}
	}
	for _, k := range []string{"email", "mail", "preferred_username", "userPrincipalName"} {
		if s, ok := info[k].(string); ok && isAddress(strings.TrimSpace(s)) {
			return strings.ToLower(strings.TrimSpace(s)), nil
		}
	}
	return "", ErrNoIdentity
}

// Tokens stores and refreshes a channel's token.
type Tokens struct {
	// Client refreshes every channel's token; when nil, Clients picks the
	// client by the channel's provider (ProviderFor).
	Client  *Client
	Clients Clients
	Box     *secrets.Box
	Store   store.Store
	Now     func() time.Time
	// Early refreshes this long before expiry (default 2 min).
	Early time.Duration

	mu sync.Mutex
}

// Save stores the token encrypted.
func (t *Tokens) Save(ctx context.Context, companyID, channelID int64, tok *oauth2.Token) error {
	b, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	return t.Box.PutChannelSecret(ctx, t.Store, companyID, channelID, secrets.OAuthToken, string(b))
}

// Access returns a valid access token, refreshing (and persisting the
// rotated refresh token) when it expires within Early, or always when
// force is set (the server just refused the current one). A refused
// refresh answers ErrReconnectNeeded.
func (t *Tokens) Access(ctx context.Context, companyID, channelID int64, force bool) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	early := t.Early
	if early <= 0 {
		early = 2 * time.Minute
	}
	s, err := t.Box.ChannelSecret(ctx, t.Store, companyID, channelID, secrets.OAuthToken)
	if err != nil {
		return "", fmt.Errorf("oauth: load token: %w", err)
	}
	var tok oauth2.Token
	if err := json.Unmarshal([]byte(s), &tok); err != nil {
		return "", fmt.Errorf("oauth: load token: %w", err)
	}
	if !force && tok.AccessToken != "" && (tok.Expiry.IsZero() || tok.Expiry.After(t.now().Add(early))) {
		return tok.AccessToken, nil
	}
	old := tok
	old.Expiry = time.Unix(1, 0) // force the refresh
	client, err := t.clientFor(ctx, companyID, channelID)
	if err != nil {
		return "", err
	}
	fresh, err := client.config().TokenSource(client.ctx(ctx), &old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized) {
			return "", fmt.Errorf("%w (%s)", ErrReconnectNeeded, re.ErrorCode)
		}
		return "", fmt.Errorf("oauth: refresh token: %w", err)
	}
	stampExpiry(fresh, t.now())
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken // not rotated
	}
	if err := t.Save(ctx, companyID, channelID, fresh); err != nil {
		return "", fmt.Errorf("oauth: save refreshed token: %w", err)
	}
	return fresh.AccessToken, nil
}

// stampExpiry dates the token's expiry by our clock: x/oauth2 computes
// Expiry from expires_in with the wall clock, and Access compares it with
// the program's clock (package clock), which tests may have moved.
func stampExpiry(tok *oauth2.Token, now time.Time) {
	if tok.ExpiresIn > 0 {
		tok.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
}
