package smtpin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Resolver is the DNS seam of sender authentication. *net.Resolver
// satisfies it; tests use a map-backed fake so they run offline.
// Missing names must be reported as *net.DNSError with IsNotFound set.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

var _ Resolver = (*net.Resolver)(nil)
var _ spf.DNSResolver = Resolver(nil)

// maxDKIMSignatures bounds the work one message can cause.
const maxDKIMSignatures = 5

// AuthInput is what the SMTP transaction tells about a message.
type AuthInput struct {
	IP       net.IP
	Helo     string
	MailFrom string // envelope sender; "" for the null sender
}

// DKIMSig is the outcome of one DKIM-Signature.
type DKIMSig struct {
	Result   string // pass, fail, neutral, temperror, permerror
	Domain   string // d=
	Selector string // s= (from the signature field)
	Reason   string
}

// ARCInfo records the ARC headers a forwarder added. go-msgauth has no ARC
// verifier, so nothing here is verified: see doc.go.
type ARCInfo struct {
	Instances int    // number of ARC-Seal fields
	Sealer    string // d= of the highest-instance ARC-Seal
	CV        string // cv= of that seal (none, pass, fail) as the sealer claims
}

// AuthResult is the evaluation of one message.
type AuthResult struct {
	SPF         string // none, neutral, pass, fail, softfail, temperror, permerror
	SPFDomain   string // domain checked (MAIL FROM's, or HELO's for the null sender)
	DKIM        []DKIMSig
	DMARC       string // none, pass, fail, temperror, permerror
	DMARCPolicy string // p= of the policy applied ("" when none)
	FromDomain  string // RFC5322.From domain
	ARC         ARCInfo
}

// authenticator evaluates SPF, DKIM and DMARC with one resolver.
type authenticator struct {
	res Resolver
}

func (a authenticator) lookupTXT(ctx context.Context) func(string) ([]string, error) {
	return func(name string) ([]string, error) { return a.res.LookupTXT(ctx, name) }
}

// evaluate reads the whole message from msg (DKIM hashes the body).
func (a authenticator) evaluate(ctx context.Context, in AuthInput, hdr textproto.Header, msg io.Reader) AuthResult {
	var r AuthResult
	r.SPF, r.SPFDomain = a.spf(ctx, in)
	r.FromDomain = fromDomain(hdr)
	r.DKIM = a.dkim(ctx, msg)
	r.ARC = arcInfo(hdr)
	r.DMARC, r.DMARCPolicy = a.dmarc(ctx, r)
	return r
}

func (a authenticator) spf(ctx context.Context, in AuthInput) (result, domain string) {
	sender := in.MailFrom
	_, domain, _ = strings.Cut(sender, "@")
	if domain == "" {
		domain = in.Helo
		sender = "postmaster@" + in.Helo
	}
	if in.IP == nil || domain == "" {
		return string(spf.None), domain
	}
	res, _ := spf.CheckHostWithSender(in.IP, in.Helo, sender, spf.WithResolver(a.res), spf.WithContext(ctx))
	return string(res), strings.ToLower(domain)
}

func (a authenticator) dkim(ctx context.Context, msg io.Reader) []DKIMSig {
	verifs, err := dkim.VerifyWithOptions(msg, &dkim.VerifyOptions{LookupTXT: a.lookupTXT(ctx), MaxVerifications: maxDKIMSignatures})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return []DKIMSig{{Result: "permerror", Reason: "malformed message: " + err.Error()}}
	}
	out := make([]DKIMSig, 0, len(verifs))
	for _, v := range verifs {
		s := DKIMSig{Domain: strings.ToLower(v.Domain), Result: "pass"}
		switch {
		case v.Err == nil:
		case dkim.IsTempFail(v.Err):
			s.Result, s.Reason = "temperror", v.Err.Error()
		case dkim.IsPermFail(v.Err):
			s.Result, s.Reason = "permerror", v.Err.Error()
		default:
			s.Result, s.Reason = "fail", v.Err.Error()
		}
		out = append(out, s)
	}
	return out
}

// dmarc applies RFC 7489: pass when an aligned identifier passed. For
// forwarded mail SPF is checked against the forwarder's IP and normally
// fails, so in practice an aligned DKIM signature decides.
func (a authenticator) dmarc(ctx context.Context, r AuthResult) (result, policy string) {
	if r.FromDomain == "" {
		return "permerror", ""
	}
	rec, err := dmarc.LookupWithOptions(r.FromDomain, &dmarc.LookupOptions{LookupTXT: a.lookupTXT(ctx)})
	org := orgDomain(r.FromDomain)
	subdomain := false
	if errors.Is(err, dmarc.ErrNoPolicy) && org != r.FromDomain {
		rec, err = dmarc.LookupWithOptions(org, &dmarc.LookupOptions{LookupTXT: a.lookupTXT(ctx)})
		subdomain = true
	}
	switch {
	case errors.Is(err, dmarc.ErrNoPolicy):
		return "none", ""
	case dmarc.IsTempFail(err):
		return "temperror", ""
	case err != nil:
		return "permerror", ""
	}
	policy = string(rec.Policy)
	if subdomain && rec.SubdomainPolicy != "" {
		policy = string(rec.SubdomainPolicy)
	}
	for _, s := range r.DKIM {
		if s.Result == "pass" && aligned(s.Domain, r.FromDomain, rec.DKIMAlignment) {
			return "pass", policy
		}
	}
	if r.SPF == string(spf.Pass) && aligned(r.SPFDomain, r.FromDomain, rec.SPFAlignment) {
		return "pass", policy
	}
	return "fail", policy
}

func aligned(domain, from string, mode dmarc.AlignmentMode) bool {
	domain, from = normDomain(domain), normDomain(from)
	if domain == "" {
		return false
	}
	if mode == dmarc.AlignmentStrict {
		return domain == from
	}
	return orgDomain(domain) == orgDomain(from)
}

// orgDomain is the organizational domain (public suffix + one label).
func orgDomain(d string) string {
	d = normDomain(d)
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

func fromDomain(hdr textproto.Header) string {
	v := hdr.Get("From")
	if v == "" {
		return ""
	}
	if list, err := mail.ParseAddressList(v); err == nil && len(list) == 1 {
		_, d, _ := strings.Cut(list[0].Address, "@")
		return normDomain(d)
	}
	// Unparsable or several authors: use the last "@" as a best effort.
	if at := strings.LastIndexByte(v, '@'); at >= 0 {
		d := v[at+1:]
		if end := strings.IndexAny(d, "> ,;\t"); end >= 0 {
			d = d[:end]
		}
		return normDomain(d)
	}
	return ""
}

func arcInfo(hdr textproto.Header) ARCInfo {
	var info ARCInfo
	best := -1
	fields := hdr.FieldsByKey("ARC-Seal")
	for fields.Next() {
		info.Instances++
		tags := tagList(fields.Value())
		var inst int
		fmt.Sscan(tags["i"], &inst)
		if inst > best {
			best = inst
			info.Sealer = normDomain(tags["d"])
			info.CV = strings.ToLower(tags["cv"])
		}
	}
	return info
}

// tagList parses a DKIM-style "k=v; k=v" list.
func tagList(s string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		if ok {
			out[strings.ToLower(strings.TrimSpace(k))] = strings.Join(strings.Fields(v), "")
		}
	}
	return out
}

// formatAuthResults renders the Authentication-Results field value (RFC
// 8601), folded one method per line:
//
//	<authserv-id>;
//		spf=<r> smtp.mailfrom=<domain>;
//		dkim=<r> header.d=<d> [reason="..."];   (one per signature, or dkim=none)
//		dmarc=<r> [reason="p=<policy>"] header.from=<domain>
func formatAuthResults(authservID string, r AuthResult, in AuthInput) string {
	results := []authres.Result{}
	spfRes := &authres.SPFResult{Value: authres.ResultValue(r.SPF)}
	if in.MailFrom != "" {
		spfRes.From = r.SPFDomain
	} else {
		spfRes.Helo = r.SPFDomain
	}
	results = append(results, spfRes)
	if len(r.DKIM) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, s := range r.DKIM {
		results = append(results, &authres.DKIMResult{Value: authres.ResultValue(s.Result), Domain: s.Domain, Reason: shortReason(s.Reason)})
	}
	dm := &authres.DMARCResult{Value: authres.ResultValue(r.DMARC), From: r.FromDomain}
	if r.DMARCPolicy != "" {
		dm.Reason = "p=" + r.DMARCPolicy
	}
	results = append(results, dm)
	v := authres.Format(authservID, results)
	// authres.Format joins with "; " and may leave a trailing blank before
	// it; fold one method per line for readability.
	parts := strings.Split(v, ";")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return strings.Join(parts, ";\r\n\t")
}

func shortReason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, `"`, "'")
	s = strings.ReplaceAll(s, ";", ",")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// authservIDOf returns the authserv-id of an Authentication-Results value
// (the token before the first ';', comments removed).
func authservIDOf(v string) string {
	if id, _, err := authres.Parse(v); err == nil {
		return strings.ToLower(id)
	}
	head, _, _ := strings.Cut(v, ";")
	// Drop RFC 5322 comments and a version after the id.
	var b strings.Builder
	depth := 0
	for _, c := range head {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	f := strings.Fields(b.String())
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[0])
}
