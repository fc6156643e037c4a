package identity

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/mail"
	"strings"
	"time"

	gmail "github.com/emersion/go-message/mail"
	"golang.org/x/net/idna"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// TXTPrefix starts the verification record's value.
const TXTPrefix = "atende-verification="

// Resolver looks up TXT records (*net.Resolver).
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Mailer sends the code mail (the relay's smtpout.Sender).
type Mailer interface {
	Send(ctx context.Context, from string, to []string, raw io.Reader) error
}

// Config tunes the Service; zero values take the defaults.
type Config struct {
	// From is the sender of code mails, e.g. "Atende <no-reply@inbound.example.com>" (required to send codes).
	From string
	// BaseURL makes the link in code mails ("" leaves it out).
	BaseURL string
	// Reserved are domains no company may claim (the inbound domain).
	Reserved            []string
	CodeTTL             time.Duration // 24 h
	MaxAttempts         int           // wrong guesses per code: 5
	ResendAfter         time.Duration // 1 min
	MaxSendsPerDay      int           // per address: 5
	MaxPendingAddresses int           // unverified addresses per company: 20
	LookupTimeout       time.Duration // 5 s
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.CodeTTL, 24*time.Hour)
	def(&c.ResendAfter, time.Minute)
	def(&c.LookupTimeout, 5*time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.MaxSendsPerDay <= 0 {
		c.MaxSendsPerDay = 5
	}
	if c.MaxPendingAddresses <= 0 {
		c.MaxPendingAddresses = 20
	}
}

// Errors callers map to messages.
var (
	// ErrTaken: another company verified this domain or address (or the
	// domain of this address).
	ErrTaken = errors.New("identity: verified by another company")
	// ErrCodeWrong: the code does not match (CodeError says how many
	// guesses are left).
	ErrCodeWrong = errors.New("identity: wrong code")
	// ErrCodeExpired: no code is outstanding (expired, used up, never sent).
	ErrCodeExpired = errors.New("identity: code expired; send a new one")
	// ErrResendTooSoon: a code was sent less than a minute ago, or five today.
	ErrResendTooSoon = errors.New("identity: a code was sent too recently")
	// ErrNoMailer: codes cannot be mailed (no relay configured).
	ErrNoMailer = errors.New("identity: no relay is configured to mail codes")
	// ErrNotDomain / ErrNotAddress: the operation does not apply to this kind.
	ErrWrongKind = errors.New("identity: not possible for this kind")
)

// CodeError is a wrong code with the guesses left for it.
type CodeError struct{ Left int }

func (e *CodeError) Error() string { return fmt.Sprintf("%v (%d attempts left)", ErrCodeWrong, e.Left) }
func (e *CodeError) Unwrap() error { return ErrCodeWrong }

// WaitError is a refused resend with the time a new code may be sent.
type WaitError struct{ Until time.Time }

func (e *WaitError) Error() string { return ErrResendTooSoon.Error() }
func (e *WaitError) Unwrap() error { return ErrResendTooSoon }

// Field messages (the UI translates them by these texts).
const (
	MsgDomain        = "must be a domain name such as empresa.com.br"
	MsgReserved      = "is this server's own inbound domain"
	MsgTaken         = "is already verified by another company"
	MsgCoveredDomain = "is already yours: its domain is verified"
	MsgTooMany       = "too many addresses waiting for verification; verify or remove some first"
)

// Service verifies identities and answers who owns what.
type Service struct {
	st   store.Store
	res  Resolver
	mail Mailer
	clk  clock.Clock
	log  *slog.Logger
	cfg  Config
}

// New returns a Service; mail may be nil (addresses cannot be verified,
// domains can).
func New(st store.Store, res Resolver, mail Mailer, clk clock.Clock, log *slog.Logger, cfg Config) *Service {
	cfg.defaults()
	if res == nil {
		res = net.DefaultResolver
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, res: res, mail: mail, clk: clk, log: log, cfg: cfg}
}

// CanMail reports whether address codes can be sent.
func (s *Service) CanMail() bool { return s.mail != nil && s.cfg.From != "" }

// NormalizeDomain checks and lowercases a domain name (IDN to ASCII).
func NormalizeDomain(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	a, err := idna.Lookup.ToASCII(d)
	if err != nil || a == "" || len(a) > 253 || !strings.Contains(a, ".") || net.ParseIP(a) != nil {
		return "", false
	}
	for _, label := range strings.Split(a, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
	}
	return a, true
}

// DomainOf is the domain part of an address, lowercased ("" when none).
func DomainOf(addr string) string {
	_, d, ok := strings.Cut(model.NormalizeEmail(addr), "@")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(d, ".")
}

func (s *Service) reserved(domain string) bool {
	for _, r := range s.cfg.Reserved {
		r = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(r)), ".")
		if r != "" && (domain == r || strings.HasSuffix(domain, "."+r)) {
			return true
		}
	}
	return false
}

// List is a company's identities, domains first.
func (s *Service) List(ctx context.Context, companyID int64) ([]store.Identity, error) {
	return s.st.ListIdentities(ctx, companyID)
}

// Get is one of the company's identities.
func (s *Service) Get(ctx context.Context, companyID, id int64) (*store.Identity, error) {
	return s.st.GetIdentity(ctx, companyID, id)
}

// Delete removes a claim (a verified one too: its mail stops routing and
// its From stops sending).
func (s *Service) Delete(ctx context.Context, companyID, id int64) error {
	return s.st.DeleteIdentity(ctx, companyID, id)
}

// find returns the company's identity of kind and value, if any.
func (s *Service) find(ctx context.Context, companyID int64, kind, value string) (*store.Identity, error) {
	list, err := s.st.ListIdentities(ctx, companyID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].Kind == kind && list[i].Value == value {
			return &list[i], nil
		}
	}
	return nil, store.ErrNotFound
}

// owner returns the company that verified kind/value, 0 when none.
func (s *Service) owner(ctx context.Context, kind, value string) (int64, error) {
	i, err := s.st.VerifiedIdentity(ctx, kind, value)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return i.CompanyID, nil
}

// AddDomain claims a domain and returns it with its TXT token (adding
// one the company already claims returns that one).
func (s *Service) AddDomain(ctx context.Context, companyID int64, domain string) (*store.Identity, error) {
	d, ok := NormalizeDomain(domain)
	if !ok {
		return nil, directory.Invalid("domain", MsgDomain)
	}
	if s.reserved(d) {
		return nil, directory.Invalid("domain", MsgReserved)
	}
	if own, err := s.owner(ctx, store.IdentityDomain, d); err != nil {
		return nil, fmt.Errorf("identity: add domain: %w", err)
	} else if own != 0 && own != companyID {
		return nil, directory.Invalid("domain", MsgTaken)
	}
	i := &store.Identity{CompanyID: companyID, Kind: store.IdentityDomain, Value: d, Token: newToken()}
	err := s.st.CreateIdentity(ctx, i)
	if errors.Is(err, store.ErrConflict) {
		return s.find(ctx, companyID, store.IdentityDomain, d)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: add domain: %w", err)
	}
	s.log.Info("identity: domain claimed", "company", companyID, "domain", d)
	return i, nil
}

func newToken() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// Record is the TXT record that verifies domain i.
func Record(i *store.Identity) (name, value string) { return i.Value, TXTPrefix + i.Token }

// DomainCheck is what a DNS check of a domain found.
type DomainCheck struct {
	Records  []string `json:"records"`         // the TXT records at the domain
	Error    string   `json:"error,omitempty"` // a lookup failure (not "no records")
	Verified bool     `json:"verified"`
}

// LastCheck decodes the stored result of the last check (nil when none).
func LastCheck(i *store.Identity) *DomainCheck {
	if i.CheckResult == "" {
		return nil
	}
	var c DomainCheck
	if json.Unmarshal([]byte(i.CheckResult), &c) != nil {
		return nil
	}
	return &c
}

// CheckDomain looks up the domain's TXT records through the resolver and
// verifies it when the record is there. It returns what was found; a
// domain verified before stays verified whatever the lookup says.
func (s *Service) CheckDomain(ctx context.Context, companyID, id int64) (*store.Identity, *DomainCheck, error) {
	i, err := s.st.GetIdentity(ctx, companyID, id)
	if err != nil {
		return nil, nil, err
	}
	if i.Kind != store.IdentityDomain {
		return nil, nil, ErrWrongKind
	}
	lctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	txts, lerr := s.res.LookupTXT(lctx, i.Value)
	cancel()
	c := &DomainCheck{Records: []string{}}
	var dnsErr *net.DNSError
	switch {
	case lerr == nil:
		c.Records = txts
	case errors.As(lerr, &dnsErr) && dnsErr.IsNotFound:
	case errors.As(lerr, &dnsErr) && dnsErr.IsTimeout, errors.Is(lerr, context.DeadlineExceeded):
		c.Error = "timeout"
	default:
		c.Error = "failure"
	}
	want := TXTPrefix + i.Token
	for _, r := range c.Records {
		if strings.EqualFold(strings.TrimSpace(r), want) {
			c.Verified = true
		}
	}
	now := s.clk.Now().UTC()
	b, _ := json.Marshal(c)
	i.CheckedAt, i.CheckResult = now, string(b)
	if c.Verified && !i.Verified() {
		i.VerifiedAt = now
	}
	c.Verified = c.Verified || i.Verified()
	switch err := s.st.UpdateIdentity(ctx, i); {
	case errors.Is(err, store.ErrConflict):
		return i, c, ErrTaken
	case err != nil:
		return nil, nil, fmt.Errorf("identity: check domain: %w", err)
	}
	if c.Verified {
		s.log.Info("identity: domain verified", "company", companyID, "domain", i.Value)
	} else {
		s.log.Info("identity: domain check found no record", "company", companyID, "domain", i.Value, "records", len(c.Records), "err", lerr)
	}
	return i, c, nil
}

// AddAddress claims an address and mails it a code (lang "pt-BR" or "en"
// for nothing but the order of the mail's two languages).
func (s *Service) AddAddress(ctx context.Context, companyID int64, addr, lang string) (*store.Identity, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(addr))
	if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") {
		return nil, directory.Invalid("address", "must be an email address such as ana@empresa.com.br")
	}
	value := model.NormalizeEmail(a.Address)
	d, ok := NormalizeDomain(DomainOf(value))
	if !ok {
		return nil, directory.Invalid("address", "must be an email address such as ana@empresa.com.br")
	}
	if s.reserved(d) {
		return nil, directory.Invalid("address", MsgReserved)
	}
	ownA, err := s.owner(ctx, store.IdentityAddress, value)
	if err != nil {
		return nil, fmt.Errorf("identity: add address: %w", err)
	}
	ownD, err := s.owner(ctx, store.IdentityDomain, d)
	if err != nil {
		return nil, fmt.Errorf("identity: add address: %w", err)
	}
	switch {
	case ownA != 0 && ownA != companyID, ownA == 0 && ownD != 0 && ownD != companyID:
		return nil, directory.Invalid("address", MsgTaken)
	case ownA == 0 && ownD == companyID:
		return nil, directory.Invalid("address", MsgCoveredDomain)
	}
	if cur, err := s.find(ctx, companyID, store.IdentityAddress, value); err == nil {
		return cur, nil // already claimed: the page offers "send a new code"
	}
	list, err := s.st.ListIdentities(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("identity: add address: %w", err)
	}
	pending := 0
	for _, x := range list {
		if x.Kind == store.IdentityAddress && !x.Verified() {
			pending++
		}
	}
	if pending >= s.cfg.MaxPendingAddresses {
		return nil, directory.Invalid("address", MsgTooMany)
	}
	if !s.CanMail() {
		return nil, ErrNoMailer
	}
	i := &store.Identity{CompanyID: companyID, Kind: store.IdentityAddress, Value: value}
	if err := s.st.CreateIdentity(ctx, i); errors.Is(err, store.ErrConflict) {
		return s.find(ctx, companyID, store.IdentityAddress, value)
	} else if err != nil {
		return nil, fmt.Errorf("identity: add address: %w", err)
	}
	s.log.Info("identity: address claimed", "company", companyID, "identity", i.ID)
	if err := s.SendCode(ctx, companyID, i.ID, lang); err != nil {
		return i, err
	}
	return s.st.GetIdentity(ctx, companyID, i.ID)
}

// codeHash binds a code to its identity.
func codeHash(id int64, code string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("atende-identity-code/v1\x00%d\x00%s", id, code)))
	return hex.EncodeToString(sum[:])
}

func newCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(100_000_000))
	return fmt.Sprintf("%08d", n.Int64())
}

// SendCode mails a new code to an address (the previous one stops
// working), at most one a minute and MaxSendsPerDay a day.
func (s *Service) SendCode(ctx context.Context, companyID, id int64, lang string) error {
	if !s.CanMail() {
		return ErrNoMailer
	}
	i, err := s.st.GetIdentity(ctx, companyID, id)
	if err != nil {
		return err
	}
	if i.Kind != store.IdentityAddress {
		return ErrWrongKind
	}
	if i.Verified() {
		return nil
	}
	now := s.clk.Now().UTC()
	if !i.LastSentAt.IsZero() && now.Sub(i.LastSentAt) < s.cfg.ResendAfter {
		return &WaitError{Until: i.LastSentAt.Add(s.cfg.ResendAfter)}
	}
	if i.SendsSince.IsZero() || now.Sub(i.SendsSince) >= 24*time.Hour {
		i.Sends, i.SendsSince = 0, now
	}
	if i.Sends >= s.cfg.MaxSendsPerDay {
		return &WaitError{Until: i.SendsSince.Add(24 * time.Hour)}
	}
	code := newCode()
	i.CodeHash, i.CodeExpiresAt, i.CodeAttempts = codeHash(i.ID, code), now.Add(s.cfg.CodeTTL), 0
	i.Sends++
	i.LastSentAt = now
	if err := s.st.UpdateIdentity(ctx, i); err != nil {
		return fmt.Errorf("identity: send code: %w", err)
	}
	raw, err := s.codeMail(i, code, lang, now)
	if err != nil {
		return err
	}
	from := s.cfg.From
	if a, err := mail.ParseAddress(from); err == nil {
		from = a.Address
	}
	if err := s.mail.Send(ctx, from, []string{i.Value}, bytes.NewReader(raw)); err != nil {
		s.log.Warn("identity: mailing the code failed", "company", companyID, "identity", i.ID, "err", err)
		return fmt.Errorf("identity: mail the code: %w", err)
	}
	s.log.Info("identity: code mailed", "company", companyID, "identity", i.ID, "sends_today", i.Sends)
	return nil
}

// codeMail is the message with the code, in both languages (the first
// one being lang).
func (s *Service) codeMail(i *store.Identity, code, lang string, now time.Time) ([]byte, error) {
	var h gmail.Header
	from, err := mail.ParseAddress(s.cfg.From)
	if err != nil {
		return nil, fmt.Errorf("identity: From %q: %w", s.cfg.From, err)
	}
	h.SetDate(now)
	h.SetAddressList("From", []*gmail.Address{{Name: from.Name, Address: from.Address}})
	h.SetAddressList("To", []*gmail.Address{{Address: i.Value}})
	pretty := code[:4] + " " + code[4:]
	h.SetSubject("Atende: código de verificação / verification code " + pretty)
	_, domain, _ := strings.Cut(from.Address, "@")
	var rb [12]byte
	_, _ = rand.Read(rb[:])
	h.SetMessageID(fmt.Sprintf("atende.verify.%d.%s@%s", now.Unix(), hex.EncodeToString(rb[:]), domain))
	h.Set("Auto-Submitted", "auto-generated")
	h.Set("X-Auto-Response-Suppress", "All")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	link := ""
	if s.cfg.BaseURL != "" {
		link = fmt.Sprintf("%s/admin/identities/%d?code=%s", strings.TrimSuffix(s.cfg.BaseURL, "/"), i.ID, code)
	}
	pt := "Alguém pediu para usar " + i.Value + " no Atende (central de atendimento por e-mail).\n\n" +
		"Código de verificação: " + pretty + "\n\nDigite o código em Administração → Domínios e endereços"
	en := "Someone asked to use " + i.Value + " in Atende (an email helpdesk).\n\n" +
		"Verification code: " + pretty + "\n\nEnter the code under Administration → Domains and addresses"
	if link != "" {
		pt += ", ou abra:\n" + link
		en += ", or open:\n" + link
	}
	pt += "\n\nO código vale 24 horas. Se não foi você, ignore esta mensagem: nada muda sem o código.\n"
	en += "\n\nThe code is valid for 24 hours. If this was not you, ignore this message: nothing changes without the code.\n"
	body := pt + "\n-- \n\n" + en
	if lang == "en" {
		body = en + "\n-- \n\n" + pt
	}
	var buf bytes.Buffer
	w, err := gmail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("identity: code mail: %w", err)
	}
	io.WriteString(w, body)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("identity: code mail: %w", err)
	}
	return buf.Bytes(), nil
}

// Confirm checks a code typed by the admin and verifies the address.
func (s *Service) Confirm(ctx context.Context, companyID, id int64, code string) (*store.Identity, error) {
	i, err := s.st.GetIdentity(ctx, companyID, id)
	if err != nil {
		return nil, err
	}
	if i.Kind != store.IdentityAddress {
		return nil, ErrWrongKind
	}
	if i.Verified() {
		return i, nil
	}
	now := s.clk.Now().UTC()
	if i.CodeHash == "" || !now.Before(i.CodeExpiresAt) || i.CodeAttempts >= s.cfg.MaxAttempts {
		return i, ErrCodeExpired
	}
	code = strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, code)
	if subtle.ConstantTimeCompare([]byte(codeHash(i.ID, code)), []byte(i.CodeHash)) != 1 {
		i.CodeAttempts++
		if err := s.st.UpdateIdentity(ctx, i); err != nil {
			return nil, fmt.Errorf("identity: confirm: %w", err)
		}
		s.log.Info("identity: wrong code", "company", companyID, "identity", i.ID, "attempts", i.CodeAttempts)
		if left := s.cfg.MaxAttempts - i.CodeAttempts; left > 0 {
			return i, &CodeError{Left: left}
		}
		return i, ErrCodeExpired
	}
	i.VerifiedAt, i.CodeHash, i.CodeExpiresAt = now, "", time.Time{}
	if err := s.st.UpdateIdentity(ctx, i); errors.Is(err, store.ErrConflict) {
		return nil, ErrTaken
	} else if err != nil {
		return nil, fmt.Errorf("identity: confirm: %w", err)
	}
	s.log.Info("identity: address verified", "company", companyID, "identity", i.ID)
	return i, nil
}

// Owner is the company that owns addr: the one that verified the address
// itself, else the one that verified its domain. ok is false when nobody
// did.
func (s *Service) Owner(ctx context.Context, addr string) (companyID int64, ok bool, err error) {
	addr = model.NormalizeEmail(addr)
	if id, err := s.owner(ctx, store.IdentityAddress, addr); err != nil || id != 0 {
		return id, id != 0, err
	}
	id, err := s.owner(ctx, store.IdentityDomain, DomainOf(addr))
	return id, id != 0, err
}

// CanSendAs reports whether companyID owns addr (directory.SenderChecker).
func (s *Service) CanSendAs(ctx context.Context, companyID int64, addr string) (bool, error) {
	id, ok, err := s.Owner(ctx, addr)
	return ok && id == companyID, err
}

var _ directory.SenderChecker = (*Service)(nil)

// Status of one address for a company.
type Status string

// Address statuses.
const (
	StatusVerified   Status = "verified"    // the company owns it
	StatusUnverified Status = "unverified"  // nobody owns it yet: verify it
	StatusOther      Status = "other_owner" // another company owns it
)

// Statuses tells, for each address, whether companyID owns it.
func (s *Service) Statuses(ctx context.Context, companyID int64, addrs []string) (map[string]Status, error) {
	out := map[string]Status{}
	for _, a := range addrs {
		a = model.NormalizeEmail(a)
		if a == "" {
			continue
		}
		id, ok, err := s.Owner(ctx, a)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			out[a] = StatusUnverified
		case id == companyID:
			out[a] = StatusVerified
		default:
			out[a] = StatusOther
		}
	}
	return out, nil
}

// Table is who owns what, from a list of verified identities (the
// inbound SMTP server's cached routing table).
type Table struct {
	addresses map[string]int64
	domains   map[string]int64
}

// NewTable indexes verified identities.
func NewTable(ids []store.Identity) Table {
	t := Table{addresses: map[string]int64{}, domains: map[string]int64{}}
	for _, i := range ids {
		if !i.Verified() {
			continue
		}
		if i.Kind == store.IdentityAddress {
			t.addresses[i.Value] = i.CompanyID
		} else {
			t.domains[i.Value] = i.CompanyID
		}
	}
	return t
}

// Owner is Service.Owner over the table.
func (t Table) Owner(addr string) (int64, bool) {
	addr = model.NormalizeEmail(addr)
	if id, ok := t.addresses[addr]; ok {
		return id, true
	}
	id, ok := t.domains[DomainOf(addr)]
	return id, ok
}

// Notice kinds about unverified addresses (store.Notice.Kind); Code is
// the address (and the day, for refused mail).
const (
	// NoticeUnverified: a channel lists an address (primary, additional or
	// relay From) that its company has not verified: mail to it is not
	// routed by that address and the relay does not send as it.
	NoticeUnverified = "address_unverified"
	// NoticeRefused: mail to an unverified address of a channel was
	// refused (550) on a given day.
	NoticeRefused = "mail_refused_unverified"
)

// ChannelAddresses are the addresses of ch whose ownership matters: those
// inbound mail is routed by, and the relay From.
func ChannelAddresses(ch *model.Channel) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		a = model.NormalizeEmail(a)
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	add(ch.Settings.PrimaryEmail)
	for _, a := range ch.Settings.AdditionalEmails {
		add(a)
	}
	add(directory.RelayFrom(ch))
	return out
}

// SweepUnverified writes one notice per unverified address of every
// enabled channel (once per address and channel: the notice's code makes
// a second run a no-op). The server runs it at start, so an installation
// upgraded to verified addresses tells its admins what to do.
func (s *Service) SweepUnverified(ctx context.Context) (int, error) {
	chs, err := s.st.ListEnabledChannels(ctx)
	if err != nil {
		return 0, fmt.Errorf("identity: sweep: %w", err)
	}
	verified, err := s.st.ListVerifiedIdentities(ctx)
	if err != nil {
		return 0, fmt.Errorf("identity: sweep: %w", err)
	}
	t := NewTable(verified)
	n := 0
	for i := range chs {
		ch := &chs[i]
		for _, a := range ChannelAddresses(ch) {
			if id, ok := t.Owner(a); ok && id == ch.CompanyID {
				continue
			}
			no := &store.Notice{CompanyID: ch.CompanyID, ChannelID: ch.ID, Kind: NoticeUnverified, Code: a,
				Key: "notice.address_unverified", Params: map[string]string{"address": a, "channel": ch.Name},
				Title: "Endereço não verificado: " + a,
				Body: "O canal «" + ch.Name + "» usa " + a + ", que a empresa ainda não verificou. E-mails enviados diretamente a esse " +
					"endereço (sem passar pelo endereço interno do canal) são recusados, e o relay do Atende não envia como ele. " +
					"Verifique o domínio ou o endereço em Administração → Domínios e endereços.",
				CreatedAt: s.clk.Now()}
			switch err := s.st.CreateNotice(ctx, no); {
			case err == nil:
				n++
			case !errors.Is(err, store.ErrConflict):
				return n, fmt.Errorf("identity: sweep: %w", err)
			}
		}
	}
	if n > 0 {
		s.log.Warn("identity: channels use unverified addresses; admins were notified", "notices", n)
	}
	return n, nil
}
