package thread

import "strings"

// freeMail lists public mailbox providers: domains where sharing the domain
// says nothing about two people knowing each other. The list covers the
// large international providers and the Brazilian ones our customers meet
// most; a domain missing here only widens the subject-tag rule for that
// domain, it never breaks threading by token or headers.
var freeMail = map[string]bool{
	// Google, Microsoft, Apple, Yahoo, AOL.
	"gmail.com": true, "googlemail.com": true,
	"outlook.com": true, "outlook.com.br": true, "hotmail.com": true, "hotmail.com.br": true,
	"live.com": true, "live.com.br": true, "msn.com": true, "passport.com": true,
	"icloud.com": true, "me.com": true, "mac.com": true,
	"yahoo.com": true, "yahoo.com.br": true, "ymail.com": true, "rocketmail.com": true,
	"aol.com": true, "aim.com": true,
	// Privacy and other international providers.
	"protonmail.com": true, "protonmail.ch": true, "proton.me": true, "pm.me": true,
	"tutanota.com": true, "tuta.io": true, "zoho.com": true, "zohomail.com": true,
	"gmx.com": true, "gmx.net": true, "gmx.de": true, "web.de": true,
	"mail.com": true, "yandex.com": true, "yandex.ru": true, "mail.ru": true,
	"fastmail.com": true, "hey.com": true, "qq.com": true, "163.com": true,
	// Brazil.
	"uol.com.br": true, "bol.com.br": true, "terra.com.br": true, "ig.com.br": true,
	"globo.com": true, "globomail.com": true, "r7.com": true, "oi.com.br": true,
	"zipmail.com.br": true, "superig.com.br": true,
	// Portugal and Spanish-speaking markets.
	"sapo.pt": true, "hotmail.es": true, "yahoo.es": true, "outlook.es": true,
}

// IsFreeMailDomain reports whether domain (any case) is a public mailbox
// provider, or a regional variant of one ("hotmail.co.uk", "yahoo.com.ar",
// "outlook.pt"), where sharing the domain does not make two senders
// colleagues.
func IsFreeMailDomain(domain string) bool {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if freeMail[d] {
		return true
	}
	// Regional variants: <brand>.<tld> or <brand>.<sld>.<tld> for the big
	// brands that register one domain per country.
	brand, _, ok := strings.Cut(d, ".")
	if !ok {
		return false
	}
	switch brand {
	case "gmail", "hotmail", "outlook", "live", "yahoo", "windowslive", "gmx":
		return true
	}
	return false
}
