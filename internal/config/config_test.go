package config

import (
	"io"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load("serve", nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "data" || c.HTTPAddr != "127.0.0.1:8080" || c.MaxMessageSize != 50<<20 || c.DatabaseURL != "" {
		t.Fatalf("defaults = %+v", c)
	}
	if c.SQLitePath() != "data/atende.db" {
		t.Fatal(c.SQLitePath())
	}
}

func TestEnvThenFlags(t *testing.T) {
	c, err := Load("serve", []string{"--http", "127.0.0.1:9999", "--max-message-size", "10MB"},
		env(map[string]string{"ATENDE_HTTP": "127.0.0.1:7000", "ATENDE_DATA": "/var/lib/atende",
			"ATENDE_DATABASE_URL": "postgres://u@127.0.0.1/db"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9999" || c.DataDir != "/var/lib/atende" || c.MaxMessageSize != 10<<20 || c.DatabaseURL == "" {
		t.Fatalf("got %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidationErrorsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad http", []string{"--http", "8080"}, nil, "--http (ATENDE_HTTP): \"8080\" is not host:port"},
		{"bad port", []string{"--http", "127.0.0.1:99999"}, nil, "port \"99999\""},
		{"bad db url", nil, map[string]string{"ATENDE_DATABASE_URL": "mysql://x"}, "ATENDE_DATABASE_URL: must be a postgres:// URL"},
		{"bad size", []string{"--max-message-size", "12"}, nil, "between 1KB and 1GB"},
		{"bad level", []string{"--log-level", "loud"}, nil, "\"loud\" must be debug, info, warn or error"},
		{"bad workers", nil, map[string]string{"ATENDE_WORKERS": "0"}, "--workers (ATENDE_WORKERS): must be between 1 and 64"},
		{"bad base url", []string{"--base-url", "ftp://x"}, nil, "must be an http:// or https:// URL"},
		{"empty data", []string{"--data", ""}, nil, "--data (ATENDE_DATA): must not be empty"},
		{"bad dns resolver", nil, map[string]string{"ATENDE_DNS_RESOLVER": "8.8.8.8"}, "--dns-resolver (ATENDE_DNS_RESOLVER): \"8.8.8.8\" is not host:port"},
		{"bad private hosts", []string{"--allow-private-hosts", "10.0.0.1,mail.local"}, nil, "--allow-private-hosts (ATENDE_ALLOW_PRIVATE_HOSTS): \"mail.local\" is not an address or CIDR prefix"},
		{"oauth id without secret", []string{"--google-client-id", "abc", "--base-url", "https://atende.example"}, nil, "ATENDE_GOOGLE_CLIENT_SECRET: must be set with --google-client-id"},
		{"oauth without base url", nil, map[string]string{"ATENDE_MICROSOFT_CLIENT_ID": "abc", "ATENDE_MICROSOFT_CLIENT_SECRET": "s"}, "--base-url (ATENDE_BASE_URL): must be set for OAuth2 (--microsoft-client-id)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("serve", tc.args, env(tc.env), io.Discard)
			if err == nil {
				err = c.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
	_, err := Load("serve", nil, env(map[string]string{"ATENDE_MAX_MESSAGE_SIZE": "lots"}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ATENDE_MAX_MESSAGE_SIZE=\"lots\"") {
		t.Fatalf("env parse error = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"50MB": 50 << 20, "512kb": 512 << 10, "1GB": 1 << 30, "2048": 2048, " 3 MB ": 3 << 20} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1MB", "1.5MB", "ten"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
}
