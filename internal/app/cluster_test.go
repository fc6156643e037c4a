package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/testutil/dnstest"
	"github.com/atende-helpdesk/atende/internal/testutil/mailmix"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// The three-node test's load: 30 mailboxes × 50 IMAP APPENDs, and 1,500
// SMTP messages spread over the three nodes' SMTP servers.
const (
	clusterMailboxes = 30
	clusterPerBox    = 50
	clusterSMTP      = 1500
	clusterTotal     = clusterMailboxes*clusterPerBox + clusterSMTP
)

// clusterNode is one `atende serve` child process.
type clusterNode struct {
	id         string
	http, smtp string
	args       []string
	env        []string
	bin        string
	logPath    string
	// token is an admin's API token: /readyz shows the node's leases
	// only to a logged-in admin.
	token string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (n *clusterNode) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(n.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(n.bin, n.args...)
	cmd.Env = n.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
}

func (n *clusterNode) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func (n *clusterNode) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		n.kill()
	}
}

func (n *clusterNode) logTail() string {
	b, _ := os.ReadFile(n.logPath)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	return string(b)
}

// readyLeases asks the node's /readyz which mailboxes it holds.
func (n *clusterNode) readyLeases(client *http.Client) ([]int64, error) {
	held, err := n.readyTokens(client)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(held))
	for id := range held {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// readyTokens asks the node's /readyz which mailboxes it holds, with each
// lease's fencing token.
func (n *clusterNode) readyTokens(client *http.Client) (map[int64]int64, error) {
	req, _ := http.NewRequest("GET", "http://"+n.http+"/readyz", nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Node   string `json:"node"`
		Leases []struct {
			ChannelID int64 `json:"channel_id"`
			Token     int64 `json:"token"`
		} `json:"mailbox_leases"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Node != n.id {
		return nil, fmt.Errorf("readyz of %s answered for %q", n.id, body.Node)
	}
	held := make(map[int64]int64, len(body.Leases))
	for _, l := range body.Leases {
		held[l.ChannelID] = l.Token
	}
	return held, nil
}

// leaseOverlaps compares three rounds of the nodes' lease views, each
// round asked only after the one before it had answered. A node that
// shows a mailbox in rounds 1 and 3 under the same fencing token held it
// all along in between (a new grant would carry a new token); if another
// node shows that mailbox in round 2, both held it at once. One round
// alone cannot tell that from a handoff: the nodes answer at slightly
// different moments, and a lease released by one and taken by another
// between those moments shows up in both views.
func leaseOverlaps(rounds [3][]map[int64]int64, names []string) []string {
	var out []string
	for x, first := range rounds[0] {
		for id, tok := range first {
			if t3, ok := rounds[2][x][id]; !ok || t3 != tok {
				continue
			}
			for y, mid := range rounds[1] {
				if y == x {
					continue
				}
				if t2, ok := mid[id]; ok {
					out = append(out, fmt.Sprintf("mailbox %d held by %s (token %d) and %s (token %d) at once", id, names[x], tok, names[y], t2))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func clusterMail(from, subject, msgID, body string) []byte {
	return []byte("From: " + from + "\r\nTo: suporte@acme.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + msgID + ">\r\n" +
		"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
}

// TestClusterThreeNodes runs three `atende serve` processes on one
// PostgreSQL and one real S3 server (versitygw), with 30 Dovecot
// mailboxes synced over IMAP and inbound SMTP on every node. 3,000
// messages arrive (IMAP APPEND and SMTP spread over all nodes) while one
// node is killed with SIGKILL and later restarted. It checks: exactly
// 3,000 ticket messages, none doubled; at every sample no mailbox is held
// by two live nodes; the dead node's mailboxes resume (their checkpoints
// move past mail appended after the kill) within 20 s; an attachment that
// came in through node A downloads through node C; and an event-stream
// client on node B sees every message, including those the other nodes
// stored, within a second.
func TestClusterThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	ctx := context.Background()
	testStart := time.Now()
	pgURL := pgtest.NewDatabase(t)
	s3 := s3test.Start(t)
	users := map[string]string{}
	for i := 0; i < clusterMailboxes; i++ {
		users[fmt.Sprintf("mb%02d", i)] = fmt.Sprintf("senha%02d", i)
	}
	ms := mailstack.StartT(t, mailstack.Options{Users: users, NoPostfix: true})
	dns := dnstest.Start(t)
	bin := buildAtende(t)
	t.Logf("set-up (PostgreSQL, versitygw, Dovecot, build): %v", time.Since(testStart).Round(time.Millisecond))

	// The company, its 30 external channels and one internal (SMTP) channel.
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	must(t, err)
	st, err := postgres.Open(ctx, pgURL, clock.System{})
	must(t, err)
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	_, imapPort, _ := net.SplitHostPort(ms.IMAPAddr)
	port, _ := strconv.Atoi(imapPort)
	mailboxOf := map[int64]string{} // channel → user
	var boxes []string
	for u := range users {
		boxes = append(boxes, u)
	}
	sort.Strings(boxes)
	for _, u := range boxes {
		ch := &model.Channel{CompanyID: co.ID, Slug: u, Name: "Caixa " + u, Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
			InboundToken: "tok" + u, Settings: model.ChannelSettings{Provider: "other", FromEmail: ms.Address(u), HistoryDays: -1,
				IMAP: model.ServerConf{Host: "localhost", Port: port, Encryption: "starttls", Username: ms.Address(u), Auth: "password"}}}
		must(t, st.CreateChannel(ctx, ch))
		must(t, box.PutChannelSecret(ctx, st, co.ID, ch.ID, secrets.IMAPPassword, users[u]))
		mailboxOf[ch.ID] = u
	}
	internal := &model.Channel{CompanyID: co.ID, Slug: "encaminhado", Name: "Encaminhado", Enabled: true, Incoming: model.ConnInternal,
		Outgoing: model.ConnInternal, InboundToken: "clustertok7x2q", Settings: model.ChannelSettings{PrimaryEmail: "suporte@acme.test"}}
	must(t, st.CreateChannel(ctx, internal))
	inboundAddr := "acme-clustertok7x2q@support.test"
	hash, err := auth.HashPassword("uma senha bem longa", auth.DefaultParams)
	must(t, err)
	ana := &model.Agent{CompanyID: co.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAdmin, PasswordHash: hash}
	must(t, st.CreateAgent(ctx, ana))
	token := adminToken(t, st, ana)

	// Three nodes.
	dir := t.TempDir()
	env := append(os.Environ(), "ATENDE_SECRET_KEY="+base64.StdEncoding.EncodeToString(key), "ATENDE_DNS_RESOLVER="+dns.Addr(),
		"ATENDE_DATABASE_URL="+pgURL, "ATENDE_BLOBS="+s3.URL())
	env = append(env, s3.Env()...)
	var nodes []*clusterNode
	for i, id := range []string{"node-a", "node-b", "node-c"} {
		n := &clusterNode{id: id, http: freePort(t), smtp: freePort(t), bin: bin, env: env, logPath: filepath.Join(dir, id+".log"), token: token}
		n.args = []string{"serve", "--node-id", id, "--data", filepath.Join(dir, id), "--http", n.http, "--smtp", n.smtp,
			"--inbound-domain", "support.test", "--extra-ca-file", ms.CAFile, "--workers", "4", "--allow-private-hosts", "127.0.0.0/8,::1"}
		_ = i
		n.start(t)
		nodes = append(nodes, n)
	}
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
		if t.Failed() {
			for _, n := range nodes {
				t.Logf("=== %s log (tail) ===\n%s", n.id, n.logTail())
			}
		}
	}()
	b, c := nodes[1], nodes[2]
	httpc := &http.Client{Timeout: 5 * time.Second}
	waitFor(t, 60*time.Second, "three nodes holding ten mailboxes each", func() bool {
		for _, n := range nodes {
			ids, err := n.readyLeases(httpc)
			if err != nil || len(ids) != clusterMailboxes/3 {
				return false
			}
		}
		return true
	})
	t.Logf("nodes up, mailboxes spread 10/10/10: %v", time.Since(testStart).Round(time.Millisecond))

	// An agent's browser on node B: logged in, event stream open.
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	login, _ := json.Marshal(map[string]string{"company": "acme", "email": "ana@acme.test", "password": "uma senha bem longa"})
	resp, err := web.Post("http://"+b.http+"/api/v1/auth/login", "application/json", bytes.NewReader(login))
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login on node B: %s", resp.Status)
	}
	type seen struct {
		at time.Time
	}
	var evMu sync.Mutex
	var resyncs atomic.Int64    // "re-read": events were dropped for this client
	var lastResync atomic.Int64 // when the last one arrived (Unix ns)
	events := map[int64]seen{}  // message ID → first message.received on B
	sseCtx, sseCancel := context.WithCancel(ctx)
	defer sseCancel()
	sseDone := make(chan struct{})
	req, _ := http.NewRequestWithContext(sseCtx, "GET", "http://"+b.http+"/api/v1/events", nil)
	sse, err := (&http.Client{Jar: jar}).Do(req)
	must(t, err)
	if sse.StatusCode != http.StatusOK {
		t.Fatalf("event stream on node B: %s", sse.Status)
	}
	go func() {
		defer close(sseDone)
		defer sse.Body.Close()
		sc := bufio.NewScanner(sse.Body)
		typ := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
				if typ == "stream.resync" {
					resyncs.Add(1)
					lastResync.Store(time.Now().UnixNano())
				}
			case strings.HasPrefix(line, "data: ") && typ == "message.received":
				var ev struct {
					MessageID int64 `json:"message_id"`
				}
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev) == nil {
					now := time.Now()
					evMu.Lock()
					if _, ok := events[ev.MessageID]; !ok {
						events[ev.MessageID] = seen{now}
					}
					evMu.Unlock()
				}
			}
		}
	}()

	// Sampler: every 200 ms, three rounds of the live nodes' own view of
	// their leases never show a mailbox held by two nodes at once
	// (leaseOverlaps says how that is told apart from a handoff).
	var alive [3]atomic.Bool
	for i := range alive {
		alive[i].Store(true)
	}
	names := []string{nodes[0].id, nodes[1].id, nodes[2].id}
	var samples, overlaps, handoffs atomic.Int64
	sampleCtx, stopSampling := context.WithCancel(ctx)
	samplerDone := make(chan struct{})
	go func() {
		defer close(samplerDone)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-tick.C:
			}
			var rounds [3][]map[int64]int64
			for r := range rounds {
				var wg sync.WaitGroup
				views := make([]map[int64]int64, 3)
				for i, n := range nodes {
					if !alive[i].Load() {
						continue
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						views[i], _ = n.readyTokens(httpc)
					}()
				}
				wg.Wait()
				rounds[r] = views
			}
			// Within one round, a mailbox in two views is a handoff
			// caught between two answers, unless the rounds around it
			// prove otherwise.
			owner := map[int64]int{}
			for i, v := range rounds[1] {
				for id := range v {
					if _, dup := owner[id]; dup {
						handoffs.Add(1)
					}
					owner[id] = i
				}
			}
			for _, o := range leaseOverlaps(rounds, names) {
				overlaps.Add(1)
				t.Error(o)
			}
			samples.Add(1)
		}
	}()

	// The load. IMAP: one APPEND connection per mailbox, 50 messages each,
	// paced over ~40 s. SMTP: 1,500 messages over the three nodes; a
	// session that fails (the killed node) is retried on the next node.
	loadStart := time.Now()
	killAt := 12 * time.Second
	var killed atomic.Bool
	var killTime time.Time
	postKillUID := map[string]uint32{} // mailbox → first UID appended after the kill
	var pkMu sync.Mutex
	var loadWG sync.WaitGroup
	errc := make(chan error, 64)
	for bi, u := range boxes {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			cl, err := ms.LoginIMAP(ctx, u, users[u], nil)
			if err != nil {
				errc <- err
				return
			}
			defer cl.Close()
			for i := 0; i < clusterPerBox; i++ {
				raw := clusterMail(fmt.Sprintf("cliente%02d-%d@example.net", bi, i), fmt.Sprintf("IMAP %s pedido %d", u, i),
					fmt.Sprintf("imap-%s-%d@example.net", u, i), strings.Repeat(fmt.Sprintf("Linha %d do pedido. ", i), 20))
				cmd := cl.Append("INBOX", int64(len(raw)), nil)
				if _, err := cmd.Write(raw); err != nil {
					errc <- err
					return
				}
				if err := cmd.Close(); err != nil {
					errc <- err
					return
				}
				data, err := cmd.Wait()
				if err != nil {
					errc <- err
					return
				}
				if killed.Load() {
					pkMu.Lock()
					if _, ok := postKillUID[u]; !ok {
						postKillUID[u] = uint32(data.UID)
					}
					pkMu.Unlock()
				}
				time.Sleep(750 * time.Millisecond)
			}
		}()
	}
	attachment := bytes.Repeat([]byte("%PDF-1.4 fatura de exemplo "), 8000) // ~215 KB
	const smtpSenders = 12
	for s := 0; s < smtpSenders; s++ {
		loadWG.Add(1)
		go func() {
			defer loadWG.Done()
			nodeIdx := s % 3
			var cl *smtp.Client
			defer func() {
				if cl != nil {
					cl.Close()
				}
			}()
			for i := s; i < clusterSMTP; i += smtpSenders {
				var raw []byte
				if i == 0 {
					// The one with an attachment goes to node A.
					raw = []byte("From: Carla <carla@example.net>\r\nTo: suporte@acme.test\r\nSubject: Fatura com anexo\r\n" +
						"Message-ID: <smtp-0@example.net>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
						"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue a fatura.\r\n" +
						"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"fatura.pdf\"\r\n" +
						"Content-Transfer-Encoding: base64\r\n\r\n" + mailmix.Base64Lines(attachment) + "--b1--\r\n")
				} else {
					raw = clusterMail(fmt.Sprintf("remetente%d@example.net", i), fmt.Sprintf("SMTP pedido %d", i),
						fmt.Sprintf("smtp-%d@example.net", i), strings.Repeat(fmt.Sprintf("Texto %d. ", i), 30))
				}
				for attempt := 0; ; attempt++ {
					if attempt > 30 {
						errc <- fmt.Errorf("smtp message %d: gave up", i)
						return
					}
					if cl == nil {
						if c, err := smtp.Dial(nodes[nodeIdx].smtp); err == nil {
							if err = c.Hello("carga.example.net"); err == nil {
								cl = c
							} else {
								c.Close()
							}
						}
						if cl == nil {
							nodeIdx = (nodeIdx + 1) % 3 // like an MTA's next MX
							time.Sleep(100 * time.Millisecond)
							continue
						}
					}
					if err := sendOne(cl, fmt.Sprintf("remetente%d@example.net", i), inboundAddr, raw); err != nil {
						cl.Close()
						cl = nil
						nodeIdx = (nodeIdx + 1) % 3
						continue
					}
					break
				}
				time.Sleep(time.Duration(smtpSenders) * 25 * time.Millisecond)
			}
		}()
	}

	// Kill node C mid-load; measure how long until its mailboxes are
	// synced by others again; restart it later.
	time.Sleep(killAt - time.Since(loadStart))
	deadBoxes, err := c.readyLeases(httpc)
	must(t, err)
	alive[2].Store(false)
	killTime = time.Now()
	c.kill()
	killed.Store(true)
	t.Logf("killed node-c at %v holding %d mailboxes", time.Since(loadStart).Round(time.Millisecond), len(deadBoxes))
	var takeover, resume time.Duration
	waitFor(t, 40*time.Second, "node-c's mailboxes leased by the others", func() bool {
		leases, err := st.ListMailboxLeases(ctx)
		if err != nil {
			return false
		}
		held := map[int64]string{}
		for _, l := range leases {
			if l.ExpiresIn > 0 {
				held[l.ChannelID] = l.NodeID
			}
		}
		for _, id := range deadBoxes {
			if o := held[id]; o == "" || o == "node-c" {
				return false
			}
		}
		takeover = time.Since(killTime)
		return true
	})
	waitFor(t, 40*time.Second, "node-c's mailboxes syncing again (checkpoints past mail appended after the kill)", func() bool {
		pkMu.Lock()
		defer pkMu.Unlock()
		for _, id := range deadBoxes {
			u := mailboxOf[id]
			uid, ok := postKillUID[u]
			if !ok {
				return false
			}
			cp, err := st.GetSyncCheckpoint(ctx, co.ID, id, "INBOX")
			if err != nil || cp.LastUID < uid {
				return false
			}
		}
		resume = time.Since(killTime)
		return true
	})
	t.Logf("failover: leases taken %v after the kill, syncing resumed %v after", takeover.Round(time.Millisecond), resume.Round(time.Millisecond))
	// The leases move within one lease period (15 s, asserted above by
	// the wait); the sync then catches up behind the 3,000-message load.
	// On a quiet 2-core machine this takes 14-15.5 s (three runs); with
	// other test packages compiling and running beside it, it took 23-34 s,
	// which is why scripts/test.sh runs this test on its own after the
	// rest of the suite.
	if resume > 20*time.Second {
		t.Errorf("node-c's mailboxes resumed after %v, want within 20 s", resume)
	}
	time.Sleep(3 * time.Second)
	c.start(t)
	alive[2].Store(true)
	t.Logf("restarted node-c at %v", time.Since(loadStart).Round(time.Millisecond))

	loadWG.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("load: %v", err)
	}
	t.Logf("load sent in %v", time.Since(loadStart).Round(time.Millisecond))

	// Everything arrives, exactly once.
	var n, pending, done int
	defer func() {
		if t.Failed() {
			failed, _ := st.CountInbound(ctx, model.InboundFailed)
			t.Logf("at the end: %d messages, %d inbound rows pending, %d done, %d failed", n, pending, done, failed)
		}
	}()
	waitFor(t, 90*time.Second, "3,000 messages", func() bool {
		n, _ = st.CountMessages(ctx, co.ID)
		pending, _ = st.CountInbound(ctx, model.InboundPending)
		done, _ = st.CountInbound(ctx, model.InboundDone)
		return n >= clusterTotal && pending == 0
	})
	ingestDone := time.Since(loadStart)
	time.Sleep(2 * time.Second) // anything doubled would show up now
	n, err = st.CountMessages(ctx, co.ID)
	must(t, err)
	if n != clusterTotal {
		t.Fatalf("%d messages, want exactly %d", n, clusterTotal)
	}
	failed, _ := st.CountInbound(ctx, model.InboundFailed)
	if failed != 0 {
		t.Fatalf("%d inbound rows failed", failed)
	}
	// One ticket per message (distinct senders and subjects); below, no
	// Message-ID twice.
	ids := map[string]bool{}
	var tickets []model.Ticket
	for before := int64(0); ; {
		page, err := st.ListTickets(ctx, co.ID, store.TicketFilter{Before: before, Limit: 500, Sort: store.SortNewest})
		must(t, err)
		if len(page) == 0 {
			break
		}
		tickets = append(tickets, page...)
		before = page[len(page)-1].ID
	}
	if len(tickets) != clusterTotal {
		t.Fatalf("%d tickets, want %d", len(tickets), clusterTotal)
	}
	var attTicket *model.Ticket
	for i := range tickets {
		if tickets[i].Subject == "Fatura com anexo" {
			attTicket = &tickets[i]
		}
	}
	if attTicket == nil {
		t.Fatal("the attachment's ticket is missing")
	}
	msgs, err := st.ListMessages(ctx, co.ID, attTicket.ID)
	must(t, err)
	// The attachment, stored through node A, downloads through node C.
	atts, err := st.ListAttachments(ctx, co.ID, msgs[0].ID)
	must(t, err)
	if len(atts) != 1 {
		t.Fatalf("attachments = %+v", atts)
	}
	resp, err = web.Get(fmt.Sprintf("http://%s/tickets/%d/attachments/%d", c.http, attTicket.ID, atts[0].ID))
	must(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, attachment) {
		t.Fatalf("attachment through node C: %s, %d bytes (want %d)", resp.Status, len(got), len(attachment))
	}

	// The event stream on node B saw every message, whichever node stored
	// it, and within a second of its storing.
	// (A node killed with SIGKILL may take the events of the last few
	// milliseconds' commits with it, before they were sent: those are
	// the only ones allowed to be missing, and the inbox re-reads its
	// whole list at the next event anyway.)
	waitFor(t, 10*time.Second, "events on node B", func() bool {
		evMu.Lock()
		defer evMu.Unlock()
		return len(events) >= clusterTotal-5
	})
	time.Sleep(time.Second)
	sseCancel()
	<-sseDone
	lostAtKill := 0
	var lat []time.Duration
	for before := int64(0); ; {
		page, err := st.ListTickets(ctx, co.ID, store.TicketFilter{Before: before, Limit: 500, Sort: store.SortNewest})
		must(t, err)
		if len(page) == 0 {
			break
		}
		for _, tk := range page {
			tms, err := st.ListMessages(ctx, co.ID, tk.ID)
			must(t, err)
			for _, m := range tms {
				if ids[m.MessageID] {
					t.Fatalf("Message-ID %s stored twice", m.MessageID)
				}
				ids[m.MessageID] = true
				evMu.Lock()
				e, ok := events[m.ID]
				evMu.Unlock()
				if !ok {
					if d := killTime.Sub(m.CreatedAt); d >= 0 && d < time.Second {
						lostAtKill++
						continue
					}
					t.Errorf("node B's event stream never saw message %d (stored %v, node-c killed %v)", m.ID, m.CreatedAt, killTime)
					continue
				}
				lat = append(lat, e.at.Sub(m.CreatedAt))
			}
		}
		before = page[len(page)-1].ID
	}
	slices.Sort(lat)
	p50, p99, worst := lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	t.Logf("event latency on node B (storing → event): median %v, p99 %v, max %v over %d messages; %d lost with the killed node; %d resyncs",
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), worst.Round(time.Millisecond), len(lat), lostAtKill, resyncs.Load())
	// Within a second for (almost) all; the slowest one is logged, not
	// asserted: on this shared machine a race-instrumented suite running
	// beside the test can hold any goroutine for a second (a full-suite
	// run at load average 12 once saw a 1.6 s maximum with p99 569 ms).
	if p99 > time.Second {
		t.Errorf("p99 of events reaching node B is %v after storing, want within 1 s", p99)
	}
	// What node C stored and never told (lostAtKill) is re-read: node B
	// tells its clients to once it sees C gone (OnPeerGone).
	if at := time.Unix(0, lastResync.Load()); !at.After(killTime) || at.Sub(killTime) > 30*time.Second {
		t.Errorf("node B's clients were not told to re-read after node C died (last resync %v, kill %v)", at, killTime)
	} else {
		t.Logf("node B's clients told to re-read %v after the kill", at.Sub(killTime).Round(time.Millisecond))
	}
	if worst > 5*time.Second {
		t.Errorf("an event reached node B %v after its message was stored", worst)
	}
	// Node B stored only part of them itself: the rest came from A and C.
	bProcessed := scrapeSum(t, httpc, b.http, "atende_messages_processed_total")
	if bProcessed >= clusterTotal || bProcessed <= 0 {
		t.Fatalf("node B processed %v messages itself", bProcessed)
	}
	if rcv := scrapeSum(t, httpc, b.http, "atende_events_bus_notifications_total{dir=\"received\""); rcv < clusterTotal-bProcessed {
		t.Fatalf("node B received %v events from the others, want at least %v", rcv, clusterTotal-bProcessed)
	}

	// After the restart the shares even out again.
	waitFor(t, 30*time.Second, "shares even after the restart", func() bool {
		for _, nd := range nodes {
			ids, err := nd.readyLeases(httpc)
			if err != nil || len(ids) != clusterMailboxes/3 {
				return false
			}
		}
		return true
	})
	stopSampling()
	<-samplerDone
	if overlaps.Load() > 0 || samples.Load() < 50 {
		t.Fatalf("%d overlapping samples of %d", overlaps.Load(), samples.Load())
	}
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.TrimSpace(string(b))
	}
	t.Logf("3,000 messages stored in %v from the start of the load; %d lease samples, none shared (%d handoffs caught between two answers); whole test %v; load average %s; %d CPUs",
		ingestDone.Round(time.Millisecond), samples.Load(), handoffs.Load(), time.Since(testStart).Round(time.Millisecond), load, runtime.NumCPU())
}

func sendOne(c *smtp.Client, from, to string, raw []byte) error {
	if err := c.Mail(from, nil); err != nil {
		return err
	}
	if err := c.Rcpt(to, nil); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	return w.Close()
}

// scrapeSum adds up the samples of a metric (name, or name{label...
// prefix) on a node's /metrics.
func scrapeSum(t *testing.T, c *http.Client, addr, prefix string) float64 {
	t.Helper()
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum
}

// adminToken is an API token of admin a (for /readyz's details).
func adminToken(t *testing.T, st store.Store, a *model.Agent) string {
	t.Helper()
	raw := auth.APITokenPrefix + fmt.Sprintf("readyz%d%d", a.ID, time.Now().UnixNano())
	must(t, st.CreateAPIToken(context.Background(), &store.APIToken{CompanyID: a.CompanyID, AgentID: a.ID, Name: "readyz",
		TokenHash: auth.HashToken(raw), CreatedAt: time.Now()}))
	return raw
}

// The sampler's rule: a handoff caught between two answers is not an
// overlap; a node that kept its grant across another node's view is.
func TestLeaseOverlapsRule(t *testing.T) {
	names := []string{"node-a", "node-b", "node-c"}
	v := func(m map[int64]int64) map[int64]int64 { return m }
	// Mailbox 13 moves from node-a (token 3) to node-c (token 4) while
	// the nodes answer: each round may show it twice, or nowhere.
	handoff := [3][]map[int64]int64{
		{v(map[int64]int64{13: 3, 1: 1}), v(map[int64]int64{2: 1}), v(nil)},
		{v(map[int64]int64{13: 3, 1: 1}), v(map[int64]int64{2: 1}), v(map[int64]int64{13: 4})},
		{v(map[int64]int64{1: 1}), v(map[int64]int64{2: 1}), v(map[int64]int64{13: 4})},
	}
	if got := leaseOverlaps(handoff, names); len(got) != 0 {
		t.Errorf("a handoff reported as overlap: %v", got)
	}
	// node-a re-acquired 13 (new token) around node-c's view: it gave it
	// up in between, so no proof either.
	regrant := handoff
	regrant[2] = []map[int64]int64{v(map[int64]int64{13: 5, 1: 1}), v(map[int64]int64{2: 1}), v(nil)}
	if got := leaseOverlaps(regrant, names); len(got) != 0 {
		t.Errorf("a new grant reported as overlap: %v", got)
	}
	// node-a kept token 3 all along while node-c showed 13: overlap.
	kept := handoff
	kept[2] = []map[int64]int64{v(map[int64]int64{13: 3, 1: 1}), v(map[int64]int64{2: 1}), v(map[int64]int64{13: 4})}
	got := leaseOverlaps(kept, names)
	if want := []string{"mailbox 13 held by node-a (token 3) and node-c (token 4) at once"}; !slices.Equal(got, want) {
		t.Errorf("overlap = %v, want %v", got, want)
	}
}
