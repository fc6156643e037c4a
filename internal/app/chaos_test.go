package app

// The fault-injection suite (issue 18): the real binary, faults injected
// from outside, and for each: mail sent, stored, lost, doubled, the
// recovery time and whether the admins were told. `make chaos` runs it
// with the durations (ATENDE_CHAOS=full); scripts/test.sh runs it
// shortened (the default).

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/backup"
	"github.com/atende-helpdesk/atende/internal/blob"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/ingest"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/tcpproxy"
)

// chaosRow is one line of the table.
type chaosRow struct {
	Fault            string
	Sent, Stored     int
	Lost, Doubled    int
	Recovery         time.Duration
	Limit            time.Duration // 0: no limit
	Notice           bool
	NoticeNeeded     bool
	Note             string
	Skipped          string
	recoveryMeasured bool
}

func (r chaosRow) failed() []string {
	var why []string
	if r.Skipped != "" {
		return nil
	}
	if r.Lost > 0 {
		why = append(why, fmt.Sprintf("%d lost", r.Lost))
	}
	if r.Doubled > 0 {
		why = append(why, fmt.Sprintf("%d doubled", r.Doubled))
	}
	if r.NoticeNeeded && !r.Notice {
		why = append(why, "no notice")
	}
	if r.Limit > 0 && (!r.recoveryMeasured || r.Recovery > r.Limit) {
		why = append(why, fmt.Sprintf("recovery %v over %v", r.Recovery.Round(time.Millisecond), r.Limit))
	}
	return why
}

type chaosScale struct {
	full           bool
	sigtermMails   int
	dbDown         time.Duration
	dbMails        int
	relayReplies   int
	relayKillEvery time.Duration
	relayKills     int
	diskMails      int
	imapMails      int
	imapDown       time.Duration
	killReplies    int
	importMails    int
	lockHold       time.Duration
	idleConns      int
	alertAfter     time.Duration
}

func chaosScaleFromEnv() chaosScale {
	if os.Getenv("ATENDE_CHAOS") == "full" {
		return chaosScale{full: true, sigtermMails: 1000, dbDown: 30 * time.Second, dbMails: 1000, relayReplies: 200,
			relayKillEvery: 5 * time.Second, relayKills: 6, diskMails: 600, alertAfter: 20 * time.Second, imapMails: 500, imapDown: 60 * time.Second,
			killReplies: 500, importMails: 10000, lockHold: 10 * time.Second, idleConns: 500}
	}
	return chaosScale{sigtermMails: 150, dbDown: 6 * time.Second, dbMails: 150, relayReplies: 30,
		relayKillEvery: 2 * time.Second, relayKills: 3, diskMails: 60, alertAfter: 3 * time.Second, imapMails: 40, imapDown: 8 * time.Second,
		killReplies: 60, importMails: 150, lockHold: 4 * time.Second, idleConns: 100}
}

// chaosEnv is one installation under test.
type chaosEnv struct {
	t       *testing.T
	node    *clusterNode
	st      store.Store
	co      *model.Company
	ch      *model.Channel
	inbound string
	key     string
	db      *sql.DB // the test's own reader of the database (counts)
}

const chaosToken = "chaostok5k2q"

// newChaosEnv seeds a company with an internal channel and starts the
// binary on it. dbURL "" = SQLite in data.
func newChaosEnv(t *testing.T, bin, data, dbURL string, extraArgs []string, extraEnv ...string) *chaosEnv {
	return newChaosEnvSeed(t, bin, data, dbURL, nil, extraArgs, extraEnv...)
}

// newChaosEnvSeed is newChaosEnv with seed run on the store (sealing
// secrets with the node's key) before the node starts.
func newChaosEnvSeed(t *testing.T, bin, data, dbURL string, seed func(st store.Store, co *model.Company, box *secrets.Box),
	extraArgs []string, extraEnv ...string) *chaosEnv {
	t.Helper()
	ctx := context.Background()
	var st store.Store
	var err error
	if dbURL == "" {
		must(t, os.MkdirAll(data, 0o700))
		st, err = sqlite.Open(ctx, filepath.Join(data, "atende.db"), clock.System{})
	} else {
		st, err = postgres.Open(ctx, dbURL, clock.System{})
	}
	must(t, err)
	t.Cleanup(func() { st.Close() })
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	ch := &model.Channel{CompanyID: co.ID, Slug: "suporte", Name: "Suporte", Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: chaosToken, Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test", FromEmail: "suporte@acme.test"}}
	must(t, st.CreateChannel(ctx, ch))
	must(t, st.CreateIdentity(ctx, &store.Identity{CompanyID: co.ID, Kind: store.IdentityDomain, Value: "acme.test", VerifiedAt: time.Now()}))
	rawKey := secrets.NewKey()
	key := base64.StdEncoding.EncodeToString(rawKey)
	if seed != nil {
		box, err := secrets.NewBox(rawKey)
		must(t, err)
		seed(st, co, box)
	}
	env := append(os.Environ(), "ATENDE_SECRET_KEY="+key, "ATENDE_DNS_RESOLVER="+dnstest.Start(t).Addr())
	if dbURL != "" {
		env = append(env, "ATENDE_DATABASE_URL="+dbURL)
	}
	env = append(env, extraEnv...)
	n := &clusterNode{id: "chaos", http: freePort(t), smtp: freePort(t), bin: bin, env: env, logPath: filepath.Join(t.TempDir(), "node.log")}
	n.args = append([]string{"serve", "--data", data, "--http", n.http, "--smtp", n.smtp, "--inbound-domain", "support.test"}, extraArgs...)
	var db *sql.DB
	if dbURL == "" {
		db, err = backup.OpenSQLite(filepath.Join(data, "atende.db"), true)
	} else {
		db, err = sql.Open("pgx", dbURL)
	}
	must(t, err)
	t.Cleanup(func() { db.Close() })
	e := &chaosEnv{t: t, node: n, st: st, co: co, ch: ch, inbound: "acme-" + chaosToken + "@support.test", key: key, db: db}
	e.start()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("=== node log (tail) ===\n%s", n.logTail())
		}
	})
	return e
}

func (e *chaosEnv) start() {
	e.node.start(e.t)
	waitFor(e.t, 30*time.Second, "node up", func() bool {
		c, err := net.DialTimeout("tcp", e.node.smtp, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// sender delivers numbered mails like an MTA: a 4xx or a cut connection
// means try again later; acked records the 250s.
type sender struct {
	addr    string
	rcpt    string
	prefix  string
	mu      sync.Mutex
	acked   map[string]bool
	replies map[int]int // reply code → count (421, 451, 452…)
}

func newSender(addr, rcpt, prefix string) *sender {
	return &sender{addr: addr, rcpt: rcpt, prefix: prefix, acked: map[string]bool{}, replies: map[int]int{}}
}

func (s *sender) msgID(i int) string { return fmt.Sprintf("%s-%05d@example.test", s.prefix, i) }

func (s *sender) mail(i int) []byte {
	return []byte(fmt.Sprintf("From: Cliente <c%d@example.test>\r\nTo: suporte@acme.test\r\nSubject: %s %d\r\nMessage-ID: <%s>\r\n"+
		"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nCorpo %d.\r\n", i, s.prefix, i, s.msgID(i), i))
}

func (s *sender) code(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// run sends mails [from, to) with one connection per worker at about
// rate per second in all (0: as fast as possible), retrying each until
// it is acked or stop ends.
func (s *sender) run(stop <-chan struct{}, workers, from, to int, rate float64) {
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(int64(from))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= to {
					return
				}
				start := time.Now()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if c == nil {
						var err error
						if c, err = smtp.Dial(s.addr); err != nil {
							c = nil
							time.Sleep(100 * time.Millisecond)
							continue
						}
					}
					err := c.SendMail(fmt.Sprintf("c%d@example.test", i), []string{s.rcpt}, bytes.NewReader(s.mail(i)))
					if err == nil {
						s.mu.Lock()
						s.acked[s.msgID(i)] = true
						s.replies[250]++
						s.mu.Unlock()
						break
					}
					s.mu.Lock()
					s.replies[s.code(err)]++
					s.mu.Unlock()
					c.Close()
					c = nil
					time.Sleep(100 * time.Millisecond)
				}
				if rate > 0 {
					if d := time.Duration(float64(workers)/rate*float64(time.Second)) - time.Since(start); d > 0 {
						time.Sleep(d)
					}
				}
			}
		}()
	}
	wg.Wait()
}

func (s *sender) ackedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.acked)
}

// count compares what the store holds with what was acked: messages
// stored (distinct Message-IDs), lost (acked, not stored) and doubled.
func (e *chaosEnv) count(s *sender) (stored, lost, doubled int) {
	rows, err := e.db.QueryContext(context.Background(), `SELECT message_id FROM messages WHERE company_id = `+fmt.Sprint(e.co.ID)+
		` AND message_id LIKE '`+s.prefix+`-%'`)
	must(e.t, err)
	defer rows.Close()
	seen := map[string]int{}
	for rows.Next() {
		var id string
		must(e.t, rows.Scan(&id))
		seen[id]++
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range seen {
		if n > 1 {
			doubled += n - 1
		}
	}
	for id := range s.acked {
		if seen[id] == 0 {
			lost++
		}
	}
	return len(seen), lost, doubled
}

// waitStored waits until every acked mail is a message (or d passes).
func (e *chaosEnv) waitStored(s *sender, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, lost, _ := e.count(s); lost == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *chaosEnv) notices(kind string) int {
	ns, err := e.st.ListNotices(context.Background(), e.co.ID, store.NoticeFilter{Limit: 500})
	if err != nil {
		return 0
	}
	n := 0
	for _, x := range ns {
		if x.Kind == "failing" && strings.HasPrefix(x.Code, kind+"-") {
			n++
		}
	}
	return n
}

func (e *chaosEnv) ready() (int, error) {
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get("http://" + e.node.http + "/readyz")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestChaos runs the faults and prints the table; it fails on any loss,
// double, missing notice or slow recovery.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos suite: not in -short")
	}
	sc := chaosScaleFromEnv()
	bin := buildAtende(t)
	var rows []chaosRow
	add := func(r chaosRow) {
		rows = append(rows, r)
		t.Logf("%s: sent %d stored %d lost %d doubled %d recovery %v notice %v %s%s", r.Fault, r.Sent, r.Stored, r.Lost, r.Doubled,
			r.Recovery.Round(time.Millisecond), r.Notice, r.Note, r.Skipped)
	}
	t.Run("sigterm", func(t *testing.T) { add(chaosSIGTERM(t, bin, sc)) })
	t.Run("database", func(t *testing.T) { add(chaosDatabase(t, bin, sc)) })
	t.Run("relay", func(t *testing.T) { add(chaosRelay(t, bin, sc)) })
	t.Run("disk", func(t *testing.T) { add(chaosDisk(t, bin, sc)) })
	t.Run("imap", func(t *testing.T) { add(chaosIMAP(t, bin, sc)) })
	t.Run("kill-outbox", func(t *testing.T) { add(chaosKillOutbox(t, bin, sc)) })
	t.Run("kill-import", func(t *testing.T) { add(chaosKillImport(t, bin, sc)) })
	t.Run("blob", func(t *testing.T) { add(chaosBlob(t, bin, sc)) })
	t.Run("sqlite-lock", func(t *testing.T) { add(chaosSQLiteLock(t, bin, sc)) })
	t.Run("idle-conns", func(t *testing.T) { add(chaosIdle(t, bin, sc)) })

	var b strings.Builder
	fmt.Fprintf(&b, "\n| fault | sent | stored | lost | doubled | recovery | limit | notice raised | note |\n|---|---|---|---|---|---|---|---|---|\n")
	var bad []string
	for _, r := range rows {
		rec, lim, notice := r.Recovery.Round(10*time.Millisecond).String(), "-", "-"
		if r.Limit > 0 {
			lim = r.Limit.String()
		}
		if r.NoticeNeeded {
			notice = fmt.Sprint(r.Notice)
		}
		note := r.Note
		if r.Skipped != "" {
			note = "SKIPPED: " + r.Skipped
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s | %s | %s |\n", r.Fault, r.Sent, r.Stored, r.Lost, r.Doubled, rec, lim, notice, note)
		if why := r.failed(); len(why) > 0 {
			bad = append(bad, r.Fault+": "+strings.Join(why, ", "))
		}
	}
	fmt.Fprintf(&b, "load: %s\n", loadAvg())
	t.Log(b.String())
	if out := os.Getenv("ATENDE_CHAOS_TABLE"); out != "" {
		_ = os.WriteFile(out, []byte(b.String()), 0o644)
	}
	if len(bad) > 0 {
		t.Fatalf("chaos failures:\n%s", strings.Join(bad, "\n"))
	}
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// SIGTERM with mail arriving: the process exits within 10 s; sessions get
// 421 instead of 250 once the stop began; every acked mail is a ticket
// after the restart (or was one already), none twice.
func chaosSIGTERM(t *testing.T, bin string, sc chaosScale) chaosRow {
	e := newChaosEnv(t, bin, t.TempDir(), "", nil)
	s := newSender(e.node.smtp, e.inbound, "term")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { s.run(stop, 8, 0, sc.sigtermMails, 0); close(done) }()
	waitFor(t, 60*time.Second, "a third of the mail acked", func() bool { return s.ackedCount() >= sc.sigtermMails/3 })
	e.node.mu.Lock()
	cmd, exited := e.node.cmd, e.node.done
	e.node.mu.Unlock()
	start := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	var exit time.Duration
	select {
	case <-exited:
		exit = time.Since(start)
	case <-time.After(30 * time.Second):
		exit = 30 * time.Second
		e.node.kill()
	}
	ackedAtExit := s.ackedCount()
	s.mu.Lock()
	got421 := s.replies[421]
	s.mu.Unlock()
	// Every acked mail is in the store (a message, or a row handed back).
	time.Sleep(300 * time.Millisecond)
	e.start() // the senders retry into the restarted node
	<-done
	close(stop)
	e.waitStored(s, 60*time.Second)
	stored, lost, doubled := e.count(s)
	note := fmt.Sprintf("%d acked before exit, 421s: %d", ackedAtExit, got421)
	return chaosRow{Fault: fmt.Sprintf("SIGTERM with %d mails arriving", sc.sigtermMails), Sent: s.ackedCount(), Stored: stored, Lost: lost, Doubled: doubled,
		Recovery: exit, Limit: 10 * time.Second, recoveryMeasured: true, Note: "recovery = time to exit; " + note}
}

// The database stops answering (a TCP proxy in front of PostgreSQL is cut;
// the shared server keeps running): SMTP answers 451, nothing acked is
// lost; after the database is back mail is taken within 5 s; the admins
// get a notice.
func chaosDatabase(t *testing.T, bin string, sc chaosScale) chaosRow {
	url := pgtest.NewDatabase(t)
	host := strings.TrimPrefix(url[strings.Index(url, "@")+1:], "")
	host = host[:strings.Index(host, "/")]
	px, err := tcpproxy.Start(host)
	must(t, err)
	t.Cleanup(px.Close)
	// The node reaches the database through the proxy; the test directly.
	nodeURL := strings.Replace(url, "@"+host+"/", "@"+px.Addr()+"/", 1)
	e := newChaosEnv(t, bin, t.TempDir(), url, []string{"--alert-after", sc.alertAfter.String()}, "ATENDE_DATABASE_URL="+nodeURL)
	s := newSender(e.node.smtp, e.inbound, "db")
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	go func() { s.run(stop, 4, 0, sc.dbMails, 20); close(done) }()
	waitFor(t, 60*time.Second, "some mail acked", func() bool { return s.ackedCount() >= sc.dbMails/5 })
	px.Down()
	time.Sleep(sc.dbDown)
	before := s.ackedCount()
	must(t, px.Up())
	back := time.Now()
	var recovery time.Duration
	measured := false
	for time.Since(back) < 60*time.Second {
		if s.ackedCount() > before {
			recovery, measured = time.Since(back), true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-done
	e.waitStored(s, 60*time.Second)
	stored, lost, doubled := e.count(s)
	var notice bool
	waitForOK(30*time.Second, func() bool { notice = e.notices("database") > 0; return notice })
	s.mu.Lock()
	n451 := s.replies[451]
	s.mu.Unlock()
	return chaosRow{Fault: fmt.Sprintf("PostgreSQL unreachable %v, %d mails at 20/s", sc.dbDown, sc.dbMails), Sent: s.ackedCount(), Stored: stored,
		Lost: lost, Doubled: doubled, Recovery: recovery, recoveryMeasured: measured, Limit: 5 * time.Second,
		Notice: notice, NoticeNeeded: true, Note: fmt.Sprintf("451s during: %d", n451)}
}

func waitForOK(d time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if ok() {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// relaySink is an in-process relay counting deliveries by Message-ID.
type relaySink struct {
	mu   sync.Mutex
	got  map[string]int
	last time.Time
}

func (r *relaySink) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySess{r: r}, nil }

type relaySess struct{ r *relaySink }

func (s *relaySess) Reset()                               {}
func (s *relaySess) Logout() error                        { return nil }
func (s *relaySess) Mail(string, *smtp.MailOptions) error { return nil }
func (s *relaySess) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *relaySess) Data(r io.Reader) error {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r)
	id := ""
	for _, line := range strings.Split(b.String(), "\r\n") {
		if v, ok := strings.CutPrefix(strings.ToLower(line), "message-id:"); ok {
			id = strings.Trim(strings.TrimSpace(v), "<>")
			break
		}
	}
	s.r.mu.Lock()
	s.r.got[id]++
	s.r.last = time.Now()
	s.r.mu.Unlock()
	return nil
}

func (r *relaySink) counts() (distinct, doubled int, last time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.got {
		distinct++
		doubled += n - 1
	}
	return distinct, doubled, r.last
}

// The relay goes away again and again (every few seconds), then for longer
// than --alert-after, then stays up: every reply goes out once, within
// 10 s of the relay staying up; the admins were told during the long
// outage.
func chaosRelay(t *testing.T, bin string, sc chaosScale) chaosRow {
	sink := &relaySink{got: map[string]int{}}
	srv := smtp.NewServer(sink)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	px, err := tcpproxy.Start(ln.Addr().String())
	must(t, err)
	t.Cleanup(px.Close)
	data := t.TempDir()
	e := newChaosEnv(t, bin, data, "", []string{"--relay", px.Addr(), "--relay-encryption", "none", "--alert-after", sc.alertAfter.String()})
	// One customer mail makes the ticket the replies answer.
	s := newSender(e.node.smtp, e.inbound, "relay-in")
	s.run(nil, 1, 0, 1, 0)
	e.waitStored(s, 30*time.Second)
	ctx := context.Background()
	tks, err := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
	must(t, err)
	if len(tks) != 1 {
		t.Fatalf("tickets: %d", len(tks))
	}
	bl, err := blob.NewFS(filepath.Join(data, "blobs"))
	must(t, err)
	// The replies, queued as the agents' UI does (message + send job in one
	// transaction); the node's outbox picks them up. Three quarters before
	// the flapping; the last quarter once the relay is down for good, so
	// the outbox has work failing while the admins wait to be told (with
	// everything delivered in the flaps' up windows nothing would fail and
	// there would be nothing to tell).
	queue := func(i int) {
		raw := fmt.Sprintf("From: suporte@acme.test\r\nTo: c0@example.test\r\nMessage-Id: <reply-%05d@acme.test>\r\nSubject: Re: x\r\n\r\nresposta %d\r\n", i, i)
		key, size, err := bl.Put(ctx, strings.NewReader(raw), 0)
		must(t, err)
		m := &model.Message{CompanyID: e.co.ID, TicketID: tks[0].ID, ChannelID: e.ch.ID, Direction: model.DirOut, Status: model.MsgQueued,
			From: model.Address{Address: "suporte@acme.test"}, To: []model.Address{{Address: "c0@example.test"}},
			MessageID: fmt.Sprintf("reply-%05d@acme.test", i), RawKey: key, Size: size}
		must(t, e.st.Tx(ctx, func(q store.Queries) error {
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
			return outbox.Enqueue(ctx, q, m)
		}))
	}
	late := sc.relayReplies * 3 / 4
	for i := 0; i < late; i++ {
		queue(i)
		if i == sc.relayReplies/4 {
			px.Down() // the flapping starts while replies are queued
		}
	}
	for k := 0; k < sc.relayKills; k++ {
		must(t, px.Up())
		time.Sleep(sc.relayKillEvery / 4)
		px.Down()
		time.Sleep(sc.relayKillEvery * 3 / 4)
	}
	for i := late; i < sc.relayReplies; i++ {
		queue(i)
	}
	// Down until the admins are told (or clearly too long).
	notice := waitForOK(sc.alertAfter+15*time.Second, func() bool { return e.notices("relay") > 0 })
	must(t, px.Up())
	up := time.Now()
	waitForOK(120*time.Second, func() bool { n, _, _ := sink.counts(); return n >= sc.relayReplies })
	n, doubled, last := sink.counts()
	recovery := time.Duration(0)
	if last.After(up) {
		recovery = last.Sub(up)
	}
	cleared := waitForOK(10*time.Second, func() bool {
		c, _ := e.st.CountUnreadNotices(ctx, e.co.ID)
		ns, _ := e.st.ListNotices(ctx, e.co.ID, store.NoticeFilter{UnreadOnly: true})
		for _, x := range ns {
			if x.Kind == "failing" {
				return false
			}
		}
		_ = c
		return true
	})
	return chaosRow{Fault: fmt.Sprintf("relay down %d× every %v, then until the admins are told, %d replies", sc.relayKills, sc.relayKillEvery, sc.relayReplies),
		Sent: sc.relayReplies, Stored: n, Lost: sc.relayReplies - n, Doubled: doubled, Recovery: recovery, recoveryMeasured: n >= sc.relayReplies,
		Limit: 10 * time.Second, Notice: notice, NoticeNeeded: true, Note: fmt.Sprintf("stored = delivered by the relay; notice cleared after: %v", cleared)}
}

// The data directory's file system fills up: SMTP answers 452 before DATA
// and /readyz says not ready; once space is freed mail is taken again
// within 5 s; the admins were told.
func chaosDisk(t *testing.T, bin string, sc chaosScale) chaosRow {
	row := chaosRow{Fault: fmt.Sprintf("disk full under the data directory, %d mails", sc.diskMails)}
	if os.Geteuid() != 0 {
		row.Skipped = "needs root to mount a small tmpfs"
		return row
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", mnt).CombinedOutput(); err != nil {
		row.Skipped = fmt.Sprintf("mount tmpfs: %v %s", err, out)
		return row
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	e := newChaosEnv(t, bin, filepath.Join(mnt, "data"), "", []string{"--min-free-space", "16MB", "--alert-after", sc.alertAfter.String()})
	s := newSender(e.node.smtp, e.inbound, "disk")
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	go func() { s.run(stop, 2, 0, sc.diskMails, 10); close(done) }()
	waitFor(t, 60*time.Second, "some mail acked", func() bool { return s.ackedCount() >= sc.diskMails/4 })
	// Fill the file system up to 8 MB free.
	fill := filepath.Join(mnt, "fill")
	f, err := os.Create(fill)
	must(t, err)
	var st syscall.Statfs_t
	must(t, syscall.Statfs(mnt, &st))
	free := int64(st.Bavail) * int64(st.Bsize)
	buf := make([]byte, 1<<20)
	for w := int64(0); w < free-8<<20; w += int64(len(buf)) {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Close()
	var notReady bool
	waitForOK(10*time.Second, func() bool { c, err := e.ready(); notReady = err == nil && c == 503; return notReady })
	notice := waitForOK(sc.alertAfter+15*time.Second, func() bool { return e.notices("disk") > 0 })
	before := s.ackedCount()
	must(t, os.Remove(fill))
	freed := time.Now()
	var recovery time.Duration
	measured := false
	for time.Since(freed) < 60*time.Second {
		if s.ackedCount() > before {
			recovery, measured = time.Since(freed), true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	<-done
	e.waitStored(s, 60*time.Second)
	stored, lost, doubled := e.count(s)
	s.mu.Lock()
	n452, n451 := s.replies[452], s.replies[451]
	s.mu.Unlock()
	row.Sent, row.Stored, row.Lost, row.Doubled = s.ackedCount(), stored, lost, doubled
	row.Recovery, row.recoveryMeasured, row.Limit = recovery, measured, 5*time.Second
	row.Notice, row.NoticeNeeded = notice, true
	row.Note = fmt.Sprintf("452s: %d, 451s: %d, /readyz 503 while full: %v", n452, n451, notReady)
	if !notReady {
		row.Notice = false // counts as a failure: the node claimed to be ready
	}
	return row
}

// Dovecot (real) stops while a mailbox is synced: mail appended before and
// after is imported once each; after Dovecot is back the next mail is
// imported within 10 s (the loop retries every few seconds, not minutes);
// the status said "server unreachable" and the admins were told.
func chaosIMAP(t *testing.T, bin string, sc chaosScale) chaosRow {
	row := chaosRow{Fault: fmt.Sprintf("Dovecot stopped %v, %d APPENDs", sc.imapDown, sc.imapMails)}
	ms, err := mailstack.Start(context.Background(), mailstack.Options{Users: map[string]string{"caixa": "senha-da-caixa-1"}, NoPostfix: true})
	if err != nil {
		if os.Getenv("ATENDE_REQUIRE_MAILSTACK") == "1" {
			t.Fatalf("mailstack: %v", err)
		}
		row.Skipped = "no Dovecot: " + err.Error()
		return row
	}
	t.Cleanup(func() { ms.Stop() })
	_, p, _ := net.SplitHostPort(ms.IMAPAddr)
	port, _ := strconv.Atoi(p)
	var chID int64
	e := newChaosEnvSeed(t, bin, t.TempDir(), "", func(st store.Store, co *model.Company, box *secrets.Box) {
		ch := &model.Channel{CompanyID: co.ID, Slug: "caixa", Name: "Caixa", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
			InboundToken: "tokcaixa", Settings: model.ChannelSettings{Provider: "other", FromEmail: ms.Address("caixa"), HistoryDays: -1,
				IMAP: model.ServerConf{Host: "localhost", Port: port, Encryption: "starttls", Username: ms.Address("caixa"), Auth: "password"}}}
		must(t, st.CreateChannel(context.Background(), ch))
		must(t, box.PutChannelSecret(context.Background(), st, co.ID, ch.ID, secrets.IMAPPassword, "senha-da-caixa-1"))
		chID = ch.ID
	}, []string{"--extra-ca-file", ms.CAFile, "--allow-private-hosts", "127.0.0.0/8,::1", "--alert-after", sc.alertAfter.String()})
	ctx := context.Background()
	s := newSender("", "", "imap")
	appendMail := func(i int) {
		for try := 0; ; try++ {
			if _, err := ms.Append(ctx, ms.Address("caixa"), "senha-da-caixa-1", "INBOX", s.mail(i)); err == nil {
				break
			} else if try > 50 {
				t.Fatalf("append %d: %v", i, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
		s.mu.Lock()
		s.acked[s.msgID(i)] = true
		s.mu.Unlock()
	}
	half := sc.imapMails / 2
	for i := 0; i < half; i++ {
		appendMail(i)
	}
	e.waitStored(s, 60*time.Second)
	must(t, ms.StopDovecot(ctx))
	var code string
	waitForOK(30*time.Second, func() bool {
		st, err := e.st.GetChannelStatus(ctx, e.co.ID, chID)
		if err == nil {
			code = st.LastErrorCode
		}
		return code != ""
	})
	time.Sleep(sc.imapDown)
	notice := waitForOK(sc.alertAfter+15*time.Second, func() bool { return e.notices("imap") > 0 })
	must(t, ms.StartDovecot(ctx))
	back := time.Now()
	appendMail(half) // the first mail after the return
	var recovery time.Duration
	measured := waitForOK(60*time.Second, func() bool {
		stored, _, _ := e.count(s)
		return stored > half
	})
	recovery = time.Since(back)
	for i := half + 1; i < sc.imapMails; i++ {
		appendMail(i)
	}
	e.waitStored(s, 60*time.Second)
	stored, lost, doubled := e.count(s)
	st, _ := e.st.GetChannelStatus(ctx, e.co.ID, chID)
	stale := st != nil && st.LastError != ""
	row.Sent, row.Stored, row.Lost, row.Doubled = s.ackedCount(), stored, lost, doubled
	row.Recovery, row.recoveryMeasured, row.Limit = recovery, measured, 10*time.Second
	row.Notice, row.NoticeNeeded = notice, true
	row.Note = fmt.Sprintf("status during: %s; stale error after: %v", code, stale)
	if code != "server_unreachable" || stale {
		row.Notice = false // counted as a failure: the admin was told the wrong thing
	}
	return row
}

// startRelay runs the in-process relay sink.
func startRelay(t *testing.T) (*relaySink, string) {
	sink := &relaySink{got: map[string]int{}}
	srv := smtp.NewServer(sink)
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return sink, ln.Addr().String()
}

// queueReplies queues n replies on the env's first ticket, as the UI does.
func (e *chaosEnv) queueReplies(data string, n int) {
	t := e.t
	ctx := context.Background()
	s := newSender(e.node.smtp, e.inbound, "reply-in")
	s.run(nil, 1, 0, 1, 0)
	e.waitStored(s, 30*time.Second)
	tks, err := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{})
	must(t, err)
	bl, err := blob.NewFS(filepath.Join(data, "blobs"))
	must(t, err)
	for i := 0; i < n; i++ {
		raw := fmt.Sprintf("From: suporte@acme.test\r\nTo: c0@example.test\r\nMessage-Id: <kreply-%05d@acme.test>\r\nSubject: Re: x\r\n\r\nresposta %d\r\n", i, i)
		key, size, err := bl.Put(ctx, strings.NewReader(raw), 0)
		must(t, err)
		m := &model.Message{CompanyID: e.co.ID, TicketID: tks[0].ID, ChannelID: e.ch.ID, Direction: model.DirOut, Status: model.MsgQueued,
			From: model.Address{Address: "suporte@acme.test"}, To: []model.Address{{Address: "c0@example.test"}},
			MessageID: fmt.Sprintf("kreply-%05d@acme.test", i), RawKey: key, Size: size}
		must(t, e.st.Tx(ctx, func(q store.Queries) error {
			if err := q.CreateMessage(ctx, m); err != nil {
				return err
			}
			return outbox.Enqueue(ctx, q, m)
		}))
	}
}

// SIGKILL while the outbox sends: after the restart every reply goes out;
// one in flight at the kill may go twice (SMTP cannot tell a reply the
// relay took from one it did not) and is counted as doubled.
func chaosKillOutbox(t *testing.T, bin string, sc chaosScale) chaosRow {
	sink, relay := startRelay(t)
	data := t.TempDir()
	e := newChaosEnv(t, bin, data, "", []string{"--relay", relay, "--relay-encryption", "none"})
	e.queueReplies(data, sc.killReplies)
	waitFor(t, 120*time.Second, "a third sent", func() bool { n, _, _ := sink.counts(); return n >= sc.killReplies/3 })
	e.node.kill()
	killed := time.Now()
	e.start()
	waitForOK(120*time.Second, func() bool { n, _, _ := sink.counts(); return n >= sc.killReplies })
	n, doubled, last := sink.counts()
	// A reply that was being sent at the kill waits for its send lease
	// (10 min) before it is tried again: queued, not lost. If the relay had
	// taken it before the kill, that retry will send it a second time (SMTP
	// has no idempotency): reported as at risk of a double.
	sink.mu.Lock()
	delivered := map[string]bool{}
	for id := range sink.got {
		delivered[id] = true
	}
	sink.mu.Unlock()
	var queued, atRisk int
	rows, err := e.db.Query(`SELECT message_id FROM messages WHERE company_id = ? AND direction = 'out' AND status = 'queued'`, e.co.ID)
	must(t, err)
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		if delivered[id] {
			atRisk++
		} else {
			queued++
		}
	}
	rows.Close()
	return chaosRow{Fault: fmt.Sprintf("SIGKILL while the outbox sends %d replies", sc.killReplies), Sent: sc.killReplies, Stored: n,
		Lost: sc.killReplies - n - queued, Doubled: doubled, Recovery: last.Sub(killed),
		Note: fmt.Sprintf("stored = delivered; recovery = kill to last delivery; queued behind the 10 min send lease: %d not yet delivered, %d delivered before the kill (will be sent again: at risk of a double)", queued, atRisk)}
}

// SIGKILL during an IMAP initial import: after the restart every message
// is imported once (UID checkpoint and dedupe key).
func chaosKillImport(t *testing.T, bin string, sc chaosScale) chaosRow {
	row := chaosRow{Fault: fmt.Sprintf("SIGKILL during an IMAP initial import of %d", sc.importMails)}
	ms, err := mailstack.Start(context.Background(), mailstack.Options{Users: map[string]string{"import": "senha-do-import-1"}, NoPostfix: true})
	if err != nil {
		if os.Getenv("ATENDE_REQUIRE_MAILSTACK") == "1" {
			t.Fatalf("mailstack: %v", err)
		}
		row.Skipped = "no Dovecot: " + err.Error()
		return row
	}
	t.Cleanup(func() { ms.Stop() })
	ctx := context.Background()
	s := newSender("", "", "imp")
	c, err := ms.LoginIMAP(ctx, "import", "senha-do-import-1", nil)
	must(t, err)
	for i := 0; i < sc.importMails; i++ {
		raw := s.mail(i)
		cmd := c.Append("INBOX", int64(len(raw)), nil)
		_, _ = cmd.Write(raw)
		must(t, cmd.Close())
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("append: %v", err)
		}
		s.acked[s.msgID(i)] = true
	}
	c.Close()
	_, p, _ := net.SplitHostPort(ms.IMAPAddr)
	port, _ := strconv.Atoi(p)
	e := newChaosEnvSeed(t, bin, t.TempDir(), "", func(st store.Store, co *model.Company, box *secrets.Box) {
		ch := &model.Channel{CompanyID: co.ID, Slug: "import", Name: "Import", Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
			InboundToken: "tokimport", Settings: model.ChannelSettings{Provider: "other", FromEmail: ms.Address("import"), HistoryDays: -1,
				IMAP: model.ServerConf{Host: "localhost", Port: port, Encryption: "starttls", Username: ms.Address("import"), Auth: "password"}}}
		must(t, st.CreateChannel(ctx, ch))
		must(t, box.PutChannelSecret(ctx, st, co.ID, ch.ID, secrets.IMAPPassword, "senha-do-import-1"))
	}, []string{"--extra-ca-file", ms.CAFile, "--allow-private-hosts", "127.0.0.0/8,::1"})
	// 10,000 messages take a while on a loaded 2-core machine (a 5 min
	// wait ran out at load 30).
	waitFor(t, time.Duration(sc.importMails/10+60)*time.Second, "a third imported", func() bool { n, _, _ := e.count(s); return n >= sc.importMails/3 })
	e.node.kill()
	killed := time.Now()
	e.start()
	e.waitStored(s, time.Duration(sc.importMails/5+120)*time.Second)
	stored, lost, doubled := e.count(s)
	row.Sent, row.Stored, row.Lost, row.Doubled, row.Recovery = sc.importMails, stored, lost, doubled, time.Since(killed)
	row.Note = "recovery = kill to the whole mailbox imported"
	return row
}

// Raw mail missing or damaged in the blob store: the message reads
// "mensagem original indisponível" at once (no retry loop) and the admins
// get a notice.
func chaosBlob(t *testing.T, bin string, sc chaosScale) chaosRow {
	data := t.TempDir()
	e := newChaosEnv(t, bin, data, "", nil)
	e.node.stop()
	ctx := context.Background()
	bl, err := blob.NewFS(filepath.Join(data, "blobs"))
	must(t, err)
	svc := ingest.New(e.st, bl, clock.System{}, nil, ingest.Config{})
	s := newSender("", "", "blob")
	const n = 20
	for i := 0; i < n; i++ {
		res, err := svc.Accept(ctx, e.ch, fmt.Sprintf("blob-%d", i), bytes.NewReader(s.mail(i)))
		must(t, err)
		s.acked[s.msgID(i)] = true
		h := strings.TrimPrefix(res.RawKey, "sha256/")
		path := filepath.Join(data, "blobs", "sha256", h[:2], h[2:4], h)
		switch i % 4 {
		case 0:
			must(t, os.Remove(path))
		case 1:
			must(t, os.WriteFile(path, []byte("danificado"), 0o600))
		}
	}
	start := time.Now()
	e.start()
	var unavailable int
	ok := waitForOK(60*time.Second, func() bool {
		unavailable = 0
		tks, _ := e.st.ListTickets(ctx, e.co.ID, store.TicketFilter{Limit: 1000})
		total := 0
		for _, tk := range tks {
			msgs, _ := e.st.ListMessages(ctx, e.co.ID, tk.ID)
			for _, m := range msgs {
				total++
				if strings.Contains(m.Text, "mensagem original indisponível") {
					unavailable++
				}
			}
		}
		return total == n
	})
	rec := time.Since(start)
	stored, _, doubled := e.count(s)
	notices := 0
	ns, _ := e.st.ListNotices(ctx, e.co.ID, store.NoticeFilter{Limit: 500})
	for _, x := range ns {
		if x.Kind == ingest.NoticeBlobUnavailable {
			notices++
		}
	}
	// the unavailable ones carry their own Message-ID: count them as stored
	stored += unavailable
	return chaosRow{Fault: fmt.Sprintf("%d stored mails, 10 of them missing or damaged in the blob store", n), Sent: n, Stored: stored,
		Lost: n - stored, Doubled: doubled, Recovery: rec, recoveryMeasured: ok, Limit: 30 * time.Second,
		Notice: notices == n/2, NoticeNeeded: true, Note: fmt.Sprintf("%d read \"mensagem original indisponível\", %d notices", unavailable, notices)}
}

// Another process holds the SQLite database locked: SMTP answers 451
// meanwhile, nothing acked is lost, mail is taken within 5 s of the
// release.
func chaosSQLiteLock(t *testing.T, bin string, sc chaosScale) chaosRow {
	data := t.TempDir()
	e := newChaosEnv(t, bin, data, "", nil)
	s := newSender(e.node.smtp, e.inbound, "lock")
	stop := make(chan struct{})
	defer close(stop)
	done := make(chan struct{})
	total := 200
	go func() { s.run(stop, 4, 0, total, 20); close(done) }()
	waitFor(t, 60*time.Second, "some mail acked", func() bool { return s.ackedCount() >= 20 })
	// The lock is held by a child process (sqlite3-like: the test binary
	// itself, in lock-holder mode).
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosLockHolder$")
	cmd.Env = append(os.Environ(), "ATENDE_CHAOS_LOCK="+filepath.Join(data, "atende.db"), "ATENDE_CHAOS_LOCK_HOLD="+sc.lockHold.String())
	out, _ := cmd.StdoutPipe()
	must(t, cmd.Start())
	buf := make([]byte, 64)
	nr, _ := out.Read(buf) // "locked"
	if !strings.Contains(string(buf[:nr]), "locked") {
		t.Fatalf("lock holder: %q", buf[:nr])
	}
	_ = cmd.Wait()
	released := time.Now()
	before := s.ackedCount()
	var recovery time.Duration
	measured := waitForOK(60*time.Second, func() bool { return s.ackedCount() > before })
	recovery = time.Since(released)
	<-done
	e.waitStored(s, 60*time.Second)
	stored, lost, doubled := e.count(s)
	s.mu.Lock()
	n451 := s.replies[451]
	s.mu.Unlock()
	return chaosRow{Fault: fmt.Sprintf("SQLite held locked %v by another process", sc.lockHold), Sent: s.ackedCount(), Stored: stored, Lost: lost,
		Doubled: doubled, Recovery: recovery, recoveryMeasured: measured, Limit: 5 * time.Second, Note: fmt.Sprintf("451s: %d", n451)}
}

// TestChaosLockHolder is the lock-holding child of chaosSQLiteLock.
func TestChaosLockHolder(t *testing.T) {
	path := os.Getenv("ATENDE_CHAOS_LOCK")
	if path == "" {
		t.Skip("the child of the chaos suite's SQLite lock fault")
	}
	hold, _ := time.ParseDuration(os.Getenv("ATENDE_CHAOS_LOCK_HOLD"))
	db, err := backupOpen(path)
	must(t, err)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	must(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE")
	must(t, err)
	fmt.Println("locked")
	time.Sleep(hold)
	_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
}

// Hundreds of idle HTTP and SMTP connections (from other addresses than
// the test client's): other clients are still served.
func chaosIdle(t *testing.T, bin string, sc chaosScale) chaosRow {
	e := newChaosEnv(t, bin, t.TempDir(), "", nil)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < sc.idleConns; i++ {
		// SMTP: 15 per source address (the per-address limit is 20).
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i/15))}, Timeout: 5 * time.Second}
		if c, err := d.Dial("tcp", e.node.smtp); err == nil {
			conns = append(conns, c)
		}
		if c, err := net.DialTimeout("tcp", e.node.http, 5*time.Second); err == nil {
			conns = append(conns, c)
		}
	}
	s := newSender(e.node.smtp, e.inbound, "idle")
	start := time.Now()
	s.run(nil, 2, 0, 20, 0)
	took := time.Since(start)
	code, err := e.ready()
	e.waitStored(s, 30*time.Second)
	stored, lost, doubled := e.count(s)
	served := err == nil && code == 200 && s.ackedCount() == 20
	row := chaosRow{Fault: fmt.Sprintf("%d idle HTTP and %d idle SMTP connections", sc.idleConns, sc.idleConns), Sent: 20, Stored: stored,
		Lost: lost, Doubled: doubled, Recovery: took, recoveryMeasured: served, Limit: 20 * time.Second,
		Note: fmt.Sprintf("%d connections held; 20 mails from another client in %v; /readyz %d", len(conns), took.Round(time.Millisecond), code)}
	return row
}

func backupOpen(path string) (*sql.DB, error) { return backup.OpenSQLite(path, false) }
