package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/storetest"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clk clock.Clock) store.Store {
		db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), clk)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestBadURL(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", clock.System{})
	if err == nil {
		t.Fatal("want error for unreachable server")
	}
}

// migrated is a new database with every migration applied, opened with
// plain database/sql to look at the schema itself.
func migrated(t *testing.T) *sql.DB {
	t.Helper()
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), url, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

// TestBodiesLZ4: migration 0014 makes the message bodies lz4-compressed
// (the local server is built with lz4).
func TestBodiesLZ4(t *testing.T) {
	raw := migrated(t)
	for _, col := range []string{"text_body", "html_body", "reply_text"} {
		var c string
		if err := raw.QueryRowContext(context.Background(), "SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'messages'::regclass AND attname = $1", col).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c != "l" {
			t.Errorf("%s compression = %q, want l (lz4)", col, c)
		}
	}
}

// TestFoldSameAsBefore: atende_fold (migration 0027: replace() instead of
// translate()) gives byte for byte what the first definition (0012) gave,
// so the indexes built on it stay valid: accents, case, the seven
// separators, multibyte neighbours of them, ligatures, empty and NULL.
func TestFoldSameAsBefore(t *testing.T) {
	raw := migrated(t)
	var src string
	if err := raw.QueryRowContext(context.Background(), "SELECT prosrc FROM pg_proc WHERE proname = 'atende_fold'").Scan(&src); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(src, "translate(") {
		t.Fatalf("atende_fold is still the translate() definition: %s", src)
	}
	const before = `translate(lower(public.unaccent('public.unaccent'::regdictionary, $1)), '@./_-+:', '       ')`
	for _, s := range []string{
		"Ana.Paraná+suporte@Exemplo.COM.br", "/var/mail/joão_silva-2024:03", "ÇÃO ÆØÅ ß ﬁ ½ Ω", "",
		"…@…/…–—•:é.ü", "日本語.テスト@例え.jp", "a..b@@c//d__e--f++g::h", "\t\r\n. .",
	} {
		var now, was sql.NullString
		if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold($1), "+before, s).Scan(&now, &was); err != nil {
			t.Fatal(err)
		}
		if now != was {
			t.Errorf("atende_fold(%q) = %q, was %q", s, now.String, was.String)
		}
	}
	var null sql.NullString
	if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold(NULL)").Scan(&null); err != nil || null.Valid {
		t.Errorf("atende_fold(NULL) = %v, %v; want NULL", null, err)
	}
	if err := raw.QueryRowContext(context.Background(), "SELECT atende_fold('Olá.Mundo')").Scan(&null); err != nil || null.String != "ola mundo" {
		t.Errorf("atende_fold('Olá.Mundo') = %q, %v", null.String, err)
	}
}

// TestRevectorOldVectors: the vectors the server made before migration
// 0028 are rewritten by the Go tokenizer, in batches, up to the newest
// message of the migration's time: after it, every row holds exactly
// search.TSVector of its fields, and a word the two tokenizers fold
// differently is found.
func TestRevectorOldVectors(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, url, clock.System{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	co, ch, contact := storetest.Company(t, db, "acme")
	tk := &model.Ticket{CompanyID: co.ID, ChannelID: ch.ID, ContactID: contact.ID, Subject: "Old", ReplyToken: "rt-old"}
	must(t, db.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, tk) }))
	add := func(text string) {
		t.Helper()
		m := &model.Message{CompanyID: co.ID, TicketID: tk.ID, ChannelID: ch.ID, Direction: model.DirIn, Status: model.MsgReceived,
			Subject: "Lieferung", From: model.Address{Name: "Søren", Address: "soren@fjord.dk"}, Text: text}
		must(t, db.Tx(ctx, func(q store.Queries) error { return q.CreateMessage(ctx, m) }))
	}
	for i := range 249 {
		add(fmt.Sprintf("mensagem comum número %d", i))
	}
	add("Die Straße ist gesperrt.")
	// The rows as 0026 left them: the server's vectors, and the job's
	// bound at the newest of them; one newer message is not its work.
	pgtest.ServerSearchVectors(t, url, true)
	add("Straße nova")
	pgtest.ServerSearchVectors(t, url, false)
	found := func(q string) int {
		t.Helper()
		got, err := db.ListTickets(ctx, co.ID, store.TicketFilter{Query: q})
		must(t, err)
		return len(got)
	}
	if found("straße") != 0 {
		t.Fatal("the server's vectors already hold straße: nothing to test")
	}

	for i, want := range []struct {
		n    int
		done bool
	}{{200, false}, {50, true}, {0, true}} {
		n, done, err := db.RevectorSearch(ctx)
		must(t, err)
		if n != want.n || done != want.done {
			t.Fatalf("batch %d: %d rows, done %v; want %d, %v", i+1, n, done, want.n, want.done)
		}
	}
	if found("straße") != 1 {
		t.Error("straße not found after the rewrite")
	}
	rows, err := raw.QueryContext(ctx, `SELECT id, subject, from_name, from_address, text_body, search_tsv::text FROM messages ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		var subject, name, addr, text, vec string
		must(t, rows.Scan(&id, &subject, &name, &addr, &text, &vec))
		ids = append(ids, id)
		if same := vec == search.TSVector(subject, name, addr, text); same == (len(ids) == 251) {
			t.Errorf("message %d (%d of 251): rewritten %v; vector %s", id, len(ids), same, vec)
		}
	}
	must(t, rows.Err())
	var through, upto int64
	var finished sql.NullTime
	must(t, raw.QueryRowContext(ctx, `SELECT done_through, upto, finished_at FROM search_revector`).Scan(&through, &upto, &finished))
	if through != upto || upto != ids[249] || !finished.Valid {
		t.Errorf("checkpoint: through %d, upto %d, finished %v; want both %d, finished", through, upto, finished, ids[249])
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGoVectorsAsTheServerReadsThem: the server takes search.TSVector's
// text as it is (no lexeme reordered, merged or dropped, positions within
// its limits): what it prints back is the same text.
func TestGoVectorsAsTheServerReadsThem(t *testing.T) {
	raw := migrated(t)
	many := strings.Repeat("eco w ", 9000) + strings.Repeat("x", 2048) + " fim"
	for _, text := range []string{
		"Pedido 48213 não chegou — “Cotação” R$10,50 <b>ok</b> &amp; joao_silva+tag@exemplo.com.br",
		"Straße Søren Ærø Ελλάδα 東京 ﬁ ǆ İstanbul x² ½",
		many,
		"",
	} {
		vec := search.TSVector("Assunto", "Nome", "a@b.c", text)
		var back string
		must(t, raw.QueryRowContext(context.Background(), "SELECT CAST($1 AS tsvector)::text", vec).Scan(&back))
		if back != vec {
			t.Errorf("%.40q:\n  sent %.200s\n  back %.200s", text, vec, back)
		}
	}
}

// TestServerFoldKeepsASCII: the server's fold (atende_fold, atende_tsquery)
// changes no ASCII word of search.Terms, which is what lets a search skip
// it for such words (sqlstore's serverFolds).
func TestServerFoldKeepsASCII(t *testing.T) {
	raw := migrated(t)
	// Every printable ASCII character, as a query, gives words of lower-
	// case letters and digits only.
	var all strings.Builder
	for c := byte(' '); c < 0x7f; c++ {
		all.WriteByte(c)
	}
	terms := search.Terms(all.String() + " Cobrança Fatura#42 joao.silva@cliente.com.br")
	for _, w := range terms {
		if strings.Trim(w, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			t.Errorf("search.Terms gave %q: not lower-case ASCII letters and digits", w)
		}
	}
	words := []string{"abcdefghijklmnopqrstuvwxyz0123456789", "cobranca", "cliente0042", "x", "42"}
	for _, w := range words {
		var got string
		if err := raw.QueryRow("SELECT atende_fold($1)", w).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Errorf("atende_fold(%q) = %q", w, got)
		}
	}
	for _, prefix := range []bool{false, true} {
		for _, ts := range [][]string{words, {"nao", "chegou"}, {"pedido"}} {
			var viaFold, plain string
			if err := raw.QueryRow("SELECT atende_tsquery($1, $2)::text, to_tsquery('simple', $3)::text", ts, prefix,
				search.TSQuery(ts, prefix)).Scan(&viaFold, &plain); err != nil {
				t.Fatal(err)
			}
			if viaFold != plain {
				t.Errorf("terms %q prefix %v: atende_tsquery %q, to_tsquery %q", ts, prefix, viaFold, plain)
			}
		}
	}
}
