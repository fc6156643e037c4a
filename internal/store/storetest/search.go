package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

func searchTests() []Case {
	return []Case{
		{"Ticket sorts and keyset pages", testTicketSorts},
		{"Unrouted tickets are visible", testUnroutedVisible},
		{"Ticket search", testTicketSearch},
		{"Ticket search: one word's matches by recency", testSearchOneWordRecency},
		{"Ticket search: vectors computed ahead", testSearchVectorAhead},
		{"Ticket search: messages and queries split alike", testSearchOneTokenizer},
		{"Ticket view counts", testTicketViewCounts},
		{"Contact search", testContactSearch},
	}
}

// testContactSearch: every word of the query, accents and case folded,
// a word's start enough; paged by ID; one company's contacts only.
func testContactSearch(t *testing.T, s store.Store, _ *clock.Fake) {
	f := newFixture(t, s, "acme") // has cliente@example.com "Cliente"
	other := newFixture(t, s, "beta")
	_, err := s.UpsertContact(ctx, other.co.ID, "angela@beta.test", "Ângela Beta")
	must(t, err)
	var ids []int64
	for _, c := range [][2]string{{"angela.souza@loja.com.br", "Ângela Souza"}, {"bruno@loja.com.br", "Bruno Lima"}, {"carla@outra.org", "Carla Ângelo"}} {
		got, err := s.UpsertContact(ctx, f.co.ID, c[0], c[1])
		must(t, err)
		ids = append(ids, got.ID)
	}
	names := func(q string, offset, limit int) []string {
		t.Helper()
		cs, err := s.SearchContacts(ctx, f.co.ID, q, offset, limit)
		must(t, err)
		out := []string{}
		for _, c := range cs {
			if c.CompanyID != f.co.ID {
				t.Fatalf("%q: contact of company %d", q, c.CompanyID)
			}
			out = append(out, c.Name)
		}
		return out
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"angela", []string{"Ângela Souza"}},
		{"ÂNGEL", []string{"Ângela Souza", "Carla Ângelo"}},
		{"souza angela", []string{"Ângela Souza"}},
		{"loja", []string{"Ângela Souza", "Bruno Lima"}},
		{"bruno@loja.com.br", []string{"Bruno Lima"}},
		{"zzz", []string{}},
		{"", []string{"Cliente", "Ângela Souza", "Bruno Lima", "Carla Ângelo"}},
	} {
		if got := names(tc.q, 0, 10); !slices.Equal(got, tc.want) {
			t.Errorf("search %q: %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := names("", 1, 2); !slices.Equal(got, []string{"Ângela Souza", "Bruno Lima"}) {
		t.Errorf("page 2 of 2: %v", got)
	}
	if got := names("", 4, 2); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
}

func inbound(t *testing.T, s store.Store, tk *model.Ticket, from model.Address, subject, body string) *model.Message {
	t.Helper()
	m := &model.Message{CompanyID: tk.CompanyID, TicketID: tk.ID, ChannelID: tk.ChannelID, Direction: model.DirIn, Status: model.MsgReceived,
		Subject: subject, From: from, Text: body}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateMessage(ctx, m) }))
	return m
}

// testSearchVectorAhead: a message whose full-text vector was computed
// before its insert (PrecomputeSearch, as ingest's workers do) is found by
// its words, accents and case folded, like one indexed by the insert; a
// vector computed for other fields (the text changed after) is not used:
// the message is found by what it says, never by the stale vector.
func testSearchVectorAhead(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	find := func(q string) []int64 {
		t.Helper()
		got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: q})
		must(t, err)
		return ticketIDs(got)
	}
	create := func(tk *model.Ticket, m *model.Message, text string) {
		t.Helper()
		m.CompanyID, m.TicketID, m.ChannelID, m.Direction, m.Status = tk.CompanyID, tk.ID, tk.ChannelID, model.DirIn, model.MsgReceived
		m.Text = text
		must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateMessage(ctx, m) }))
	}
	ahead := f.ticket(t, s, "Ahead")
	m := &model.Message{Subject: "Orçamento", From: model.Address{Name: "Conceição Araújo", Address: "Conceicao@Example.com"},
		Text: "O ORÇAMENTO da instalação elétrica chegou pela metade."}
	must(t, s.PrecomputeSearch(ctx, m))
	if s.Dialect() == "postgres" && (m.Search == nil || m.Search.Vector == "") {
		t.Fatal("PostgreSQL computed no vector ahead")
	}
	create(ahead, m, m.Text)
	stale := f.ticket(t, s, "Stale")
	m2 := &model.Message{Subject: "Pedido", From: model.Address{Address: "bruno@example.com"}, Text: "palavra antiga xilofone"}
	must(t, s.PrecomputeSearch(ctx, m2))
	create(stale, m2, "palavra nova trombone") // changed after the vector was computed
	plain := f.ticket(t, s, "Plain")
	create(plain, &model.Message{Subject: "Sem vetor", From: model.Address{Address: "carla@example.com"}}, "computado na inserção: clarinete")
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"orcamento", []int64{ahead.ID}},
		{"eletrica", []int64{ahead.ID}},
		{"conceicao", []int64{ahead.ID}},
		{"araujo", []int64{ahead.ID}},
		{"trombone", []int64{stale.ID}},
		{"xilofone", []int64{}},
		{"clarinete", []int64{plain.ID}},
		{"insercao", []int64{plain.ID}},
	} {
		if got := find(c.q); !slices.Equal(got, c.want) && (len(got) != 0 || len(c.want) != 0) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
}

// testSearchOneTokenizer: a message is found by the words a query makes
// of its own text on both databases, letters folding alike on both sides
// (ß and ø are letters of their own, as in SQLite's unicode61; PostgreSQL's
// unaccent made them "ss" and "o" in the vectors before 0028, and the
// query kept them), and punctuation splitting alike.
func testSearchOneTokenizer(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	tk := f.ticket(t, s, "Nordic")
	inbound(t, s, tk, model.Address{Name: "Søren Ødegård", Address: "soren@fjord.dk"}, "Lieferung nach Straße",
		"“Cotação” do frete — R$10,50; referência AB-1234/2026; cópia para joao_silva+faturas@exemplo.com.br. Ærø. <b>ok</b>")
	other := f.ticket(t, s, "Other")
	inbound(t, s, other, model.Address{Address: "bruno@example.com"}, "Outro", "Nada a ver com o frete de ontem.")
	// A ticket found by its own subject and by its contact only (no
	// message): those branches match the same words.
	ase, err := s.UpsertContact(ctx, f.co.ID, "aase@fjord.dk", "Åse Bjørnstad")
	must(t, err)
	bare := &model.Ticket{CompanyID: f.co.ID, ChannelID: f.ch.ID, ContactID: ase.ID, Subject: "Bahnstraße gesperrt", ReplyToken: "rt-bare"}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, bare) }))
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"Søren", []int64{tk.ID}},
		{"ødegård", []int64{tk.ID}},
		{"STRASSE", []int64{}},
		{"straße", []int64{tk.ID}},
		{"cotacao", []int64{tk.ID}},
		{"“Cotação”", []int64{tk.ID}},
		{"AB-1234", []int64{tk.ID}},
		{"1234/2026", []int64{tk.ID}},
		{"joao_silva", []int64{tk.ID}},
		{"faturas@exemplo.com.br", []int64{tk.ID}},
		{"ærø", []int64{tk.ID}},
		{"R$10,50", []int64{tk.ID}},
		{"frete", []int64{tk.ID, other.ID}},
		{"bahnstraße", []int64{bare.ID}},
		{"Bahnstr", []int64{bare.ID}},
		{"bjørnstad", []int64{bare.ID}},
		{"åse bjørnst", []int64{bare.ID}},
	} {
		got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: c.q})
		must(t, err)
		ids := ticketIDs(got)
		slices.Sort(ids)
		if !slices.Equal(ids, c.want) && (len(ids) != 0 || len(c.want) != 0) {
			t.Errorf("search %q = %v, want %v", c.q, ids, c.want)
		}
	}
	for _, q := range []string{"Bjørnstad", "åse", "aase@fjord"} {
		cs, err := s.SearchContacts(ctx, f.co.ID, q, 0, 10)
		must(t, err)
		if len(cs) != 1 || cs[0].ID != ase.ID {
			t.Errorf("contact search %q = %+v, want Åse", q, cs)
		}
	}
}

// testSearchOneWordRecency: the message matches of a one-word search
// rank by last activity on both databases, however often each message
// says the word (a long newsletter repeating it does not come before the
// customer who wrote it once, later).
func testSearchOneWordRecency(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	older := f.ticket(t, s, "Boletim")
	inbound(t, s, older, model.Address{Address: "news@loja.test"}, "Boletim",
		strings.Repeat("Garantia estendida, garantia total, garantia de fábrica: ofertas da semana. ", 12))
	clk.Advance(time.Hour)
	newer := f.ticket(t, s, "Dúvida")
	inbound(t, s, newer, model.Address{Address: "cliente@example.com"}, "Dúvida", "Qual é a garantia do produto que comprei?")
	for _, q := range []string{"garantia", "GARANTIA", "garanti"} {
		got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: q})
		must(t, err)
		if ids := ticketIDs(got); !slices.Equal(ids, []int64{newer.ID, older.ID}) {
			t.Errorf("%q = %v, want the newer ticket %d first, then %d", q, ids, newer.ID, older.ID)
		}
	}
	// Several words: both are found (PostgreSQL ranks them by how close
	// the words stand, SQLite by recency).
	got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: "garantia produto"})
	must(t, err)
	if ids := ticketIDs(got); !slices.Equal(ids, []int64{newer.ID}) {
		t.Errorf("garantia produto = %v, want [%d]", ids, newer.ID)
	}
}

func testTicketSorts(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	prios := []string{"low", "urgent", "normal", "high", "normal", "urgent", "low"}
	var ts []*model.Ticket
	for i, p := range prios {
		clk.Advance(time.Minute)
		tk := f.ticket(t, s, "t"+string(rune('a'+i)))
		tk.Priority = p
		must(t, s.UpdateTicket(ctx, tk))
		ts = append(ts, tk)
	}
	// A customer reply to the oldest ticket brings it to the top; an agent
	// reply or note does not.
	clk.Advance(time.Minute)
	inbound(t, s, ts[0], model.Address{Address: "cliente@example.com"}, "Re: ta", "mais uma coisa")
	clk.Advance(time.Minute)
	out := &model.Message{CompanyID: f.co.ID, TicketID: ts[6].ID - 0, ChannelID: f.ch.ID, Direction: model.DirOut, Status: model.MsgSent, Subject: "x"}
	out.TicketID = ts[1].ID
	must(t, s.CreateMessage(ctx, out))
	// Reopening a resolved ticket brings it to the top too.
	clk.Advance(time.Minute)
	ts[2].Status = model.StatusResolved
	must(t, s.UpdateTicket(ctx, ts[2]))
	clk.Advance(time.Minute)
	ts[2].Status = model.StatusOpen
	must(t, s.UpdateTicket(ctx, ts[2]))

	id := func(i int) int64 { return ts[i].ID }
	want := map[store.TicketSort][]int64{
		"":                 {id(2), id(0), id(6), id(5), id(4), id(3), id(1)},
		store.SortActivity: {id(2), id(0), id(6), id(5), id(4), id(3), id(1)},
		store.SortNewest:   {id(6), id(5), id(4), id(3), id(2), id(1), id(0)},
		store.SortOldest:   {id(0), id(1), id(2), id(3), id(4), id(5), id(6)},
		store.SortPriority: {id(5), id(1), id(3), id(2), id(4), id(0), id(6)},
	}
	for sort, ids := range want {
		all, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Sort: sort})
		must(t, err)
		if got := ticketIDs(all); !slices.Equal(got, ids) {
			t.Fatalf("sort %q: got %v, want %v", sort, got, ids)
		}
		// Keyset pages of 2 walk the same order, no ticket skipped or repeated.
		var walked []int64
		var after *store.TicketCursor
		for range 10 {
			page, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Sort: sort, After: after, Limit: 2})
			must(t, err)
			if len(page) == 0 {
				break
			}
			walked = append(walked, ticketIDs(page)...)
			after = store.CursorOf(&page[len(page)-1])
		}
		if !slices.Equal(walked, ids) {
			t.Fatalf("sort %q pages: got %v, want %v", sort, walked, ids)
		}
	}
	got, err := s.GetTicket(ctx, f.co.ID, ts[0].ID)
	must(t, err)
	if !got.ActivityAt.After(got.CreatedAt) {
		t.Fatalf("activity %v not after creation %v", got.ActivityAt, got.CreatedAt)
	}
	// Status filters use the same order.
	open, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Statuses: []model.TicketStatus{model.StatusOpen, model.StatusPending}, Limit: 1})
	must(t, err)
	if len(open) != 1 || open[0].ID != id(2) {
		t.Fatalf("open first = %v", ticketIDs(open))
	}
}

func testUnroutedVisible(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	team := &model.Team{CompanyID: f.co.ID, Name: "N1"}
	other := &model.Team{CompanyID: f.co.ID, Name: "N2"}
	must(t, s.CreateTeam(ctx, team))
	must(t, s.CreateTeam(ctx, other))
	a := agentOf(t, s, f, "ana@acme.test")
	b := agentOf(t, s, f, "bia@acme.test")
	unrouted := f.ticket(t, s, "sem regra")
	mine := f.ticket(t, s, "minha equipe")
	mine.TeamID = team.ID
	must(t, s.UpdateTicket(ctx, mine))
	theirs := f.ticket(t, s, "outra equipe")
	theirs.TeamID = other.ID
	must(t, s.UpdateTicket(ctx, theirs))
	assignedB := f.ticket(t, s, "da bia")
	assignedB.AssigneeID = b.ID
	must(t, s.UpdateTicket(ctx, assignedB))
	scope := &store.TicketScope{TeamIDs: []int64{team.ID}, AssigneeID: a.ID}
	got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Visible: scope, Sort: store.SortOldest})
	must(t, err)
	if !slices.Equal(ticketIDs(got), []int64{unrouted.ID, mine.ID}) {
		t.Fatalf("visible = %v, want unrouted %d and team %d", ticketIDs(got), unrouted.ID, mine.ID)
	}
	un, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Visible: scope, Unassigned: true})
	must(t, err)
	if len(un) != 2 {
		t.Fatalf("unassigned = %v", ticketIDs(un))
	}
}

func testTicketSearch(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	joao, err := s.UpsertContact(ctx, f.co.ID, "joao.silva@cliente.com.br", "João da Silva")
	must(t, err)
	body := f.ticket(t, s, "Entrega")
	inbound(t, s, body, model.Address{Address: "cliente@example.com"}, "Entrega", "Olá, moro em Curitiba e o pedido\nainda não veio.")
	named := &model.Ticket{CompanyID: f.co.ID, ChannelID: f.ch.ID, ContactID: joao.ID, Subject: "Dúvida", ReplyToken: "rt-joao"}
	must(t, s.Tx(ctx, func(q store.Queries) error { return q.CreateTicket(ctx, named) }))
	inbound(t, s, named, model.Address{Name: "João da Silva", Address: "joao.silva@cliente.com.br"}, "Dúvida", "Quero saber do boleto.")
	shout := f.ticket(t, s, "Reclamação")
	inbound(t, s, shout, model.Address{Address: "cliente@example.com"}, "Reclamação", "MEU PEDIDO NÃO CHEGOU <b>até hoje</b>")
	for range 3 {
		filler := f.ticket(t, s, "Outro")
		inbound(t, s, filler, model.Address{Address: "cliente@example.com"}, "Outro", "nada a ver com nada")
	}
	// Another company's identical text is never found.
	g := newFixture(t, s, "beta")
	gt := g.ticket(t, s, "Entrega")
	inbound(t, s, gt, model.Address{Address: "cliente@example.com"}, "Entrega", "Curitiba NÃO chegou João")

	cases := []struct {
		q    string
		want []int64
	}{
		{"Curitiba", []int64{body.ID}},
		{"curitiba", []int64{body.ID}},
		{"João", []int64{named.ID}},
		{"joao", []int64{named.ID}},
		{"nao chegou", []int64{shout.ID}},
		{"NÃO", []int64{shout.ID, body.ID}},
		{"joao.silva@cliente.com.br", []int64{named.ID}},
		{"#" + itoa64(shout.Number), []int64{shout.ID}},
		{"chegou curitiba", nil},
		{"Curitib", []int64{body.ID}},    // a word's beginning, when no whole word matches
		{"joao.silv", []int64{named.ID}}, // part of an address
		{"cu", nil},                      // too short a prefix
		{"xyzzy", nil},
		{`"a" OR *`, nil},
	}
	for _, tc := range cases {
		got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: tc.q})
		must(t, err)
		ids := ticketIDs(got)
		slices.Sort(ids)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("search %q: got %v, want %v", tc.q, ticketIDs(got), tc.want)
		}
	}
	cs, err := s.GetContacts(ctx, f.co.ID, []int64{joao.ID, f.contact.ID, 999999})
	must(t, err)
	if len(cs) != 2 {
		t.Fatalf("GetContacts = %+v", cs)
	}
	if cs, err := s.GetContacts(ctx, g.co.ID, []int64{joao.ID}); err != nil || len(cs) != 0 {
		t.Fatalf("GetContacts of another company = %+v, %v", cs, err)
	}
	hits, err := s.SearchTickets(ctx, f.co.ID, store.TicketFilter{Query: "nao chegou"})
	must(t, err)
	if len(hits) != 1 || !strings.Contains(hits[0].Snippet, store.MarkStart+"NÃO"+store.MarkEnd+" "+store.MarkStart+"CHEGOU"+store.MarkEnd) {
		t.Fatalf("snippet = %+v", hits)
	}
	// A ticket number ranks first, then the rest by relevance.
	hits, err = s.SearchTickets(ctx, f.co.ID, store.TicketFilter{Query: itoa64(shout.Number)})
	must(t, err)
	if len(hits) == 0 || hits[0].Ticket.ID != shout.ID {
		t.Fatalf("number search = %+v", hits)
	}
	// Filters and visibility apply to search.
	got, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: "Curitiba", Status: model.StatusClosed})
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("closed curitiba = %v", ticketIDs(got))
	}
	// Offset pages through the ranked results.
	got, err = s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: "nada", Limit: 2})
	must(t, err)
	rest, err := s.ListTickets(ctx, f.co.ID, store.TicketFilter{Query: "nada", Limit: 2, Offset: 2})
	must(t, err)
	if len(got) != 2 || len(rest) != 1 || slices.Contains(ticketIDs(got), rest[0].ID) {
		t.Fatalf("pages %v %v", ticketIDs(got), ticketIDs(rest))
	}
	// An edited body is searched by its new text.
	_, err = s.ListTickets(ctx, g.co.ID, store.TicketFilter{Query: "Curitiba"})
	must(t, err)
}

func itoa64(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func testTicketViewCounts(t *testing.T, s store.Store, clk *clock.Fake) {
	f := newFixture(t, s, "acme")
	team := &model.Team{CompanyID: f.co.ID, Name: "N1"}
	other := &model.Team{CompanyID: f.co.ID, Name: "N2"}
	must(t, s.CreateTeam(ctx, team))
	must(t, s.CreateTeam(ctx, other))
	a := agentOf(t, s, f, "ana@acme.test")
	f.ticket(t, s, "sem regra")
	tm := f.ticket(t, s, "equipe")
	tm.TeamID, tm.Status = team.ID, model.StatusPending
	must(t, s.UpdateTicket(ctx, tm))
	mine := f.ticket(t, s, "meu")
	mine.TeamID, mine.AssigneeID = team.ID, a.ID
	must(t, s.UpdateTicket(ctx, mine))
	hidden := f.ticket(t, s, "outra")
	hidden.TeamID = other.ID
	must(t, s.UpdateTicket(ctx, hidden))
	done := f.ticket(t, s, "resolvido")
	done.Status = model.StatusResolved
	must(t, s.UpdateTicket(ctx, done))
	me := store.TicketScope{TeamIDs: []int64{team.ID}, AssigneeID: a.ID}
	c, err := s.CountTicketViews(ctx, f.co.ID, me, false)
	must(t, err)
	if *c != (store.TicketCounts{Mine: 1, Unassigned: 2, Teams: 2, Open: 3, Pending: 1}) {
		t.Fatalf("agent counts = %+v", *c)
	}
	c, err = s.CountTicketViews(ctx, f.co.ID, me, true)
	must(t, err)
	if *c != (store.TicketCounts{Mine: 1, Unassigned: 3, Teams: 2, Open: 4, Pending: 1}) {
		t.Fatalf("admin counts = %+v", *c)
	}
}
