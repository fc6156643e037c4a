package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// APITokenPrefix starts every API token so leaked ones are easy to spot.
const APITokenPrefix = "atd_"

// newSecret returns 256 random bits, base64url without padding.
func newSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // never on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is the SHA-256 (hex) the store keeps instead of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
