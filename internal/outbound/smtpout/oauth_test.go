package smtpout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

func TestOAuthAuthMechanism(t *testing.T) {
	tok := func(_ context.Context, force bool) (string, error) {
		if force {
			return "fresh", nil
		}
		return "cached", nil
	}
	cases := []struct {
		name     string
		mechs    []string
		token    TokenFunc
		wantMech string
		wantIR   string
		wantErr  error
	}{
		{"xoauth2 preferred", []string{"PLAIN", "OAUTHBEARER", "XOAUTH2"}, tok, "XOAUTH2", "user=bob@x.test\x01auth=Bearer cached\x01\x01", nil},
		{"oauthbearer when no xoauth2", []string{"PLAIN", "OAUTHBEARER"}, tok, "OAUTHBEARER", "auth=Bearer cached", nil},
		{"no oauth mechanism", []string{"PLAIN", "LOGIN"}, tok, "", "", ErrNoMechanism},
		{"grant revoked", []string{"XOAUTH2"}, func(context.Context, bool) (string, error) {
			return "", fmt.Errorf("x: %w", oauth.ErrReconnectNeeded)
		}, "", "", ErrOAuthReconnect},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := OAuthAuth("bob@x.test", tc.token).Client(context.Background(), tc.mechs)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			mech, ir, err := c.Start()
			if err != nil || mech != tc.wantMech || !strings.Contains(string(ir), tc.wantIR) {
				t.Fatalf("start = %s %q %v", mech, ir, err)
			}
		})
	}
	r := OAuthAuth("bob@x.test", tok).(Retrier)
	c, _ := r.Retry(context.Background(), []string{sasl.Plain, "XOAUTH2"})
	if _, ir, _ := c.Start(); !strings.Contains(string(ir), "Bearer fresh") {
		t.Fatalf("retry did not force a refresh: %q", ir)
	}
}

// TestPostfixOAuth sends through real Postfix submission authenticating
// with XOAUTH2 (Dovecot SASL + oauth2 passdb + the test provider's
// introspection), the same path an Office 365 channel takes
// (smtp.office365.com:587 STARTTLS XOAUTH2).
func TestPostfixOAuth(t *testing.T) {
	as := oauthtest.New(t, "bob@example.test")
	st := mailstack.StartT(t, mailstack.Options{OAuth2IntrospectURL: as.IntrospectURL()})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	issued := as.Issue("bob@example.test")
	cur := issued.AccessToken
	refreshes := 0
	revoked := false
	token := func(_ context.Context, force bool) (string, error) {
		if revoked {
			return "", fmt.Errorf("refresh: %w", oauth.ErrReconnectNeeded)
		}
		if force {
			refreshes++
			cur = as.Issue("bob@example.test").AccessToken
		}
		return cur, nil
	}
	host, port, _ := net.SplitHostPort(st.SubmissionAddr)
	p, _ := strconv.Atoi(port)
	newSender := func() *Sender {
		return New(Config{Server: model.ServerConf{Host: host, Port: p, Encryption: "starttls", Username: "bob@example.test", Auth: "oauth"},
			Auth: OAuthAuth("bob@example.test", token), TLS: st.TLSConfig(), Provider: "office365"}, nil)
	}
	send := func(s *Sender, n int) error {
		raw := fmt.Sprintf("From: bob@example.test\r\nTo: carol@example.test\r\nSubject: oauth %d\r\nMessage-ID: <oauth-%d@example.test>\r\n\r\nbody %d\r\n", n, n, n)
		return s.Send(ctx, "bob@example.test", []string{"carol@example.test"}, strings.NewReader(raw))
	}

	s := newSender()
	if err := send(s, 1); err != nil {
		t.Fatalf("send with a live token: %v", err)
	}
	s.Close()
	if _, err := st.WaitMessages(ctx, "carol", "INBOX", 1); err != nil {
		t.Fatal(err)
	}
	if refreshes != 0 {
		t.Fatalf("refreshed %d times with a live token", refreshes)
	}

	// The access token expired at the provider: refused once, refreshed, sent.
	as.ExpireAccess()
	s = newSender()
	if err := send(s, 2); err != nil {
		t.Fatalf("send after expiry: %v", err)
	}
	s.Close()
	if refreshes != 1 {
		t.Fatalf("refreshes = %d, want 1", refreshes)
	}
	if msgs, err := st.WaitMessages(ctx, "carol", "INBOX", 2); err != nil || len(msgs) != 2 {
		t.Fatalf("carol has %d messages: %v", len(msgs), err)
	}

	// Revoked: a permanent failure that names the reconnect.
	as.RevokeAll()
	revoked = true
	s = newSender()
	defer s.Close()
	err := send(s, 3)
	var se *SendError
	if !errors.As(err, &se) || se.Temporary || se.Problem == nil || se.Problem.Code != CodeOAuthReconnect || !errors.Is(err, oauth.ErrReconnectNeeded) {
		t.Fatalf("send after revoke: %#v", err)
	}
}

func TestChannelServer(t *testing.T) {
	imap := model.ServerConf{Host: "imap.gmail.com", Port: 993, Encryption: "tls", Username: "suporte@acme.test", Auth: "oauth"}
	gmailSMTP := model.ServerConf{Host: "smtp.gmail.com", Port: 587, Encryption: "starttls"}
	cases := []struct {
		name      string
		ch        model.Channel
		want      model.ServerConf
		wantOAuth bool
	}{
		{"password channel", model.Channel{Outgoing: model.ConnExternal, Settings: model.ChannelSettings{
			IMAP: model.ServerConf{Username: "a@x.test", Auth: "password"}, SMTP: gmailSMTP}},
			model.ServerConf{Host: "smtp.gmail.com", Port: 587, Encryption: "starttls", Username: "a@x.test"}, false},
		{"imap oauth, smtp auth empty", model.Channel{Outgoing: model.ConnExternal, Settings: model.ChannelSettings{IMAP: imap, SMTP: gmailSMTP}},
			model.ServerConf{Host: "smtp.gmail.com", Port: 587, Encryption: "starttls", Username: "suporte@acme.test", Auth: "oauth"}, true},
		{"imap oauth, smtp password", model.Channel{Outgoing: model.ConnExternal, Settings: model.ChannelSettings{IMAP: imap,
			SMTP: model.ServerConf{Host: "smtp.x.test", Port: 465, Encryption: "tls", Username: "s@x.test", Auth: "password"}}},
			model.ServerConf{Host: "smtp.x.test", Port: 465, Encryption: "tls", Username: "s@x.test", Auth: "password"}, false},
		{"office365 preset", model.Channel{Outgoing: model.ConnOffice365, Settings: model.ChannelSettings{PrimaryEmail: "vendas@acme.test"}},
			model.ServerConf{Host: "smtp.office365.com", Port: 587, Encryption: "starttls", Username: "vendas@acme.test", Auth: "oauth"}, true},
		{"office365 pointed elsewhere (tests)", model.Channel{Outgoing: model.ConnOffice365, Settings: model.ChannelSettings{
			PrimaryEmail: "vendas@acme.test", SMTP: model.ServerConf{Host: "127.0.0.1", Port: 10587, Encryption: "starttls"}}},
			model.ServerConf{Host: "127.0.0.1", Port: 10587, Encryption: "starttls", Username: "vendas@acme.test", Auth: "oauth"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, useOAuth := ChannelServer(&tc.ch)
			if got != tc.want || useOAuth != tc.wantOAuth {
				t.Fatalf("got %+v oauth=%v, want %+v oauth=%v", got, useOAuth, tc.want, tc.wantOAuth)
			}
		})
	}
}
