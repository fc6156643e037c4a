// Package oauth connects Gmail and Office 365 mailboxes with OAuth2
// (issue 5): the authorization-code flow with PKCE (golang.org/x/oauth2),
// a state that is sealed into a short-lived cookie value (so a forged or
// replayed callback is rejected without server-side session state),
// tokens stored encrypted per channel (secrets box, name
// secrets.OAuthToken), a token source that refreshes before expiry and
// persists a rotated refresh token, ErrReconnectNeeded when the provider
// revoked or expired the grant, and SASL clients for XOAUTH2 (go-sasl has
// only OAUTHBEARER, which it provides) for IMAP and SMTP.
//
// Not wired yet: the "Connect with Google / Microsoft" routes, the IMAP
// and SMTP use of these clients, and the Dovecot oauth2 passdb test
// stack; see the closing note.
package oauth
