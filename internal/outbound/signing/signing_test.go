package signing_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/resolver"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

func TestSignVerifyAndDNSRecords(t *testing.T) {
	ctx := context.Background()
	clk := testclock.New(t)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	st.CreateCompany(ctx, co)
	box, _ := secrets.NewBox(secrets.NewKey())
	s := signing.New(st, box, clk)
	raw := "From: Suporte <suporte@ACME.com.br>\r\nTo: cliente@example.com\r\nSubject: Re: Pedido\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <a@acme.com.br>\r\n\r\nSeu pedido saiu.\r\n"
	signed, err := s.Sign(ctx, co.ID, "suporte@ACME.com.br", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	k, err := st.GetDKIMKey(ctx, co.ID, "acme.com.br")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(k.PrivateKey, []byte("PRIVATE")) || len(k.PrivateKey) < 1000 {
		t.Fatal("private key not sealed")
	}
	recs := signing.DNSRecords(k, "smtp.relay.example")
	if recs[0].Name != "atende"+clk.Now().Format("200601")+"._domainkey.acme.com.br" || !strings.HasPrefix(recs[0].Value, "v=DKIM1; k=rsa; p=MII") ||
		recs[1].Value != "v=spf1 mx a:smtp.relay.example ~all" {
		t.Fatalf("records = %+v", recs)
	}
	lookup := func(domain string) ([]string, error) {
		if domain == recs[0].Name {
			return []string{recs[0].Value}, nil
		}
		return nil, fmt.Errorf("no such record %s", domain)
	}
	verify := func(msg []byte) error {
		v, err := dkim.VerifyWithOptions(bytes.NewReader(msg), &dkim.VerifyOptions{LookupTXT: lookup})
		if err != nil {
			return err
		}
		if len(v) != 1 {
			return fmt.Errorf("%d signatures", len(v))
		}
		return v[0].Err
	}
	if err := verify(signed); err != nil {
		t.Fatalf("signature does not verify: %v\n%s", err, signed)
	}
	tampered := bytes.Replace(signed, []byte("Seu pedido saiu."), []byte("Pague este boleto."), 1)
	if err := verify(tampered); err == nil {
		t.Fatal("tampered body verified")
	}
	// The same key is reused (one per company and domain).
	if _, err := s.Sign(ctx, co.ID, "outro@acme.com.br", strings.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	k2, _ := st.GetDKIMKey(ctx, co.ID, "acme.com.br")
	if k2.PublicKey != k.PublicKey {
		t.Fatal("key regenerated")
	}
	// A key sealed for another company cannot be opened as this one's.
	co2 := &model.Company{Slug: "beta", Name: "Beta"}
	st.CreateCompany(ctx, co2)
	k.CompanyID = co2.ID
	if err := st.PutDKIMKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if _, err := signing.New(st, box, clk).Sign(ctx, co2.ID, "x@acme.com.br", strings.NewReader(raw)); err == nil {
		t.Fatal("a key copied from another company was accepted")
	}
}

// Issue #15, item 13: the records are checked on the DNS the admin
// publishes to (through --dns-resolver): published, not found, a
// different key or SPF, and a failing resolver.
func TestCheckPublished(t *testing.T) {
	ctx := context.Background()
	k := &store.DKIMKey{CompanyID: 1, Domain: "acme.test", Selector: "atende202611", PublicKey: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAx+abc/def=="}
	recs := signing.DNSRecords(k, "smtp.relay.test")
	if recs[1].Value != "v=spf1 mx a:smtp.relay.test ~all" || signing.DNSRecords(k, "192.0.2.25")[1].Value != "v=spf1 mx ip4:192.0.2.25 ~all" ||
		signing.DNSRecords(k, "2001:db8::25")[1].Value != "v=spf1 mx ip6:2001:db8::25 ~all" {
		t.Fatalf("SPF values: %+v", recs)
	}
	dns := dnstest.Start(t)
	res := resolver.New(dns.Addr())
	states := func() (string, string) {
		st := signing.CheckPublished(ctx, res, recs)
		return st[0].State, st[1].State
	}
	if d, s := states(); d != signing.NotFound || s != signing.NotFound {
		t.Fatalf("nothing published: %s %s", d, s)
	}
	dns.SetTXT("atende202611._domainkey.acme.test", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAother")
	dns.SetTXT("acme.test", "v=spf1 include:_spf.google.com ~all", "google-site-verification=x")
	if d, s := states(); d != signing.Different || s != signing.Different {
		t.Fatalf("other key and SPF: %s %s", d, s)
	}
	// The admin's DNS split the key in two strings and put the relay in
	// the existing SPF record.
	dns.SetTXT("atende202611._domainkey.acme.test", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB CgKCAQEAx+abc/def==")
	dns.SetTXT("acme.test", "v=spf1 include:_spf.google.com a:smtp.relay.test ~all")
	st := signing.CheckPublished(ctx, res, recs)
	if st[0].State != signing.Published || st[1].State != signing.Published || len(st[1].Found) != 1 {
		t.Fatalf("published: %+v", st)
	}
	dns.SetFail(true)
	if d, s := states(); d != signing.LookupFailed || s != signing.LookupFailed {
		t.Fatalf("SERVFAIL: %s %s", d, s)
	}
}
