-- 0004: sessions, API tokens, login throttling, webhooks, ticket merges
-- and a channel index for the ticket list.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    agent_id     INTEGER NOT NULL REFERENCES agents(id),
    token_hash   TEXT NOT NULL UNIQUE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sessions_agent ON sessions (company_id, agent_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    agent_id     INTEGER NOT NULL REFERENCES agents(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE INDEX api_tokens_company ON api_tokens (company_id, id);

CREATE TABLE login_throttle (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    window_start TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    events_json TEXT NOT NULL DEFAULT '[]',
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_company ON webhooks (company_id, id);

CREATE TABLE ticket_merges (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    source_id   INTEGER NOT NULL PRIMARY KEY REFERENCES tickets(id),
    target_id   INTEGER NOT NULL REFERENCES tickets(id),
    merged_at   TIMESTAMP NOT NULL
);

CREATE INDEX tickets_company_channel ON tickets (company_id, channel_id, id);
-- The unfiltered list (newest first) and the agent-scope and text filters
-- walk this index backwards instead of sorting the company's tickets.
CREATE INDEX tickets_company_id ON tickets (company_id, id);
