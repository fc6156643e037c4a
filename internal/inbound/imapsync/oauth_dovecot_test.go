package imapsync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/oauth"
	"github.com/atende-helpdesk/atende/internal/oauth/oauthtest"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// oauthTokens is the real token store/refresher against the test provider.
func oauthTokens(e *env, as *oauthtest.Server) *oauth.Tokens {
	return &oauth.Tokens{Box: e.box, Store: e.st, Client: &oauth.Client{
		Provider: oauth.Provider{ID: "google", Endpoint: as.Endpoint(), UserInfoURL: as.UserInfoURL()},
		ClientID: oauthtest.ClientID, ClientSecret: oauthtest.ClientSecret}}
}

// oauthChannel creates an enabled external channel reading user's mailbox
// with IMAP auth "oauth" and a freshly issued token (no password stored).
func (e *env) oauthChannel(t *testing.T, st *mailstack.Stack, as *oauthtest.Server, tokens *oauth.Tokens, user string) *model.Channel {
	t.Helper()
	e.n++
	slug := fmt.Sprintf("oauth%d", e.n)
	conf := dovecotConf(st, user)
	conf.Auth = AuthOAuth
	ch := &model.Channel{CompanyID: e.co.ID, Slug: slug, Name: slug, Enabled: true, Incoming: model.ConnExternal,
		Outgoing: model.ConnExternal, InboundToken: "tok-" + slug,
		Settings: model.ChannelSettings{Provider: "gmail", PrimaryEmail: conf.Username, IMAP: conf}}
	if err := e.st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Save(ctx, ch.CompanyID, ch.ID, as.Issue(st.Address(user))); err != nil {
		t.Fatal(err)
	}
	return ch
}

func idle(s *store.ChannelStatus) bool { return s.State == store.SyncIdle }

// TestDovecotOAuth: a Gmail-like channel syncs over XOAUTH2 against real
// Dovecot (oauth2 passdb + the test provider's introspection endpoint), next
// to two password channels; an access token that expires between sessions
// is refreshed transparently; a revoked grant puts only that channel in
// reconnect_needed with an admin notice; connecting again resumes from the
// checkpoint without losing or doubling mail.
func TestDovecotOAuth(t *testing.T) {
	as := oauthtest.New(t, "bob@example.test")
	st := mailstack.StartT(t, mailstack.Options{OAuth2IntrospectURL: as.IntrospectURL()})
	cfg := dovecotCfg(st)
	e := newWallEnv(t)
	tokens := oauthTokens(e, as)
	bob := e.oauthChannel(t, st, as, tokens, "bob")
	alice := e.channel(t, dovecotConf(st, "alice"), st.Password("alice"), nil)
	carol := e.channel(t, dovecotConf(st, "carol"), st.Password("carol"), nil)
	all := []*model.Channel{bob, alice, carol}
	var logs lockedBuf // every log line, at debug level: checked for tokens at the end
	mlog := slog.New(slog.NewTextHandler(io.MultiWriter(testWriter{t}, &logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewManager(e.st, e.svc, e.box, e.clk, mlog, cfg)
	m.SetOAuth(tokens, e.st)
	runManager(t, m)
	waitAll := func() {
		t.Helper()
		for _, ch := range all {
			e.waitStatus(t, ch, 15*time.Second, idle)
		}
		time.Sleep(200 * time.Millisecond) // let the loops enter IDLE
	}
	deliver := func(user, id string) {
		t.Helper()
		if err := st.Deliver(ctx, user, mail("Pedido "+id, id+"@cliente.test")); err != nil {
			t.Fatal(err)
		}
	}
	waitAll()
	introspected := as.Introspections()
	if introspected == 0 {
		t.Fatal("Dovecot never asked the introspection endpoint: the oauth channel did not log in with a token")
	}

	// 1. New mail in the oauth mailbox becomes a ticket.
	deliver("bob", "o1")
	deliver("alice", "p1")
	e.waitInbound(t, 2, 15*time.Second)

	// 2. The access token expires at the provider; the next session's
	// XOAUTH2 is refused, the loop refreshes once and logs in.
	as.ExpireAccess()
	if err := st.RestartDovecot(ctx); err != nil {
		t.Fatal(err)
	}
	waitAll()
	if n := as.Refreshes(); n != 1 {
		t.Fatalf("refreshes after expiry = %d, want 1", n)
	}
	deliver("bob", "o2")
	e.waitInbound(t, 3, 15*time.Second)
	if s := e.status(t, bob); s.State != store.SyncIdle {
		t.Fatalf("bob after refresh: %+v", s)
	}

	// 3. The grant is revoked: only bob needs reconnecting; alice and
	// carol keep syncing.
	as.RevokeEmail("bob@example.test")
	if err := st.RestartDovecot(ctx); err != nil {
		t.Fatal(err)
	}
	sst := e.waitStatus(t, bob, 15*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncReconnectNeeded })
	if sst.LastErrorCode != string(CodeOAuthReconnect) || sst.LastError != (&providers.Problem{Code: CodeOAuthReconnect}).Message("pt-BR") {
		t.Fatalf("bob status %+v", sst)
	}
	deliver("bob", "o3") // arrives while disconnected: must come in after reconnecting
	for _, ch := range []*model.Channel{alice, carol} {
		e.waitStatus(t, ch, 15*time.Second, idle)
	}
	time.Sleep(200 * time.Millisecond)
	deliver("alice", "p2")
	deliver("carol", "c1")
	e.waitInbound(t, 5, 15*time.Second)
	if s := e.status(t, bob); s.State != store.SyncReconnectNeeded {
		t.Fatalf("bob recovered without a reconnect: %+v", s)
	}
	notices, err := e.st.ListNotices(ctx, e.co.ID, store.NoticeFilter{ChannelID: bob.ID})
	if err != nil || len(notices) != 1 || notices[0].Kind != NoticeOAuthReconnect || !strings.Contains(notices[0].Body, "reconnect the channel") {
		t.Fatalf("notices %+v %v", notices, err)
	}
	for _, ch := range []*model.Channel{alice, carol} {
		if ns, _ := e.st.ListNotices(ctx, e.co.ID, store.NoticeFilter{ChannelID: ch.ID}); len(ns) != 0 {
			t.Fatalf("password channel %d got notices %+v", ch.ID, ns)
		}
	}
	if _, err := tokens.Access(ctx, bob.CompanyID, bob.ID, true); !errors.Is(err, oauth.ErrReconnectNeeded) {
		t.Fatalf("revoked grant: %v", err)
	}

	// 4. The admin connects again (new token saved) and the channel is
	// reloaded: the mail that arrived meanwhile comes in, once.
	if err := tokens.Save(ctx, bob.CompanyID, bob.ID, as.Issue("bob@example.test")); err != nil {
		t.Fatal(err)
	}
	if err := m.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, bob, 15*time.Second, idle)
	e.waitInbound(t, 6, 15*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := e.inbound(t); n != 6 {
		t.Fatalf("inbound rows = %d, want 6 (lost or doubled)", n)
	}
	e.drain(t)
	if tickets, msgs := e.counts(t); tickets != 6 || msgs != 6 {
		t.Fatalf("tickets %d messages %d, want 6/6", tickets, msgs)
	}
	cp, err := e.st.GetSyncCheckpoint(ctx, bob.CompanyID, bob.ID, "INBOX")
	if err != nil || cp.LastUID != 3 {
		t.Fatalf("bob checkpoint %+v %v, want last UID 3", cp, err)
	}

	// The copy of a sent reply lands in Sent over the same XOAUTH2 login.
	tok, err := tokens.Access(ctx, bob.CompanyID, bob.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	sent := mail("Re: Pedido o3", "reply-o3@acme.test")
	if err := AppendSent(ctx, bob.Settings, tok, "Sent", bytes.NewReader(sent), int64(len(sent)), cfg); err != nil {
		t.Fatalf("append sent: %v", err)
	}
	if msgs, err := st.WaitMessages(ctx, "bob", "Sent", 1); err != nil || len(msgs) != 1 {
		t.Fatalf("Sent has %d messages: %v", len(msgs), err)
	}
	// The "test connection" button of a connected mailbox: IMAP and SMTP
	// submission with the access token.
	set := bob.Settings
	host, port, _ := net.SplitHostPort(st.SubmissionAddr)
	set.SMTP = model.ServerConf{Host: host, Encryption: "starttls"}
	set.SMTP.Port, _ = strconv.Atoi(port)
	opts := CheckOptions{TLS: cfg.TLS, Timeout: 10 * time.Second}
	if r := CheckConnection(ctx, set, tok, tok, opts); !r.OK() || !r.IMAPOK || !r.SMTPOK || len(r.Folders) != 1 {
		t.Fatalf("check with the token: %+v %v", r, r.Problems)
	}
	r := CheckConnection(ctx, set, "at-forged", "at-forged", opts)
	if r.OK() || len(r.Problems) != 2 || r.Problems[0].Code != CodeOAuthRefused || r.Problems[1].Code != providers.CodeSMTPAuthFailed {
		t.Fatalf("check with a forged token: %+v %v", r, r.Problems)
	}
	text := logs.String()
	if !strings.Contains(text, "access token refused; refreshing once") || !strings.Contains(text, "oauth_reconnect_needed") {
		t.Fatalf("the refresh and the reconnect were not logged:\n%s", text)
	}
	for _, tok := range as.Issued() {
		if strings.Contains(text, tok) {
			t.Fatalf("token %q appears in the logs", tok)
		}
	}
	if err := AppendSent(ctx, bob.Settings, "at-forged", "Sent", bytes.NewReader(sent), int64(len(sent)), cfg); !errors.Is(err, &providers.Problem{Code: CodeOAuthRefused}) {
		t.Fatalf("append with a forged token: %v", err)
	}
}

// lockedBuf collects log output written from many goroutines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
