package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
)

// insertReturningID runs an INSERT ... ON CONFLICT DO NOTHING RETURNING id;
// no row back means a unique value already existed.
func (s q) insertReturningID(ctx context.Context, what, query string, args ...any) (int64, error) {
	var id int64
	err := s.wrow(ctx, query+" ON CONFLICT DO NOTHING RETURNING id", args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: %s: %w", what, store.ErrConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	return id, nil
}

// CreateCompany inserts c and sets its ID.
func (s q) CreateCompany(ctx context.Context, c *model.Company) error {
	c.CreatedAt = s.stamp(c.CreatedAt)
	if c.Language == "" {
		c.Language = "pt-BR"
	}
	if c.TimeZone == "" {
		c.TimeZone = model.DefaultTimeZone
	}
	id, err := s.insertReturningID(ctx, "create company "+c.Slug,
		"INSERT INTO companies (slug, name, language, time_zone, created_at) VALUES (?, ?, ?, ?, ?)",
		c.Slug, c.Name, c.Language, c.TimeZone, c.CreatedAt)
	c.ID = id
	return err
}

// UpdateCompany saves c's name, language and time zone.
func (s q) UpdateCompany(ctx context.Context, c *model.Company) error {
	res, err := s.exec(ctx, "UPDATE companies SET name = ?, language = ?, time_zone = ? WHERE id = ?",
		c.Name, c.Language, c.TimeZone, c.ID)
	return affected(res, err, fmt.Sprintf("update company %d", c.ID))
}

const companyCols = "id, slug, name, language, time_zone, created_at"

func scanCompany(sc interface{ Scan(...any) error }) (*model.Company, error) {
	var c model.Company
	err := sc.Scan(&c.ID, &c.Slug, &c.Name, &c.Language, &c.TimeZone, tsv{&c.CreatedAt})
	return &c, err
}

// GetCompany by ID.
func (s q) GetCompany(ctx context.Context, id int64) (*model.Company, error) {
	c, err := scanCompany(s.row(ctx, "SELECT "+companyCols+" FROM companies WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get company %d", id))
	}
	return c, nil
}

// GetCompanyBySlug by slug.
func (s q) GetCompanyBySlug(ctx context.Context, slug string) (*model.Company, error) {
	c, err := scanCompany(s.row(ctx, "SELECT "+companyCols+" FROM companies WHERE slug = ?", slug))
	if err != nil {
		return nil, notFound(err, "get company "+slug)
	}
	return c, nil
}

// ListCompanies in ID order.
func (s q) ListCompanies(ctx context.Context) ([]model.Company, error) {
	return list(ctx, s, "list companies", scanCompany, "SELECT "+companyCols+" FROM companies ORDER BY id")
}

// list runs a query and scans every row with scan.
func list[T any](ctx context.Context, s q, what string, scan func(interface{ Scan(...any) error }) (*T, error), query string, args ...any) ([]T, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("store: %s: scan: %w", what, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// CreateAgent inserts a and sets its ID.
func (s q) CreateAgent(ctx context.Context, a *model.Agent) error {
	a.CreatedAt = s.stamp(a.CreatedAt)
	a.Email = model.NormalizeEmail(a.Email)
	id, err := s.insertReturningID(ctx, "create agent "+a.Email,
		`INSERT INTO agents (company_id, email, name, role, password_hash, signature, language, time_zone, disabled, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CompanyID, a.Email, a.Name, string(a.Role), a.PasswordHash, a.Signature, a.Language, a.TimeZone, a.Disabled, a.CreatedAt)
	a.ID = id
	return err
}

const agentCols = "id, company_id, email, name, role, password_hash, signature, language, time_zone, disabled, created_at"

func scanAgent(sc interface{ Scan(...any) error }) (*model.Agent, error) {
	var a model.Agent
	var role string
	err := sc.Scan(agentDest(&a, &role)...)
	a.Role = model.Role(role)
	return &a, err
}

// agentDest is where the columns of agentCols scan to (the role as text).
func agentDest(a *model.Agent, role *string) []any {
	return []any{&a.ID, &a.CompanyID, &a.Email, &a.Name, role, &a.PasswordHash, &a.Signature, &a.Language, &a.TimeZone, &a.Disabled, tsv{&a.CreatedAt}}
}

// GetAgent by ID within a company.
func (s q) GetAgent(ctx context.Context, companyID, id int64) (*model.Agent, error) {
	a, err := scanAgent(s.row(ctx, "SELECT "+agentCols+" FROM agents WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get agent %d", id))
	}
	return a, nil
}

// GetAgentByEmail within a company.
func (s q) GetAgentByEmail(ctx context.Context, companyID int64, email string) (*model.Agent, error) {
	a, err := scanAgent(s.row(ctx, "SELECT "+agentCols+" FROM agents WHERE company_id = ? AND email = ?",
		companyID, model.NormalizeEmail(email)))
	if err != nil {
		return nil, notFound(err, "get agent by email")
	}
	return a, nil
}

// ListAgents of a company.
func (s q) ListAgents(ctx context.Context, companyID int64) ([]model.Agent, error) {
	return list(ctx, s, "list agents", scanAgent, "SELECT "+agentCols+" FROM agents WHERE company_id = ? ORDER BY id", companyID)
}

// UpdateAgent saves the mutable fields of a.
func (s q) UpdateAgent(ctx context.Context, a *model.Agent) error {
	res, err := s.exec(ctx, `UPDATE agents SET email = ?, name = ?, role = ?, password_hash = ?, signature = ?, language = ?, time_zone = ?, disabled = ?
		WHERE company_id = ? AND id = ?`,
		model.NormalizeEmail(a.Email), a.Name, string(a.Role), a.PasswordHash, a.Signature, a.Language, a.TimeZone, a.Disabled, a.CompanyID, a.ID)
	return s.updated(res, err, fmt.Sprintf("update agent %d", a.ID))
}

// affected turns "0 rows updated" into ErrNotFound.
func affected(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	return rowsAffected(res, what)
}

// updated is affected for UPDATEs that may hit a unique value (a slug,
// an email, a token already taken): those answer ErrConflict.
func (s q) updated(res sql.Result, err error, what string) error {
	if err != nil && s.d.IsUnique != nil && s.d.IsUnique(err) {
		return fmt.Errorf("store: %s: %w", what, store.ErrConflict)
	}
	return affected(res, err, what)
}

func rowsAffected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", what, store.ErrNotFound)
	}
	return nil
}

// CreateTeam inserts t.
func (s q) CreateTeam(ctx context.Context, t *model.Team) error {
	t.CreatedAt = s.stamp(t.CreatedAt)
	id, err := s.insertReturningID(ctx, "create team "+t.Name,
		"INSERT INTO teams (company_id, name, created_at) VALUES (?, ?, ?)", t.CompanyID, t.Name, t.CreatedAt)
	t.ID = id
	return err
}

func scanTeam(sc interface{ Scan(...any) error }) (*model.Team, error) {
	var t model.Team
	err := sc.Scan(&t.ID, &t.CompanyID, &t.Name, tsv{&t.CreatedAt})
	return &t, err
}

// GetTeam by ID within a company.
func (s q) GetTeam(ctx context.Context, companyID, id int64) (*model.Team, error) {
	t, err := scanTeam(s.row(ctx, "SELECT id, company_id, name, created_at FROM teams WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get team %d", id))
	}
	return t, nil
}

// ListTeams of a company.
func (s q) ListTeams(ctx context.Context, companyID int64) ([]model.Team, error) {
	return list(ctx, s, "list teams", scanTeam, "SELECT id, company_id, name, created_at FROM teams WHERE company_id = ? ORDER BY name, id", companyID)
}

// AddTeamMember adds an agent to a team; both must belong to the company.
func (s q) AddTeamMember(ctx context.Context, companyID, teamID, agentID int64) error {
	if _, err := s.GetTeam(ctx, companyID, teamID); err != nil {
		return err
	}
	if _, err := s.GetAgent(ctx, companyID, agentID); err != nil {
		return err
	}
	_, err := s.exec(ctx, "INSERT INTO team_members (company_id, team_id, agent_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		companyID, teamID, agentID)
	if err != nil {
		return fmt.Errorf("store: add team member: %w", err)
	}
	return nil
}

// RemoveTeamMember removes an agent from a team.
func (s q) RemoveTeamMember(ctx context.Context, companyID, teamID, agentID int64) error {
	res, err := s.exec(ctx, "DELETE FROM team_members WHERE company_id = ? AND team_id = ? AND agent_id = ?", companyID, teamID, agentID)
	return affected(res, err, "remove team member")
}

// ListTeamMembers lists the agents of a team.
func (s q) ListTeamMembers(ctx context.Context, companyID, teamID int64) ([]model.Agent, error) {
	return list(ctx, s, "list team members", scanAgent,
		`SELECT a.id, a.company_id, a.email, a.name, a.role, a.password_hash, a.signature, a.language, a.time_zone, a.disabled, a.created_at
		 FROM team_members m JOIN agents a ON a.id = m.agent_id AND a.company_id = m.company_id
		 WHERE m.company_id = ? AND m.team_id = ? ORDER BY a.id`, companyID, teamID)
}

// CreateChannel inserts c.
func (s q) CreateChannel(ctx context.Context, c *model.Channel) error {
	c.CreatedAt = s.stamp(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	id, err := s.insertReturningID(ctx, "create channel "+c.Slug,
		`INSERT INTO channels (company_id, slug, name, enabled, incoming, outgoing, inbound_token, settings, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.CompanyID, c.Slug, c.Name, c.Enabled, string(c.Incoming), string(c.Outgoing), c.InboundToken, js(c.Settings), c.CreatedAt, c.UpdatedAt)
	c.ID = id
	return err
}

const channelCols = "id, company_id, slug, name, enabled, incoming, outgoing, inbound_token, settings, created_at, updated_at"

func scanChannel(sc interface{ Scan(...any) error }) (*model.Channel, error) {
	var c model.Channel
	var in, out string
	err := sc.Scan(&c.ID, &c.CompanyID, &c.Slug, &c.Name, &c.Enabled, &in, &out, &c.InboundToken, jsonv{&c.Settings}, tsv{&c.CreatedAt}, tsv{&c.UpdatedAt})
	c.Incoming, c.Outgoing = model.Connection(in), model.Connection(out)
	return &c, err
}

// GetChannel by ID within a company.
func (s q) GetChannel(ctx context.Context, companyID, id int64) (*model.Channel, error) {
	c, err := scanChannel(s.row(ctx, "SELECT "+channelCols+" FROM channels WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get channel %d", id))
	}
	return c, nil
}

// GetChannelBySlug within a company.
func (s q) GetChannelBySlug(ctx context.Context, companyID int64, slug string) (*model.Channel, error) {
	c, err := scanChannel(s.row(ctx, "SELECT "+channelCols+" FROM channels WHERE company_id = ? AND slug = ?", companyID, slug))
	if err != nil {
		return nil, notFound(err, "get channel "+slug)
	}
	return c, nil
}

// GetChannelByInboundToken crosses companies (inbound address lookup).
func (s q) GetChannelByInboundToken(ctx context.Context, token string) (*model.Channel, error) {
	c, err := scanChannel(s.row(ctx, "SELECT "+channelCols+" FROM channels WHERE inbound_token = ?", token))
	if err != nil {
		return nil, notFound(err, "get channel by inbound token")
	}
	return c, nil
}

// ListChannels of a company.
func (s q) ListChannels(ctx context.Context, companyID int64) ([]model.Channel, error) {
	return list(ctx, s, "list channels", scanChannel, "SELECT "+channelCols+" FROM channels WHERE company_id = ? ORDER BY id", companyID)
}

// ListEnabledChannels crosses companies (sync supervisors).
func (s q) ListEnabledChannels(ctx context.Context) ([]model.Channel, error) {
	return list(ctx, s, "list enabled channels", scanChannel, "SELECT "+channelCols+" FROM channels WHERE enabled = ? ORDER BY id", true)
}

// UpdateChannel saves the mutable fields of c.
func (s q) UpdateChannel(ctx context.Context, c *model.Channel) error {
	c.UpdatedAt = s.now()
	res, err := s.exec(ctx, `UPDATE channels SET slug = ?, name = ?, enabled = ?, incoming = ?, outgoing = ?, inbound_token = ?, settings = ?, updated_at = ?
		WHERE company_id = ? AND id = ?`,
		c.Slug, c.Name, c.Enabled, string(c.Incoming), string(c.Outgoing), c.InboundToken, js(c.Settings), c.UpdatedAt, c.CompanyID, c.ID)
	return s.updated(res, err, fmt.Sprintf("update channel %d", c.ID))
}

const contactCols = "id, company_id, email, name, created_at"

func scanContact(sc interface{ Scan(...any) error }) (*model.Contact, error) {
	var c model.Contact
	err := sc.Scan(&c.ID, &c.CompanyID, &c.Email, &c.Name, tsv{&c.CreatedAt})
	return &c, err
}

// UpsertContact finds or creates the contact with this email.
func (s q) UpsertContact(ctx context.Context, companyID int64, email, name string) (*model.Contact, error) {
	email = model.NormalizeEmail(email)
	// Most mail comes from a contact already known: one read and no
	// write (ingest runs this for every new ticket). Read through the
	// writer: inside or right after an insert.
	c, err := scanContact(s.wrow(ctx, "SELECT "+contactCols+" FROM contacts WHERE company_id = ? AND email = ?", companyID, email))
	if err == nil {
		if name == "" || c.Name != "" {
			return c, nil
		}
		res, err := s.exec(ctx, "UPDATE contacts SET name = ? WHERE company_id = ? AND id = ? AND name = ''", name, companyID, c.ID)
		if err != nil {
			return nil, fmt.Errorf("store: upsert contact name: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			c.Name = name
			return c, nil
		}
		// Named meanwhile by another writer: read what it stored.
		return s.readContact(ctx, companyID, email)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: upsert contact: %w", err)
	}
	c, err = scanContact(s.wrow(ctx, "INSERT INTO contacts (company_id, email, name, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING "+contactCols,
		companyID, email, name, s.now()))
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: upsert contact: %w", err)
	}
	// Inserted meanwhile by another writer (another node's transaction):
	// fill in the name as above.
	if name != "" {
		if _, err := s.exec(ctx, "UPDATE contacts SET name = ? WHERE company_id = ? AND email = ? AND name = ''", name, companyID, email); err != nil {
			return nil, fmt.Errorf("store: upsert contact name: %w", err)
		}
	}
	return s.readContact(ctx, companyID, email)
}

func (s q) readContact(ctx context.Context, companyID int64, email string) (*model.Contact, error) {
	c, err := scanContact(s.wrow(ctx, "SELECT "+contactCols+" FROM contacts WHERE company_id = ? AND email = ?", companyID, email))
	if err != nil {
		return nil, notFound(err, "upsert contact")
	}
	return c, nil
}

// GetContact by ID within a company.
func (s q) GetContact(ctx context.Context, companyID, id int64) (*model.Contact, error) {
	c, err := scanContact(s.row(ctx, "SELECT "+contactCols+" FROM contacts WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get contact %d", id))
	}
	return c, nil
}

// GetContacts by IDs within a company.
func (s q) GetContacts(ctx context.Context, companyID int64, ids []int64) ([]model.Contact, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 500 {
		return nil, fmt.Errorf("store: get contacts: %d ids, at most 500", len(ids))
	}
	args := []any{companyID}
	for _, id := range ids {
		args = append(args, id)
	}
	return list(ctx, s, "get contacts", scanContact, "SELECT "+contactCols+" FROM contacts WHERE company_id = ? AND id IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
}

// ListContacts of a company.
func (s q) ListContacts(ctx context.Context, companyID int64) ([]model.Contact, error) {
	return list(ctx, s, "list contacts", scanContact, "SELECT "+contactCols+" FROM contacts WHERE company_id = ? ORDER BY id", companyID)
}

// contactLike is the pattern (PostgreSQL) that finds a query word, given
// LIKE-escaped, in contacts.search_text: folded by the server as the
// column is (atende_fold: unaccent turns "ø" into "o", which search.Fold
// keeps), a constant for the planner, which reads the trigram index.
const contactLike = `'%' || atende_fold(CAST(? AS text)) || '%'`

// contactWhere adds to x the condition (PostgreSQL) that col, a contact's
// search_text, has the query word term: through the server's fold
// (contactLike) when the word needs it, else as it is (serverFolds).
func contactWhere(x *sqlb, col, term string) {
	if serverFolds(term) {
		x.w(" AND "+col+" LIKE "+contactLike, likeEscape(term))
	} else {
		x.w(" AND "+col+" LIKE ?", "%"+likeEscape(term)+"%")
	}
}

// serverFolds reports whether the server's fold (atende_fold) may change
// a query word of search.Terms (folded letters and digits). It never
// changes an ASCII one: unaccent's rules map only non-ASCII characters,
// and the word is lower case with none of the characters atende_fold
// turns into spaces (TestServerFoldKeepsASCII checks this on the
// server). Queries skip the fold for such words: atende_fold and
// atende_tsquery are SQL functions run while the query is planned
// (atende_tsquery alone: a subject query took 0.35-0.38 ms against
// 0.18-0.20 with to_tsquery). On the 1,000,000-message list-and-search
// mix (50 clients, PostgreSQL, three seeded databases, the variants
// interleaved) tables without the fold gave a median of 563 req/s, with
// it 532; runs this noisy do not pin the gain closer than that.
func serverFolds(terms ...string) bool {
	for _, t := range terms {
		for i := 0; i < len(t); i++ {
			if t[i] >= utf8.RuneSelf {
				return true
			}
		}
	}
	return false
}

// SearchContacts reads the index the ticket search's contact branch
// reads: the folded name-and-address column (trigram index) on
// PostgreSQL, contacts_fts on SQLite.
func (s q) SearchContacts(ctx context.Context, companyID int64, query string, offset, limit int) ([]model.Contact, error) {
	terms := search.Terms(query)
	x := &sqlb{}
	switch {
	case len(terms) == 0:
		x.w("SELECT "+contactCols+" FROM contacts WHERE company_id = ?", companyID)
	case s.d.Dollar:
		x.w("SELECT "+contactCols+" FROM contacts WHERE company_id = ?", companyID)
		for _, t := range terms {
			contactWhere(x, "search_text", t)
		}
	default:
		if err := s.ftsFresh(ctx); err != nil {
			return nil, err
		}
		x.w("SELECT "+contactCols+" FROM contacts WHERE company_id = ? AND id IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?)",
			companyID, search.FTS5Query(terms, true))
	}
	x.w(" ORDER BY id LIMIT ? OFFSET ?", max(limit, 0), max(offset, 0))
	return list(ctx, s, "search contacts", scanContact, x.b.String(), x.args...)
}
