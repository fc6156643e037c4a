package mailstack

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// start.sh refuses a malformed --oauth2-introspect before touching anything.
func TestStartScriptOAuth2Argument(t *testing.T) {
	dir, err := ScriptsDir()
	if err != nil {
		t.Skip(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"not http", []string{"--oauth2-introspect", "ftp://127.0.0.1/x"}, "--oauth2-introspect needs an http(s) URL"},
		{"missing value", []string{"--oauth2-introspect"}, "--oauth2-introspect needs an http(s) URL"},
		{"space in URL", []string{"--oauth2-introspect", "http://127.0.0.1/a b"}, "--oauth2-introspect needs an http(s) URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("bash", append([]string{filepath.Join(dir, "start.sh"), "/tmp/ms.argcheck"}, tc.args...)...).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Fatalf("err = %v, output %q", err, out)
			}
		})
	}
}
