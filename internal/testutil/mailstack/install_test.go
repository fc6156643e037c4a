package mailstack

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func installScript(t *testing.T) string {
	t.Helper()
	sd, err := ScriptsDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(filepath.Dir(sd), "install-test-deps.sh")
}

// TestInstallScriptFastPath runs the real script on a machine that has everything: it must
// install nothing, exit 0 and finish well within 5 s.
func TestInstallScriptFastPath(t *testing.T) {
	script := installScript(t)
	check := exec.Command(script, "--check")
	check.Env = append(os.Environ(), "ATENDE_TEST_BROWSER=")
	if out, err := check.CombinedOutput(); err != nil {
		msg := "test dependencies are not all present, so the fast path cannot be measured: " + string(out)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(script)
	cmd.Env = append(os.Environ(), "ATENDE_TEST_BROWSER=")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("install-test-deps.sh: %v\n%s", err, out)
	}
	if took >= 5*time.Second {
		t.Fatalf("fast path took %v; want < 5 s", took)
	}
	if got := strings.TrimSpace(string(out)); got != "install-test-deps: all test dependencies present" {
		t.Fatalf("output = %q; want only the all-present line", got)
	}
	t.Logf("fast path took %v", took)
}

// TestInstallScriptPlans checks the install path without installing: a fake dpkg-query and
// pg_isready describe the machine, and --dry-run prints the commands the script would run.
func TestInstallScriptPlans(t *testing.T) {
	script := installScript(t)
	mail := "dovecot-core dovecot-imapd dovecot-lmtpd postfix swaks openssl postgresql"
	// what the real machine would do for a PostgreSQL that is down
	pgStart := ""
	if _, err := exec.LookPath("pg_ctlcluster"); err == nil {
		if vs, _ := filepath.Glob("/etc/postgresql/*/main"); len(vs) > 0 {
			pgStart = "+ pg_ctlcluster --skip-systemctl-redirect " + filepath.Base(filepath.Dir(vs[len(vs)-1])) + " main start"
		}
	}
	cases := []struct {
		name      string
		installed string // packages the fake dpkg-query reports as installed
		pgUp      bool
		args      []string
		env       []string
		want      []string // lines that must appear
		notWant   []string // substrings that must not appear
		wantCode  int
	}{
		{
			name: "all present", installed: mail, pgUp: true,
			want:    []string{"install-test-deps: all test dependencies present"},
			notWant: []string{"apt-get", "chromium"},
		},
		{
			name: "postfix and swaks missing", installed: "dovecot-core dovecot-imapd dovecot-lmtpd openssl postgresql", pgUp: true,
			args: []string{"--dry-run"},
			want: []string{
				"+ debconf-set-selections (postfix: Local only, localhost.localdomain)",
				"+ apt-get update -qq",
				"+ apt-get install -y -qq postfix swaks",
				"install-test-deps (dry run): installed postfix",
				"install-test-deps (dry run): installed swaks",
			},
			notWant: []string{"chromium", "pg_ctlcluster", "dovecot-core"},
		},
		{
			name: "browser via flag, only chromium missing", installed: mail, pgUp: true,
			args:    []string{"--dry-run", "--browser"},
			want:    []string{"+ apt-get update -qq", "+ apt-get install -y -qq chromium"},
			notWant: []string{"debconf", "postfix swaks"},
		},
		{
			name: "browser via env", installed: mail, pgUp: true,
			args: []string{"--dry-run"}, env: []string{"ATENDE_TEST_BROWSER=1"},
			want: []string{"+ apt-get install -y -qq chromium"},
		},
		{
			name: "check lists what is missing", installed: "dovecot-core openssl postgresql", pgUp: true,
			args:     []string{"--check", "--browser"},
			want:     []string{"install-test-deps: missing packages: dovecot-imapd dovecot-lmtpd postfix swaks chromium"},
			notWant:  []string{"+ apt-get"},
			wantCode: 1,
		},
		{
			name: "postgres down is started, nothing installed", installed: mail, pgUp: false,
			args:    []string{"--dry-run"},
			want:    []string{pgStart},
			notWant: []string{"apt-get"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want[0] == "" {
				t.Skip("no PostgreSQL cluster under /etc/postgresql on this machine")
			}
			bin := t.TempDir()
			fake := "#!/bin/sh\nfor p in " + tc.installed + "; do echo \"$p installed\"; done\n"
			if err := os.WriteFile(filepath.Join(bin, "dpkg-query"), []byte(fake), 0o755); err != nil {
				t.Fatal(err)
			}
			pg := "#!/bin/sh\nexit 2\n"
			if tc.pgUp {
				pg = "#!/bin/sh\nexit 0\n"
			}
			if err := os.WriteFile(filepath.Join(bin, "pg_isready"), []byte(pg), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(script, tc.args...)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "ATENDE_TEST_BROWSER=")
			cmd.Env = append(cmd.Env, tc.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.wantCode {
				t.Fatalf("exit %d; want %d\n%s", code, tc.wantCode, out)
			}
			lines := strings.Split(string(out), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					if l == w {
						found = true
					}
				}
				if !found {
					t.Errorf("output lacks line %q:\n%s", w, out)
				}
			}
			for _, nw := range tc.notWant {
				if bytes.Contains(out, []byte(nw)) {
					t.Errorf("output contains %q:\n%s", nw, out)
				}
			}
			// every dry-run line is either a planned command or a report
			for _, l := range lines {
				if l != "" && !regexp.MustCompile(`^(\+ |install-test-deps)`).MatchString(l) {
					t.Errorf("unexpected output line %q", l)
				}
			}
		})
	}
}
