package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// KeySize is the length of a Box key: AES-256.
const KeySize = 32

// version is the first byte of every sealed value, so the format can
// change later (another cipher, key rotation) without guessing.
const version byte = 1

// Errors returned by Open; test them with errors.Is.
var (
	// ErrOpen means the ciphertext was not sealed with this key and
	// associated data, or it was altered.
	ErrOpen = errors.New("secrets: cannot open sealed value (wrong key, wrong row or tampered)")
	// ErrKey means the key is not 32 bytes.
	ErrKey = errors.New("secrets: key must be 32 bytes")
)

// Box seals and opens secrets with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w (got %d)", ErrKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: new GCM: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) key
// and checks its length.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("secrets: parse key: %w (empty)", ErrKey)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("secrets: parse key: %w (got %d)", ErrKey, len(k))
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("secrets: parse key: not valid base64")
}

// NewKey returns a fresh random key (for `atende` setup and tests).
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("secrets: crypto/rand: %v", err)) // never fails on supported platforms
	}
	return k
}

// Seal encrypts plaintext bound to associatedData. The output is
// version || nonce || ciphertext+tag; every call uses a new random nonce.
func (b *Box) Seal(plaintext, associatedData []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		return nil, fmt.Errorf("secrets: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:1+ns], plaintext, associatedData), nil
}

// Open decrypts a value made by Seal with the same associated data.
func (b *Box) Open(sealed, associatedData []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() {
		return nil, fmt.Errorf("%w: too short (%d bytes)", ErrOpen, len(sealed))
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrOpen, sealed[0])
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], associatedData)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// AD is the associated data that binds a channel secret to its row.
func AD(companyID, channelID int64, name string) []byte {
	return []byte("atende/channel-secret/v1\x00" + strconv.FormatInt(companyID, 10) + "\x00" +
		strconv.FormatInt(channelID, 10) + "\x00" + name)
}

// Names of channel secrets.
const (
	IMAPPassword = "imap_password"
	SMTPPassword = "smtp_password"
	OAuthToken   = "oauth_token"
)
