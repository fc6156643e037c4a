package imapsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
)

// AuthOAuth is ServerConf.Auth for mailboxes connected with OAuth2
// (Gmail, Office 365): the loop logs in with XOAUTH2 (or OAUTHBEARER when
// the server offers only that) and an access token from a TokenProvider.
const AuthOAuth = "oauth"

// TokenProvider hands out a channel's access token; force refreshes it
// even if it looks valid (the server just refused it). It answers an error
// wrapping oauth.ErrReconnectNeeded when the grant is gone.
// *oauth.Tokens implements it.
type TokenProvider interface {
	Access(ctx context.Context, companyID, channelID int64, force bool) (string, error)
}

// NoticeStore is where the Manager leaves an admin notice when a channel
// needs reconnecting.
type NoticeStore interface {
	CreateNotice(ctx context.Context, n *store.Notice) error
	ListNotices(ctx context.Context, companyID int64, f store.NoticeFilter) ([]store.Notice, error)
}

// NoticeOAuthReconnect is the notice kind for "connect the mailbox again".
const NoticeOAuthReconnect = "oauth_reconnect"

// Problem codes of OAuth logins (texts in internal/providers).
const (
	CodeOAuthReconnect   = providers.CodeOAuthReconnect
	CodeOAuthRefused     = providers.CodeOAuthRefused
	CodeOAuthUnavailable = providers.CodeOAuthUnavailable
)

// accessToken asks the channel's token provider, turning failures into
// problems.
func (f *Folder) accessToken(ctx context.Context, force bool) (string, error) {
	set := f.ch.Settings
	addr := serverAddr(set.IMAP)
	if f.token == nil {
		return "", providers.New(CodeOAuthUnavailable, "imap", addr, set.Provider, errors.New("imapsync: no OAuth token provider configured"))
	}
	tok, err := f.token(ctx, force)
	switch {
	case errors.Is(err, oauth.ErrReconnectNeeded):
		return "", providers.New(CodeOAuthReconnect, "imap", addr, set.Provider, err)
	case err != nil:
		return "", providers.New(CodeOAuthUnavailable, "imap", addr, set.Provider, err)
	case tok == "":
		return "", providers.New(CodeOAuthUnavailable, "imap", addr, set.Provider, errors.New("empty access token"))
	}
	return tok, nil
}

// oauthUser is the SASL identity: the IMAP user name, else the mailbox.
func oauthUser(s model.ChannelSettings, sc model.ServerConf) string {
	if sc.Username != "" {
		return sc.Username
	}
	return s.PrimaryEmail
}

// oauthSASL picks XOAUTH2, or OAUTHBEARER when the server offers only that.
func oauthSASL(caps imap.CapSet, user, token string) sasl.Client {
	if !caps.Has(imap.AuthCap(oauth.XOAUTH2)) && caps.Has(imap.AuthCap(sasl.OAuthBearer)) {
		return oauth.NewOAuthBearerClient(user, token)
	}
	return oauth.NewXOAUTH2Client(user, token)
}

// oauthLogin authenticates with token; when the server refuses it (expired
// or revoked access token) it forces one refresh and tries once more on
// the same connection.
func (f *Folder) oauthLogin(ctx context.Context, c *imapclient.Client, token string) error {
	set := f.ch.Settings
	addr := serverAddr(set.IMAP)
	user := oauthUser(set, set.IMAP)
	sc := oauthSASL(c.Caps(), user, token)
	err := f.guard(func() error { return c.Authenticate(sc) })
	if err == nil {
		return nil
	}
	var ie *imap.Error
	if !errors.As(err, &ie) {
		return providers.NetProblem("imap", addr, set.Provider, fmt.Errorf("authenticate: %w", err))
	}
	f.log.Info("imapsync: access token refused; refreshing once", "reason", ie.Text, "server_status", oauth.Refusal(sc))
	if token, err = f.accessToken(ctx, true); err != nil {
		return err
	}
	err = f.guard(func() error { return c.Authenticate(oauthSASL(c.Caps(), user, token)) })
	if err == nil {
		return nil
	}
	if errors.As(err, &ie) {
		return providers.New(CodeOAuthRefused, "imap", addr, set.Provider, err)
	}
	return providers.NetProblem("imap", addr, set.Provider, fmt.Errorf("authenticate: %w", err))
}
