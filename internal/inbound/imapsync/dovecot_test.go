package imapsync

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/smtpout"
	"github.com/atende-helpdesk/atende/internal/providers"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
)

// dovecotConf is IMAPS (implicit TLS, verified against the stack's CA).
func dovecotConf(st *mailstack.Stack, user string) model.ServerConf {
	host, port, _ := net.SplitHostPort(st.IMAPSAddr)
	p, _ := strconv.Atoi(port)
	return model.ServerConf{Host: host, Port: p, Encryption: "tls", Username: st.Address(user), Auth: "password"}
}

func dovecotCfg(st *mailstack.Stack) Config {
	return Config{TLS: &tls.Config{RootCAs: st.CAPool}, PollInterval: 200 * time.Millisecond, BackoffMin: 50 * time.Millisecond,
		BackoffMax: 500 * time.Millisecond, ReloadInterval: 100 * time.Millisecond, CommandTimeout: 20 * time.Second}
}

// dovecotLogin opens a second client (the customer's other mail app).
func dovecotLogin(t testing.TB, st *mailstack.Stack, user string) *imapclient.Client {
	t.Helper()
	c, err := st.LoginIMAP(ctx, user, st.Password(user), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDovecot runs the key scenarios against real Dovecot.
func TestDovecot(t *testing.T) {
	st := mailstack.StartT(t, mailstack.Options{})
	cfg := dovecotCfg(st)

	t.Run("connection check", func(t *testing.T) {
		host, port, _ := net.SplitHostPort(st.SubmissionAddr)
		sp, _ := strconv.Atoi(port)
		good := model.ChannelSettings{Provider: "other", IMAP: dovecotConf(st, "alice"),
			SMTP: model.ServerConf{Host: host, Port: sp, Encryption: "starttls", Username: st.Address("alice")}}
		opts := CheckOptions{TLS: &tls.Config{RootCAs: st.CAPool}, Timeout: 10 * time.Second}
		r := CheckConnection(ctx, good, "alicepw", "alicepw", opts)
		if !r.OK() || !r.IMAPOK || !r.SMTPOK || !r.IDLE || len(r.Folders) != 1 || r.Folders[0] != "INBOX" {
			t.Fatalf("good settings: %+v %v", r, r.Problems)
		}
		cases := []struct {
			name  string
			mod   func(*model.ChannelSettings)
			imapP string
			smtpP string
			opts  CheckOptions
			want  []providers.Code
		}{
			{"wrong passwords", func(s *model.ChannelSettings) { s.Provider = "gmail" }, "x", "y", opts,
				[]providers.Code{providers.CodeAuthFailed, providers.CodeSMTPAuthFailed}},
			{"missing folder", func(s *model.ChannelSettings) { s.Folders = []string{"INBOX", "Vendas"} }, "alicepw", "alicepw", opts,
				[]providers.Code{providers.CodeFolderNotFound}},
			{"untrusted certificate", nil, "alicepw", "alicepw", CheckOptions{Timeout: 5 * time.Second},
				[]providers.Code{providers.CodeCertificateInvalid, providers.CodeCertificateInvalid}},
			{"TLS on the STARTTLS port", func(s *model.ChannelSettings) {
				_, p, _ := net.SplitHostPort(st.IMAPAddr)
				s.IMAP.Port, _ = strconv.Atoi(p)
			}, "alicepw", "alicepw", opts, []providers.Code{providers.CodeTLSMismatch}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s := good
				s.Folders = nil
				if tc.mod != nil {
					tc.mod(&s)
				}
				r := CheckConnection(ctx, s, tc.imapP, tc.smtpP, tc.opts)
				var got []providers.Code
				for _, p := range r.Problems {
					got = append(got, p.Code)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.want) {
					t.Fatalf("problems %v, want %v (%v)", got, tc.want, r.Problems)
				}
				if tc.name == "wrong passwords" && !strings.Contains(r.Problems[0].Message("pt-BR"), "senha de app") {
					t.Fatalf("gmail hint missing: %s", r.Problems[0].Message("pt-BR"))
				}
			})
		}
	})

	t.Run("three mailboxes, IDLE, wrong password", func(t *testing.T) {
		e := newWallEnv(t)
		var chans []*model.Channel
		for _, u := range []string{"alice", "bob", "carol"} {
			chans = append(chans, e.channel(t, dovecotConf(st, u), st.Password(u), nil))
		}
		bad := e.channel(t, dovecotConf(st, "support"), "wrong", func(s *model.ChannelSettings) { s.Provider = "yahoo" })
		m := NewManager(e.st, e.svc, e.box, e.clk, e.log, cfg)
		mctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); m.Run(mctx) }()
		for _, ch := range chans {
			e.waitStatus(t, ch, 10*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncIdle })
		}
		time.Sleep(200 * time.Millisecond) // let the loops enter IDLE
		for i, u := range []string{"alice", "bob", "carol"} {
			if _, err := st.Append(ctx, u, st.Password(u), "INBOX", mail("Chamado de "+u, fmt.Sprintf("d%d@x", i))); err != nil {
				t.Fatal(err)
			}
		}
		e.waitInbound(t, 3, 10*time.Second)
		e.drain(t)
		if tickets, msgs := e.counts(t); tickets != 3 || msgs != 3 {
			t.Fatalf("tickets %d messages %d", tickets, msgs)
		}
		sst := e.waitStatus(t, bad, 10*time.Second, func(s *store.ChannelStatus) bool { return s.State == store.SyncReconnectNeeded })
		if sst.LastErrorCode != "auth_failed" || !strings.Contains(sst.LastError, "Yahoo") {
			t.Fatalf("bad channel %+v", sst)
		}
		// The server copies stay unread.
		c := dovecotLogin(t, st, "bob")
		for uid, fl := range flagsOf(t, c, "INBOX") {
			if hasFlag(fl, imap.FlagSeen) {
				t.Errorf("uid %d marked \\Seen by the sync", uid)
			}
		}
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("manager did not stop")
		}
	})

	t.Run("restart mid-sync", func(t *testing.T) {
		e := newWallEnv(t)
		c := dovecotLogin(t, st, "carol")
		const n = 120
		for i := 0; i < n; i++ {
			appendIMAP(t, c, "Archive", mail(fmt.Sprintf("Arquivo %d", i), fmt.Sprintf("arq%d@x", i)))
		}
		c.Close()
		ch := e.channel(t, dovecotConf(st, "carol"), "carolpw", func(s *model.ChannelSettings) { s.HistoryDays = -1; s.Folders = []string{"Archive"} })
		var accepted atomic.Int64
		slow := acceptorFunc(func(ctx context.Context, ch *model.Channel, key string, raw io.Reader) (ingest.Result, error) {
			time.Sleep(2 * time.Millisecond)
			r, err := e.svc.Accept(ctx, ch, key, raw)
			if err == nil {
				accepted.Add(1)
			}
			return r, err
		})
		c2 := cfg
		c2.BatchSize = 10
		f := e.folder(ch, "Archive", slow, c2)
		runFolder(t, f)
		waitFor(t, "30 accepted", func() bool { return accepted.Load() >= 30 })
		if err := st.RestartDovecot(ctx); err != nil {
			t.Fatal(err)
		}
		waitCheckpointLong(t, e, ch, "Archive", 30*time.Second, func(cp *store.SyncCheckpoint) bool { return cp.ImportComplete })
		if f.sessions.Load() < 2 {
			t.Fatalf("sessions = %d: the restart did not interrupt the sync", f.sessions.Load())
		}
		if got := e.inbound(t); got != n {
			t.Fatalf("inbound rows %d, want %d", got, n)
		}
		e.drain(t)
		if tickets, msgs := e.counts(t); tickets != n || msgs != n {
			t.Fatalf("tickets %d messages %d, want %d", tickets, msgs, n)
		}
	})

	t.Run("UIDVALIDITY change", func(t *testing.T) {
		e := newWallEnv(t)
		c := dovecotLogin(t, st, "alice")
		if err := c.Create("Suporte", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			appendIMAP(t, c, "Suporte", mail(fmt.Sprintf("Suporte %d", i), fmt.Sprintf("sup%d@x", i)))
		}
		ch := e.channel(t, dovecotConf(st, "alice"), "alicepw", func(s *model.ChannelSettings) { s.HistoryDays = -1; s.Folders = []string{"Suporte"} })
		stop := runFolder(t, e.folder(ch, "Suporte", nil, cfg))
		first := waitCheckpointLong(t, e, ch, "Suporte", 10*time.Second, func(cp *store.SyncCheckpoint) bool { return cp.ImportComplete && cp.LastUID == 4 })
		stop()
		e.drain(t)
		out, err := exec.Command("doveadm", "-c", st.DovecotConf, "mailbox", "update", "-u", st.Address("alice"),
			"--uid-validity", strconv.FormatUint(uint64(first.UIDValidity+1000), 10), "Suporte").CombinedOutput()
		if err != nil {
			t.Fatalf("doveadm: %v %s", err, out)
		}
		appendIMAP(t, c, "Suporte", mail("Suporte novo", "sup-new@x"))
		runFolder(t, e.folder(ch, "Suporte", nil, cfg))
		waitCheckpointLong(t, e, ch, "Suporte", 10*time.Second, func(cp *store.SyncCheckpoint) bool {
			return cp.UIDValidity == first.UIDValidity+1000 && cp.ImportComplete
		})
		e.drain(t)
		if got := e.inbound(t); got != 9 {
			t.Fatalf("inbound rows %d, want 4 + 5 re-scanned", got)
		}
		if tickets, msgs := e.counts(t); tickets != 5 || msgs != 5 {
			t.Fatalf("tickets %d messages %d, want 5/5", tickets, msgs)
		}
	})

	t.Run("large message streams", func(t *testing.T) {
		e := newWallEnv(t)
		// A 30 MB message: the sync must stream the literal into ingest,
		// not hold it in memory (let alone twice).
		var b strings.Builder
		b.WriteString("From: c@example.com\r\nTo: s@acme.test\r\nSubject: Anexo grande\r\nMessage-ID: <big@x>\r\n")
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		line := strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODkw", 2)[:76] + "\r\n"
		for b.Len() < 30<<20 {
			b.WriteString(line)
		}
		raw := b.String()
		c := dovecotLogin(t, st, "bob")
		if err := c.Create("Grande", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		appendIMAP(t, c, "Grande", []byte(raw))
		ch := e.channel(t, dovecotConf(st, "bob"), "bobpw", func(s *model.ChannelSettings) { s.HistoryDays = -1; s.Folders = []string{"Grande"} })
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		runFolder(t, e.folder(ch, "Grande", nil, cfg))
		waitCheckpointLong(t, e, ch, "Grande", 30*time.Second, func(cp *store.SyncCheckpoint) bool { return cp.ImportComplete })
		runtime.ReadMemStats(&m1)
		in, err := e.st.GetInbound(ctx, e.co.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if in.Size != int64(len(raw)) {
			t.Fatalf("stored %d bytes, want %d", in.Size, len(raw))
		}
		alloc := m1.TotalAlloc - m0.TotalAlloc
		t.Logf("importing a %d MB message allocated %d kB in total", len(raw)>>20, alloc>>10)
		if alloc > 8<<20 {
			t.Fatalf("importing a 30 MB message allocated %d MB: the body is buffered, not streamed", alloc>>20)
		}
	})

	t.Run("send via submission and copy to Sent", func(t *testing.T) {
		host, port, _ := net.SplitHostPort(st.SubmissionAddr)
		sp, _ := strconv.Atoi(port)
		s := smtpout.New(smtpout.Config{Server: model.ServerConf{Host: host, Port: sp, Encryption: "starttls"},
			Auth: smtpout.PasswordAuth(st.Address("alice"), "alicepw"), TLS: &tls.Config{RootCAs: st.CAPool}}, nil)
		defer s.Close()
		raw := "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: Resposta do suporte\r\nMessage-ID: <sent1@x>\r\n\r\nResolvido.\r\n"
		if err := s.Send(ctx, st.Address("alice"), []string{st.Address("bob")}, strings.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		err := s.Send(ctx, st.Address("alice"), []string{"nobody@example.test"}, strings.NewReader(raw))
		var se *smtpout.SendError
		if !asSendError(err, &se) || se.Temporary || se.Code != 550 {
			t.Fatalf("unknown user: %#v", err)
		}
		if _, err := st.WaitMessages(ctx, "bob", "INBOX", 1); err != nil {
			t.Fatal(err)
		}
		if err := AppendSent(ctx, model.ChannelSettings{IMAP: dovecotConf(st, "alice")}, "alicepw", "Sent", strings.NewReader(raw), int64(len(raw)), cfg); err != nil {
			t.Fatal(err)
		}
		msgs, err := st.WaitMessages(ctx, "alice", "Sent", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 {
			t.Fatalf("Sent has %d messages", len(msgs))
		}
	})
}

type acceptorFunc func(ctx context.Context, ch *model.Channel, key string, raw io.Reader) (ingest.Result, error)

func (f acceptorFunc) Accept(ctx context.Context, ch *model.Channel, key string, raw io.Reader) (ingest.Result, error) {
	return f(ctx, ch, key, raw)
}

func waitCheckpointLong(t testing.TB, e *env, ch *model.Channel, folder string, timeout time.Duration, ok func(*store.SyncCheckpoint) bool) *store.SyncCheckpoint {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		cp, err := e.st.GetSyncCheckpoint(ctx, ch.CompanyID, ch.ID, folder)
		if err == nil && ok(cp) {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint not reached after %v: %+v (%v)", timeout, cp, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func asSendError(err error, target **smtpout.SendError) bool {
	se, ok := err.(*smtpout.SendError)
	if ok {
		*target = se
	}
	return ok
}

var _ = context.Background
