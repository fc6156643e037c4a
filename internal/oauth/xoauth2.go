package oauth

import (
	"errors"
	"fmt"

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
// response, as the protocol asks, and reports the error.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	if len(challenge) > 0 {
		return []byte{}, fmt.Errorf("oauth: XOAUTH2 refused: %s", challenge)
	}
	return nil, errors.New("oauth: unexpected XOAUTH2 challenge")
}

// NewOAuthBearerClient returns go-sasl's OAUTHBEARER client (RFC 7628),
// for servers that offer it.
func NewOAuthBearerClient(user, accessToken string) sasl.Client {
	return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: user, Token: accessToken})
}
