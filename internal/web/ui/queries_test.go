package ui_test

import (
	"fmt"
	"testing"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// seedTickets adds n tickets, each from its own contact, with msgs
// inbound messages carrying one attachment each.
func seedTickets(t *testing.T, e *env, co *company, n, msgs int, prefix string) []*model.Ticket {
	t.Helper()
	var out []*model.Ticket
	for i := range n {
		c, err := e.st.UpsertContact(ctx, co.co.ID, fmt.Sprintf("%s%d@cliente.example", prefix, i), fmt.Sprintf("Cliente %s%d", prefix, i))
		must(t, err)
		tk := &model.Ticket{CompanyID: co.co.ID, ChannelID: co.ch.ID, ContactID: c.ID, Subject: fmt.Sprintf("Pedido %s%d", prefix, i),
			ReplyToken: fmt.Sprintf("rt-%s-%d", prefix, i)}
		must(t, e.st.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
		for j := range msgs {
			m := &model.Message{CompanyID: co.co.ID, TicketID: tk.ID, ChannelID: co.ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
				Subject: tk.Subject, From: model.Address{Address: c.Email}, Text: fmt.Sprintf("mensagem %d", j)}
			must(t, e.st.CreateMessage(ctx, m))
			must(t, e.st.CreateAttachment(ctx, &model.Attachment{CompanyID: co.co.ID, MessageID: m.ID, BlobKey: "k", Filename: "a.pdf",
				ContentType: "application/pdf", Size: 1}))
		}
		out = append(out, tk)
	}
	return out
}

// queriesOf counts the SQL statements one GET runs.
func queriesOf(t *testing.T, e *env, c *client, path, want string) int64 {
	t.Helper()
	qc, ok := e.st.(interface{ QueryCount() int64 })
	if !ok {
		t.Fatal("store does not count queries")
	}
	c.get(path) // warm: first-visit work (time zone, caches) is not the page's
	before := qc.QueryCount()
	p := c.get(path)
	n := qc.QueryCount() - before
	wantStatus(t, p, 200)
	wantContains(t, p, want)
	return n
}

// TestPageQueries: the inbox, ticket and channel pages run a bounded
// number of queries, the same for 2 rows as for 50 (issue 19: the inbox
// ran one contact query per row, the ticket page one attachment query per
// message, the channel list one status query per channel).
func TestPageQueries(t *testing.T) {
	e := newEnv(t)
	co := e.company(t, "acme", "")
	c := e.client(t, "")
	wantRedirect(t, c.login("acme", co.admin.Email, adminPassword), "/inbox")

	seedTickets(t, e, co, 2, 1, "a")
	small := queriesOf(t, e, c, "/inbox", "Pedido a1")
	searchSmall := queriesOf(t, e, c, "/inbox?q=pedido", "Pedido a1")
	seedTickets(t, e, co, 60, 1, "b")
	big := queriesOf(t, e, c, "/inbox", "Pedido b59")
	t.Logf("inbox: %d queries for 2 rows, %d for 50 rows", small, big)
	// A fixed number: the session and agent, the page, the directory
	// names (shared with the bulk bar since issue 19: 15 before), the
	// counts, the page's contacts and read marks, whatever the number of
	// rows.
	if big != small || big > 13 {
		t.Errorf("inbox: %d queries for 2 rows, %d for 50", small, big)
	}
	// The search page: the same queries, the search in one statement (as
	// the API's), whatever the number of hits; a prefix search ("pedid")
	// runs the whole-word search first, then the prefix one. On SQLite a
	// search first asks whether rows written outside a transaction wait
	// for the full-text index (sqlstore/ftsdefer.go): one more.
	fresh := int64(0)
	if e.st.Dialect() == "sqlite" {
		fresh = 1
	}
	search := queriesOf(t, e, c, "/inbox?q=pedido", "Pedido b59")
	prefix := queriesOf(t, e, c, "/inbox?q=pedid", "Pedido b59")
	t.Logf("search: %d queries for 2 hits, %d for 50, %d for a prefix", searchSmall, search, prefix)
	if search != searchSmall || search != big+fresh || prefix != big+fresh+1 {
		t.Errorf("search: %d queries for 2 hits, %d for 50, %d for a prefix (list: %d)", searchSmall, search, prefix, big)
	}

	few := seedTickets(t, e, co, 1, 2, "c")[0]
	many := seedTickets(t, e, co, 1, 30, "d")[0]
	nFew := queriesOf(t, e, c, fmt.Sprintf("/tickets/%d", few.ID), "Pedido c0")
	nMany := queriesOf(t, e, c, fmt.Sprintf("/tickets/%d", many.ID), "Pedido d0")
	t.Logf("ticket page: %d queries for 2 messages, %d for 30", nFew, nMany)
	// A fixed number: the ticket, its messages and attachments, the
	// workspace (timeline, presence, contact panel), the composer (draft,
	// canned replies, held replies), snooze and the read mark.
	if nMany != nFew || nMany > 30 {
		t.Errorf("ticket page: %d queries for 2 messages, %d for 30", nFew, nMany)
	}

	one := queriesOf(t, e, c, "/channels", "Suporte")
	for i := range 5 {
		_, err := e.dir.CreateChannel(ctx, co.co.ID, directory.ChannelInput{Slug: fmt.Sprintf("vendas%d", i), Name: fmt.Sprintf("vendas%d", i),
			PrimaryEmail: fmt.Sprintf("vendas%d@acme.test", i)})
		must(t, err)
	}
	six := queriesOf(t, e, c, "/channels", "vendas4")
	t.Logf("channel list: %d queries for 1 channel, %d for 6", one, six)
	if six != one || six > 15 {
		t.Errorf("channel list: %d queries for 1 channel, %d for 6", one, six)
	}
}
