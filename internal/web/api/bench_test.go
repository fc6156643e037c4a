package api_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/store/postgres"
	"github.com/atende-helpdesk/atende/internal/store/sqlite"
	"github.com/atende-helpdesk/atende/internal/store/sqlstore"
	"github.com/atende-helpdesk/atende/internal/testutil/pgtest"
	"github.com/atende-helpdesk/atende/internal/testutil/testclock"
)

// Benchmark sizes (the issue's: 100,000 tickets, 1,000,000 messages;
// ATENDE_BENCH_TICKETS sets another number of tickets).
const (
	benchMsgsPerTick = 10
	benchClients     = 50
)

var benchTickets = func() int {
	if n, err := strconv.Atoi(os.Getenv("ATENDE_BENCH_TICKETS")); err == nil && n >= 1000 {
		return n / 1000 * 1000
	}
	return 100_000
}()

// benchWords is the vocabulary of the seeded bodies (pt-BR, accents
// included). Every body has "pedido"; "cobrança" is in about one in eight;
// "curitiba" in one message in 5,000.
var benchWords = strings.Fields(`olá bom dia boa tarde obrigado preciso ajuda conta senha acesso entrega prazo produto
	loja cliente endereço número nota fiscal boleto cartão pagamento troca devolução reembolso atraso transportadora
	rastreio código site aplicativo erro tela compra carrinho desconto cupom frete grátis urgente hoje amanhã semana
	mês ontem ainda não chegou recebi veio errado quebrado tamanho cor modelo garantia suporte atendimento resposta
	retorno aguardo favor confirmar cancelar alterar informação dados cadastro telefone email whatsapp sábado domingo`)

func benchBody(tid int64, k int) string {
	var b strings.Builder
	b.WriteString("Olá, sobre o pedido ")
	x := uint64(tid)*2654435761 + uint64(k)*40503 + 1
	for i := 0; i < 40; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b.WriteString(benchWords[x%uint64(len(benchWords))])
		b.WriteByte(' ')
	}
	if (tid*10+int64(k))%8 == 0 {
		b.WriteString("cobrança indevida ")
	}
	if (tid*10+int64(k))%5000 == 7 {
		b.WriteString("moro em Curitiba ")
	}
	b.WriteString("número " + strconv.FormatInt(tid, 10) + ".")
	return b.String()
}

// BenchmarkTicketList measures GET /api/v1/tickets latency (p50/p99) with
// 50 concurrent clients over 100,000 tickets and 1,000,000 messages, on
// SQLite and PostgreSQL. Opt-in and slow (seeding takes a minute or two):
//
//	go test ./internal/web/api -run '^$' -bench TicketList -benchtime 5000x -timeout 30m
func BenchmarkTicketList(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		e := benchEnv(b, dialect)
		b.Run(dialect, func(b *testing.B) { loadTickets(b, e) })
	}
}

// benchEnv opens a store of dialect seeded with benchTickets tickets.
func benchEnv(b *testing.B, dialect string) *env {
	var st store.Store
	var raw *sql.DB
	var err error
	clk := testclock.New(b)
	switch dialect {
	case "sqlite":
		path := filepath.Join(b.TempDir(), "bench.db")
		st, err = sqlite.Open(ctx, path, clk)
		if err == nil {
			raw, err = sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_time_format=sqlite")
		}
	case "postgres":
		url := pgtest.NewDatabase(b)
		st, err = postgres.Open(ctx, url, clk)
		if err == nil {
			var cfg *pgx.ConnConfig
			if cfg, err = pgx.ParseConfig(url); err == nil {
				raw = stdlib.OpenDB(*cfg)
			}
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	e := newEnvWith(b, st, clk)
	start := time.Now()
	if err := seed(ctx, raw, dialect, e); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	n, _ := e.st.CountTickets(ctx, e.a.co.ID)
	m, _ := e.st.CountMessages(ctx, e.a.co.ID)
	b.Logf("%s: seeded %d tickets and %d messages in %s", dialect, n, m, time.Since(start).Round(time.Second))
	return e
}

// seed adds benchTickets tickets (benchMsgsPerTick messages each) to
// company A with multi-row INSERTs, 1,000 rows a statement, in transactions.
func seed(ctx context.Context, db *sql.DB, dialect string, e *env) error {
	ph := func(n int) func() string { // placeholder generator
		i := 0
		return func() string {
			i++
			if dialect == "postgres" {
				return fmt.Sprintf("$%d", i)
			}
			return "?"
		}
	}
	co, ch := e.a.co.ID, e.a.ch.ID
	teams := []int64{e.a.team.ID, e.a.team2.ID}
	// 1,000 contacts.
	var contacts []int64
	for i := 0; i < 1000; i++ {
		c, err := e.st.UpsertContact(ctx, co, fmt.Sprintf("cliente%04d@empresa%d.com.br", i, i%37), "Cliente")
		if err != nil {
			return err
		}
		contacts = append(contacts, c.ID)
	}
	var maxID int64
	if err := db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM tickets").Scan(&maxID); err != nil {
		return err
	}
	var baseNum int64
	if err := db.QueryRowContext(ctx, "SELECT ticket_seq FROM companies WHERE id = "+fmt.Sprint(co)).Scan(&baseNum); err != nil {
		return err
	}
	statuses := []string{"open", "open", "pending", "resolved", "closed"}
	words := []string{"Boleto", "Nota fiscal", "Entrega", "Troca", "Senha", "Cancelamento", "Pedido", "Reembolso"}
	t0 := time.Now().UTC().Add(-365 * 24 * time.Hour)
	// SQLite: the rows each statement noted for the full-text index are
	// indexed after it, one index segment per 1,000 rows, as the store's
	// own transactions do per transaction (a single indexing of all rows
	// at the first search would make one perfectly merged index, kinder
	// than what ingest builds).
	indexFTS := func(tx *sql.Tx) error {
		if dialect != "sqlite" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, sqlstore.FTSIndexPendingSQL); err != nil {
			return fmt.Errorf("full-text index: %w", err)
		}
		return nil
	}
	const batch = 1000
	for startT := 0; startT < benchTickets; startT += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var sb strings.Builder
		var args []any
		p := ph(0)
		sb.WriteString("INSERT INTO tickets (id, company_id, number, channel_id, contact_id, team_id, assignee_id, subject, status, priority, reply_token, tags_json, created_at, updated_at, last_message_at) VALUES ")
		for i := startT; i < startT+batch; i++ {
			id := maxID + int64(i) + 1
			at := t0.Add(time.Duration(i) * 5 * time.Minute)
			var assignee any
			if i%3 == 0 {
				assignee = e.a.agent.ID
			}
			if i > startT {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", p(), p(), p(), p(), p(), p(), p(), p(), p(), p(), p(), p(), p(), p(), p())
			args = append(args, id, co, baseNum+int64(i)+1, ch, contacts[i%len(contacts)], teams[i%2], assignee,
				fmt.Sprintf("%s #%d", words[i%len(words)], i), statuses[i%len(statuses)], "normal", fmt.Sprintf("bench-%d", i), "[]", at, at, at)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			tx.Rollback()
			return fmt.Errorf("insert tickets: %w", err)
		}
		if err := indexFTS(tx); err != nil {
			tx.Rollback()
			return err
		}
		// Messages of these tickets, 1,000 rows a statement.
		rows := 0
		sb.Reset()
		args = args[:0]
		p = ph(0)
		flush := func() error {
			if rows == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, sb.String(), args...)
			sb.Reset()
			args = args[:0]
			p = ph(0)
			rows = 0
			if err != nil {
				return err
			}
			return indexFTS(tx)
		}
		for i := startT; i < startT+batch; i++ {
			tid := maxID + int64(i) + 1
			for k := 0; k < benchMsgsPerTick; k++ {
				if rows == 0 {
					sb.WriteString("INSERT INTO messages (company_id, ticket_id, channel_id, direction, status, from_address, subject, message_id, text_body, created_at) VALUES ")
				} else {
					sb.WriteString(",")
				}
				dir, status := "in", "received"
				if k%2 == 1 {
					dir, status = "out", "sent"
				}
				fmt.Fprintf(&sb, "(%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", p(), p(), p(), p(), p(), p(), p(), p(), p(), p())
				args = append(args, co, tid, ch, dir, status, "cliente@empresa.com.br", "Re: assunto", fmt.Sprintf("b%d.%d@bench", tid, k),
					benchBody(tid, k), t0.Add(time.Duration(i)*5*time.Minute+time.Duration(k)*time.Second))
				rows++
				if rows == 1000 {
					if err := flush(); err != nil {
						tx.Rollback()
						return fmt.Errorf("insert messages: %w", err)
					}
				}
			}
		}
		if err := flush(); err != nil {
			tx.Rollback()
			return fmt.Errorf("insert messages: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("UPDATE companies SET ticket_seq = %d WHERE id = %d", baseNum+int64(benchTickets), co)); err != nil {
		return err
	}
	if dialect == "postgres" {
		// Identity columns: move the sequence past the explicit ids. Then
		// what autovacuum has done long before a database holds a million
		// messages: statistics, the visibility map, and the GIN indexes'
		// pending lists merged (a bulk load leaves ~3.5 MB of them, which
		// every search reads; measured without this, the mix also ran
		// beside autovacuum's first pass over 1,000,000 fresh rows). SQLite
		// gets no ANALYZE: a real installation has no statistics either,
		// so the plans measured are the ones users get.
		if _, err := db.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT MAX(id) FROM tickets))"); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
			return err
		}
	}
	return nil
}

// loadTickets sends b.N list requests from benchClients goroutines, mixing
// the common filters, and reports p50/p99 latency.
func loadTickets(b *testing.B, e *env) {
	paths := []string{
		"/api/v1/tickets",
		"/api/v1/tickets?status=open",
		"/api/v1/tickets?team_id=" + fmt.Sprint(e.a.team.ID),
		"/api/v1/tickets?assignee_id=" + fmt.Sprint(e.a.agent.ID) + "&status=pending",
		"/api/v1/tickets?q=reembolso",
		"/api/v1/tickets?q=cliente0042",
		"/api/v1/tickets?limit=50&cursor=dDUwMDAw", // id < 50000: a page deep in the list
	}
	tokens := []string{e.a.adminTok, e.a.agentTok}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	lat := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < benchClients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				req, _ := http.NewRequest("GET", e.srv.URL+paths[i%len(paths)], nil)
				req.Header.Set("Authorization", "Bearer "+tokens[(i/len(paths))%2])
				t := time.Now()
				res, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				buf := make([]byte, 32<<10)
				for {
					if _, err := res.Body.Read(buf); err != nil {
						break
					}
				}
				res.Body.Close()
				lat[i] = time.Since(t)
				if res.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, b.N)
	}
	pct := func(l []time.Duration, p float64) time.Duration { return l[min(len(l)-1, int(float64(len(l))*p))] }
	if b.N >= 10*len(paths) {
		for k, p := range paths { // per kind of request: where the time goes
			var l []time.Duration
			for i := k; i < b.N; i += len(paths) {
				l = append(l, lat[i])
			}
			slices.Sort(l)
			b.Logf("%-60s p50 %6.1f ms  p99 %7.1f ms", p, float64(pct(l, 0.5).Microseconds())/1000, float64(pct(l, 0.99).Microseconds())/1000)
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(pct(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}
