package store

import (
	"context"
	"time"
)

// Identity kinds.
const (
	IdentityDomain  = "domain"  // verified by a DNS TXT record
	IdentityAddress = "address" // verified by a code mailed to it
)

// Identity is a domain or an address a company claims; it owns it once
// VerifiedAt is set. A verified identity is unique across companies.
type Identity struct {
	ID        int64
	CompanyID int64
	Kind      string // IdentityDomain or IdentityAddress
	Value     string // lowercase domain or address
	// Token is the domain's TXT record value after "atende-verification=".
	Token string
	// The address's current code: its SHA-256 (hex), expiry and the wrong
	// guesses made against it.
	CodeHash      string
	CodeExpiresAt time.Time
	CodeAttempts  int
	// Codes mailed since SendsSince (a rolling day), and the last one.
	Sends      int
	SendsSince time.Time
	LastSentAt time.Time
	VerifiedAt time.Time // zero: not verified
	// CheckedAt and CheckResult are the last DNS check of a domain and
	// what it found (JSON, for the admin).
	CheckedAt   time.Time
	CheckResult string
	CreatedAt   time.Time
}

// Verified reports whether the identity is verified.
func (i *Identity) Verified() bool { return !i.VerifiedAt.IsZero() }

// Identities are the domains and addresses companies verify.
type Identities interface {
	// CreateIdentity inserts i; the company already claiming the same
	// kind and value is ErrConflict.
	CreateIdentity(ctx context.Context, i *Identity) error
	GetIdentity(ctx context.Context, companyID, id int64) (*Identity, error)
	// ListIdentities of a company, domains first, by value.
	ListIdentities(ctx context.Context, companyID int64) ([]Identity, error)
	// UpdateIdentity writes every mutable field of i; setting VerifiedAt
	// while another company has the same kind and value verified is
	// ErrConflict (nothing is written).
	UpdateIdentity(ctx context.Context, i *Identity) error
	DeleteIdentity(ctx context.Context, companyID, id int64) error
	// VerifiedIdentity crosses companies: the verified identity of this
	// kind and value, or ErrNotFound.
	VerifiedIdentity(ctx context.Context, kind, value string) (*Identity, error)
	// ListVerifiedIdentities crosses companies: every verified identity
	// (the inbound SMTP server's routing table).
	ListVerifiedIdentities(ctx context.Context) ([]Identity, error)
}
