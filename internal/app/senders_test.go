package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/config"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
)

// relayBackend is a go-smtp relay that records what it was given.
type relayBackend struct {
	mu    sync.Mutex
	froms []string
}

func (b *relayBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{b: b}, nil }

type relaySession struct{ b *relayBackend }

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	s.b.mu.Lock()
	s.b.froms = append(s.b.froms, from)
	s.b.mu.Unlock()
	return nil
}
func (s *relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *relaySession) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }
func (s *relaySession) Reset()                               {}
func (s *relaySession) Logout() error                        { return nil }

// Issue #13, item 3, at send time (defence in depth; failed before: the
// relay DKIM-signed and sent as any domain): a message whose From the
// company has not verified is not handed to the relay, and waits
// (a temporary error) until it is verified.
func TestRelayRefusesUnverifiedFromAtSendTime(t *testing.T) {
	ctx := context.Background()
	be := &relayBackend{}
	srv := smtp.NewServer(be)
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	defer srv.Close()

	clk := clock.System{}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"), clk)
	must(t, err)
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	box, _ := secrets.NewBox(secrets.NewKey())
	log := slog.New(slog.DiscardHandler)
	cfg := config.Defaults()
	cfg.RelayAddr, cfg.RelayEncryption = ln.Addr().String(), "none"
	cs, err := newChannelSender(cfg, st, box, nil, clk, log)
	must(t, err)
	defer cs.Close()
	cs.owners = identity.New(st, nil, nil, clk, log, identity.Config{})
	ch := &model.Channel{CompanyID: co.ID, Outgoing: model.ConnInternal, Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}}
	raw := "From: suporte@acme.test\r\nTo: c@cliente.test\r\nSubject: x\r\n\r\nx\r\n"
	for _, from := range []string{"suporte@acme.test", "financeiro@beta.test"} {
		err := cs.Send(ctx, ch, from, []string{"c@cliente.test"}, strings.NewReader(raw))
		var ue unverifiedFromError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "not verified") {
			t.Fatalf("unverified %s: %v", from, err)
		}
	}
	must(t, st.CreateIdentity(ctx, &store.Identity{CompanyID: co.ID, Kind: store.IdentityDomain, Value: "acme.test", VerifiedAt: time.Now()}))
	must(t, cs.Send(ctx, ch, "suporte@acme.test", []string{"c@cliente.test"}, strings.NewReader(raw)))
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.froms) != 1 || be.froms[0] != "suporte@acme.test" {
		t.Fatalf("the relay saw %v", be.froms)
	}
}
