package providers

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
)

func TestPresets(t *testing.T) {
	cases := []struct {
		id                 string
		imap, smtp         Server
		appPassword, oauth bool
		business           int
	}{
		{"gmail", Server{"imap.gmail.com", 993, TLS}, Server{"smtp.gmail.com", 465, TLS}, true, true, 2000},
		{"yahoo", Server{"imap.mail.yahoo.com", 993, TLS}, Server{"smtp.mail.yahoo.com", 465, TLS}, true, true, 500},
		{"office365", Server{"outlook.office365.com", 993, TLS}, Server{"smtp.office365.com", 587, StartTLS}, false, true, 10000},
		{"outlook", Server{"outlook.office365.com", 993, TLS}, Server{"smtp-mail.outlook.com", 587, StartTLS}, false, true, 25},
		{"icloud", Server{"imap.mail.me.com", 993, TLS}, Server{"smtp.mail.me.com", 587, StartTLS}, true, false, 1000},
		{"zoho", Server{"imap.zoho.com", 993, TLS}, Server{"smtp.zoho.com", 465, TLS}, true, true, 500},
		{"mailru", Server{"imap.mail.ru", 993, TLS}, Server{"smtp.mail.ru", 465, TLS}, true, true, 500},
		{"yandex", Server{"imap.yandex.com", 993, TLS}, Server{"smtp.yandex.com", 465, TLS}, true, true, 500},
		{"uol", Server{"imap.uol.com.br", 993, TLS}, Server{"smtps.uol.com.br", 587, StartTLS}, false, false, 500},
		{"bol", Server{"imap.bol.com.br", 993, TLS}, Server{"smtps.bol.com.br", 587, StartTLS}, false, false, 500},
		{"terra", Server{"imap.terra.com.br", 993, TLS}, Server{"smtp.terra.com.br", 587, StartTLS}, false, false, 500},
		{"locaweb", Server{"email-ssl.com.br", 993, TLS}, Server{"email-ssl.com.br", 465, TLS}, false, false, 500},
		{"kinghost", Server{"imap.kinghost.net", 993, TLS}, Server{"smtp.kinghost.net", 465, TLS}, false, false, 500},
		{"hostinger", Server{"imap.hostinger.com", 993, TLS}, Server{"smtp.hostinger.com", 465, TLS}, false, false, 500},
		{"other", Server{}, Server{}, false, false, 500},
	}
	if len(cases) != len(All()) {
		t.Fatalf("%d presets, %d cases", len(All()), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			p, ok := Get(tc.id)
			if !ok {
				t.Fatalf("preset %s missing", tc.id)
			}
			if p.IMAP != tc.imap || p.SMTP != tc.smtp {
				t.Fatalf("servers = %+v %+v", p.IMAP, p.SMTP)
			}
			if p.AppPassword != tc.appPassword || p.OAuth != tc.oauth {
				t.Fatalf("app password %v oauth %v", p.AppPassword, p.OAuth)
			}
			if p.AppPassword && (p.AppPasswordHint.PT == "" || p.AppPasswordHint.EN == "") {
				t.Fatal("app password without a hint in both languages")
			}
			if p.Quota(model.AccountPersonal) != 25 || p.Quota(model.AccountBusiness) != tc.business {
				t.Fatalf("quotas %d/%d", p.Quota(model.AccountPersonal), p.Quota(model.AccountBusiness))
			}
			for _, s := range []Server{p.IMAP, p.SMTP} {
				if s.Encryption == None {
					t.Fatal("a preset must never default to no encryption")
				}
			}
		})
	}
	if p, ok := Get("nope"); ok || p.ID != "other" {
		t.Fatalf("unknown preset = %s, %v", p.ID, ok)
	}
	if All()[len(All())-1].ID != "other" {
		t.Fatal("other must be last")
	}
}

func TestForAddressAndApply(t *testing.T) {
	for addr, want := range map[string]string{"Ana@Gmail.com": "gmail", "x@yahoo.com.br": "yahoo", "y@hotmail.com": "outlook",
		"z@uol.com.br": "uol", "w@empresa.com.br": "other", "v@icloud.com": "icloud"} {
		if got := ForAddress(addr).ID; got != want {
			t.Errorf("ForAddress(%s) = %s, want %s", addr, got, want)
		}
	}
	s := model.ChannelSettings{Provider: "gmail", PrimaryEmail: "vendas@acme.test", AccountKind: model.AccountBusiness,
		SMTP: model.ServerConf{Port: 587, Encryption: StartTLS}}
	q := Apply(&s)
	if q != 2000 || s.IMAP.Host != "imap.gmail.com" || s.IMAP.Port != 993 || s.IMAP.Username != "vendas@acme.test" ||
		s.SMTP.Host != "smtp.gmail.com" || s.SMTP.Port != 587 || s.SMTP.Encryption != StartTLS || s.IMAP.Auth != "password" {
		t.Fatalf("applied %+v quota %d", s, q)
	}
	s2 := model.ChannelSettings{Provider: "gmail", DailyQuota: 7}
	if Apply(&s2) != 7 {
		t.Fatal("explicit quota not kept")
	}
}

func TestValidateServer(t *testing.T) {
	cases := []struct {
		name     string
		c        model.ServerConf
		insecure bool
		ok       bool
	}{
		{"tls", model.ServerConf{Host: "h", Port: 993, Encryption: TLS}, false, true},
		{"starttls", model.ServerConf{Host: "h", Port: 587, Encryption: StartTLS}, false, true},
		{"none refused", model.ServerConf{Host: "h", Port: 143, Encryption: None}, false, false},
		{"none explicit", model.ServerConf{Host: "h", Port: 143, Encryption: None}, true, true},
		{"empty encryption", model.ServerConf{Host: "h", Port: 143}, true, false},
		{"no host", model.ServerConf{Port: 993, Encryption: TLS}, false, false},
		{"bad port", model.ServerConf{Host: "h", Port: 70000, Encryption: TLS}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidateServer("imap", tc.c, tc.insecure); (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

// TestNetProblem classifies real errors made against local listeners.
func TestNetProblem(t *testing.T) {
	// A closed port.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := l.Addr().String()
	l.Close()
	_, refused := net.DialTimeout("tcp", closed, time.Second)

	// A plain-text server spoken to with TLS.
	plain, _ := net.Listen("tcp", "127.0.0.1:0")
	defer plain.Close()
	go func() {
		for {
			c, err := plain.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("* OK IMAP4rev1 ready\r\n"))
			time.AfterFunc(2*time.Second, func() { c.Close() })
		}
	}()
	_, mismatch := tls.Dial("tcp", plain.Addr().String(), &tls.Config{ServerName: "localhost"})

	// A TLS server whose certificate we do not trust.
	srv := httptest.NewTLSServer(nil)
	defer srv.Close()
	_, badCert := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{ServerName: "example.com"})

	// A server that never answers the TLS handshake.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			time.AfterFunc(3*time.Second, func() { c.Close() })
		}
	}()
	d := &tls.Dialer{NetDialer: &net.Dialer{}, Config: &tls.Config{ServerName: "localhost"}}
	tctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, timeout := d.DialContext(tctx, "tcp", silent.Addr().String())

	cases := []struct {
		name string
		err  error
		want Code
	}{
		{"refused", refused, CodeConnectionRefused},
		{"plain port with TLS", mismatch, CodeTLSMismatch},
		{"untrusted certificate", badCert, CodeCertificateInvalid},
		{"timeout", timeout, CodeTimeout},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "imap.nope.invalid", IsNotFound: true}, CodeHostNotFound},
		{"eof", errors.New("x: " + "boom"), CodeProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error produced")
			}
			p := NetProblem("imap", "h:993", "", tc.err)
			if p.Code != tc.want {
				t.Fatalf("code = %s, want %s (err %v)", p.Code, tc.want, tc.err)
			}
			if !errors.Is(p, tc.err) && p.Err != tc.err {
				t.Fatal("problem does not wrap the error")
			}
		})
	}
}

func TestMessages(t *testing.T) {
	gmail := New(CodeAuthFailed, "imap", "imap.gmail.com:993", "gmail", errors.New("NO [AUTHENTICATIONFAILED]"))
	pt, en := gmail.Message("pt-BR"), gmail.Message("en")
	for _, want := range []string{"Falha na autenticação IMAP", "senha de app", "acesso IMAP está ativado"} {
		if !strings.Contains(pt, want) {
			t.Errorf("pt message %q lacks %q", pt, want)
		}
	}
	for _, want := range []string{"IMAP authentication failed", "app password", "IMAP access is enabled"} {
		if !strings.Contains(en, want) {
			t.Errorf("en message %q lacks %q", en, want)
		}
	}
	yahoo := New(CodeSMTPAuthFailed, "smtp", "smtp.mail.yahoo.com:465", "yahoo", nil).Message("pt-BR")
	if !strings.Contains(yahoo, "Falha na autenticação SMTP") || !strings.Contains(yahoo, "senha de app") {
		t.Errorf("yahoo smtp message: %q", yahoo)
	}
	folder := &Problem{Code: CodeFolderNotFound, Server: "imap", Folder: "Vendas"}
	if got := folder.Message("pt-BR"); !strings.Contains(got, `"Vendas"`) || !strings.Contains(got, "não existe") {
		t.Errorf("folder message: %q", got)
	}
	if New(CodeIdleMissing, "imap", "h", "", nil).Severity != SeverityWarning {
		t.Error("IDLE missing must be a warning")
	}
	for code, txt := range messages {
		if txt.PT == "" || txt.EN == "" || txt.PT == txt.EN {
			t.Errorf("%s: messages must exist in both languages", code)
		}
	}
	if !errors.Is(fmtWrap(gmail), &Problem{Code: CodeAuthFailed}) {
		t.Error("errors.Is by code")
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("ctx"), err) }
