package oauth

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// XOAUTH2 is the mechanism name Gmail and Office 365 use for IMAP and SMTP.
const XOAUTH2 = "XOAUTH2"

// xoauth2Client implements sasl.Client for XOAUTH2
// (developers.google.com/gmail/imap/xoauth2-protocol). go-sasl ships
// OAUTHBEARER (RFC 7628) but not this older mechanism, which is the one
// both providers document; it is a single initial response.
type xoauth2Client struct {
	user, token string
	refusal     string
}

// NewXOAUTH2Client returns a SASL client for XOAUTH2.
func NewXOAUTH2Client(user, accessToken string) sasl.Client {
	return &xoauth2Client{user: user, token: accessToken}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	if c.user == "" || c.token == "" {
		return "", nil, errors.New("oauth: XOAUTH2 needs a user and an access token")
	}
	return XOAUTH2, []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with an empty
// response, as the protocol asks, so the server ends the exchange with a
// plain failure (IMAP NO, SMTP 535) that IMAP and SMTP clients report as
// the server's refusal; returning an error here would leave the exchange
// unfinished (go-imap's client stops without answering). The challenge is
// kept for logs (Refusal).
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		c.refusal = string(challenge)
		return []byte{}, nil
	}
	return nil, errors.New("oauth: unexpected empty XOAUTH2 challenge")
}

// Refusal is the server's error challenge after a refused XOAUTH2 or
// OAUTHBEARER exchange (JSON, e.g. {"status":"401",...}), or "".
func Refusal(c sasl.Client) string {
	switch c := c.(type) {
	case *xoauth2Client:
		return c.refusal
	case *bearerClient:
		return c.refusal
	}
	return ""
}

// NewOAuthBearerClient returns go-sasl's OAUTHBEARER client (RFC 7628),
// for servers that offer it, answering an error challenge with the
// dummy %x01 response RFC 7628 section 3.2.3 asks for (go-sasl's client
// returns an error instead, which leaves the exchange unfinished).
func NewOAuthBearerClient(user, accessToken string) sasl.Client {
	return &bearerClient{Client: sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: accessToken})}
}

type bearerClient struct {
	sasl.Client
	refusal string
}

func (c *bearerClient) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		c.refusal = string(challenge)
		return []byte{0x01}, nil
	}
	return c.Client.Next(challenge)
}
