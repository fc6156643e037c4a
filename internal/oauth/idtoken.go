package oauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// The mailbox address comes from the ID token that the token endpoint
// returns next to the access token (OpenID Connect Core 1.0, 3.1.3.7).
// The access token is for the mail resource (Outlook's IMAP/SMTP, Gmail's
// https://mail.google.com/), which Microsoft Graph's UserInfo refuses, so
// the ID token is the one identity both providers give. It arrives over
// the TLS connection to the token endpoint that Exchange opened (TLS
// verification always on), which OpenID Connect accepts in place of the
// signature check (3.1.3.7 step 6); issuer, audience, expiry and nonce are
// checked here.

// IDTokenProblem says what is wrong with an ID token.
type IDTokenProblem string

// The ID token problems, each a Reason of the flow too.
const (
	IDTokenMalformed IDTokenProblem = "id_token_malformed"
	IDTokenIssuer    IDTokenProblem = "id_token_issuer"
	IDTokenAudience  IDTokenProblem = "id_token_audience"
	IDTokenNonce     IDTokenProblem = "id_token_nonce"
	IDTokenExpired   IDTokenProblem = "id_token_expired"
)

// ErrIDToken is wrapped by every IDTokenError.
var ErrIDToken = errors.New("oauth: the provider's ID token was refused")

// IDTokenError is an ID token that failed a check; Detail names the values
// (never the token itself).
type IDTokenError struct {
	Problem IDTokenProblem
	Detail  string
}

func (e *IDTokenError) Error() string {
	what := map[IDTokenProblem]string{
		IDTokenMalformed: "it is not a readable JWT",
		IDTokenIssuer:    "it was not issued by the expected provider",
		IDTokenAudience:  "it was issued for another application (audience is not our client ID)",
		IDTokenNonce:     "it does not belong to this sign-in (nonce mismatch)",
		IDTokenExpired:   "it has expired (check this server's clock)",
	}[e.Problem]
	return fmt.Sprintf("%v: %s (%s)", ErrIDToken, what, e.Detail)
}

func (e *IDTokenError) Unwrap() error { return ErrIDToken }

// idClaims are the claims Atende reads from an ID token.
type idClaims struct {
	Issuer            string   `json:"iss"`
	Subject           string   `json:"sub"`
	Audience          audience `json:"aud"`
	AuthorizedParty   string   `json:"azp"`
	Expiry            *numDate `json:"exp"`
	NotBefore         *numDate `json:"nbf"`
	Nonce             string   `json:"nonce"`
	Tenant            string   `json:"tid"`
	Email             string   `json:"email"`
	PreferredUsername string   `json:"preferred_username"`
	UPN               string   `json:"upn"`
}

// audience is "aud": one string or an array of strings (RFC 7519 4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// numDate is a JWT NumericDate: seconds since the epoch, possibly with a
// fraction.
type numDate struct{ time.Time }

func (d *numDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("date claim is not a number")
	}
	sec := int64(f)
	d.Time = time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	return nil
}

// IDTokenLeeway is the clock skew allowed between this server and the
// provider when checking exp and nbf.
const IDTokenLeeway = 2 * time.Minute

// tenantRE is a Microsoft tenant ID (a GUID): what may stand for {tid}.
var tenantRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// issuerOK reports whether iss is one of the provider's issuers. "{tid}" in
// an issuer stands for the token's own tid claim (Microsoft's common
// endpoint answers for every tenant, each with its own issuer
// https://login.microsoftonline.com/<tid>/v2.0; personal accounts have the
// tenant 9188040d-6c67-4c5b-b112-36a304b66dad).
func issuerOK(issuers []string, c *idClaims) bool {
	for _, want := range issuers {
		if strings.Contains(want, "{tid}") {
			if !tenantRE.MatchString(c.Tenant) {
				continue
			}
			want = strings.ReplaceAll(want, "{tid}", c.Tenant)
		}
		if c.Issuer == want {
			return true
		}
	}
	return false
}

// parseIDToken decodes a compact JWT's payload (the signature is not
// checked: see the comment at the top of this file).
func parseIDToken(raw string) (*idClaims, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, &IDTokenError{IDTokenMalformed, fmt.Sprintf("%d parts instead of 3", len(parts))}
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err != nil || json.Unmarshal(b, &hdr) != nil {
		return nil, &IDTokenError{IDTokenMalformed, "header is not base64url JSON"}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, &IDTokenError{IDTokenMalformed, "payload is not base64url"}
	}
	var c idClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &IDTokenError{IDTokenMalformed, "payload: " + err.Error()}
	}
	return &c, nil
}

// checkIDToken parses raw and checks it was issued by the provider, for
// this client, for this sign-in (nonce) and is not expired at now.
func (c *Client) checkIDToken(raw, nonce string, now time.Time) (*idClaims, error) {
	cl, err := parseIDToken(raw)
	if err != nil {
		return nil, err
	}
	if len(c.Provider.Issuers) == 0 {
		return nil, fmt.Errorf("oauth: provider %q has no issuer configured: cannot check its ID token", c.Provider.ID)
	}
	if !issuerOK(c.Provider.Issuers, cl) {
		return nil, &IDTokenError{IDTokenIssuer, fmt.Sprintf("iss %q, tid %q; want %s", cl.Issuer, cl.Tenant, strings.Join(c.Provider.Issuers, " or "))}
	}
	mine := false
	for _, a := range cl.Audience {
		mine = mine || a == c.ClientID
	}
	if !mine {
		return nil, &IDTokenError{IDTokenAudience, fmt.Sprintf("aud %q; want %q", strings.Join(cl.Audience, ","), c.ClientID)}
	}
	// Several audiences: the authorized party must be us (3.1.3.7 steps 4-5).
	if (len(cl.Audience) > 1 || cl.AuthorizedParty != "") && cl.AuthorizedParty != c.ClientID {
		return nil, &IDTokenError{IDTokenAudience, fmt.Sprintf("azp %q; want %q", cl.AuthorizedParty, c.ClientID)}
	}
	if cl.Expiry == nil {
		return nil, &IDTokenError{IDTokenExpired, "no exp claim"}
	}
	if now.After(cl.Expiry.Add(IDTokenLeeway)) {
		return nil, &IDTokenError{IDTokenExpired, fmt.Sprintf("expired at %s, now %s", cl.Expiry.Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if cl.NotBefore != nil && now.Add(IDTokenLeeway).Before(cl.NotBefore.Time) {
		return nil, &IDTokenError{IDTokenExpired, fmt.Sprintf("not valid before %s, now %s", cl.NotBefore.Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
	}
	if nonce == "" || cl.Nonce != nonce {
		detail := "nonce differs from the one sent"
		if cl.Nonce == "" {
			detail = "no nonce claim"
		}
		return nil, &IDTokenError{IDTokenNonce, detail}
	}
	return cl, nil
}

// address is the mailbox address the claims name: email, then
// preferred_username, then upn (the last two are sign-in names that are
// usually, but not always, an address), lower-cased; "" when none is one.
func (cl *idClaims) address() string {
	for _, s := range []string{cl.Email, cl.PreferredUsername, cl.UPN} {
		if s = strings.TrimSpace(s); isAddress(s) {
			return strings.ToLower(s)
		}
	}
	return ""
}

func isAddress(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t\r\n<>") && !strings.Contains(domain, "@")
}
