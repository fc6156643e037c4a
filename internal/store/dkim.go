package store

import (
	"context"
	"time"
)

// DKIMKey is a company's signing key for one sending domain; the private
// key is sealed by the secrets box before it reaches the store.
type DKIMKey struct {
	CompanyID  int64
	Domain     string // lowercase
	Selector   string
	PrivateKey []byte // sealed (ciphertext)
	PublicKey  string // base64 DER (the DNS record's p= value)
	CreatedAt  time.Time
}

// DKIM keeps the keys Atende generates for internal-connection sending.
type DKIM interface {
	// PutDKIMKey stores a key; an existing key for the domain answers
	// ErrConflict (keys are rotated explicitly, never by accident).
	PutDKIMKey(ctx context.Context, k *DKIMKey) error
	GetDKIMKey(ctx context.Context, companyID int64, domain string) (*DKIMKey, error)
}
