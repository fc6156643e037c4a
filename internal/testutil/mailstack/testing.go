package mailstack

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns "mail servers unavailable" from a skip
// into a test failure (set it in CI, where scripts/install-test-deps.sh has run).
const RequireEnv = "ATENDE_REQUIRE_MAILSTACK"

// missingRequirements lists why the stack cannot run here: not root, or binaries missing.
func missingRequirements(postfix, swaks bool) []string {
	var reasons []string
	if os.Geteuid() != 0 {
		reasons = append(reasons, "not running as root (Postfix's master and Dovecot's privilege drop need it)")
	}
	bins := []string{"dovecot", "doveadm", "openssl"}
	if postfix {
		bins = append(bins, "postfix", "postqueue")
	}
	if swaks {
		bins = append(bins, "swaks")
	}
	var missing []string
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	if _, err := os.Stat("/usr/lib/dovecot/lmtp"); err != nil {
		missing = append(missing, "/usr/lib/dovecot/lmtp (dovecot-lmtpd)")
	}
	if len(missing) > 0 {
		reasons = append(reasons, "missing "+strings.Join(missing, ", "))
	}
	return reasons
}

// Require skips the test when Dovecot, Postfix or swaks are missing or the test does not run as
// root. With ATENDE_REQUIRE_MAILSTACK=1 it fails the test instead.
func Require(t testing.TB) {
	t.Helper()
	reasons := missingRequirements(true, true)
	if _, err := ScriptsDir(); err != nil {
		reasons = append(reasons, err.Error())
	}
	if len(reasons) == 0 {
		return
	}
	msg := "mailstack: real mail servers unavailable: " + strings.Join(reasons, "; ") +
		"; run scripts/install-test-deps.sh as root"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatal(msg + " (failing because " + RequireEnv + "=1)")
		return // unreachable with a real testing.T
	}
	t.Skip(msg + " (set " + RequireEnv + "=1 to fail instead of skip)")
}

// StartT is Require + Start + t.Cleanup(Stop). It fails the test if the stack does not start,
// and logs the servers' log tails when the test failed. Allow ~1.1 s for the cleanup.
func StartT(t testing.TB, opts Options) *Stack {
	t.Helper()
	Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("mailstack: start: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("mailstack %s logs:\n%s", s.Dir, s.Logs())
		}
		if err := s.Stop(); err != nil {
			t.Errorf("mailstack: stop: %v", err)
		}
	})
	return s
}
