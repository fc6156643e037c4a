package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/testutil/mailstack"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/s3test"
)

// TestBenchFailover measures mailbox failover over 10 SIGKILLs: three
// real nodes share 12 Dovecot mailboxes; each round kills the node
// holding the most, appends one message to each of its mailboxes, and
// times (1) until every one is leased by a live node and (2) until each
// one's checkpoint is past the appended message (syncing again). The
// victim is restarted and shares even out before the next round. It runs
// only with ATENDE_BENCH=1 (about 4 minutes): `make bench` prints it.
func TestBenchFailover(t *testing.T) {
	if os.Getenv("ATENDE_BENCH") != "1" {
		t.Skip("benchmark: set ATENDE_BENCH=1")
	}
	ctx := context.Background()
	pgURL := pgtest.NewDatabase(t)
	s3 := s3test.Start(t)
	const boxes = 12
	users := map[string]string{}
	for i := 0; i < boxes; i++ {
		users[fmt.Sprintf("fo%02d", i)] = fmt.Sprintf("senha%02d", i)
	}
	ms := mailstack.StartT(t, mailstack.Options{Users: users, NoPostfix: true})
	bin := buildAtende(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	must(t, err)
	st, err := postgres.Open(ctx, pgURL, clock.System{})
	must(t, err)
	defer st.Close()
	co := &model.Company{Slug: "acme", Name: "ACME"}
	must(t, st.CreateCompany(ctx, co))
	ana := &model.Agent{CompanyID: co.ID, Email: "ana@acme.test", Name: "Ana", Role: model.RoleAdmin, PasswordHash: "-"}
	must(t, st.CreateAgent(ctx, ana))
	token := adminToken(t, st, ana)
	_, p, _ := net.SplitHostPort(ms.IMAPAddr)
	port, _ := strconv.Atoi(p)
	user := map[int64]string{}
	for u := range users {
		ch := &model.Channel{CompanyID: co.ID, Slug: u, Name: u, Enabled: true, Incoming: model.ConnExternal, Outgoing: model.ConnExternal,
			InboundToken: "tok" + u, Settings: model.ChannelSettings{Provider: "other", FromEmail: ms.Address(u), HistoryDays: -1,
				IMAP: model.ServerConf{Host: "localhost", Port: port, Encryption: "starttls", Username: ms.Address(u), Auth: "password"}}}
		must(t, st.CreateChannel(ctx, ch))
		must(t, box.PutChannelSecret(ctx, st, co.ID, ch.ID, secrets.IMAPPassword, users[u]))
		user[ch.ID] = u
	}
	dir := t.TempDir()
	env := append(os.Environ(), "ATENDE_SECRET_KEY="+base64.StdEncoding.EncodeToString(key), "ATENDE_DATABASE_URL="+pgURL, "ATENDE_BLOBS="+s3.URL())
	env = append(env, s3.Env()...)
	var nodes []*clusterNode
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		n := &clusterNode{id: id, http: freePort(t), smtp: "", bin: bin, env: env, logPath: filepath.Join(dir, id+".log"), token: token}
		n.args = []string{"serve", "--node-id", id, "--data", filepath.Join(dir, id), "--http", n.http, "--smtp", "",
			"--extra-ca-file", ms.CAFile, "--allow-private-hosts", "127.0.0.0/8,::1"}
		n.start(t)
		nodes = append(nodes, n)
	}
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	httpc := &http.Client{Timeout: 5 * time.Second}
	even := func() bool {
		for _, n := range nodes {
			ids, err := n.readyLeases(httpc)
			if err != nil || len(ids) != boxes/3 {
				return false
			}
		}
		return true
	}
	waitFor(t, 60*time.Second, "even shares", even)
	var takeovers, resumes []time.Duration
	for round := 0; round < 10; round++ {
		victim := nodes[round%3]
		held, err := victim.readyLeases(httpc)
		must(t, err)
		killed := time.Now()
		victim.kill()
		uids := map[int64]uint32{}
		for _, id := range held {
			uid, err := ms.Append(ctx, user[id], users[user[id]], "INBOX", []byte(fmt.Sprintf(
				"From: c@example.net\r\nSubject: failover %d %d\r\nMessage-ID: <fo-%d-%d@example.net>\r\n\r\nolá\r\n", round, id, round, id)))
			must(t, err)
			uids[id] = uid
		}
		var takeover time.Duration
		waitFor(t, 60*time.Second, "takeover", func() bool {
			leases, err := st.ListMailboxLeases(ctx)
			if err != nil {
				return false
			}
			for _, l := range leases {
				if _, ok := uids[l.ChannelID]; ok && (l.ExpiresIn <= 0 || l.NodeID == victim.id) {
					return false
				}
			}
			takeover = time.Since(killed)
			return true
		})
		waitFor(t, 60*time.Second, "resume", func() bool {
			for id, uid := range uids {
				cp, err := st.GetSyncCheckpoint(ctx, co.ID, id, "INBOX")
				if err != nil || cp.LastUID < uid {
					return false
				}
			}
			return true
		})
		resume := time.Since(killed)
		takeovers, resumes = append(takeovers, takeover), append(resumes, resume)
		t.Logf("round %d: killed %s holding %d mailboxes; leases taken after %v, syncing after %v", round+1, victim.id, len(held),
			takeover.Round(time.Millisecond), resume.Round(time.Millisecond))
		victim.start(t)
		waitFor(t, 60*time.Second, "even shares after the restart", even)
	}
	stat := func(d []time.Duration) string {
		s := slices.Clone(d)
		slices.Sort(s)
		return fmt.Sprintf("median %v, max %v", s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("failover over %d kills: leases taken %s; syncing again %s (lease 15 s); load average %s",
		len(resumes), stat(takeovers), stat(resumes), strings.TrimSpace(string(load)))
}
