package smtpout

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/providers"
)

var ctx = context.Background()

// testCA makes a self-signed certificate for localhost/127.0.0.1 and the
// pool that trusts it.
func testCA(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

type received struct {
	from string
	to   []string
	data string
}

type backend struct {
	mu    sync.Mutex
	got   []received
	conns int
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &session{b: b}, nil
}

// countingListener counts TCP connections (sessions restart after
// STARTTLS, connections don't).
type countingListener struct {
	net.Listener
	b *backend
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.b.mu.Lock()
		l.b.conns++
		l.b.mu.Unlock()
	}
	return c, err
}

type session struct {
	b    *backend
	auth bool
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != "ana@acme.test" || pass != "certa" {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.auth = true
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.cur = received{from: from}
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "nobody@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	case strings.HasPrefix(to, "later@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Try again later"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.b.mu.Lock()
	s.b.got = append(s.b.got, s.cur)
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }

type testServer struct {
	be   *backend
	srv  *smtp.Server
	port int
	pool *x509.CertPool
}

// startServer runs a go-smtp server with implicit TLS (tlsMode "tls") or
// STARTTLS ("starttls").
func startServer(t testing.TB, tlsMode string) *testServer {
	t.Helper()
	cert, pool := testCA(t)
	be := &backend{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	var ln net.Listener
	var err error
	ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = countingListener{ln, be}
	if tlsMode == "tls" {
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &testServer{be: be, srv: srv, port: ln.Addr().(*net.TCPAddr).Port, pool: pool}
}

func (ts *testServer) sender(enc, password string, pool *x509.CertPool) *Sender {
	return New(Config{Server: model.ServerConf{Host: "127.0.0.1", Port: ts.port, Encryption: enc},
		Auth: PasswordAuth("ana@acme.test", password), TLS: &tls.Config{RootCAs: pool}, Provider: "yahoo",
		DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second}, nil)
}

func msg(n int) string {
	return "From: ana@acme.test\r\nTo: cliente@example.com\r\nSubject: Resposta " + strconv.Itoa(n) + "\r\n\r\nOlá!\r\n"
}

func TestSendReusesConnection(t *testing.T) {
	for _, enc := range []string{"tls", "starttls"} {
		t.Run(enc, func(t *testing.T) {
			ts := startServer(t, enc)
			s := ts.sender(enc, "certa", ts.pool)
			defer s.Close()
			for i := 1; i <= 3; i++ {
				if err := s.Send(ctx, "ana@acme.test", []string{"cliente@example.com", "outro@example.com"}, strings.NewReader(msg(i))); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			ts.be.mu.Lock()
			if s.Dials() != 1 || ts.be.conns != 1 {
				t.Fatalf("dials %d server conns %d, want 1 (reuse)", s.Dials(), ts.be.conns)
			}
			defer ts.be.mu.Unlock()
			if len(ts.be.got) != 3 || ts.be.got[2].from != "ana@acme.test" || len(ts.be.got[2].to) != 2 ||
				!strings.Contains(ts.be.got[2].data, "Subject: Resposta 3") {
				t.Fatalf("server got %+v", ts.be.got)
			}
		})
	}
}

func TestSendErrors(t *testing.T) {
	ts := startServer(t, "tls")
	s := ts.sender("tls", "certa", ts.pool)
	defer s.Close()
	cases := []struct {
		name      string
		rcpt      string
		code      int
		enhanced  string
		temporary bool
	}{
		{"permanent 550", "nobody@example.com", 550, "5.1.1", false},
		{"temporary 451", "later@example.com", 451, "4.7.1", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Send(ctx, "ana@acme.test", []string{tc.rcpt}, strings.NewReader(msg(1)))
			var se *SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SendError", err)
			}
			if se.Code != tc.code || se.Enhanced != tc.enhanced || se.Temporary != tc.temporary || se.Message == "" {
				t.Fatalf("SendError %+v", se)
			}
		})
	}
	// The session survives refused recipients.
	if err := s.Send(ctx, "ana@acme.test", []string{"cliente@example.com"}, strings.NewReader(msg(9))); err != nil {
		t.Fatal(err)
	}
	if s.Dials() != 1 {
		t.Fatalf("dials = %d after refused recipients, want 1", s.Dials())
	}
}

func TestSendConnectionProblems(t *testing.T) {
	ts := startServer(t, "tls")
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cases := []struct {
		name string
		s    *Sender
		code providers.Code
		smtp int
	}{
		{"wrong password", ts.sender("tls", "errada", ts.pool), providers.CodeSMTPAuthFailed, 535},
		{"untrusted certificate", ts.sender("tls", "certa", x509.NewCertPool()), providers.CodeCertificateInvalid, 0},
		{"starttls on implicit TLS port", ts.sender("starttls", "certa", ts.pool), providers.CodeTimeout, 0},
		{"refused", New(Config{Server: model.ServerConf{Host: "127.0.0.1", Port: closedPort, Encryption: "tls"}}, nil), providers.CodeConnectionRefused, 0},
		{"plain without opt-in", New(Config{Server: model.ServerConf{Host: "127.0.0.1", Port: ts.port, Encryption: "none"}}, nil), providers.CodeInsecureRefused, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.code == providers.CodeTimeout {
				tc.s.cfg.DialTimeout = 300 * time.Millisecond
			}
			err := tc.s.Send(ctx, "ana@acme.test", []string{"c@example.com"}, strings.NewReader(msg(1)))
			var se *SendError
			if !errors.As(err, &se) || se.Problem == nil {
				t.Fatalf("err = %#v", err)
			}
			if se.Problem.Code != tc.code || se.Code != tc.smtp {
				t.Fatalf("problem %s code %d, want %s %d (%v)", se.Problem.Code, se.Code, tc.code, tc.smtp, err)
			}
			if tc.code == providers.CodeSMTPAuthFailed {
				if m := se.Problem.Message("pt-BR"); !strings.Contains(m, "Falha na autenticação SMTP") || !strings.Contains(m, "Yahoo") {
					t.Fatalf("message %q", m)
				}
			}
		})
	}
}

func TestReconnectAfterServerDrop(t *testing.T) {
	ts := startServer(t, "tls")
	s := ts.sender("tls", "certa", ts.pool)
	defer s.Close()
	if err := s.Send(ctx, "ana@acme.test", []string{"a@example.com"}, strings.NewReader(msg(1))); err != nil {
		t.Fatal(err)
	}
	// Kill the connection under the sender, as a server timeout would.
	s.mu.Lock()
	s.conn.Close()
	s.mu.Unlock()
	if err := s.Send(ctx, "ana@acme.test", []string{"a@example.com"}, strings.NewReader(msg(2))); err != nil {
		t.Fatal(err)
	}
	if s.Dials() != 2 {
		t.Fatalf("dials = %d, want 2", s.Dials())
	}
}

func TestPasswordAuthMechanism(t *testing.T) {
	cases := []struct {
		name  string
		mechs []string
		want  string
	}{
		{"plain preferred", []string{"LOGIN", "PLAIN", "XOAUTH2"}, "PLAIN"},
		{"login only", []string{"LOGIN"}, "LOGIN"},
		{"none", []string{"CRAM-MD5"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := PasswordAuth("u", "p").Client(ctx, tc.mechs)
			if tc.want == "" {
				if !errors.Is(err, ErrNoMechanism) {
					t.Fatalf("err = %v", err)
				}
				return
			}
			mech, ir, err := c.Start()
			if err != nil || mech != tc.want {
				t.Fatalf("mech %s err %v", mech, err)
			}
			if tc.want == "PLAIN" && !bytes.Equal(ir, []byte("\x00u\x00p")) {
				t.Fatalf("initial response %q", ir)
			}
		})
	}
}
