package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

const activityCols = "id, company_id, ticket_id, kind, actor_id, data_json, created_at"

func scanActivity(sc interface{ Scan(...any) error }) (*store.Activity, error) {
	var a store.Activity
	err := sc.Scan(&a.ID, &a.CompanyID, &a.TicketID, &a.Kind, &a.ActorID, jsonv{&a.Data}, tsv{&a.CreatedAt})
	return &a, err
}

// AddActivity inserts one timeline entry.
func (s q) AddActivity(ctx context.Context, a *store.Activity) error {
	a.CreatedAt = s.stamp(a.CreatedAt)
	data := a.Data
	if data == nil {
		data = map[string]string{}
	}
	id, err := s.insertReturningID(ctx, "add activity "+a.Kind,
		`INSERT INTO ticket_activity (company_id, ticket_id, kind, actor_id, data_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.CompanyID, a.TicketID, a.Kind, a.ActorID, js(data), a.CreatedAt)
	if err != nil {
		return err
	}
	a.ID = id
	return nil
}

// AddActivities inserts several entries (store.Activities): one
// statement on PostgreSQL, where ingest's committer would otherwise wait
// a round trip per new ticket for its "routed" entry.
func (s q) AddActivities(ctx context.Context, as []*store.Activity) error {
	if !s.d.Dollar || len(as) == 1 {
		for _, a := range as {
			if err := s.AddActivity(ctx, a); err != nil {
				return err
			}
		}
		return nil
	}
	if len(as) == 0 {
		return nil
	}
	n := len(as)
	companies, tickets, actors := make([]int64, n), make([]int64, n), make([]int64, n)
	kinds, data, at := make([]string, n), make([]string, n), make([]time.Time, n)
	for i, a := range as {
		a.CreatedAt = s.stamp(a.CreatedAt)
		d := a.Data
		if d == nil {
			d = map[string]string{}
		}
		companies[i], tickets[i], actors[i], kinds[i], data[i], at[i] = a.CompanyID, a.TicketID, a.ActorID, a.Kind, js(d), a.CreatedAt
	}
	s.count()
	// The IDs are taken in the order the rows are inserted (ord): sorted,
	// they are the entries' in order.
	rows, err := s.w.QueryContext(ctx, `WITH ins AS (INSERT INTO ticket_activity (company_id, ticket_id, kind, actor_id, data_json, created_at)
			SELECT company_id, ticket_id, kind, actor_id, data_json, created_at
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[])
				WITH ORDINALITY AS v(company_id, ticket_id, kind, actor_id, data_json, created_at, ord)
			ORDER BY ord RETURNING id)
		SELECT id FROM ins ORDER BY id`, companies, tickets, kinds, actors, data, at)
	if err != nil {
		return fmt.Errorf("store: add activities: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i == n {
			return fmt.Errorf("store: add activities: more rows than entries")
		}
		if err := rows.Scan(&as[i].ID); err != nil {
			return fmt.Errorf("store: add activities: %w", err)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: add activities: %w", err)
	}
	if i != n {
		return fmt.Errorf("store: add activities: %d of %d inserted", i, n)
	}
	return nil
}

// ListActivity returns the newest entries of a ticket, oldest first.
func (s q) ListActivity(ctx context.Context, companyID, ticketID int64, limit int) ([]store.Activity, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	out, err := list(ctx, s, "list activity", scanActivity,
		"SELECT "+activityCols+" FROM ticket_activity WHERE company_id = ? AND ticket_id = ? ORDER BY id DESC LIMIT ?",
		companyID, ticketID, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// TouchPresence saves one agent's presence in a ticket.
func (s q) TouchPresence(ctx context.Context, p store.Presence, now time.Time) (bool, error) {
	now = now.UTC()
	typing := 0
	if p.Typing {
		typing = 1
	}
	var was int
	var until time.Time
	err := s.wrow(ctx, "SELECT typing, expires_at FROM ticket_presence WHERE company_id = ? AND ticket_id = ? AND agent_id = ?",
		p.CompanyID, p.TicketID, p.AgentID).Scan(&was, tsv{&until})
	changed := errors.Is(err, sql.ErrNoRows) || !until.After(now) || was != typing
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: read presence: %w", err)
	}
	if _, err := s.exec(ctx, "DELETE FROM ticket_presence WHERE company_id = ? AND agent_id = ? AND expires_at <= ?",
		p.CompanyID, p.AgentID, now); err != nil {
		return false, fmt.Errorf("store: drop expired presence: %w", err)
	}
	if _, err := s.exec(ctx, `INSERT INTO ticket_presence (company_id, ticket_id, agent_id, typing, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (company_id, ticket_id, agent_id) DO UPDATE SET typing = excluded.typing, expires_at = excluded.expires_at`,
		p.CompanyID, p.TicketID, p.AgentID, typing, p.ExpiresAt.UTC()); err != nil {
		return false, fmt.Errorf("store: save presence: %w", err)
	}
	return changed, nil
}

// ListPresence returns who is in a ticket at now.
func (s q) ListPresence(ctx context.Context, companyID, ticketID int64, now time.Time) ([]store.Presence, error) {
	return list(ctx, s, "list presence", func(sc interface{ Scan(...any) error }) (*store.Presence, error) {
		var p store.Presence
		var typing int
		err := sc.Scan(&p.CompanyID, &p.TicketID, &p.AgentID, &typing, tsv{&p.ExpiresAt})
		p.Typing = typing != 0
		return &p, err
	}, `SELECT company_id, ticket_id, agent_id, typing, expires_at FROM ticket_presence
		WHERE company_id = ? AND ticket_id = ? AND expires_at > ? ORDER BY agent_id`, companyID, ticketID, now.UTC())
}

// DeletePresence removes an agent from a ticket.
func (s q) DeletePresence(ctx context.Context, companyID, ticketID, agentID int64) (bool, error) {
	res, err := s.exec(ctx, "DELETE FROM ticket_presence WHERE company_id = ? AND ticket_id = ? AND agent_id = ?", companyID, ticketID, agentID)
	if err != nil {
		return false, fmt.Errorf("store: delete presence: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// UpdateContactName sets a contact's name.
func (s q) UpdateContactName(ctx context.Context, companyID, id int64, name string) error {
	res, err := s.exec(ctx, "UPDATE contacts SET name = ? WHERE company_id = ? AND id = ?", name, companyID, id)
	return affected(res, err, fmt.Sprintf("update contact %d", id))
}

// CountContactsByDomain counts the contacts at one email domain.
func (s q) CountContactsByDomain(ctx context.Context, companyID int64, domain string) (int, error) {
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(domain))
	var n int
	if err := s.row(ctx, `SELECT COUNT(*) FROM contacts WHERE company_id = ? AND email LIKE ? ESCAPE '\'`, companyID, "%@"+esc).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count contacts by domain: %w", err)
	}
	return n, nil
}
