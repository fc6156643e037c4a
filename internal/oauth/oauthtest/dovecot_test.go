package oauthtest_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

func imapAuth(ctx context.Context, t *testing.T, st *mailstack.Stack, c sasl.Client) error {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", st.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: st.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	return ic.Authenticate(c)
}

func smtpAuth(t *testing.T, st *mailstack.Stack, c sasl.Client, send bool) error {
	t.Helper()
	sc, err := smtp.DialStartTLS(st.SubmissionAddr, st.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := sc.Auth(c); err != nil {
		return err
	}
	if !send {
		return nil
	}
	msg := "From: bob@example.test\r\nTo: carol@example.test\r\nSubject: oauth submission\r\nMessage-ID: <oauth-sub@example.test>\r\n\r\nsent with XOAUTH2\r\n"
	return sc.SendMail("bob@example.test", []string{"carol@example.test"}, strings.NewReader(msg))
}

// Dovecot's oauth2 passdb accepts a live token for its own mailbox only,
// over IMAP and (through Dovecot SASL) Postfix submission, and refuses it
// once the introspection endpoint calls it inactive.
func TestDovecotIntrospection(t *testing.T) {
	as := oauthtest.New(t, "bob@example.test")
	st := mailstack.StartT(t, mailstack.Options{OAuth2IntrospectURL: as.IntrospectURL()})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok := as.Issue("bob@example.test")
	conf, err := os.ReadFile(st.DovecotConf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"auth_mechanisms = plain login xoauth2 oauthbearer", "driver = oauth2", "mechanisms = xoauth2 oauthbearer"} {
		if !strings.Contains(string(conf), want) {
			t.Fatalf("dovecot.conf lacks %q", want)
		}
	}
	args, err := os.ReadFile(filepath.Join(filepath.Dir(st.DovecotConf), "oauth2.conf.ext"))
	if err != nil || !strings.Contains(string(args), "introspection_url = "+as.IntrospectURL()) || !strings.Contains(string(args), "introspection_mode = post") {
		t.Fatalf("oauth2 args: %s %v", args, err)
	}

	cases := []struct {
		name   string
		client sasl.Client
		ok     bool
	}{
		{"xoauth2 live token", oauth.NewXOAUTH2Client("bob@example.test", tok.AccessToken), true},
		{"oauthbearer live token", oauth.NewOAuthBearerClient("bob@example.test", tok.AccessToken), true},
		{"token of another mailbox", oauth.NewXOAUTH2Client("alice@example.test", tok.AccessToken), false},
		{"unknown token", oauth.NewXOAUTH2Client("bob@example.test", "at-forged"), false},
	}
	for _, tc := range cases {
		t.Run("imap "+tc.name, func(t *testing.T) {
			err := imapAuth(ctx, t, st, tc.client)
			if (err == nil) != tc.ok {
				t.Fatalf("authenticate: err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	// The password still works next to the oauth2 passdb.
	if c, err := st.LoginIMAP(ctx, "bob", st.Password("bob"), nil); err != nil {
		t.Fatalf("password login: %v", err)
	} else {
		c.Close()
	}
	before := as.Introspections()
	if err := smtpAuth(t, st, oauth.NewXOAUTH2Client("bob@example.test", tok.AccessToken), true); err != nil {
		t.Fatalf("smtp xoauth2 send: %v", err)
	}
	if as.Introspections() <= before {
		t.Fatal("Postfix submission did not ask the introspection endpoint")
	}
	msgs, err := st.WaitMessages(ctx, "carol", "INBOX", 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("delivered: %d %v", len(msgs), err)
	}
	as.ExpireAccess()
	if err := imapAuth(ctx, t, st, oauth.NewXOAUTH2Client("bob@example.test", tok.AccessToken)); err == nil {
		t.Fatal("expired token accepted over IMAP")
	}
	if err := smtpAuth(t, st, oauth.NewXOAUTH2Client("bob@example.test", tok.AccessToken), false); err == nil {
		t.Fatal("expired token accepted over SMTP")
	}
}
