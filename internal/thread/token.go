package thread

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// Reply-token format.
const (
	// TokenPrefix introduces the token inside an address's local part:
	// local+t-<token>@domain.
	TokenPrefix = "+t-"
	// MinTokenLen and MaxTokenLen bound an acceptable token. NewReplyToken
	// makes tokens of TokenLen characters; the bounds accept other
	// generators of at least 80 bits (16 base32 characters).
	MinTokenLen = 16
	MaxTokenLen = 48
	// TokenLen is the length of tokens made by NewReplyToken: 15 random
	// bytes (120 bits) in base32 without padding.
	TokenLen = 24

	tokenBytes = 15
	// maxLocalPart is RFC 5321's limit on a local part, in octets.
	maxLocalPart = 64
)

var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewReplyToken returns a fresh random reply token: 120 bits from
// crypto/rand, encoded as 24 lowercase base32 characters without padding.
func NewReplyToken() string {
	b := make([]byte, tokenBytes)
	// crypto/rand.Read never returns an error on supported platforms (it
	// crashes the program instead), see its documentation.
	_, _ = rand.Read(b)
	return tokenEncoding.EncodeToString(b)
}

// ValidToken reports whether tok has the shape of a reply token: MinTokenLen
// to MaxTokenLen characters from the lowercase base32 / URL-safe alphabet
// [a-z0-9_-].
func ValidToken(tok string) bool {
	if len(tok) < MinTokenLen || len(tok) > MaxTokenLen {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// Errors returned by PlusAddress.
var (
	ErrBadAddress = errors.New("not a plain email address")
	ErrBadToken   = errors.New("malformed reply token")
)

// PlusAddress returns base with the reply token added as plus-address detail:
// PlusAddress("support@x.com", tok) == "support+t-tok@x.com". base must be a
// bare address (no display name or angle brackets) with a non-empty local
// part and domain; an existing "+detail" is kept and the token appended
// after it. It fails on an address without "@", on a quoted local part, on
// an address that already carries a token, on a malformed token, and when
// the resulting local part would exceed 64 octets (RFC 5321).
func PlusAddress(base, token string) (string, error) {
	if !ValidToken(token) {
		return "", fmt.Errorf("thread: plus address: %w", ErrBadToken)
	}
	at := strings.LastIndexByte(base, '@')
	if at <= 0 || at == len(base)-1 {
		return "", fmt.Errorf("thread: plus address %q: %w", base, ErrBadAddress)
	}
	local, domain := base[:at], base[at+1:]
	for i := 0; i < len(base); i++ {
		c := base[i]
		// Bare dot-atom addresses only: no white space or controls, no
		// RFC 5322 specials except the one "@" (bytes >= 0x80 are allowed
		// for internationalized addresses).
		if c <= ' ' || c == 0x7f || (strings.IndexByte(`"(),:;<>[\]`, c) >= 0) || (c == '@' && i != at) {
			return "", fmt.Errorf("thread: plus address %q: %w", base, ErrBadAddress)
		}
	}
	if _, ok := TokenFromAddress(base); ok {
		return "", fmt.Errorf("thread: plus address %q: already has a reply token: %w", base, ErrBadAddress)
	}
	local += TokenPrefix + token
	if len(local) > maxLocalPart {
		return "", fmt.Errorf("thread: plus address %q: local part longer than %d octets: %w", base, maxLocalPart, ErrBadAddress)
	}
	return local + "@" + domain, nil
}

// TokenFromAddress extracts the reply token from an address of the form
// local+t-<token>@domain (any case; the token is returned lowercased). The
// address may be wrapped in angle brackets or carry a display name
// ("Support <support+t-...@x.com>"). Further plus-detail after the token
// ("support+t-<token>+x@...") is tolerated. It returns false when there is no
// well-formed token: missing domain, token shorter than MinTokenLen, longer
// than MaxTokenLen, or containing characters outside [a-z0-9_-].
func TokenFromAddress(addr string) (string, bool) {
	a := bareAddress(addr)
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 {
		return "", false
	}
	segs := strings.Split(a[:at], "+")
	// segs[0] is the mailbox itself; a token is only ever plus-detail.
	for _, s := range segs[1:] {
		tok, ok := strings.CutPrefix(s, TokenPrefix[1:])
		if ok && ValidToken(tok) {
			return tok, true
		}
	}
	return "", false
}

// bareAddress reduces "Name <a@b>" or "<a@b>" to "a@b", trims spaces and
// lowercases.
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			s = s[i+1 : i+j]
		}
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// domainOf returns the part after the last "@" of a bare, lowercased
// address, or "" if there is none.
func domainOf(a string) string {
	at := strings.LastIndexByte(a, '@')
	if at < 0 || at == len(a)-1 {
		return ""
	}
	return a[at+1:]
}
