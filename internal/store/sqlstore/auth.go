package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

const sessionCols = "id, company_id, agent_id, token_hash, csrf_token, created_at, last_seen_at, expires_at"

func scanSession(sc interface{ Scan(...any) error }) (*store.Session, error) {
	var s store.Session
	err := sc.Scan(sessionDest(&s)...)
	return &s, err
}

// sessionDest is where the columns of sessionCols scan to.
func sessionDest(s *store.Session) []any {
	return []any{&s.ID, &s.CompanyID, &s.AgentID, &s.TokenHash, &s.CSRFToken, tsv{&s.CreatedAt}, tsv{&s.LastSeenAt}, tsv{&s.ExpiresAt}}
}

// GetSessionAuth is the session, its agent and the agent's teams in one
// query (one round trip per request instead of three).
func (s q) GetSessionAuth(ctx context.Context, tokenHash string) (*store.Session, *model.Agent, []int64, error) {
	var se store.Session
	a, teams, err := s.authRow(ctx, "get session", sessionAuthSQL, sessionDest(&se), tokenHash)
	if err != nil {
		return nil, nil, nil, err
	}
	return &se, a, teams, nil
}

// authQuery reads the row of table (a session or an API token, its cols)
// whose token_hash is the argument, joined with its agent, and the agent's
// team IDs aggregated in the same query (string_agg: PostgreSQL, and
// SQLite since 3.44). Built once: it runs on every request.
func authQuery(table, cols string) string {
	return "SELECT " + prefixCols("x.", cols) + ", " + prefixCols("a.", agentCols) +
		", (SELECT string_agg(CAST(m.team_id AS TEXT), ',') FROM team_members m WHERE m.company_id = a.company_id AND m.agent_id = a.id)" +
		" FROM " + table + " x JOIN agents a ON a.company_id = x.company_id AND a.id = x.agent_id WHERE x.token_hash = ?"
}

var (
	sessionAuthSQL  = authQuery("sessions", sessionCols)
	apiTokenAuthSQL = authQuery("api_tokens", apiTokenCols)
)

// authRow runs query (sessionAuthSQL or apiTokenAuthSQL) for hash,
// scanning the session's or token's columns into dest, and returns the
// agent and its team IDs.
func (s q) authRow(ctx context.Context, what, query string, dest []any, hash string) (*model.Agent, []int64, error) {
	var a model.Agent
	var role string
	var teams sql.NullString
	if err := s.row(ctx, query, hash).Scan(append(append(dest, agentDest(&a, &role)...), &teams)...); err != nil {
		return nil, nil, notFound(err, what)
	}
	a.Role = model.Role(role)
	var ids []int64
	for _, f := range strings.Split(teams.String, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("store: %s: team id %q: %w", what, f, err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return &a, ids, nil
}

// prefixCols qualifies each column of a column list with prefix.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = prefix + c
	}
	return strings.Join(parts, ", ")
}

// CreateSession inserts a session; a duplicate token hash is ErrConflict.
func (s q) CreateSession(ctx context.Context, se *store.Session) error {
	se.CreatedAt = s.stamp(se.CreatedAt)
	if se.LastSeenAt.IsZero() {
		se.LastSeenAt = se.CreatedAt
	}
	id, err := s.insertReturningID(ctx, "create session",
		`INSERT INTO sessions (company_id, agent_id, token_hash, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		se.CompanyID, se.AgentID, se.TokenHash, se.CSRFToken, se.CreatedAt, se.LastSeenAt.UTC(), se.ExpiresAt.UTC())
	se.ID = id
	return err
}

// GetSessionByHash resolves a token hash (crosses companies).
func (s q) GetSessionByHash(ctx context.Context, tokenHash string) (*store.Session, error) {
	se, err := scanSession(s.row(ctx, "SELECT "+sessionCols+" FROM sessions WHERE token_hash = ?", tokenHash))
	if err != nil {
		return nil, notFound(err, "get session")
	}
	return se, nil
}

// TouchSession records activity and slides the expiry.
func (s q) TouchSession(ctx context.Context, id int64, lastSeen, expiresAt time.Time) error {
	res, err := s.exec(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?", lastSeen.UTC(), expiresAt.UTC(), id)
	return affected(res, err, fmt.Sprintf("touch session %d", id))
}

// DeleteSession removes a session by token hash.
func (s q) DeleteSession(ctx context.Context, tokenHash string) error {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash)
	return affected(res, err, "delete session")
}

// DeleteAgentSessions removes every session of an agent.
func (s q) DeleteAgentSessions(ctx context.Context, companyID, agentID int64) (int, error) {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE company_id = ? AND agent_id = ?", companyID, agentID)
	return count(res, err, "delete agent sessions")
}

// DeleteExpiredSessions removes expired sessions of every company.
func (s q) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", now.UTC())
	return count(res, err, "delete expired sessions")
}

func count(res interface{ RowsAffected() (int64, error) }, err error, what string) (int, error) {
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	return int(n), nil
}

const apiTokenCols = "id, company_id, agent_id, name, token_hash, created_at, last_used_at, revoked_at"

func scanAPIToken(sc interface{ Scan(...any) error }) (*store.APIToken, error) {
	var t store.APIToken
	err := sc.Scan(apiTokenDest(&t)...)
	return &t, err
}

// apiTokenDest is where the columns of apiTokenCols scan to.
func apiTokenDest(t *store.APIToken) []any {
	return []any{&t.ID, &t.CompanyID, &t.AgentID, &t.Name, &t.TokenHash, tsv{&t.CreatedAt}, tsv{&t.LastUsedAt}, tsv{&t.RevokedAt}}
}

// GetAPITokenAuth is the token, its agent and the agent's teams in one
// query.
func (s q) GetAPITokenAuth(ctx context.Context, tokenHash string) (*store.APIToken, *model.Agent, []int64, error) {
	var t store.APIToken
	a, teams, err := s.authRow(ctx, "get API token", apiTokenAuthSQL, apiTokenDest(&t), tokenHash)
	if err != nil {
		return nil, nil, nil, err
	}
	return &t, a, teams, nil
}

// CreateAPIToken inserts t.
func (s q) CreateAPIToken(ctx context.Context, t *store.APIToken) error {
	t.CreatedAt = s.stamp(t.CreatedAt)
	id, err := s.insertReturningID(ctx, "create API token",
		`INSERT INTO api_tokens (company_id, agent_id, name, token_hash, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.CompanyID, t.AgentID, t.Name, t.TokenHash, t.CreatedAt, nullTime(t.LastUsedAt), nullTime(t.RevokedAt))
	t.ID = id
	return err
}

// GetAPITokenByHash resolves a bearer token hash (crosses companies).
func (s q) GetAPITokenByHash(ctx context.Context, tokenHash string) (*store.APIToken, error) {
	t, err := scanAPIToken(s.row(ctx, "SELECT "+apiTokenCols+" FROM api_tokens WHERE token_hash = ?", tokenHash))
	if err != nil {
		return nil, notFound(err, "get API token")
	}
	return t, nil
}

// GetAPIToken by ID within a company.
func (s q) GetAPIToken(ctx context.Context, companyID, id int64) (*store.APIToken, error) {
	t, err := scanAPIToken(s.row(ctx, "SELECT "+apiTokenCols+" FROM api_tokens WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get API token %d", id))
	}
	return t, nil
}

// ListAPITokens of a company, oldest first.
func (s q) ListAPITokens(ctx context.Context, companyID int64) ([]store.APIToken, error) {
	return list(ctx, s, "list API tokens", scanAPIToken, "SELECT "+apiTokenCols+" FROM api_tokens WHERE company_id = ? ORDER BY id", companyID)
}

// RevokeAPIToken marks a token revoked (the first revocation time stays).
func (s q) RevokeAPIToken(ctx context.Context, companyID, id int64, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE company_id = ? AND id = ?", at.UTC(), companyID, id)
	return affected(res, err, fmt.Sprintf("revoke API token %d", id))
}

// TouchAPIToken records the last use.
func (s q) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE api_tokens SET last_used_at = ? WHERE id = ?", at.UTC(), id)
	return affected(res, err, fmt.Sprintf("touch API token %d", id))
}

// GetLoginThrottle returns the counter for key.
func (s q) GetLoginThrottle(ctx context.Context, key string) (*store.LoginThrottle, error) {
	var t store.LoginThrottle
	err := s.row(ctx, "SELECT key, failures, window_start, locked_until FROM login_throttle WHERE key = ?", key).
		Scan(&t.Key, &t.Failures, tsv{&t.WindowStart}, tsv{&t.LockedUntil})
	if err != nil {
		return nil, notFound(err, "get login throttle")
	}
	return &t, nil
}

// PutLoginThrottle upserts the counter.
func (s q) PutLoginThrottle(ctx context.Context, t *store.LoginThrottle) error {
	_, err := s.exec(ctx, `INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, window_start = excluded.window_start, locked_until = excluded.locked_until`,
		t.Key, t.Failures, t.WindowStart.UTC(), nullTime(t.LockedUntil))
	if err != nil {
		return fmt.Errorf("store: put login throttle: %w", err)
	}
	return nil
}

// LockLoginThrottle returns the counter for key, created when missing,
// locked for the rest of the transaction (PostgreSQL: FOR UPDATE;
// SQLite: the transaction already holds the database's write lock).
func (s q) LockLoginThrottle(ctx context.Context, key string, at time.Time) (*store.LoginThrottle, error) {
	if _, err := s.exec(ctx, `INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES (?, 0, ?, NULL)
		ON CONFLICT (key) DO NOTHING`, key, at.UTC()); err != nil {
		return nil, fmt.Errorf("store: lock login throttle: %w", err)
	}
	query := "SELECT key, failures, window_start, locked_until FROM login_throttle WHERE key = ?"
	if s.d.Name == "postgres" {
		query += " FOR UPDATE"
	}
	var t store.LoginThrottle
	// The writer: inside a transaction it is the transaction itself.
	if err := s.w.QueryRowContext(ctx, s.d.rebind(query), key).Scan(&t.Key, &t.Failures, tsv{&t.WindowStart}, tsv{&t.LockedUntil}); err != nil {
		return nil, notFound(err, "lock login throttle")
	}
	return &t, nil
}

// DeleteLoginThrottle forgets a counter (no error when there was none).
func (s q) DeleteLoginThrottle(ctx context.Context, key string) error {
	if _, err := s.exec(ctx, "DELETE FROM login_throttle WHERE key = ?", key); err != nil {
		return fmt.Errorf("store: delete login throttle: %w", err)
	}
	return nil
}

// AgentTeamIDs lists an agent's teams.
func (s q) AgentTeamIDs(ctx context.Context, companyID, agentID int64) ([]int64, error) {
	rows, err := s.query(ctx, "SELECT team_id FROM team_members WHERE company_id = ? AND agent_id = ? ORDER BY team_id", companyID, agentID)
	if err != nil {
		return nil, fmt.Errorf("store: agent teams: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: agent teams: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: agent teams: %w", err)
	}
	return out, nil
}

const webhookCols = "id, company_id, url, secret, events_json, enabled, created_at"

func scanWebhook(sc interface{ Scan(...any) error }) (*store.Webhook, error) {
	var w store.Webhook
	err := sc.Scan(&w.ID, &w.CompanyID, &w.URL, &w.Secret, jsonv{&w.Events}, &w.Enabled, tsv{&w.CreatedAt})
	return &w, err
}

// CreateWebhook inserts w.
func (s q) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	w.CreatedAt = s.stamp(w.CreatedAt)
	id, err := s.insertReturningID(ctx, "create webhook",
		"INSERT INTO webhooks (company_id, url, secret, events_json, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		w.CompanyID, w.URL, w.Secret, js(strs(w.Events)), w.Enabled, w.CreatedAt)
	w.ID = id
	return err
}

// GetWebhook by ID within a company.
func (s q) GetWebhook(ctx context.Context, companyID, id int64) (*store.Webhook, error) {
	w, err := scanWebhook(s.row(ctx, "SELECT "+webhookCols+" FROM webhooks WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get webhook %d", id))
	}
	return w, nil
}

// ListWebhooks of a company.
func (s q) ListWebhooks(ctx context.Context, companyID int64) ([]store.Webhook, error) {
	return list(ctx, s, "list webhooks", scanWebhook, "SELECT "+webhookCols+" FROM webhooks WHERE company_id = ? ORDER BY id", companyID)
}

// DeleteWebhook removes a webhook.
func (s q) DeleteWebhook(ctx context.Context, companyID, id int64) error {
	res, err := s.exec(ctx, "DELETE FROM webhooks WHERE company_id = ? AND id = ?", companyID, id)
	return affected(res, err, fmt.Sprintf("delete webhook %d", id))
}

// UpdateWebhookSecret replaces a webhook's stored secret.
func (s q) UpdateWebhookSecret(ctx context.Context, companyID, id int64, secret string) error {
	res, err := s.exec(ctx, "UPDATE webhooks SET secret = ? WHERE company_id = ? AND id = ?", secret, companyID, id)
	return affected(res, err, fmt.Sprintf("update webhook %d secret", id))
}

// DeleteLoginThrottlesBefore purges counters idle since before t.
func (s q) DeleteLoginThrottlesBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, "DELETE FROM login_throttle WHERE window_start < ? AND (locked_until IS NULL OR locked_until < ?)", t.UTC(), t.UTC())
	return count(res, err, "purge login throttles")
}
