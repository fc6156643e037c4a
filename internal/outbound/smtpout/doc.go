// Package smtpout sends mail through a channel's own mailbox SMTP server
// (the "external" outgoing connection), with github.com/emersion/go-smtp.
//
// A Sender holds one connection and reuses it between messages (RSET
// checks it is still alive; a dead connection is replaced). It speaks
// implicit TLS (465) or STARTTLS (587) with certificate verification on,
// plain SMTP only with the explicit AllowInsecure option, and
// authenticates through the Auth seam: PasswordAuth picks PLAIN or LOGIN
// from what the server offers; OAuthAuth uses XOAUTH2 (or OAUTHBEARER when
// the server offers only that) with a channel's OAuth access token, and as
// a Retrier gets one fresh token and a new connection when the server
// refuses the current one (535). ChannelServer resolves a channel's SMTP
// settings, including the "office365" connection preset
// (smtp.office365.com:587, STARTTLS, XOAUTH2).
//
// Send reports failures as *SendError: the server's code, enhanced code
// and text, and whether the failure is temporary (4xx, network: retry) or
// permanent (5xx: bounce to the agent). Authentication failures carry a
// user-facing providers.Problem.
package smtpout
