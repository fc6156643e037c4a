// Package config builds Atende's one typed Config from defaults,
// ATENDE_* environment variables and command-line flags (flags win), and
// validates it with errors a person can act on. The Config is passed down
// explicitly; nothing here is global.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/netguard"
)

// Config is everything `atende serve` (and the other commands) can be told.
type Config struct {
	DataDir        string // SQLite file and blobs live here
	HTTPAddr       string // web UI and API
	SMTPAddr       string // inbound SMTP server for internal connections ("" = off)
	DatabaseURL    string // postgres://... ; "" = SQLite in DataDir
	InboundDomain  string // domain of the per-channel inbound addresses
	BaseURL        string // public URL of the web app (links in mail, OAuth redirects)
	MaxMessageSize int64  // largest message accepted, bytes
	Workers        int    // ingest workers
	LogLevel       string // debug|info|warn|error
	LogFormat      string // text|json
	SecretKey      string // base64 32-byte key that encrypts secrets at rest
	// Blobs is where raw mail and attachments live: "" = files under
	// DataDir/blobs, or s3://bucket[/prefix]?endpoint=…&region=… (several
	// nodes must share an S3-compatible bucket).
	Blobs string
	// NodeID names this process among the nodes sharing one database
	// (default: the host name).
	NodeID string
	// MetricsAddr: "" serves Prometheus metrics at /metrics on HTTPAddr,
	// host:port on a listener of their own, "off" not at all.
	MetricsAddr string

	// Outgoing relay for channels with the internal connection (a
	// smarthost: the company's MTA or an email provider).
	RelayAddr       string // host:port; "" = no relay configured
	RelayEncryption string // tls | starttls | none
	RelayUsername   string
	RelayPassword   string // env only: ATENDE_RELAY_PASSWORD
	// ExtraCAFile adds trusted CA certificates (PEM) for outgoing TLS
	// (IMAP, SMTP) on top of the system roots; verification stays on.
	ExtraCAFile string
	// TrustProxy believes X-Forwarded-Proto/For from a reverse proxy in
	// front of Atende (Secure cookies, client IPs for login throttling).
	TrustProxy bool
	// DNSResolver is the DNS server ("host:port") every lookup Atende
	// makes goes to (SPF/DKIM/DMARC, domain verification, published DKIM
	// records, outbound host names); "" = the system resolver.
	DNSResolver string
	// AllowPrivateHosts lists internal addresses (comma-separated IPs or
	// CIDR prefixes) that company-supplied hosts may reach: webhook URLs
	// and external channels' IMAP/SMTP servers. Empty: none (package
	// netguard).
	AllowPrivateHosts string
	// ShutdownTimeout bounds a graceful stop (SIGTERM): SMTP answers 421,
	// transactions in progress and leased work finish, then the process
	// exits. Default 10 s.
	ShutdownTimeout time.Duration
	// MinFreeSpace: below this many free bytes in the data directory the
	// node is not ready (/readyz 503) and SMTP answers 452 before DATA.
	MinFreeSpace int64
	// AlertAfter is how long a channel (or the node's disk or database)
	// fails before its admins get a notice and a channel.failing webhook
	// event. Default 5 min.
	AlertAfter time.Duration

	// OAuth2 app registrations for "Connect with Google / Microsoft"
	// mailboxes (Gmail, Office 365); the redirect URL is
	// BaseURL + "/oauth/callback". Empty ID = provider not offered.
	GoogleClientID        string
	GoogleClientSecret    string // prefer the env ATENDE_GOOGLE_CLIENT_SECRET
	MicrosoftClientID     string
	MicrosoftClientSecret string // prefer the env ATENDE_MICROSOFT_CLIENT_SECRET
}

// Defaults are the embedded defaults: SQLite and files under ./data.
func Defaults() Config {
	return Config{
		DataDir:         "data",
		HTTPAddr:        "127.0.0.1:8080",
		SMTPAddr:        "127.0.0.1:2525",
		InboundDomain:   "inbound.localhost",
		MaxMessageSize:  50 << 20,
		Workers:         2,
		LogLevel:        "info",
		LogFormat:       "text",
		RelayEncryption: "starttls",
		ShutdownTimeout: 10 * time.Second,
		MinFreeSpace:    256 << 20,
		AlertAfter:      5 * time.Minute,
	}
}

// FlagSet registers the settings on fs, with the environment already
// applied to c as the defaults the flags show.
func (c *Config) FlagSet(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory: SQLite database and blobs (env ATENDE_DATA)")
	fs.StringVar(&c.HTTPAddr, "http", c.HTTPAddr, "HTTP listen address (env ATENDE_HTTP)")
	fs.StringVar(&c.SMTPAddr, "smtp", c.SMTPAddr, "inbound SMTP listen address, empty to disable (env ATENDE_SMTP)")
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "postgres://... to use PostgreSQL instead of SQLite (env ATENDE_DATABASE_URL)")
	fs.StringVar(&c.Blobs, "blobs", c.Blobs, "s3://bucket[/prefix]?endpoint=URL&region=R for S3-compatible blob storage; empty = files under --data (env ATENDE_BLOBS)")
	fs.StringVar(&c.NodeID, "node-id", c.NodeID, "this node's name among the nodes sharing the database; default the host name (env ATENDE_NODE_ID)")
	fs.StringVar(&c.MetricsAddr, "metrics", c.MetricsAddr, "Prometheus metrics: empty = /metrics on --http, host:port = own listener, off (env ATENDE_METRICS)")
	fs.StringVar(&c.InboundDomain, "inbound-domain", c.InboundDomain, "domain of channel inbound addresses (env ATENDE_INBOUND_DOMAIN)")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the web app (env ATENDE_BASE_URL)")
	fs.Func("max-message-size", "largest message accepted, e.g. 50MB (env ATENDE_MAX_MESSAGE_SIZE)", func(s string) error {
		n, err := ParseSize(s)
		if err != nil {
			return err
		}
		c.MaxMessageSize = n
		return nil
	})
	fs.StringVar(&c.RelayAddr, "relay", c.RelayAddr, "outgoing relay host:port for internal-connection channels (env ATENDE_RELAY)")
	fs.StringVar(&c.RelayEncryption, "relay-encryption", c.RelayEncryption, "tls, starttls or none (env ATENDE_RELAY_ENCRYPTION)")
	fs.StringVar(&c.RelayUsername, "relay-username", c.RelayUsername, "relay login; password in env ATENDE_RELAY_PASSWORD (env ATENDE_RELAY_USERNAME)")
	fs.StringVar(&c.ExtraCAFile, "extra-ca-file", c.ExtraCAFile, "PEM file of extra trusted CAs for outgoing TLS (env ATENDE_EXTRA_CA_FILE)")
	fs.StringVar(&c.DNSResolver, "dns-resolver", c.DNSResolver, "DNS server host:port for every lookup, instead of the system resolver (env ATENDE_DNS_RESOLVER)")
	fs.StringVar(&c.AllowPrivateHosts, "allow-private-hosts", c.AllowPrivateHosts, "internal IPs/CIDRs that webhooks and mailbox servers may connect to, e.g. 10.0.0.25,192.168.10.0/24 (env ATENDE_ALLOW_PRIVATE_HOSTS)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", c.TrustProxy, "trust X-Forwarded-* headers from a reverse proxy (env ATENDE_TRUST_PROXY=1)")
	fs.StringVar(&c.GoogleClientID, "google-client-id", c.GoogleClientID, "OAuth2 client ID for Gmail mailboxes (env ATENDE_GOOGLE_CLIENT_ID)")
	fs.StringVar(&c.GoogleClientSecret, "google-client-secret", c.GoogleClientSecret, "OAuth2 client secret for Gmail; prefer env ATENDE_GOOGLE_CLIENT_SECRET")
	fs.StringVar(&c.MicrosoftClientID, "microsoft-client-id", c.MicrosoftClientID, "OAuth2 client ID for Office 365 mailboxes (env ATENDE_MICROSOFT_CLIENT_ID)")
	fs.StringVar(&c.MicrosoftClientSecret, "microsoft-client-secret", c.MicrosoftClientSecret, "OAuth2 client secret for Office 365; prefer env ATENDE_MICROSOFT_CLIENT_SECRET")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "longest graceful stop on SIGTERM, e.g. 10s or 1m (env ATENDE_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.AlertAfter, "alert-after", c.AlertAfter, "tell the admins (notice, channel.failing webhook) when a channel, the disk or the database fails this long (env ATENDE_ALERT_AFTER)")
	fs.Func("min-free-space", "free space below which the node stops taking mail (452) and is not ready, e.g. 256MB (env ATENDE_MIN_FREE_SPACE)", func(s string) error {
		n, err := ParseSize(s)
		if err != nil {
			return err
		}
		c.MinFreeSpace = n
		return nil
	})
	fs.IntVar(&c.Workers, "workers", c.Workers, "ingest workers (env ATENDE_WORKERS)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (env ATENDE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (env ATENDE_LOG_FORMAT)")
}

// FromEnv applies the ATENDE_* environment over the defaults.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	env := func(key string, set func(string) error) {
		if v := getenv(key); v != "" {
			if err := set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", key, v, err))
			}
		}
	}
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	env("ATENDE_DATA", str(&c.DataDir))
	env("ATENDE_HTTP", str(&c.HTTPAddr))
	env("ATENDE_SMTP", str(&c.SMTPAddr))
	env("ATENDE_DATABASE_URL", str(&c.DatabaseURL))
	env("ATENDE_BLOBS", str(&c.Blobs))
	env("ATENDE_NODE_ID", str(&c.NodeID))
	env("ATENDE_METRICS", str(&c.MetricsAddr))
	env("ATENDE_INBOUND_DOMAIN", str(&c.InboundDomain))
	env("ATENDE_BASE_URL", str(&c.BaseURL))
	env("ATENDE_LOG_LEVEL", str(&c.LogLevel))
	env("ATENDE_LOG_FORMAT", str(&c.LogFormat))
	env("ATENDE_SECRET_KEY", str(&c.SecretKey))
	env("ATENDE_RELAY", str(&c.RelayAddr))
	env("ATENDE_RELAY_ENCRYPTION", str(&c.RelayEncryption))
	env("ATENDE_RELAY_USERNAME", str(&c.RelayUsername))
	env("ATENDE_RELAY_PASSWORD", str(&c.RelayPassword))
	env("ATENDE_EXTRA_CA_FILE", str(&c.ExtraCAFile))
	env("ATENDE_DNS_RESOLVER", str(&c.DNSResolver))
	env("ATENDE_ALLOW_PRIVATE_HOSTS", str(&c.AllowPrivateHosts))
	env("ATENDE_GOOGLE_CLIENT_ID", str(&c.GoogleClientID))
	env("ATENDE_GOOGLE_CLIENT_SECRET", str(&c.GoogleClientSecret))
	env("ATENDE_MICROSOFT_CLIENT_ID", str(&c.MicrosoftClientID))
	env("ATENDE_MICROSOFT_CLIENT_SECRET", str(&c.MicrosoftClientSecret))
	env("ATENDE_TRUST_PROXY", func(v string) error {
		b, err := strconv.ParseBool(v)
		c.TrustProxy = b
		return err
	})
	env("ATENDE_MAX_MESSAGE_SIZE", func(v string) error {
		n, err := ParseSize(v)
		c.MaxMessageSize = n
		return err
	})
	env("ATENDE_SHUTDOWN_TIMEOUT", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("must be a duration like 10s")
		}
		c.ShutdownTimeout = d
		return nil
	})
	env("ATENDE_ALERT_AFTER", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("must be a duration like 5m")
		}
		c.AlertAfter = d
		return nil
	})
	env("ATENDE_MIN_FREE_SPACE", func(v string) error {
		n, err := ParseSize(v)
		c.MinFreeSpace = n
		return err
	})
	env("ATENDE_WORKERS", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errors.New("must be a whole number")
		}
		c.Workers = n
		return nil
	})
	return c, errors.Join(errs...)
}

// Load applies defaults, then the environment, then args (flags win).
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c, err := FromEnv(getenv)
	if err != nil {
		return c, err
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.FlagSet(fs)
	err = fs.Parse(args)
	return c, err
}

// Validate reports every invalid setting at once.
func (c Config) Validate() error {
	var errs []error
	bad := func(setting, msg string) { errs = append(errs, fmt.Errorf("%s: %s", setting, msg)) }
	if strings.TrimSpace(c.DataDir) == "" {
		bad("--data (ATENDE_DATA)", "must not be empty")
	}
	checkAddr := func(setting, addr string, optional bool) {
		if addr == "" && optional {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			bad(setting, fmt.Sprintf("%q is not host:port (e.g. 127.0.0.1:8080)", addr))
			return
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			bad(setting, fmt.Sprintf("port %q must be a number from 0 to 65535", port))
		}
		_ = host
	}
	checkAddr("--http (ATENDE_HTTP)", c.HTTPAddr, false)
	checkAddr("--smtp (ATENDE_SMTP)", c.SMTPAddr, true)
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("ATENDE_DATABASE_URL", "must be a postgres:// URL, e.g. postgres://atende@127.0.0.1:5432/atende")
		}
	}
	if c.Blobs != "" && !strings.HasPrefix(c.Blobs, "s3://") {
		bad("--blobs (ATENDE_BLOBS)", fmt.Sprintf("%q must be empty (files under --data) or s3://bucket?endpoint=…&region=…", c.Blobs))
	}
	if strings.ContainsAny(c.NodeID, " \t\n/") || len(c.NodeID) > 100 {
		bad("--node-id (ATENDE_NODE_ID)", fmt.Sprintf("%q must be a short name without spaces or '/'", c.NodeID))
	}
	if c.MetricsAddr != "" && c.MetricsAddr != "off" {
		checkAddr("--metrics (ATENDE_METRICS)", c.MetricsAddr, false)
	}
	for _, o := range []struct{ name, id, secret string }{{"google", c.GoogleClientID, c.GoogleClientSecret}, {"microsoft", c.MicrosoftClientID, c.MicrosoftClientSecret}} {
		if o.id != "" && o.secret == "" {
			bad("ATENDE_"+strings.ToUpper(o.name)+"_CLIENT_SECRET", "must be set with --"+o.name+"-client-id")
		}
		if o.id != "" && c.BaseURL == "" {
			bad("--base-url (ATENDE_BASE_URL)", "must be set for OAuth2 (--"+o.name+"-client-id): the redirect URL is BASE_URL/oauth/callback")
		}
	}
	if c.InboundDomain == "" || strings.ContainsAny(c.InboundDomain, "@ /") {
		bad("--inbound-domain (ATENDE_INBOUND_DOMAIN)", fmt.Sprintf("%q is not a domain name", c.InboundDomain))
	}
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("--base-url (ATENDE_BASE_URL)", fmt.Sprintf("%q must be an http:// or https:// URL", c.BaseURL))
		}
	}
	if c.MaxMessageSize < 1024 || c.MaxMessageSize > 1<<30 {
		bad("--max-message-size (ATENDE_MAX_MESSAGE_SIZE)", "must be between 1KB and 1GB")
	}
	checkAddr("--relay (ATENDE_RELAY)", c.RelayAddr, true)
	checkAddr("--dns-resolver (ATENDE_DNS_RESOLVER)", c.DNSResolver, true)
	if _, err := netguard.ParseAllowList(c.AllowPrivateHosts); err != nil {
		bad("--allow-private-hosts (ATENDE_ALLOW_PRIVATE_HOSTS)", err.Error())
	}
	switch c.RelayEncryption {
	case "tls", "starttls", "none":
	default:
		bad("--relay-encryption (ATENDE_RELAY_ENCRYPTION)", fmt.Sprintf("%q must be tls, starttls or none", c.RelayEncryption))
	}
	if c.ShutdownTimeout < time.Second || c.ShutdownTimeout > time.Hour {
		bad("--shutdown-timeout (ATENDE_SHUTDOWN_TIMEOUT)", fmt.Sprintf("%s must be between 1s and 1h", c.ShutdownTimeout))
	}
	if c.AlertAfter < time.Second || c.AlertAfter > 24*time.Hour {
		bad("--alert-after (ATENDE_ALERT_AFTER)", fmt.Sprintf("%s must be between 1s and 24h", c.AlertAfter))
	}
	if c.Workers < 1 || c.Workers > 64 {
		bad("--workers (ATENDE_WORKERS)", "must be between 1 and 64")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("--log-level (ATENDE_LOG_LEVEL)", fmt.Sprintf("%q must be debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("--log-format (ATENDE_LOG_FORMAT)", fmt.Sprintf("%q must be text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// SQLitePath is where the embedded database lives.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "atende.db") }

// BlobDir is where raw mail and attachments live.
func (c Config) BlobDir() string { return filepath.Join(c.DataDir, "blobs") }

// ParseSize reads "50MB", "512KB", "1GB" or a plain byte count.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size like 50MB", s)
	}
	return n * mult, nil
}
