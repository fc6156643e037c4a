package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
)

// TestDeferredFullTextIndex: the full-text indexes are written for noted
// rows (migration 0025): by the transaction that brings them to
// sqlstore.FTSBatchRows, by the background indexer shortly after a
// commit that left fewer, by a search before it reads, and when a store
// opens. Rows written, rewritten and deleted in one transaction, in later
// ones and outside any, leave the three external-content indexes exactly
// in step with their tables (FTS5's own integrity-check against the
// content), and every committed row is found by search.
func TestDeferredFullTextIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atende.db")
	s := openFile(t, path)
	defer func() { s.Close() }()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := raw.ExecContext(ctx, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	check := func(when string) {
		t.Helper()
		for _, tbl := range []string{"messages_fts", "contacts_fts", "tickets_fts"} {
			if _, err := raw.ExecContext(ctx, "INSERT INTO "+tbl+" ("+tbl+", rank) VALUES ('integrity-check', 1)"); err != nil {
				t.Fatalf("%s: %s out of step with its table: %v", when, tbl, err)
			}
		}
	}
	pending := func() int {
		t.Helper()
		var n int
		if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM fts_pending").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	found := func(query string) []string {
		t.Helper()
		hits, err := s.SearchTickets(ctx, 1, store.TicketFilter{Query: query, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, h := range hits {
			out = append(out, h.Ticket.Subject)
		}
		return out
	}
	want := func(query string, subjects ...string) {
		t.Helper()
		got := found(query)
		if len(got) != len(subjects) {
			t.Fatalf("search %q = %q, want %q", query, got, subjects)
		}
		for i := range got {
			if got[i] != subjects[i] {
				t.Fatalf("search %q = %q, want %q", query, got, subjects)
			}
		}
	}

	co, ch, _ := storetest.Company(t, s, "acme")
	if co.ID != 1 {
		t.Fatalf("company %d", co.ID)
	}
	newTicket := func(q store.Queries, subject, body string) (*model.Ticket, *model.Message) {
		t.Helper()
		c, err := q.UpsertContact(ctx, co.ID, "ana@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: c.ID, Subject: subject, Status: model.StatusOpen, ReplyToken: "rt-" + subject}
		if err := q.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		m := &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: ch.ID, Direction: model.DirIn, Subject: subject,
			From: model.Address{Name: "Ana", Address: "ana@example.com"}, Text: body}
		if err := q.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		return tk, m
	}

	// One transaction: a new contact named later, a ticket renamed after
	// its creation, messages; all indexed at the commit, as they stand.
	var first *model.Ticket
	must(t, s.Tx(ctx, func(q store.Queries) error {
		first, _ = newTicket(q, "Pedido atrasado", "minha encomenda de bicicleta não chegou")
		c, err := q.UpsertContact(ctx, co.ID, "ana@example.com", "Ana Paraná") // fills in the empty name
		if err != nil {
			return err
		}
		if c.Name != "Ana Paraná" {
			t.Errorf("contact name %q", c.Name)
		}
		first.Subject = "Entrega atrasada"
		if err := q.UpdateTicket(ctx, first); err != nil {
			return err
		}
		newTicket(q, "Nota fiscal", "preciso da segunda via do boleto")
		return nil
	}))
	// Fewer than a batch: left noted by the commit, indexed by the
	// background indexer without any search asking.
	if n := pending(); n == 0 || n >= sqlstore.FTSBatchRows {
		t.Fatalf("%d rows noted after a small transaction, want 1..%d", n, sqlstore.FTSBatchRows-1)
	}
	for deadline := time.Now().Add(5 * time.Second); pending() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows still noted 5 s after the commit: no background indexing", pending())
		}
	}
	check("after one transaction")
	want("bicicleta", "Entrega atrasada")
	want("entrega", "Entrega atrasada")
	want("pedido", "Entrega atrasada") // the message keeps its subject
	want("boleto", "Nota fiscal")
	if cs, err := s.SearchContacts(ctx, co.ID, "parana", 0, 10); err != nil || len(cs) != 1 {
		t.Fatalf("contact by its later name: %v %v", cs, err)
	}

	// A rolled-back transaction indexes nothing and leaves nothing noted.
	boom := sql.ErrTxDone
	if err := s.Tx(ctx, func(q store.Queries) error {
		newTicket(q, "Reembolso", "quero meu dinheiro de volta")
		return boom
	}); err != boom {
		t.Fatalf("rollback: %v", err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("rolled back rows noted: %d", n)
	}
	want("reembolso")

	// A transaction that brings the noted rows to a batch indexes them
	// before its commit (the background indexer waits longer than this).
	must(t, s.Tx(ctx, func(q store.Queries) error {
		for i := 0; i < sqlstore.FTSBatchRows/2; i++ {
			newTicket(q, fmt.Sprintf("Lote %d", i), fmt.Sprintf("mensagem número%d do lote", i))
		}
		return nil
	}))
	if n := pending(); n != 0 {
		t.Fatalf("%d rows noted after a transaction of more than a batch", n)
	}
	check("after a batch")
	want("numero7", "Lote 7")

	// Indexed rows renamed and deleted later (the triggers' own path), and
	// an update that leaves the indexed columns alone.
	first.Subject = "Entrega perdida"
	must(t, s.UpdateTicket(ctx, first))
	first.Status = model.StatusPending
	must(t, s.UpdateTicket(ctx, first))
	exec("UPDATE messages SET text_body = 'a bicicleta chegou quebrada' WHERE ticket_id = ?", first.ID)
	check("after updates of indexed rows")
	want("perdida", "Entrega perdida")
	want("atrasada")
	want("quebrada", "Entrega perdida")
	want("encomenda")

	// Outside a transaction (one statement on the pool): noted, and a
	// search indexes it before it reads.
	_, m := newTicket(s, "Troca de tamanho", "a camiseta veio pequena")
	if n := pending(); n == 0 {
		t.Fatal("a write outside a transaction was indexed at once; this test no longer covers the search-side indexing")
	}
	// Deleted and rewritten while only noted: nothing for the index to
	// forget, the rewrite indexed as it stands.
	exec("UPDATE messages SET text_body = 'a camiseta veio grande' WHERE id = ?", m.ID)
	_, gone := newTicket(s, "Spam", "ganhe dinheiro rápido")
	exec("DELETE FROM messages WHERE id = ?", gone.ID)
	want("grande", "Troca de tamanho")
	want("pequena")
	want("ganhe")
	if n := pending(); n != 0 {
		t.Fatalf("%d rows noted after a search", n)
	}
	check("after writes outside transactions")

	// A stopped process's noted rows are indexed when the store opens.
	newTicket(s, "Cancelamento", "quero cancelar a assinatura")
	if n := pending(); n == 0 {
		t.Fatal("nothing noted before the restart")
	}
	must(t, s.Close())
	s = openFile(t, path)
	if n := pending(); n != 0 {
		t.Fatalf("%d rows noted after opening", n)
	}
	check("after reopening")
	want("assinatura", "Cancelamento")
}
