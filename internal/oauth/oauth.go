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
	ID          string // "google", "microsoft"
	Endpoint    oauth2.Endpoint
	Scopes      []string
	UserInfoURL string // returns JSON with "email" (or "mail"/"userPrincipalName")
}

// Google and Microsoft are the providers the seeds name (Gmail, Office 365).
var (
	Google = Provider{ID: "google", Endpoint: endpoints.Google,
		Scopes:      []string{"https://mail.google.com/", "openid", "email"},
		UserInfoURL: "https://openidconnect.googleapis.com/v1/userinfo"}
	Microsoft = Provider{ID: "microsoft", Endpoint: endpoints.AzureAD("common"),
		Scopes: []string{"https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send",
			"offline_access", "openid", "email"},
		UserInfoURL: "https://graph.microsoft.com/oidc/userinfo"}
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
)

const stateTTL = 10 * time.Minute

func stateAD(provider string) []byte { return []byte("atende/oauth-state/v1\x00" + provider) }

// Begin starts the flow for a channel: it returns the provider URL to
// send the browser to and the value of a cookie to set (HttpOnly,
// SameSite=Lax, short-lived) that Complete needs back.
func (c *Client) Begin(box *secrets.Box, companyID, channelID int64, now time.Time) (authURL, cookie string, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	p := pending{State: base64.RawURLEncoding.EncodeToString(b[:]), Verifier: oauth2.GenerateVerifier(),
		CompanyID: companyID, ChannelID: channelID, Provider: c.Provider.ID, Expires: now.Add(stateTTL)}
	raw, _ := json.Marshal(p)
	sealed, err := box.Seal(raw, stateAD(c.Provider.ID))
	if err != nil {
		return "", "", err
	}
	authURL = c.config().AuthCodeURL(p.State, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(p.Verifier),
		oauth2.SetAuthURLParam("prompt", "consent"))
	return authURL, base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Result is a completed connection.
type Result struct {
	CompanyID, ChannelID int64
	Provider             string
	Email                string // the mailbox address, from the provider's identity
	Token                *oauth2.Token
}

// Complete checks the callback's state against the cookie, exchanges the
// code (with the PKCE verifier) and reads the mailbox address.
func (c *Client) Complete(ctx context.Context, box *secrets.Box, cookie, state, code string, now time.Time) (*Result, error) {
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
	if code == "" {
		return nil, errors.New("oauth: the provider sent no authorization code (access denied?)")
	}
	tok, err := c.config().Exchange(c.ctx(ctx), code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return nil, fmt.Errorf("oauth: exchange code: %w", err)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth: the provider returned no refresh token; remove Atende's access in the account settings and connect again")
	}
	email, err := c.userEmail(ctx, tok)
	if err != nil {
		return nil, err
	}
	return &Result{CompanyID: p.CompanyID, ChannelID: p.ChannelID, Provider: p.Provider, Email: email, Token: tok}, nil
}

func (c *Client) userEmail(ctx context.Context, tok *oauth2.Token) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Provider.UserInfoURL, nil)
	if err != nil {
		return "", err
	}
	hc := c.config().Client(c.ctx(ctx), tok)
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("oauth: read the mailbox identity: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("oauth: read the mailbox identity: HTTP %d", resp.StatusCode)
	}
	var info map[string]any
	if err := json.Unmarshal(body, &info); err != nil {
		return "", fmt.Errorf("oauth: read the mailbox identity: %w", err)
	}
	for _, k := range []string{"email", "mail", "preferred_username", "userPrincipalName"} {
		if s, ok := info[k].(string); ok && strings.Contains(s, "@") {
			return strings.ToLower(s), nil
		}
	}
	return "", errors.New("oauth: the provider did not tell the mailbox address (email scope missing?)")
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
	now := time.Now
	if t.Now != nil {
		now = t.Now
	}
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
	if !force && tok.AccessToken != "" && (tok.Expiry.IsZero() || tok.Expiry.After(now().Add(early))) {
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
	if fresh.RefreshToken == "" {
		fresh.RefreshToken = tok.RefreshToken // not rotated
	}
	if err := t.Save(ctx, companyID, channelID, fresh); err != nil {
		return "", fmt.Errorf("oauth: save refreshed token: %w", err)
	}
	return fresh.AccessToken, nil
}
