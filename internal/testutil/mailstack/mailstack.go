package mailstack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotFound is returned (wrapped) when a user or mailbox does not exist in the stack.
var ErrNotFound = errors.New("mailstack: not found")

// ErrNoPostfix is returned by the Postfix helpers of a stack started with Options.NoPostfix.
var ErrNoPostfix = errors.New("mailstack: stack has no Postfix (Options.NoPostfix)")

// ErrUnavailable is returned (wrapped) by Start when the servers cannot run on this machine:
// not root, or packages missing (run scripts/install-test-deps.sh).
var ErrUnavailable = errors.New("mailstack: real mail servers unavailable")

// DefaultUsers are the mailboxes of a stack started without Options.Users (local part → password).
var DefaultUsers = map[string]string{
	"alice":   "alicepw",
	"bob":     "bobpw",
	"carol":   "carolpw",
	"support": "supportpw",
}

// Options configure Start. The zero value gives the default stack.
type Options struct {
	// Users maps local parts to passwords; nil means DefaultUsers. Local parts may use
	// letters, digits and ._+-; passwords must not be empty or contain whitespace, ':', '"' or '\'.
	Users map[string]string
	// Forwards maps a local part to an address that also receives its mail (the mailbox keeps a
	// copy). nil means {"support": "helpdesk@" + RelayDomain} when a "support" user exists;
	// an empty non-nil map means no forwards.
	Forwards map[string]string
	// RelayPort is the loopback port Postfix relays RelayDomain's mail to (Atende's inbound
	// SMTP server in a test). 0 picks a free port; nothing has to listen there.
	RelayPort int
	// NoPostfix starts Dovecot only (no SMTP, no relay).
	NoPostfix bool
	// Domain is the mail domain hosted in Dovecot (default "example.test").
	Domain string
	// RelayDomain is the domain relayed to RelayPort (default "support.test").
	RelayDomain string
	// Logger receives debug lines about start/stop; nil discards them.
	Logger *slog.Logger
	// OAuth2IntrospectURL, when set, adds XOAUTH2 and OAUTHBEARER logins (IMAP and, through
	// Dovecot's SASL, SMTP submission): Dovecot POSTs the bearer token to this RFC 7662
	// introspection endpoint and accepts it when the answer is {"active": true, "username":
	// "<full address>"} (see internal/oauth/oauthtest). Passwords keep working.
	OAuth2IntrospectURL string
}

// Stack is a running Dovecot (+ Postfix) under Dir. Its methods are safe for concurrent use.
type Stack struct {
	Dir            string // the stack's directory, /tmp/ms.XXXXXX (deleted by Stop)
	IMAPAddr       string // plain IMAP with STARTTLS, "127.0.0.1:port"
	IMAPSAddr      string // IMAP over TLS
	SMTPAddr       string // Postfix smtpd (port-25 role), STARTTLS offered; "" with NoPostfix
	SubmissionAddr string // Postfix submission: STARTTLS + AUTH PLAIN required to relay
	RelayTarget    string // where Postfix relays RelayDomain: "127.0.0.1:RelayPort"
	Domain         string
	RelayDomain    string
	Users          map[string]string // full address → password
	Forwards       map[string]string // full address → forward target
	CAFile         string            // PEM of the self-signed server certificate (its own CA)
	CAPool         *x509.CertPool    // CAFile as a pool; see TLSConfig
	MaildirRoot    string            // DIR/mail/<Domain>; a user's mail is in <local>/Maildir
	LMTPSocket     string            // Dovecot's LMTP unix socket (what Postfix delivers to)
	DovecotConf    string            // for doveadm -c
	PostfixConf    string            // for postfix/postqueue -c; "" with NoPostfix
	// StartupTime is how long start.sh took from an empty dir until IMAP LOGIN and the
	// SMTP banner worked (as measured by the script).
	StartupTime time.Duration

	scripts string
	log     *slog.Logger
	mu      sync.Mutex // serialises Stop / StopDovecot / StartDovecot
	stopped bool
}

// Start makes a new stack directory with os.MkdirTemp("/tmp", "ms.") (t.TempDir() paths are too
// long for unix sockets), picks free loopback ports, runs scripts/mailstack/start.sh and parses
// its KEY=VALUE output. The script's output goes to a file, never a pipe: Dovecot's master keeps
// the stderr it inherits, and a pipe would make Start wait forever. Call Stop when done; if the
// process dies first (test timeout, kill), a watchdog started by start.sh --owner-pid stops the
// stack within about a second.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if reasons := missingRequirements(!opts.NoPostfix, false); len(reasons) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrUnavailable, strings.Join(reasons, "; "))
	}
	scripts, err := ScriptsDir()
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	env, err := scriptEnv(opts)
	if err != nil {
		return nil, err
	}
	// Free ports are picked by binding :0 and closing again; another process may grab one in
	// between, so a start that failed on a busy port is retried with fresh ports.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		s, err := startOnce(ctx, scripts, opts, env, log)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil || !strings.Contains(err.Error(), "in use") {
			break
		}
		log.Debug("mailstack: port clash, retrying", "attempt", attempt, "err", err)
	}
	return nil, lastErr
}

func startOnce(ctx context.Context, scripts string, opts Options, env []string, log *slog.Logger) (*Stack, error) {
	ports, err := freePorts(5)
	if err != nil {
		return nil, err
	}
	relay := opts.RelayPort
	if relay == 0 {
		relay = ports[4]
	}
	dir, err := os.MkdirTemp("/tmp", "ms.")
	if err != nil {
		return nil, fmt.Errorf("mailstack: make stack dir: %w", err)
	}
	args := []string{dir,
		"--imap", strconv.Itoa(ports[0]), "--imaps", strconv.Itoa(ports[1]),
		"--smtp", strconv.Itoa(ports[2]), "--submission", strconv.Itoa(ports[3]),
		"--relay-port", strconv.Itoa(relay),
		// a watchdog stops the stack if this process dies without calling Stop
		"--owner-pid", strconv.Itoa(os.Getpid())}
	if opts.NoPostfix {
		args = append(args, "--no-postfix")
	}
	if opts.OAuth2IntrospectURL != "" {
		args = append(args, "--oauth2-introspect", opts.OAuth2IntrospectURL)
	}
	s := &Stack{Dir: dir, scripts: scripts, log: log}
	t0 := time.Now()
	if err := s.runScript(ctx, "start.sh", env, args...); err != nil {
		// start.sh stops what it started when it fails; this also covers a cancelled ctx.
		if serr := s.stopScript(dir, "--rm"); serr != nil {
			log.Warn("mailstack: cleanup after failed start", "dir", dir, "err", serr)
		}
		return nil, err
	}
	if err := s.loadEnv(); err != nil {
		_ = s.stopScript(dir, "--rm")
		return nil, err
	}
	log.Debug("mailstack: started", "dir", dir, "imap", s.IMAPAddr, "smtp", s.SMTPAddr,
		"script_ms", s.StartupTime.Milliseconds(), "elapsed", time.Since(t0))
	return s, nil
}

// scriptEnv turns Options into start.sh's MAILSTACK_* environment.
func scriptEnv(opts Options) ([]string, error) {
	domain, relayDomain := opts.Domain, opts.RelayDomain
	if domain == "" {
		domain = "example.test"
	}
	if relayDomain == "" {
		relayDomain = "support.test"
	}
	users := opts.Users
	if users == nil {
		users = DefaultUsers
	}
	if len(users) == 0 {
		return nil, errors.New("mailstack: Options.Users is empty")
	}
	names := make([]string, 0, len(users))
	for name, pw := range users {
		if !localPartRE.MatchString(name) {
			return nil, fmt.Errorf("mailstack: bad user local part %q", name)
		}
		if !passwordRE.MatchString(pw) {
			return nil, fmt.Errorf("mailstack: bad password for %q: empty or contains whitespace, ':', '\"' or '\\'", name)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var ub strings.Builder
	for i, name := range names {
		if i > 0 {
			ub.WriteByte(' ')
		}
		ub.WriteString(name + ":" + users[name])
	}
	forwards := opts.Forwards
	if forwards == nil {
		forwards = map[string]string{}
		if _, ok := users["support"]; ok {
			forwards["support"] = "helpdesk@" + relayDomain
		}
	}
	fw := make([]string, 0, len(forwards))
	for src, dst := range forwards {
		if _, ok := users[src]; !ok {
			return nil, fmt.Errorf("mailstack: forward from %q: no such user", src)
		}
		if !strings.Contains(dst, "@") || strings.ContainsAny(dst, " \t:,") {
			return nil, fmt.Errorf("mailstack: bad forward target %q", dst)
		}
		fw = append(fw, src+":"+dst)
	}
	sort.Strings(fw)
	return append(os.Environ(),
		"MAILSTACK_DOMAIN="+domain,
		"MAILSTACK_RELAY_DOMAIN="+relayDomain,
		"MAILSTACK_USERS="+ub.String(),
		"MAILSTACK_FORWARDS="+strings.Join(fw, " "),
	), nil
}

var (
	localPartRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+$`)
	passwordRE  = regexp.MustCompile(`^[^\s:"\\]+$`)
)

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("mailstack: pick a free port: %w", err)
		}
		defer l.Close() // held until all are picked, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// runScript runs scripts/mailstack/NAME with its stdout and stderr in a file (not a pipe, see
// Start). On failure the error includes the output.
func (s *Stack) runScript(ctx context.Context, name string, env []string, args ...string) error {
	out, err := os.CreateTemp("", "mailstack-"+strings.TrimSuffix(name, ".sh")+"-*.log")
	if err != nil {
		return fmt.Errorf("mailstack: %s: output file: %w", name, err)
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, filepath.Join(s.scripts, name), args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// Own process group, so a cancelled ctx also ends the script's helpers (sleep, timeout);
	// the daemons themselves detach (setsid) and are stopped with stop.sh.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	if runErr == nil {
		return nil
	}
	text, _ := os.ReadFile(out.Name())
	if ctx.Err() != nil {
		return fmt.Errorf("mailstack: %s %s: %w (output: %s)", name, strings.Join(args, " "), ctx.Err(), bytes.TrimSpace(text))
	}
	return fmt.Errorf("mailstack: %s %s: %w: %s", name, strings.Join(args, " "), runErr, bytes.TrimSpace(text))
}

// stopScript runs stop.sh with its own deadline (it needs ~1.1 s; it is also used for cleanup
// after the caller's ctx has expired).
func (s *Stack) stopScript(dir string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.runScript(ctx, "stop.sh", os.Environ(), append([]string{dir}, args...)...)
}

// loadEnv parses DIR/env, the KEY=VALUE file start.sh writes.
func (s *Stack) loadEnv() error {
	f, err := os.Open(filepath.Join(s.Dir, "env"))
	if err != nil {
		return fmt.Errorf("mailstack: read start.sh output: %w", err)
	}
	defer f.Close()
	kv, err := parseEnv(f)
	if err != nil {
		return err
	}
	for _, k := range []string{"IMAP_ADDR", "TLS_CA_FILE", "DOVECOT_CONF", "MAIL_DOMAIN", "MAIL_USERS", "MAILDIR_ROOT"} {
		if kv[k] == "" {
			return fmt.Errorf("mailstack: start.sh output lacks %s", k)
		}
	}
	s.IMAPAddr, s.IMAPSAddr = kv["IMAP_ADDR"], kv["IMAPS_ADDR"]
	s.SMTPAddr, s.SubmissionAddr = kv["SMTP_ADDR"], kv["SUBMISSION_ADDR"]
	s.RelayTarget, s.RelayDomain = kv["RELAY_TARGET"], kv["RELAY_DOMAIN"]
	s.Domain, s.MaildirRoot = kv["MAIL_DOMAIN"], kv["MAILDIR_ROOT"]
	s.CAFile, s.LMTPSocket = kv["TLS_CA_FILE"], kv["LMTP_SOCKET"]
	s.DovecotConf, s.PostfixConf = kv["DOVECOT_CONF"], kv["POSTFIX_CONF"]
	ms, _ := strconv.Atoi(kv["STARTUP_MS_TOTAL"])
	s.StartupTime = time.Duration(ms) * time.Millisecond
	s.Users = map[string]string{}
	for _, u := range strings.Fields(kv["MAIL_USERS"]) {
		addr, pw, ok := strings.Cut(u, ":")
		if !ok {
			return fmt.Errorf("mailstack: bad MAIL_USERS entry %q", u)
		}
		s.Users[addr] = pw
	}
	s.Forwards = map[string]string{}
	for _, f := range strings.Fields(kv["MAIL_FORWARDS"]) {
		src, dst, ok := strings.Cut(f, ":")
		if !ok {
			return fmt.Errorf("mailstack: bad MAIL_FORWARDS entry %q", f)
		}
		s.Forwards[src+"@"+s.Domain] = dst
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return fmt.Errorf("mailstack: read CA: %w", err)
	}
	s.CAPool = x509.NewCertPool()
	if !s.CAPool.AppendCertsFromPEM(pem) {
		return fmt.Errorf("mailstack: no certificate in %s", s.CAFile)
	}
	return nil
}

// parseEnv reads KEY=VALUE lines; values may be wrapped in double quotes.
func parseEnv(r io.Reader) (map[string]string, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("mailstack: bad start.sh output line %q", line)
		}
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		kv[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mailstack: read start.sh output: %w", err)
	}
	return kv, nil
}

// Stop stops Postfix and Dovecot (SIGTERM to each master by its pid file, then waits until
// they are gone) and deletes Dir. It takes ~1.1 s, the time Dovecot's master needs to exit.
// Calling it again is a no-op.
func (s *Stack) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	t0 := time.Now()
	err := s.stopScript(s.Dir, "--rm")
	s.stopped = true
	s.log.Debug("mailstack: stopped", "dir", s.Dir, "elapsed", time.Since(t0), "err", err)
	return err
}

// StopDovecot stops only Dovecot (IMAP and LMTP go away; Postfix keeps mail for the domain
// queued until StartDovecot). Takes ~1.1 s.
func (s *Stack) StopDovecot(ctx context.Context) error {
	return s.control(ctx, "stop.sh", "--dovecot")
}

// StartDovecot starts Dovecot again after StopDovecot, with the same ports, users and mail,
// and returns once an IMAP LOGIN works. It does nothing if Dovecot is running.
func (s *Stack) StartDovecot(ctx context.Context) error {
	return s.control(ctx, "start.sh", "--resume", "--dovecot")
}

// RestartDovecot stops and starts Dovecot (for "server restarted mid-sync" tests). Existing
// IMAP connections are dropped; ports and mailbox content (and UIDVALIDITY) are kept.
func (s *Stack) RestartDovecot(ctx context.Context) error {
	if err := s.StopDovecot(ctx); err != nil {
		return err
	}
	return s.StartDovecot(ctx)
}

// StopPostfix stops only Postfix (SMTP and submission go away; its queue is kept).
func (s *Stack) StopPostfix(ctx context.Context) error {
	if s.PostfixConf == "" {
		return ErrNoPostfix
	}
	return s.control(ctx, "stop.sh", "--postfix")
}

// StartPostfix starts Postfix again after StopPostfix, with the same ports and queue.
func (s *Stack) StartPostfix(ctx context.Context) error {
	if s.PostfixConf == "" {
		return ErrNoPostfix
	}
	return s.control(ctx, "start.sh", "--resume", "--postfix")
}

func (s *Stack) control(ctx context.Context, script string, args ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("mailstack: %s %s: stack already stopped", script, strings.Join(args, " "))
	}
	t0 := time.Now()
	err := s.runScript(ctx, script, os.Environ(), append([]string{s.Dir}, args...)...)
	s.log.Debug("mailstack: "+script, "args", args, "elapsed", time.Since(t0), "err", err)
	return err
}

// TLSConfig returns a client TLS config that trusts only the stack's certificate and verifies
// it for "localhost" (the address is 127.0.0.1; the certificate also lists that IP).
func (s *Stack) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CAPool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// Address returns user as a full address: a bare local part gets "@" + Domain.
func (s *Stack) Address(user string) string {
	if strings.Contains(user, "@") {
		return user
	}
	return user + "@" + s.Domain
}

// Password returns the password of user (local part or full address), "" if unknown.
func (s *Stack) Password(user string) string {
	return s.Users[s.Address(user)]
}

// Logs returns the last lines of the Dovecot and Postfix logs, for test failure messages.
func (s *Stack) Logs() string {
	var b strings.Builder
	for _, p := range []string{"dovecot/stderr.log", "dovecot/dovecot.log", "postfix/stderr.log", "postfix/postfix.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, p))
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", p, strings.Join(lines, "\n"))
	}
	return b.String()
}

// ScriptsDir returns the directory holding start.sh and stop.sh: $ATENDE_MAILSTACK_SCRIPTS if
// set, else scripts/mailstack in the repository root, found by walking up from the working
// directory (a test's package dir) and then from this source file to the directory with go.mod.
func ScriptsDir() (string, error) {
	if d := os.Getenv("ATENDE_MAILSTACK_SCRIPTS"); d != "" {
		return d, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				sd := filepath.Join(dir, "scripts", "mailstack")
				if _, err := os.Stat(filepath.Join(sd, "start.sh")); err == nil {
					return sd, nil
				}
				break // a go.mod without the scripts: try the next start point
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", fmt.Errorf("%w: scripts/mailstack/start.sh not found above %v (set ATENDE_MAILSTACK_SCRIPTS)", ErrUnavailable, starts)
}
