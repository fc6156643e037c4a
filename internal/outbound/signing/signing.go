// Package signing DKIM-signs mail that leaves through Atende's relay
// (internal connection). Atende generates one RSA-2048 key per company
// and sending domain, keeps the private key sealed by the secrets box,
// and tells the admin which DNS records to publish: the DKIM TXT record
// and an SPF include for the relay.
package signing

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
)

// Store is what signing needs from the store.
type Store interface {
	PutDKIMKey(ctx context.Context, k *store.DKIMKey) error
	GetDKIMKey(ctx context.Context, companyID int64, domain string) (*store.DKIMKey, error)
}

// HeaderKeys are the signed header fields (RFC 6376 §5.4.1).
var HeaderKeys = []string{"From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To", "References",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding"}

// Signer signs with per-company, per-domain keys.
type Signer struct {
	st  Store
	box *secrets.Box
	now func() time.Time

	mu    sync.Mutex
	cache map[string]*dkim.SignOptions
}

// New builds a Signer; clk dates the keys it makes (their selectors).
func New(st Store, box *secrets.Box, clk clock.Clock) *Signer {
	return &Signer{st: st, box: box, now: clk.Now, cache: map[string]*dkim.SignOptions{}}
}

func ad(companyID int64, domain string) []byte {
	return []byte(fmt.Sprintf("atende/dkim/v1\x00%d\x00%s", companyID, domain))
}

// EnsureKey returns the domain's key, generating and storing it on first use.
func (s *Signer) EnsureKey(ctx context.Context, companyID int64, domain string) (*store.DKIMKey, error) {
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" || strings.ContainsAny(domain, "@ /") {
		return nil, fmt.Errorf("signing: %q is not a domain", domain)
	}
	k, err := s.st.GetDKIMKey(ctx, companyID, domain)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("signing: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := s.box.Seal(der, ad(companyID, domain))
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	k = &store.DKIMKey{CompanyID: companyID, Domain: domain, Selector: "atende" + s.now().UTC().Format("200601"),
		PrivateKey: sealed, PublicKey: base64.StdEncoding.EncodeToString(pub), CreatedAt: s.now()}
	if err := s.st.PutDKIMKey(ctx, k); errors.Is(err, store.ErrConflict) {
		return s.st.GetDKIMKey(ctx, companyID, domain) // another process won the race
	} else if err != nil {
		return nil, err
	}
	return k, nil
}

// Record is one DNS record the admin must publish.
type Record struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	Help  string `json:"help"`
}

// DNSRecords lists the records for a domain's key; relayHost (may be
// empty) is the smarthost the SPF record must allow.
func DNSRecords(k *store.DKIMKey, relayHost string) []Record {
	recs := []Record{{Type: "TXT", Name: k.Selector + "._domainkey." + k.Domain, Value: "v=DKIM1; k=rsa; p=" + k.PublicKey,
		Help: "DKIM: lets receivers verify that mail from this domain sent through Atende is genuine."}}
	spf := "v=spf1 mx ~all"
	if relayHost != "" {
		spf = "v=spf1 mx a:" + relayHost + " ~all"
	}
	recs = append(recs, Record{Type: "TXT", Name: k.Domain, Value: spf,
		Help: "SPF: allow the relay to send for this domain. If the domain already has an SPF record, add the a:/include: part to it instead of publishing a second one."})
	return recs
}

func (s *Signer) options(ctx context.Context, companyID int64, domain string) (*dkim.SignOptions, error) {
	key := fmt.Sprintf("%d/%s", companyID, domain)
	s.mu.Lock()
	o := s.cache[key]
	s.mu.Unlock()
	if o != nil {
		return o, nil
	}
	k, err := s.EnsureKey(ctx, companyID, domain)
	if err != nil {
		return nil, err
	}
	der, err := s.box.Open(k.PrivateKey, ad(companyID, k.Domain))
	if err != nil {
		return nil, fmt.Errorf("signing: open key for %s: %w", domain, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing: parse key for %s: %w", domain, err)
	}
	signer, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing: key for %s is not RSA", domain)
	}
	o = &dkim.SignOptions{Domain: k.Domain, Selector: k.Selector, Signer: signer, HeaderKeys: HeaderKeys,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}
	s.mu.Lock()
	s.cache[key] = o
	s.mu.Unlock()
	return o, nil
}

// Sign returns raw with a DKIM-Signature for the From domain prepended.
func (s *Signer) Sign(ctx context.Context, companyID int64, fromAddress string, raw io.Reader) ([]byte, error) {
	_, domain, ok := strings.Cut(strings.ToLower(fromAddress), "@")
	if !ok {
		return nil, fmt.Errorf("signing: From %q has no domain", fromAddress)
	}
	o, err := s.options(ctx, companyID, domain)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(raw)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := dkim.Sign(&out, bytes.NewReader(body), o); err != nil {
		return nil, fmt.Errorf("signing: sign: %w", err)
	}
	return out.Bytes(), nil
}
