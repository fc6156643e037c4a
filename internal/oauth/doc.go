// Package oauth connects Gmail and Office 365 mailboxes with OAuth2
// (issue 5): the authorization-code flow with PKCE (golang.org/x/oauth2),
// a state, PKCE verifier and OpenID Connect nonce sealed into a
// short-lived cookie value (so a forged or replayed callback is rejected
// without server-side session state), the mailbox address read from the
// ID token of the token response after checking its issuer (Microsoft's
// per-tenant https://login.microsoftonline.com/<tid>/v2.0 included),
// audience, expiry and nonce (idtoken.go; issue 20: Graph's UserInfo
// refuses the Outlook access token, so UserInfo is only a fallback where
// the token is valid for it), a connection that signed in as another
// account than the channel's kept pending for the admin (connect.go),
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
// OAuth2IntrospectURL), per-resource token audiences and signed ID tokens.
// internal/web/ui shows pending connections (Tokens.Pending,
// AcceptPending, DiscardPending) on the channel form.
package oauth
