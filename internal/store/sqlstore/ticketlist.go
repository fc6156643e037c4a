package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
)

// prioRank must be written exactly as in migration 0012's index.
const prioRank = "(CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)"

// searchCandidates bounds the matching messages (the most recent ones
// passing the filters) that a search ranks: ranking every message of a
// common word would read all of them. Five per ticket of the pages asked
// for (a ticket has several matching messages), at least 250, at most
// 5,000: a word in one message in eight costs the first page about 2,000
// rows read in PostgreSQL, and a later page proportionally more.
func searchCandidates(f store.TicketFilter) int {
	return min(max(5*(max(f.Offset, 0)+limitOf(f.Limit)), 250), 5000)
}

// ticketFiltered reports whether f narrows the company's tickets: whether
// ticketWhere writes anything beyond the company.
func ticketFiltered(f store.TicketFilter) bool {
	var x sqlb
	ticketWhere(&x, 0, f, "")
	return x.b.Len() > len("company_id = ?")
}

// sqlb builds a query and its arguments in textual order.
type sqlb struct {
	b    strings.Builder
	args []any
}

func (x *sqlb) w(sql string, args ...any) *sqlb {
	x.b.WriteString(sql)
	x.args = append(x.args, args...)
	return x
}

func limitOf(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 500:
		return 500
	}
	return n
}

// ticketWhere writes the filter conditions of f (not Query, not cursors)
// on tickets aliased p ("t." or "").
func ticketWhere(x *sqlb, companyID int64, f store.TicketFilter, p string) {
	ticketWhereD(x, companyID, f, p, statusIndexed)
}

// How ticketWhereD marks the status conditions for SQLite's planner
// (PostgreSQL's weighs these itself).
const (
	statusIndexed = iota // PostgreSQL
	// sqliteList: a status list gets a unary +, so that SQLite walks the
	// sort's index and stops after a page instead of gathering every
	// open and pending ticket through the status index and sorting them.
	// A single status keeps its index ((company_id, status, activity_at,
	// id) serves that list in order).
	sqliteList
	// sqliteSearch: in a search the matches drive (full-text rowids, a
	// contact's tickets, a number); a status index would instead walk
	// every ticket of that status (5.8 vs 0.8 ms at 20,000 tickets), so
	// no status condition may pick an index.
	sqliteSearch
)

// ticketWhereD is ticketWhere with the status conditions marked as mode
// says.
func ticketWhereD(x *sqlb, companyID int64, f store.TicketFilter, p string, mode int) {
	x.w(p+"company_id = ?", companyID)
	if f.Status != "" {
		plus := ""
		if mode == sqliteSearch {
			plus = "+"
		}
		x.w(" AND "+plus+p+"status = ?", string(f.Status))
	}
	if len(f.Statuses) > 0 {
		plus := ""
		if mode != statusIndexed {
			plus = "+"
		}
		x.w(" AND " + plus + p + "status IN (")
		for i, st := range f.Statuses {
			if i > 0 {
				x.w(", ")
			}
			x.w("?", string(st))
		}
		x.w(")")
	}
	if f.TeamID != 0 {
		x.w(" AND "+p+"team_id = ?", f.TeamID)
	}
	if f.TeamIDs != nil {
		x.w(" AND " + p + "team_id IN (-1")
		for _, id := range f.TeamIDs {
			x.w(", ?", id)
		}
		x.w(")")
	}
	if f.AssigneeID != 0 {
		x.w(" AND "+p+"assignee_id = ?", f.AssigneeID)
	}
	if f.Unassigned {
		x.w(" AND " + p + "assignee_id IS NULL")
	}
	if f.ChannelID != 0 {
		x.w(" AND "+p+"channel_id = ?", f.ChannelID)
	}
	if f.ContactID != 0 {
		x.w(" AND "+p+"contact_id = ?", f.ContactID)
	}
	if f.Priority != "" {
		x.w(" AND "+p+"priority = ?", f.Priority)
	}
	if f.Tag != "" {
		// tags_json is a JSON array of strings: look for the tag's JSON
		// form, quotes included, so "vip" does not match "vip-gold".
		tag, _ := json.Marshal(strings.ToLower(f.Tag))
		x.w(" AND LOWER("+p+"tags_json) LIKE ? ESCAPE '\\'", "%"+likeEscape(string(tag))+"%")
	}
	if v := f.Visible; v != nil {
		visibleWhere(x, v, p)
	}
}

// visibleWhere: the scope's teams, its agent's tickets, and unrouted ones.
func visibleWhere(x *sqlb, v *store.TicketScope, p string) {
	x.w(" AND ("+p+"assignee_id = ? OR ("+p+"team_id IS NULL AND "+p+"assignee_id IS NULL)", v.AssigneeID)
	if len(v.TeamIDs) > 0 {
		x.w(" OR " + p + "team_id IN (")
		for i, id := range v.TeamIDs {
			if i > 0 {
				x.w(", ")
			}
			x.w("?", id)
		}
		x.w(")")
	}
	x.w(")")
}

// ListTickets filtered, in f.Sort's order, one keyset page.
func (s q) ListTickets(ctx context.Context, companyID int64, f store.TicketFilter) ([]model.Ticket, error) {
	if strings.TrimSpace(f.Query) != "" {
		hits, err := s.SearchTickets(ctx, companyID, f)
		if err != nil {
			return nil, err
		}
		out := make([]model.Ticket, len(hits))
		for i := range hits {
			out[i] = hits[i].Ticket
		}
		return out, nil
	}
	x := &sqlb{}
	x.w("SELECT " + ticketCols + " FROM tickets WHERE ")
	mode := sqliteList
	if s.d.Dollar {
		mode = statusIndexed
	}
	ticketWhereD(x, companyID, f, "", mode)
	sort := f.Sort
	if f.Before != 0 {
		sort = store.SortNewest
		x.w(" AND id < ?", f.Before)
	}
	c := f.After
	var order string
	switch sort {
	case store.SortNewest:
		order = "id DESC"
		if c != nil {
			x.w(" AND id < ?", c.ID)
		}
	case store.SortOldest:
		order = "id ASC"
		if c != nil {
			x.w(" AND id > ?", c.ID)
		}
	case store.SortPriority:
		order = prioRank + " DESC, activity_at DESC, id DESC"
		if c != nil {
			x.w(" AND ("+prioRank+", activity_at, id) < (?, ?, ?)", c.Priority, c.ActivityAt.UTC(), c.ID)
		}
	default:
		order = "activity_at DESC, id DESC"
		if c != nil {
			x.w(" AND (activity_at, id) < (?, ?)", c.ActivityAt.UTC(), c.ID)
		}
	}
	x.w(" ORDER BY "+order+" LIMIT ?", limitOf(f.Limit))
	return list(ctx, s, "list tickets", scanTicket, x.b.String(), x.args...)
}

// SearchTickets ranks the tickets matching f.Query: a ticket number
// first, then the contact's name or address, then the ticket's subject,
// then the messages (a query of several words by ts_rank_cd in
// PostgreSQL; one word's matches, and all of them in SQLite, tie), ties
// by last activity. Only the searchCandidates most recent matching messages that
// pass the filters are ranked, so a common word costs what a rare one does.
//
// Whole words are searched first, and word prefixes ("curitib") only when
// whole words find nothing (see search.FTS5Query).
func (s q) SearchTickets(ctx context.Context, companyID int64, f store.TicketFilter) ([]store.TicketHit, error) {
	if err := s.ftsFresh(ctx); err != nil {
		return nil, err
	}
	terms := search.Terms(f.Query)
	if len(terms) == 0 {
		return nil, nil
	}
	hits, err := s.searchTickets(ctx, companyID, f, terms, false)
	if err != nil || len(hits) > 0 || !search.CanPrefix(terms) {
		return hits, err
	}
	if f.Offset > 0 {
		// Later pages of a prefix search: whole words found nothing on
		// the first page, so they find nothing here either.
		if first, err := s.searchTickets(ctx, companyID, store.TicketFilter{Query: f.Query, Limit: 1}, terms, false); err != nil || len(first) > 0 {
			return nil, err
		}
	}
	return s.searchTickets(ctx, companyID, f, terms, true)
}

func (s q) searchTickets(ctx context.Context, companyID int64, f store.TicketFilter, terms []string, prefix bool) ([]store.TicketHit, error) {
	num, isNum := search.Number(f.Query)
	tcols := prefixCols("t.", ticketCols)
	pcols := prefixCols("p.", ticketCols)
	x := &sqlb{}
	pg := s.d.Dollar
	// Messages.
	cand := searchCandidates(f)
	if pg {
		// The query is planned with its values (queryPlanned): a rare
		// word reads its few rows from the GIN index and sorts them, a
		// common one walks the newest messages until it has enough. The
		// planner estimates a word outside its statistics at 0.5% of the
		// messages, so for a small LIMIT walking looks cheaper than the
		// index even for a rare word (0.8 s at 1,000,000 messages): the
		// candidates are planned as at least 1,000 (a MATERIALIZED CTE is
		// planned on its own) and read only as far as cand (a CTE is read
		// lazily). The ticket filters are a per-row lookup (a scalar
		// subquery, which the planner cannot turn into a join): as a join,
		// that same estimate made it hash every visible ticket (90 ms) to
		// keep 200 messages.
		tsq := search.TSQuery(terms, prefix)
		msgs := func(extra, order string, extraArgs ...any) {
			if len(terms) > 1 {
				// Several words: messages where they stand close together
				// rank first (cover density).
				x.w(`SELECT m.ticket_id AS tid, -ts_rank_cd(m.search_tsv, to_tsquery('simple', ?))::float8 AS score, m.id AS mid`, tsq)
			} else {
				// One word: its matches tie and the newest come first, as on
				// SQLite. Ranked, a long newsletter saying the word ten
				// times came before the customer who wrote it once, and
				// reading each candidate's tsvector for it was a fifth of
				// the search's time.
				x.w(`SELECT m.ticket_id AS tid, -1.0::float8 AS score, m.id AS mid`)
			}
			x.w(`
			FROM messages m
			WHERE m.search_tsv @@ to_tsquery('simple', ?) AND m.company_id = ?`, tsq, companyID)
			if ticketFiltered(f) {
				x.w(" AND (SELECT 1 FROM tickets t WHERE t.id = m.ticket_id AND ")
				ticketWhere(x, companyID, f, "t.")
				x.w(") IS NOT NULL")
			}
			x.w(extra, extraArgs...)
			x.w(" ORDER BY "+order+" DESC LIMIT ?", max(cand, 1000))
		}
		if !prefix {
			x.w("WITH mc AS MATERIALIZED (")
			msgs("", "m.id")
			x.w(")")
		} else {
			// A word prefix has no statistics at all: the planner puts
			// every prefix at 2% of the messages and walks them by id,
			// 0.7 s (24 s from disk) for a prefix nothing has. The index
			// counts the matches first, up to 2,001 (12 ms for a rare
			// prefix, 0.1-0.2 s for one in every message); a few are
			// read from the index and sorted (id + 0: no walk), many are
			// walked, as the gating conditions (evaluated once) choose.
			x.w(`WITH probe AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM messages m
				WHERE m.search_tsv @@ to_tsquery('simple', ?) AND m.company_id = ? LIMIT 2001) p), mc AS MATERIALIZED ((`, tsq, companyID)
			msgs(" AND (SELECT n FROM probe) > 2000", "m.id")
			x.w(") UNION ALL (")
			msgs(" AND (SELECT n FROM probe) <= 2000", "m.id + 0")
			x.w("))")
		}
		// The ticket's subject, planned the same way; a prefix is always
		// read from the index (id + 0: no walk), as a walk for a prefix no
		// subject has reads every ticket (58 ms at 100,000 for an agent)
		// and the index's worst case is bounded by the tickets, not the
		// messages.
		// Subjects are folded by the server (atende_fold), so is the query
		// here (atende_tsquery, migration 0029) when that can change it.
		x.w(`, sc AS MATERIALIZED (SELECT t.id AS tid, -100.0::float8 AS score, 0::bigint AS mid FROM tickets t
			WHERE t.subject_tsv @@ `)
		if serverFolds(terms...) {
			x.w("atende_tsquery(CAST(? AS text[]), ?) AND ", terms, prefix)
		} else {
			x.w("to_tsquery('simple', ?) AND ", tsq)
		}
		ticketWhere(x, companyID, f, "t.")
		order := "t.id"
		if prefix {
			order = "t.id + 0"
		}
		x.w(" ORDER BY "+order+" DESC LIMIT ?)", max(cand, 1000))
		x.w(", hits AS ((SELECT * FROM mc LIMIT ?)", cand)
	} else {
		// No bm25() here: its IDF reads the whole row list of every word
		// once per query (0.4 s for a word in each of 1,000,000 messages);
		// matching messages rank by recency below the stronger matches.
		x.w(`WITH hits AS (SELECT * FROM (SELECT m.ticket_id AS tid, -1.0 AS score, m.id AS mid
			FROM messages_fts CROSS JOIN messages m ON m.id = messages_fts.rowid CROSS JOIN tickets t ON t.id = m.ticket_id
			WHERE messages_fts MATCH ? AND m.company_id = ? AND `, search.FTS5Query(terms, prefix), companyID)
		ticketWhereD(x, companyID, f, "t.", sqliteSearch)
		x.w(" ORDER BY messages_fts.rowid DESC LIMIT ?)", cand)
	}
	// Contacts (name or address).
	x.w(" UNION ALL ")
	if pg {
		x.w("(SELECT t.id, -1000.0::float8, 0 FROM tickets t WHERE t.contact_id IN (SELECT c.id FROM contacts c WHERE c.company_id = ?", companyID)
		for _, term := range terms {
			contactWhere(x, "c.search_text", term)
		}
		x.w(" ORDER BY c.id DESC LIMIT 200) AND ")
		ticketWhere(x, companyID, f, "t.")
		x.w(" LIMIT ?)", cand)
	} else {
		x.w(`SELECT * FROM (SELECT t.id AS tid, -1000.0 AS score, 0 AS mid FROM tickets t WHERE t.contact_id IN (
			SELECT c.id FROM contacts_fts CROSS JOIN contacts c ON c.id = contacts_fts.rowid
			WHERE contacts_fts MATCH ? AND c.company_id = ? ORDER BY contacts_fts.rowid DESC LIMIT 200) AND `, search.FTS5Query(terms, prefix), companyID)
		ticketWhereD(x, companyID, f, "t.", sqliteSearch)
		// No ORDER BY: it would walk the company's tickets by id instead
		// of looking up the few contacts' tickets by index.
		x.w(" LIMIT ?)", cand)
	}
	// The ticket's subject.
	x.w(" UNION ALL ")
	if pg {
		x.w("(SELECT * FROM sc LIMIT ?)", cand)
	} else {
		x.w(`SELECT * FROM (SELECT t.id AS tid, -100.0 AS score, 0 AS mid FROM tickets_fts CROSS JOIN tickets t ON t.id = tickets_fts.rowid
			WHERE tickets_fts MATCH ? AND `, search.FTS5Query(terms, prefix))
		ticketWhereD(x, companyID, f, "t.", sqliteSearch)
		x.w(" ORDER BY tickets_fts.rowid DESC LIMIT ?)", cand)
	}
	if isNum {
		x.w(" UNION ALL SELECT t.id, -1000000.0, 0 FROM tickets t WHERE t.number = ? AND ", num)
		mode := sqliteSearch
		if pg {
			mode = statusIndexed
		}
		ticketWhereD(x, companyID, f, "t.", mode)
	}
	x.w("), best AS (")
	// The best score ranks the ticket; the snippet comes from its most
	// recent matching message.
	x.w("SELECT tid, MIN(score) AS score, MAX(mid) AS mid FROM hits GROUP BY tid")
	// The page first, then the snippets' messages for its rows only (the
	// hits can be 250 tickets; reading a body for each was half of a
	// common word's search).
	x.w(`), page AS (SELECT `+tcols+`, b.mid AS mid, b.score AS score
		FROM best b JOIN tickets t ON t.id = b.tid
		ORDER BY b.score, t.activity_at DESC, t.id DESC LIMIT ? OFFSET ?)
		SELECT `+pcols+`, p.mid, COALESCE(substr(m.text_body, 1, 4000), '')
		FROM page p LEFT JOIN messages m ON m.id = p.mid AND m.company_id = ?
		ORDER BY p.score, p.activity_at DESC, p.id DESC`, limitOf(f.Limit), max(f.Offset, 0), companyID)
	rows, err := s.queryPlanned(ctx, x.b.String(), x.args...)
	if err != nil {
		return nil, fmt.Errorf("store: search tickets: %w", err)
	}
	defer rows.Close()
	var out []store.TicketHit
	for rows.Next() {
		var h store.TicketHit
		var t model.Ticket
		var status, text string
		if err := rows.Scan(&t.ID, &t.CompanyID, &t.Number, &t.ChannelID, &t.ContactID, idv{&t.TeamID}, idv{&t.AssigneeID}, &t.Subject, &status,
			&t.Priority, &t.ReplyToken, jsonv{&t.Tags}, tsv{&t.CreatedAt}, tsv{&t.UpdatedAt}, tsv{&t.LastMessageAt}, tsv{&t.ActivityAt},
			&h.MessageID, &text); err != nil {
			return nil, fmt.Errorf("store: search tickets: scan: %w", err)
		}
		t.Status = model.TicketStatus(status)
		h.Ticket = t
		if h.MessageID != 0 {
			h.Snippet = search.Snippet(text, terms, 160, store.MarkStart, store.MarkEnd)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search tickets: %w", err)
	}
	return out, nil
}

// CountTicketViews counts the open and pending tickets of each inbox view.
func (s q) CountTicketViews(ctx context.Context, companyID int64, me store.TicketScope, admin bool) (*store.TicketCounts, error) {
	// The company's groups, then the agent's share of them: one query
	// shape for every agent (and half the time of summing per-row CASEs).
	groups, err := s.CountOpenTicketGroups(ctx, companyID)
	if err != nil {
		return nil, fmt.Errorf("store: count ticket views: %w", err)
	}
	c := store.ViewCounts(groups, me, admin)
	return &c, nil
}
