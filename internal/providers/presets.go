package providers

import (
	"fmt"
	"net"
	"sort"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
)

// Encryption of a server connection.
const (
	TLS      = "tls"      // implicit TLS from the first byte (IMAPS 993, SMTPS 465)
	StartTLS = "starttls" // plain connect, then STARTTLS (IMAP 143, submission 587)
	None     = "none"     // no encryption: only with Server.Insecure set explicitly
)

// Server is one endpoint of a preset.
type Server struct {
	Host       string
	Port       int
	Encryption string
}

// Preset describes a mail provider.
type Preset struct {
	ID   string // stored in model.ChannelSettings.Provider
	Name string
	IMAP Server
	SMTP Server
	// AppPassword: the provider refuses the normal login password over
	// IMAP/SMTP (with two-step verification, or always) and wants a
	// generated app password; AppPasswordHint says where to make one.
	AppPassword     bool
	AppPasswordHint Text
	// EnableIMAPHint: IMAP access must be switched on in the webmail.
	EnableIMAPHint Text
	// OAuth: the provider supports OAuth 2 (XOAUTH2) for IMAP and SMTP.
	OAuth bool
	// OAuthOnly: password logins are disabled by the provider for most
	// accounts; OAuth is the way to connect.
	OAuthOnly bool
	// Daily send quota Atende applies by default, per account kind. The
	// personal default follows the Conecta seed (providers allow about 25
	// mails a day to free personal accounts used by apps); business values
	// follow the providers' published limits, conservatively.
	PersonalQuota int
	BusinessQuota int
	// Domains whose addresses suggest this preset (for auto-selection).
	Domains []string
}

// Text is a message in both languages.
type Text struct{ PT, EN string }

// In returns the text for lang ("pt-BR", "pt", "en", ...); Portuguese is
// the default.
func (t Text) In(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") && t.EN != "" {
		return t.EN
	}
	return t.PT
}

// Quota returns the default daily send quota for an account kind.
func (p Preset) Quota(kind model.AccountKind) int {
	if kind == model.AccountBusiness {
		return p.BusinessQuota
	}
	return p.PersonalQuota
}

// Default daily quotas.
const (
	DefaultPersonalQuota = 25  // Conecta seed: "em média, o envio de até 25 e-mails por dia"
	DefaultBusinessQuota = 500 // conservative for unknown business hosting
)

var presets = []Preset{
	{ID: "gmail", Name: "Gmail / Google Workspace",
		IMAP: Server{"imap.gmail.com", 993, TLS}, SMTP: Server{"smtp.gmail.com", 465, TLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "No Gmail a senha pedida não é a senha de login: gere uma senha de app em Conta do Google → Segurança → Senhas de app (exige verificação em duas etapas).",
			EN: "Gmail does not accept your login password here: create an app password under Google Account → Security → App passwords (requires 2-Step Verification)."},
		EnableIMAPHint: Text{
			PT: "Verifique se o acesso IMAP está ativado no Gmail (Configurações → Encaminhamento e POP/IMAP).",
			EN: "Check that IMAP access is enabled in Gmail (Settings → Forwarding and POP/IMAP)."},
		OAuth: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: 2000,
		Domains: []string{"gmail.com", "googlemail.com"}},
	{ID: "yahoo", Name: "Yahoo Mail",
		IMAP: Server{"imap.mail.yahoo.com", 993, TLS}, SMTP: Server{"smtp.mail.yahoo.com", 465, TLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "O Yahoo exige uma senha de app: gere em Informações da conta → Segurança da conta → Gerar senha de app.",
			EN: "Yahoo requires an app password: create one under Account Info → Account Security → Generate app password."},
		OAuth: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: 500,
		Domains: []string{"yahoo.com", "yahoo.com.br", "ymail.com", "rocketmail.com"}},
	{ID: "office365", Name: "Office 365 / Microsoft 365",
		IMAP: Server{"outlook.office365.com", 993, TLS}, SMTP: Server{"smtp.office365.com", 587, StartTLS},
		AppPasswordHint: Text{
			PT: "A Microsoft desativou o login por senha (autenticação básica) na maioria dos locatários: use a conexão OAuth, ou peça ao administrador que habilite IMAP e SMTP AUTH para esta caixa.",
			EN: "Microsoft has turned off password (basic) authentication for most tenants: use the OAuth connection, or ask your administrator to enable IMAP and SMTP AUTH for this mailbox."},
		EnableIMAPHint: Text{
			PT: "No Microsoft 365 o IMAP e o SMTP autenticado podem estar desativados para a caixa (Centro de administração → Usuários → Email → Gerenciar aplicativos de email).",
			EN: "In Microsoft 365, IMAP and authenticated SMTP may be disabled for the mailbox (Admin center → Users → Mail → Manage email apps)."},
		OAuth: true, OAuthOnly: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: 10000},
	{ID: "outlook", Name: "Outlook.com / Hotmail",
		IMAP: Server{"outlook.office365.com", 993, TLS}, SMTP: Server{"smtp-mail.outlook.com", 587, StartTLS},
		AppPasswordHint: Text{
			PT: "O Outlook.com não aceita mais senha em aplicativos de terceiros: use a conexão OAuth.",
			EN: "Outlook.com no longer accepts passwords from third-party apps: use the OAuth connection."},
		OAuth: true, OAuthOnly: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultPersonalQuota,
		Domains: []string{"outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.com.br", "hotmail.com.br"}},
	{ID: "icloud", Name: "iCloud Mail",
		IMAP: Server{"imap.mail.me.com", 993, TLS}, SMTP: Server{"smtp.mail.me.com", 587, StartTLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "O iCloud exige uma senha específica de app: gere em account.apple.com → Entrar e segurança → Senhas específicas de app. O usuário é o endereço @icloud.com.",
			EN: "iCloud requires an app-specific password: create one at account.apple.com → Sign-In and Security → App-Specific Passwords. The user name is your @icloud.com address."},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: 1000,
		Domains: []string{"icloud.com", "me.com", "mac.com"}},
	{ID: "zoho", Name: "Zoho Mail",
		IMAP: Server{"imap.zoho.com", 993, TLS}, SMTP: Server{"smtp.zoho.com", 465, TLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "Com verificação em duas etapas, o Zoho exige uma senha específica de aplicativo (Minha conta → Segurança → Senhas específicas de aplicativo). Contas de domínio próprio usam imappro.zoho.com e smtppro.zoho.com.",
			EN: "With two-factor authentication, Zoho requires an application-specific password (My Account → Security → App Passwords). Accounts on your own domain use imappro.zoho.com and smtppro.zoho.com."},
		EnableIMAPHint: Text{
			PT: "Ative o acesso IMAP no Zoho Mail (Configurações → Contas de email → Acesso IMAP).",
			EN: "Enable IMAP access in Zoho Mail (Settings → Mail Accounts → IMAP Access)."},
		OAuth: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: 500,
		Domains: []string{"zoho.com", "zohomail.com"}},
	{ID: "mailru", Name: "Mail.ru",
		IMAP: Server{"imap.mail.ru", 993, TLS}, SMTP: Server{"smtp.mail.ru", 465, TLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "O Mail.ru exige uma senha para aplicativos externos (Configurações → Segurança → Senhas para aplicativos externos).",
			EN: "Mail.ru requires a password for external applications (Settings → Security → Passwords for external applications)."},
		OAuth: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota,
		Domains: []string{"mail.ru", "inbox.ru", "list.ru", "bk.ru"}},
	{ID: "yandex", Name: "Yandex Mail",
		IMAP: Server{"imap.yandex.com", 993, TLS}, SMTP: Server{"smtp.yandex.com", 465, TLS},
		AppPassword: true,
		AppPasswordHint: Text{
			PT: "O Yandex exige uma senha de app (Yandex ID → Segurança → Senhas de app).",
			EN: "Yandex requires an app password (Yandex ID → Security → App passwords)."},
		EnableIMAPHint: Text{
			PT: "Ative o acesso por clientes de email (IMAP) em Configurações → Clientes de email.",
			EN: "Allow access from mail clients (IMAP) under Settings → Email clients."},
		OAuth: true, PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota,
		Domains: []string{"yandex.com", "yandex.ru", "ya.ru"}},
	{ID: "uol", Name: "UOL Mail",
		IMAP: Server{"imap.uol.com.br", 993, TLS}, SMTP: Server{"smtps.uol.com.br", 587, StartTLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota,
		Domains: []string{"uol.com.br"}},
	{ID: "bol", Name: "BOL Mail",
		IMAP: Server{"imap.bol.com.br", 993, TLS}, SMTP: Server{"smtps.bol.com.br", 587, StartTLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota,
		Domains: []string{"bol.com.br"}},
	{ID: "terra", Name: "Terra Mail",
		IMAP: Server{"imap.terra.com.br", 993, TLS}, SMTP: Server{"smtp.terra.com.br", 587, StartTLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota,
		Domains: []string{"terra.com.br"}},
	{ID: "locaweb", Name: "Locaweb",
		IMAP: Server{"email-ssl.com.br", 993, TLS}, SMTP: Server{"email-ssl.com.br", 465, TLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota},
	{ID: "kinghost", Name: "KingHost",
		IMAP: Server{"imap.kinghost.net", 993, TLS}, SMTP: Server{"smtp.kinghost.net", 465, TLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota},
	{ID: "hostinger", Name: "Hostinger",
		IMAP: Server{"imap.hostinger.com", 993, TLS}, SMTP: Server{"smtp.hostinger.com", 465, TLS},
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota},
	{ID: "other", Name: "Outro / Other",
		PersonalQuota: DefaultPersonalQuota, BusinessQuota: DefaultBusinessQuota},
}

// All returns every preset, "other" last.
func All() []Preset {
	out := make([]Preset, len(presets))
	copy(out, presets)
	return out
}

// Get returns the preset with this ID; unknown IDs (and "") give "other"
// and false.
func Get(id string) (Preset, bool) {
	for _, p := range presets {
		if p.ID == id {
			return p, true
		}
	}
	return presets[len(presets)-1], false
}

// ForAddress suggests a preset from an email address's domain; "other"
// when none matches.
func ForAddress(addr string) Preset {
	at := strings.LastIndexByte(addr, '@')
	domain := strings.ToLower(strings.TrimSpace(addr[at+1:]))
	for _, p := range presets {
		for _, d := range p.Domains {
			if d == domain {
				return p
			}
		}
	}
	return presets[len(presets)-1]
}

// IDs lists the preset IDs, sorted.
func IDs() []string {
	ids := make([]string, 0, len(presets))
	for _, p := range presets {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	return ids
}

// Apply fills the empty IMAP/SMTP fields of s from the preset s.Provider
// (user-entered values win) and returns the daily quota to use.
func Apply(s *model.ChannelSettings) int {
	p, _ := Get(s.Provider)
	fill := func(c *model.ServerConf, srv Server) {
		if c.Host == "" {
			c.Host = srv.Host
		}
		if c.Port == 0 {
			c.Port = srv.Port
		}
		if c.Encryption == "" {
			c.Encryption = srv.Encryption
		}
		if c.Username == "" {
			c.Username = s.PrimaryEmail
		}
		if c.Auth == "" {
			c.Auth = "password"
		}
	}
	fill(&s.IMAP, p.IMAP)
	fill(&s.SMTP, p.SMTP)
	if s.DailyQuota > 0 {
		return s.DailyQuota
	}
	return p.Quota(s.AccountKind)
}

// LoopbackHost reports whether host names this machine ("localhost",
// 127.0.0.0/8, ::1): the only place a mailbox password may travel
// unencrypted (encryption "none").
func LoopbackHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(strings.Trim(strings.TrimSpace(host), "[]"), "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// ValidateServer checks one endpoint: host and port present, and a known
// encryption; "none" only when insecure is explicitly allowed.
func ValidateServer(kind string, c model.ServerConf, insecure bool) error {
	if strings.TrimSpace(c.Host) == "" {
		return fmt.Errorf("providers: %s host is empty", kind)
	}
	if c.Port <= 0 || c.Port > 65535 {
		return fmt.Errorf("providers: %s port %d is out of range", kind, c.Port)
	}
	switch c.Encryption {
	case TLS, StartTLS:
	case None:
		if !insecure {
			return fmt.Errorf("providers: %s without encryption needs the explicit insecure option", kind)
		}
	default:
		return fmt.Errorf("providers: %s encryption %q must be tls, starttls or none", kind, c.Encryption)
	}
	return nil
}
