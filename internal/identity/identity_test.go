package identity_test

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

var ctx = context.Background()

// mailbox records the code mails (the relay is a domain seam here; the
// mail stack test in internal/web/ui sends them through real Postfix).
type mailbox struct {
	mu   sync.Mutex
	msgs []string
	to   [][]string
	fail error
}

func (m *mailbox) Send(_ context.Context, from string, to []string, raw io.Reader) error {
	if m.fail != nil {
		return m.fail
	}
	b, _ := io.ReadAll(raw)
	// The body is quoted-printable (UTF-8 text); keep it readable.
	if hdr, body, ok := strings.Cut(string(b), "\r\n\r\n"); ok {
		dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err == nil {
			b = []byte(hdr + "\r\n\r\n" + string(dec))
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, string(b))
	m.to = append(m.to, to)
	return nil
}

var codeRE = regexp.MustCompile(`(\d{4}) (\d{4})`)

func (m *mailbox) lastCode(t *testing.T) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no code mailed")
	}
	c := codeRE.FindStringSubmatch(m.msgs[len(m.msgs)-1])
	if c == nil {
		t.Fatalf("no code in:\n%s", m.msgs[len(m.msgs)-1])
	}
	return c[1] + c[2]
}

type fixture struct {
	st   store.Store
	dns  *dnstest.Server
	mail *mailbox
	clk  *clock.Fake
	svc  *identity.Service
	a, b *model.Company
}

func setup(t *testing.T) *fixture {
	t.Helper()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "atende.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, dns: dnstest.Start(t), mail: &mailbox{}, clk: clk}
	f.svc = identity.New(st, resolver.New(f.dns.Addr()), f.mail, clk, nil, identity.Config{
		From: "Atende <no-reply@inbound.atende.test>", BaseURL: "https://atende.example", Reserved: []string{"inbound.atende.test"}})
	f.a, f.b = &model.Company{Slug: "acme", Name: "ACME"}, &model.Company{Slug: "beta", Name: "Beta"}
	must(t, st.CreateCompany(ctx, f.a))
	must(t, st.CreateCompany(ctx, f.b))
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func field(t *testing.T, err error, name, msg string) {
	t.Helper()
	var ve directory.ValidationError
	if !errors.As(err, &ve) || ve[0].Field != name || ve[0].Message != msg {
		t.Fatalf("err = %v, want %s: %s", err, name, msg)
	}
}

func TestDomainVerifiedByTXTThroughTheResolver(t *testing.T) {
	f := setup(t)
	for _, bad := range []string{"", "acme", "-acme.test", "127.0.0.1", "a b.test", "acme..test", "ana@acme.test"} {
		_, err := f.svc.AddDomain(ctx, f.a.ID, bad)
		field(t, err, "domain", identity.MsgDomain)
	}
	_, err := f.svc.AddDomain(ctx, f.a.ID, "x.Inbound.Atende.test")
	field(t, err, "domain", identity.MsgReserved)

	d, err := f.svc.AddDomain(ctx, f.a.ID, "  ACME.test. ")
	must(t, err)
	again, err := f.svc.AddDomain(ctx, f.a.ID, "acme.test")
	must(t, err)
	if again.ID != d.ID || d.Value != "acme.test" || len(d.Token) < 20 {
		t.Fatalf("domain %+v, again %+v", d, again)
	}
	name, value := identity.Record(d)
	if name != "acme.test" || value != "atende-verification="+d.Token {
		t.Fatalf("record %s %s", name, value)
	}
	// Nothing published yet.
	_, c, err := f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	if c.Verified || len(c.Records) != 0 || c.Error != "" {
		t.Fatalf("check before publishing: %+v", c)
	}
	// Other records, and another company's token, are not enough; what
	// was found is kept for the admin.
	f.dns.SetTXT("acme.test", "v=spf1 mx ~all", "atende-verification=someoneelse")
	_, c, err = f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	if c.Verified || len(c.Records) != 2 {
		t.Fatalf("check with other records: %+v", c)
	}
	got, _ := f.svc.Get(ctx, f.a.ID, d.ID)
	if last := identity.LastCheck(got); last == nil || len(last.Records) != 2 || got.CheckedAt.IsZero() {
		t.Fatalf("stored check %+v", got)
	}
	// A broken resolver is a failure, not "not found".
	f.dns.SetFail(true)
	_, c, err = f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	if c.Verified || c.Error == "" {
		t.Fatalf("SERVFAIL: %+v", c)
	}
	f.dns.SetFail(false)
	// Beta claims the domain too (a claim is not ownership) and publishes
	// its own token: neither is verified by the other's record.
	db, err := f.svc.AddDomain(ctx, f.b.ID, "acme.test")
	must(t, err)

	f.dns.SetTXT("acme.test", "v=spf1 mx ~all", value)
	_, c, err = f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	if !c.Verified {
		t.Fatalf("published record not found: %+v", c)
	}
	// Beta publishes its token afterwards: the domain is taken.
	_, bv := identity.Record(db)
	f.dns.SetTXT("acme.test", value, bv)
	_, _, err = f.svc.CheckDomain(ctx, f.b.ID, db.ID)
	if !errors.Is(err, identity.ErrTaken) {
		t.Fatalf("second company verifying the domain: %v", err)
	}
	_, err = f.svc.AddDomain(ctx, f.b.ID, "acme.test")
	if err == nil {
		// It already had the claim; a new company cannot even claim it.
		c := &model.Company{Slug: "gama", Name: "Gama"}
		must(t, f.st.CreateCompany(ctx, c))
		_, err = f.svc.AddDomain(ctx, c.ID, "acme.test")
	}
	field(t, err, "domain", identity.MsgTaken)

	// Ownership: every address at acme.test is acme's now.
	for _, a := range []string{"suporte@acme.test", "Billing@ACME.test"} {
		if ok, err := f.svc.CanSendAs(ctx, f.a.ID, a); !ok || err != nil {
			t.Fatalf("acme cannot send as %s: %v", a, err)
		}
		if ok, _ := f.svc.CanSendAs(ctx, f.b.ID, a); ok {
			t.Fatalf("beta can send as %s", a)
		}
	}
	if ok, _ := f.svc.CanSendAs(ctx, f.a.ID, "suporte@sub.acme.test"); ok {
		t.Fatal("a subdomain is not covered")
	}
	// Removing the TXT record later does not unverify.
	f.dns.SetTXT("acme.test", "v=spf1 mx ~all")
	_, c, err = f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	if !c.Verified {
		t.Fatal("a verified domain lost its verification on a later check")
	}
}

func TestAddressVerifiedByMailedCode(t *testing.T) {
	f := setup(t)
	_, err := f.svc.AddAddress(ctx, f.a.ID, "Ana <ana@gmail.test>", "pt-BR")
	field(t, err, "address", "must be an email address such as ana@empresa.com.br")
	_, err = f.svc.AddAddress(ctx, f.a.ID, "x@[127.0.0.1]", "pt-BR")
	field(t, err, "address", "must be an email address such as ana@empresa.com.br")

	i, err := f.svc.AddAddress(ctx, f.a.ID, "Ana.Souza@Gmail.test", "pt-BR")
	must(t, err)
	if i.Value != "ana.souza@gmail.test" || i.Verified() || len(f.mail.msgs) != 1 || f.mail.to[0][0] != "ana.souza@gmail.test" {
		t.Fatalf("identity %+v, mails %d", i, len(f.mail.msgs))
	}
	msg := f.mail.msgs[0]
	for _, want := range []string{"Código de verificação", "Verification code", "Auto-Submitted: auto-generated",
		"https://atende.example/admin/identities/"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("code mail lacks %q:\n%s", want, msg)
		}
	}
	code := f.mail.lastCode(t)
	// No second code within a minute.
	var we *identity.WaitError
	if err := f.svc.SendCode(ctx, f.a.ID, i.ID, "en"); !errors.As(err, &we) {
		t.Fatalf("resend within a minute: %v", err)
	}
	// Wrong codes count; the right one after them still works while
	// guesses are left.
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	var ce *identity.CodeError
	_, err = f.svc.Confirm(ctx, f.a.ID, i.ID, wrong)
	if !errors.As(err, &ce) || ce.Left != 4 {
		t.Fatalf("wrong code: %v", err)
	}
	// Another company cannot confirm acme's identity (not found).
	if _, err := f.svc.Confirm(ctx, f.b.ID, i.ID, code); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("other company's confirm: %v", err)
	}
	v, err := f.svc.Confirm(ctx, f.a.ID, i.ID, code[:4]+" "+code[4:])
	must(t, err)
	if !v.Verified() || v.CodeHash != "" {
		t.Fatalf("confirmed %+v", v)
	}
	if ok, _ := f.svc.CanSendAs(ctx, f.a.ID, "ana.souza@gmail.test"); !ok {
		t.Fatal("verified address not owned")
	}
	if ok, _ := f.svc.CanSendAs(ctx, f.a.ID, "joao@gmail.test"); ok {
		t.Fatal("an address does not verify its domain")
	}
	// Beta cannot claim it now.
	_, err = f.svc.AddAddress(ctx, f.b.ID, "ana.souza@gmail.test", "en")
	field(t, err, "address", identity.MsgTaken)
}

func TestCodeLimits(t *testing.T) {
	f := setup(t)
	i, err := f.svc.AddAddress(ctx, f.a.ID, "vendas@cliente.test", "en")
	must(t, err)
	code := f.mail.lastCode(t)
	// Five wrong guesses use the code up, even for the right one.
	for n := 0; n < 5; n++ {
		f.svc.Confirm(ctx, f.a.ID, i.ID, "99999999"[:7]+string(rune('0'+n)))
	}
	if _, err := f.svc.Confirm(ctx, f.a.ID, i.ID, code); !errors.Is(err, identity.ErrCodeExpired) {
		t.Fatalf("after 5 wrong guesses: %v", err)
	}
	// A new code a minute later; it expires after 24 hours.
	f.clk.Advance(time.Minute)
	must(t, f.svc.SendCode(ctx, f.a.ID, i.ID, "en"))
	code = f.mail.lastCode(t)
	f.clk.Advance(24*time.Hour + time.Second)
	if _, err := f.svc.Confirm(ctx, f.a.ID, i.ID, code); !errors.Is(err, identity.ErrCodeExpired) {
		t.Fatalf("expired code: %v", err)
	}
	// At most 5 codes a day (the day started with the first code after the
	// expiry).
	for n := 0; n < 6; n++ {
		f.clk.Advance(time.Minute)
		err = f.svc.SendCode(ctx, f.a.ID, i.ID, "en")
	}
	var we *identity.WaitError
	if !errors.As(err, &we) || we.Until.Sub(f.clk.Now()) < 20*time.Hour {
		t.Fatalf("sixth code of the day: %v", err)
	}
	// At most 20 unverified addresses per company.
	for n := 0; n < 19; n++ {
		_, err = f.svc.AddAddress(ctx, f.a.ID, "a"+string(rune('a'+n))+"@cliente.test", "en")
		must(t, err)
	}
	_, err = f.svc.AddAddress(ctx, f.a.ID, "one-too-many@cliente.test", "en")
	field(t, err, "address", identity.MsgTooMany)
	// Without a relay no code can be mailed.
	noMail := identity.New(f.st, nil, nil, f.clk, nil, identity.Config{})
	if _, err := noMail.AddAddress(ctx, f.b.ID, "x@cliente.test", "en"); !errors.Is(err, identity.ErrNoMailer) {
		t.Fatalf("no mailer: %v", err)
	}
}

// An address verified on its own beats the domain another company
// verified; an address under a domain the company owns needs nothing.
func TestOwnershipAddressBeatsDomain(t *testing.T) {
	f := setup(t)
	ai, err := f.svc.AddAddress(ctx, f.b.ID, "parceiro@acme.test", "en")
	must(t, err)
	_, err = f.svc.Confirm(ctx, f.b.ID, ai.ID, f.mail.lastCode(t))
	must(t, err)
	d, err := f.svc.AddDomain(ctx, f.a.ID, "acme.test")
	must(t, err)
	_, v := identity.Record(d)
	f.dns.SetTXT("acme.test", v)
	_, _, err = f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	st, err := f.svc.Statuses(ctx, f.a.ID, []string{"suporte@acme.test", "parceiro@acme.test", "x@else.test"})
	must(t, err)
	if st["suporte@acme.test"] != identity.StatusVerified || st["parceiro@acme.test"] != identity.StatusOther || st["x@else.test"] != identity.StatusUnverified {
		t.Fatalf("statuses %v", st)
	}
	_, err = f.svc.AddAddress(ctx, f.a.ID, "suporte@acme.test", "en")
	field(t, err, "address", identity.MsgCoveredDomain)
	c := &model.Company{Slug: "gama", Name: "Gama"}
	must(t, f.st.CreateCompany(ctx, c))
	_, err = f.svc.AddAddress(ctx, c.ID, "outro@acme.test", "en")
	field(t, err, "address", identity.MsgTaken)

	all, err := f.st.ListVerifiedIdentities(ctx)
	must(t, err)
	tab := identity.NewTable(all)
	if id, ok := tab.Owner("Parceiro@acme.test"); !ok || id != f.b.ID {
		t.Fatalf("table owner of the address = %d %v", id, ok)
	}
	if id, ok := tab.Owner("suporte@acme.test"); !ok || id != f.a.ID {
		t.Fatalf("table owner via the domain = %d %v", id, ok)
	}
	if _, ok := tab.Owner("x@else.test"); ok {
		t.Fatal("nobody owns else.test")
	}
}

func TestSweepUnverified(t *testing.T) {
	f := setup(t)
	ch := &model.Channel{CompanyID: f.a.ID, Slug: "s", Name: "Suporte", Enabled: true, Incoming: model.ConnInternal, Outgoing: model.ConnInternal,
		InboundToken: "tok", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test", AdditionalEmails: []string{"vendas@acme.test", "x@other.test"},
			FromEmail: "noreply@acme.test"}}
	must(t, f.st.CreateChannel(ctx, ch))
	d, _ := f.svc.AddDomain(ctx, f.a.ID, "other.test")
	_, v := identity.Record(d)
	f.dns.SetTXT("other.test", v)
	_, _, err := f.svc.CheckDomain(ctx, f.a.ID, d.ID)
	must(t, err)
	n, err := f.svc.SweepUnverified(ctx)
	must(t, err)
	if n != 3 { // suporte, vendas, noreply at acme.test
		t.Fatalf("%d notices", n)
	}
	n, err = f.svc.SweepUnverified(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("second sweep made %d notices", n)
	}
	ns, _ := f.st.ListNotices(ctx, f.a.ID, store.NoticeFilter{})
	if len(ns) != 3 || ns[0].Kind != identity.NoticeUnverified || ns[0].ChannelID != ch.ID {
		t.Fatalf("notices %+v", ns)
	}
}
