package api_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

type nopIMAPLog struct{}

func (nopIMAPLog) Printf(string, ...any) {}

// startIMAP serves go-imap's in-memory IMAP server on 127.0.0.1 without
// TLS (tests connect with encryption "none" and allow_insecure) with one
// user and folders; it returns the host and port.
func startIMAP(t testing.TB, user, password string, folders ...string) (string, int) {
	t.Helper()
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	for _, f := range append([]string{"INBOX"}, folders...) {
		must(t, u.Create(f, nil))
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       nopIMAPLog{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, err := net.SplitHostPort(ln.Addr().String())
	must(t, err)
	p, err := strconv.Atoi(port)
	must(t, err)
	return host, p
}
