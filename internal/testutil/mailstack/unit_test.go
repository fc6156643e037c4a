package mailstack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
)

func TestParseEnv(t *testing.T) {
	in := `MAILSTACK_DIR=/tmp/ms.abc
IMAP_ADDR=127.0.0.1:10143

MAIL_USERS="alice@example.test:alicepw bob@example.test:bobpw"
MAIL_FORWARDS=""
# comment
STARTUP_MS_TOTAL=250
`
	got, err := parseEnv(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"MAILSTACK_DIR":    "/tmp/ms.abc",
		"IMAP_ADDR":        "127.0.0.1:10143",
		"MAIL_USERS":       "alice@example.test:alicepw bob@example.test:bobpw",
		"MAIL_FORWARDS":    "",
		"STARTUP_MS_TOTAL": "250",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("parseEnv = %v\nwant %v", got, want)
	}
	if _, err := parseEnv(strings.NewReader("no equals sign\n")); err == nil {
		t.Fatal("parseEnv accepted a line without '='")
	}
}

func TestScriptEnv(t *testing.T) {
	cases := []struct {
		name    string
		opts    Options
		want    map[string]string // MAILSTACK_* values
		wantErr string
	}{
		{
			name: "defaults",
			want: map[string]string{
				"MAILSTACK_DOMAIN":       "example.test",
				"MAILSTACK_RELAY_DOMAIN": "support.test",
				"MAILSTACK_USERS":        "alice:alicepw bob:bobpw carol:carolpw support:supportpw",
				"MAILSTACK_FORWARDS":     "support:helpdesk@support.test",
			},
		},
		{
			name: "custom domains follow into the default forward",
			opts: Options{Domain: "acme.test", RelayDomain: "help.acme.test",
				Users: map[string]string{"support": "s", "zed": "z", "amy": "a"}},
			want: map[string]string{
				"MAILSTACK_DOMAIN":       "acme.test",
				"MAILSTACK_RELAY_DOMAIN": "help.acme.test",
				"MAILSTACK_USERS":        "amy:a support:s zed:z",
				"MAILSTACK_FORWARDS":     "support:helpdesk@help.acme.test",
			},
		},
		{
			name: "no support user, no default forward",
			opts: Options{Users: map[string]string{"dave": "d"}},
			want: map[string]string{"MAILSTACK_USERS": "dave:d", "MAILSTACK_FORWARDS": ""},
		},
		{
			name: "explicit empty forwards",
			opts: Options{Forwards: map[string]string{}},
			want: map[string]string{"MAILSTACK_FORWARDS": ""},
		},
		{
			name: "explicit forwards, sorted",
			opts: Options{Forwards: map[string]string{"bob": "b@x.test", "alice": "a@x.test"}},
			want: map[string]string{"MAILSTACK_FORWARDS": "alice:a@x.test bob:b@x.test"},
		},
		{name: "empty users", opts: Options{Users: map[string]string{}}, wantErr: "Users is empty"},
		{name: "bad local part", opts: Options{Users: map[string]string{"a b": "x"}}, wantErr: "bad user local part"},
		{name: "password with colon", opts: Options{Users: map[string]string{"a": "x:y"}}, wantErr: "bad password"},
		{name: "empty password", opts: Options{Users: map[string]string{"a": ""}}, wantErr: "bad password"},
		{name: "forward from unknown user", opts: Options{Forwards: map[string]string{"zed": "z@x.test"}}, wantErr: "no such user"},
		{name: "forward target without domain", opts: Options{Forwards: map[string]string{"bob": "helpdesk"}}, wantErr: "bad forward target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := scriptEnv(tc.opts)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v; want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, kv := range env {
				if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MAILSTACK_") {
					got[k] = v // the last one wins, as in exec
				}
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q; want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestAddress(t *testing.T) {
	s := &Stack{Domain: "example.test", Users: map[string]string{"bob@example.test": "bobpw"}}
	cases := []struct{ in, want, pw string }{
		{"bob", "bob@example.test", "bobpw"},
		{"bob@example.test", "bob@example.test", "bobpw"},
		{"eve@else.test", "eve@else.test", ""},
	}
	for _, tc := range cases {
		if got := s.Address(tc.in); got != tc.want {
			t.Errorf("Address(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if got := s.Password(tc.in); got != tc.pw {
			t.Errorf("Password(%q) = %q; want %q", tc.in, got, tc.pw)
		}
	}
}

// recordTB captures Skip/Fatal instead of ending the test.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()                   {}
func (r *recordTB) Skip(args ...any)          { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Fatal(args ...any)         { r.failed = fmt.Sprint(args...) }
func (r *recordTB) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...) }
func (r *recordTB) Fatalf(f string, a ...any) { r.failed = fmt.Sprintf(f, a...) }

func TestRequireWhenUnavailable(t *testing.T) {
	cases := []struct {
		name       string
		requireEnv string
		wantSkip   bool
	}{
		{"skips by default", "", true},
		{"fails when required", "1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir()) // no dovecot, postfix, swaks
			t.Setenv(RequireEnv, tc.requireEnv)
			r := &recordTB{TB: t}
			Require(r)
			msg := r.skipped + r.failed
			if tc.wantSkip != (r.skipped != "") || tc.wantSkip == (r.failed != "") {
				t.Fatalf("skipped=%q failed=%q; want skip=%v", r.skipped, r.failed, tc.wantSkip)
			}
			for _, want := range []string{"missing dovecot", "swaks", "scripts/install-test-deps.sh"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
	t.Run("Start reports ErrUnavailable", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		if _, err := Start(context.Background(), Options{}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Start without binaries: err = %v; want ErrUnavailable", err)
		}
	})
}

func TestScriptsDir(t *testing.T) {
	d, err := ScriptsDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(d, "/scripts/mailstack") {
		t.Fatalf("ScriptsDir = %q", d)
	}
	t.Setenv("ATENDE_MAILSTACK_SCRIPTS", "/opt/x")
	if d, _ := ScriptsDir(); d != "/opt/x" {
		t.Fatalf("ScriptsDir with override = %q", d)
	}
}
