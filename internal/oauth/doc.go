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
// Clients (NewClients, from ATENDE_GOOGLE_CLIENT_ID / _MICROSOFT_...) are
// the installation's registrations by provider ID; ProviderFor maps a
// channel (gmail / office365 / outlook preset, or the office365 outgoing
// connection) to "google" or "microsoft", and Tokens without a fixed Client
// refreshes through that provider. CheckChannels is the start-up check
// that every OAuth channel's provider is configured.
//
// Used by: internal/web/api (GET /api/v1/channels/{id}/oauth/start, GET
// /oauth/callback), internal/inbound/imapsync (XOAUTH2 login, refresh on
// refusal, reconnect_needed + notice), internal/outbound/smtpout
// (OAuthAuth). internal/oauth/oauthtest is a test provider with an RFC 7662
// introspection endpoint for Dovecot's oauth2 passdb (mailstack option
// OAuth2IntrospectURL).
package oauth
