package smtpout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/providers"
)

// Retrier is an Auth that can try once more on the same connection after
// the server refused it: an OAuth access token that expired or was revoked
// early is refreshed by Retry.
type Retrier interface {
	Retry(ctx context.Context, serverMechs []string) (sasl.Client, error)
}

// TokenFunc returns a channel's OAuth access token; force refreshes it
// (the server just refused the current one). An error wrapping
// oauth.ErrReconnectNeeded means the grant is gone.
type TokenFunc func(ctx context.Context, force bool) (string, error)

// CodeOAuthReconnect is the problem code of a send that failed because the
// mailbox's OAuth grant was revoked or expired (same code as imapsync's).
const CodeOAuthReconnect = providers.CodeOAuthReconnect

// ErrOAuthReconnect is returned (wrapped in *SendError) when the channel's
// OAuth grant is gone; the message is permanent until an admin reconnects.
var ErrOAuthReconnect = errors.New("smtpout: the mailbox's OAuth authorization was revoked or expired; an administrator must reconnect the channel")

type oauthAuth struct {
	user  string
	token TokenFunc
}

// OAuthAuth authenticates user with an OAuth2 bearer token from token:
// XOAUTH2 (Gmail, Office 365), or OAUTHBEARER (RFC 7628) when the server
// offers that and not XOAUTH2. It implements Retrier: a refused token is
// refreshed once (token(ctx, true)) and tried again.
func OAuthAuth(user string, token TokenFunc) Auth { return &oauthAuth{user: user, token: token} }

func (a *oauthAuth) Client(ctx context.Context, mechs []string) (sasl.Client, error) {
	return a.client(ctx, mechs, false)
}

func (a *oauthAuth) Retry(ctx context.Context, mechs []string) (sasl.Client, error) {
	return a.client(ctx, mechs, true)
}

func (a *oauthAuth) client(ctx context.Context, mechs []string, force bool) (sasl.Client, error) {
	has := func(m string) bool {
		for _, x := range mechs {
			if strings.EqualFold(x, m) {
				return true
			}
		}
		return false
	}
	mk := oauth.NewXOAUTH2Client
	switch {
	case has(oauth.XOAUTH2):
	case has(sasl.OAuthBearer):
		mk = oauth.NewOAuthBearerClient
	default:
		return nil, fmt.Errorf("%w (server offers %v; we support XOAUTH2, OAUTHBEARER)", ErrNoMechanism, mechs)
	}
	tok, err := a.token(ctx, force)
	if errors.Is(err, oauth.ErrReconnectNeeded) {
		return nil, fmt.Errorf("%w: %w", ErrOAuthReconnect, err)
	}
	if err != nil {
		return nil, fmt.Errorf("smtpout: oauth access token: %w", err)
	}
	return mk(a.user, tok), nil
}

// authError turns a failure of Auth.Client into a SendError: no common
// mechanism and a revoked grant are permanent, anything else (the
// provider's token endpoint unreachable) temporary.
func (s *Sender) authError(err error) *SendError {
	addr := s.addr()
	switch {
	case errors.Is(err, ErrNoMechanism):
		p := providers.New(providers.CodeSMTPAuthMissing, "smtp", addr, s.cfg.Provider, err)
		return &SendError{Message: p.Message("en"), Problem: p, Err: err}
	case errors.Is(err, ErrOAuthReconnect):
		p := providers.New(CodeOAuthReconnect, "smtp", addr, s.cfg.Provider, err)
		return &SendError{Message: ErrOAuthReconnect.Error(), Problem: p, Err: err}
	}
	p := providers.NetProblem("smtp", addr, s.cfg.Provider, err)
	return &SendError{Message: err.Error(), Temporary: true, Problem: p, Err: err}
}

// Office365Server is the preset of the "office365" outgoing connection
// (model.ConnOffice365): smtp.office365.com:587, STARTTLS, XOAUTH2.
var Office365Server = model.ServerConf{Host: "smtp.office365.com", Port: 587, Encryption: providers.StartTLS, Auth: oauth.AuthOAuth}

// ChannelServer is where a channel's outgoing mail goes and how it logs
// in: its SMTP settings, with the user name defaulting to the IMAP user
// and then the primary address; an "office365" connection fills host,
// port and encryption from Office365Server when unset (tests point it at
// a local server) and always authenticates with OAuth. useOAuth: SMTP auth
// "oauth", or empty with IMAP auth "oauth", or office365.
func ChannelServer(ch *model.Channel) (conf model.ServerConf, useOAuth bool) {
	conf = ch.Settings.SMTP
	if conf.Username == "" {
		conf.Username = ch.Settings.IMAP.Username
	}
	if conf.Username == "" && (oauth.SMTPUsesOAuth(ch)) {
		conf.Username = ch.Settings.PrimaryEmail
	}
	if ch.Outgoing == model.ConnOffice365 {
		if conf.Host == "" {
			conf.Host, conf.Port, conf.Encryption = Office365Server.Host, Office365Server.Port, Office365Server.Encryption
		}
		conf.Auth = oauth.AuthOAuth
	}
	useOAuth = oauth.SMTPUsesOAuth(ch)
	if useOAuth {
		conf.Auth = oauth.AuthOAuth
	}
	return conf, useOAuth
}
