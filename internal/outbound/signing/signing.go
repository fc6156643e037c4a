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
	"net"
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
	Kind  string `json:"kind"` // KindDKIM or KindSPF
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
	Help  string `json:"help"`
}

// Record kinds (Record.Kind).
const (
	KindDKIM = "dkim"
	KindSPF  = "spf"
)

// DNSRecords lists the records for a domain's key; relayHost (may be
// empty) is the smarthost the SPF record must allow (an address becomes
// an ip4:/ip6: mechanism, a name an a: mechanism).
func DNSRecords(k *store.DKIMKey, relayHost string) []Record {
	recs := []Record{{Kind: KindDKIM, Type: "TXT", Name: k.Selector + "._domainkey." + k.Domain, Value: "v=DKIM1; k=rsa; p=" + k.PublicKey,
		Help: "DKIM: lets receivers verify that mail from this domain sent through Atende is genuine."}}
	spf := "v=spf1 mx ~all"
	if m := spfMechanism(relayHost); m != "" {
		spf = "v=spf1 mx " + m + " ~all"
	}
	recs = append(recs, Record{Kind: KindSPF, Type: "TXT", Name: k.Domain, Value: spf,
		Help: "SPF: allow the relay to send for this domain. If the domain already has an SPF record, add the a:/ip4:/include: part to it instead of publishing a second one."})
	return recs
}

// spfMechanism is the SPF mechanism that allows the relay host.
func spfMechanism(relayHost string) string {
	h := strings.Trim(strings.TrimSpace(relayHost), "[]")
	if h == "" {
		return ""
	}
	if ip := net.ParseIP(h); ip != nil {
		if ip.To4() != nil {
			return "ip4:" + ip.String()
		}
		return "ip6:" + ip.String()
	}
	return "a:" + strings.ToLower(h)
}

// TXTResolver looks up TXT records (*net.Resolver).
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Published states of a record (RecordStatus.State).
const (
	Published    = "published"     // the record is there as Atende needs it
	NotFound     = "not_found"     // no such record
	Different    = "different"     // a DKIM key or SPF record is there, but not this one
	LookupFailed = "lookup_failed" // the resolver failed (timeout, SERVFAIL): try again
)

// RecordStatus is a record with what the DNS answered for it.
type RecordStatus struct {
	Record
	State string   `json:"state"`
	Found []string `json:"found"` // the TXT values found at the name (DKIM and SPF ones only)
}

// CheckPublished looks each record up through res: a DKIM record is
// published when a key at its name has the same p= (whitespace and the
// string splitting of long records ignored); an SPF record when the
// domain's SPF record (v=spf1) contains the relay's mechanism, or is the
// exact record (no relay configured).
func CheckPublished(ctx context.Context, res TXTResolver, recs []Record) []RecordStatus {
	out := make([]RecordStatus, len(recs))
	for i, r := range recs {
		out[i] = RecordStatus{Record: r, State: NotFound, Found: []string{}}
		txts, err := res.LookupTXT(ctx, r.Name)
		var dnsErr *net.DNSError
		if err != nil {
			if !(errors.As(err, &dnsErr) && dnsErr.IsNotFound) {
				out[i].State = LookupFailed
			}
			continue
		}
		switch r.Kind {
		case KindDKIM:
			want := tagValue(r.Value, "p")
			for _, t := range txts {
				if !strings.Contains(strings.ToLower(t), "p=") {
					continue
				}
				out[i].Found = append(out[i].Found, t)
				out[i].State = Different
				if want != "" && tagValue(t, "p") == want {
					out[i].State = Published
					break
				}
			}
		case KindSPF:
			mech := ""
			for _, f := range strings.Fields(r.Value) {
				if strings.HasPrefix(f, "a:") || strings.HasPrefix(f, "ip4:") || strings.HasPrefix(f, "ip6:") {
					mech = f
				}
			}
			for _, t := range txts {
				if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(t)), "v=spf1") {
					continue
				}
				out[i].Found = append(out[i].Found, t)
				out[i].State = Different
				got := strings.Fields(strings.ToLower(t))
				if mech == "" && strings.EqualFold(strings.Join(got, " "), r.Value) || mech != "" && contains(got, strings.ToLower(mech)) {
					out[i].State = Published
					break
				}
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s || strings.TrimPrefix(x, "+") == s {
			return true
		}
	}
	return false
}

// tagValue is a DKIM tag's value with all whitespace removed.
func tagValue(rec, tag string) string {
	for _, part := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), tag) {
			return strings.Join(strings.Fields(v), "")
		}
	}
	return ""
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
