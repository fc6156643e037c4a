-- 0001: companies, agents, teams, channels, contacts, tickets, messages,
-- attachments, the inbound queue and the job queue.
CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    ticket_seq  INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL
);

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies(id),
    email         TEXT NOT NULL,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin','agent')),
    password_hash TEXT NOT NULL DEFAULT '',
    signature     TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT 'pt-BR',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    UNIQUE (company_id, email)
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE team_members (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    team_id     INTEGER NOT NULL REFERENCES teams(id),
    agent_id    INTEGER NOT NULL REFERENCES agents(id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE channels (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies(id),
    slug          TEXT NOT NULL,
    name          TEXT NOT NULL,
    enabled       INTEGER NOT NULL DEFAULT 1,
    incoming      TEXT NOT NULL,
    outgoing      TEXT NOT NULL,
    inbound_token TEXT NOT NULL UNIQUE,
    settings      TEXT NOT NULL DEFAULT '{}',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    UNIQUE (company_id, slug)
);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    UNIQUE (company_id, email)
);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES companies(id),
    number          INTEGER NOT NULL,
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    contact_id      INTEGER NOT NULL REFERENCES contacts(id),
    team_id         INTEGER,
    assignee_id     INTEGER,
    subject         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    priority        TEXT NOT NULL DEFAULT 'normal',
    reply_token     TEXT NOT NULL,
    tags_json       TEXT NOT NULL DEFAULT '[]',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    last_message_at TIMESTAMP NOT NULL,
    UNIQUE (company_id, number),
    UNIQUE (company_id, reply_token)
);
CREATE INDEX tickets_company_status ON tickets (company_id, status, id);
CREATE INDEX tickets_company_team ON tickets (company_id, team_id, id);
CREATE INDEX tickets_company_assignee ON tickets (company_id, assignee_id, id);
CREATE INDEX tickets_company_contact ON tickets (company_id, contact_id, id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    channel_id   INTEGER NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('in','out','note')),
    status       TEXT NOT NULL,
    author_id    INTEGER,
    from_name    TEXT NOT NULL DEFAULT '',
    from_address TEXT NOT NULL DEFAULT '',
    to_json      TEXT NOT NULL DEFAULT '[]',
    cc_json      TEXT NOT NULL DEFAULT '[]',
    bcc_json     TEXT NOT NULL DEFAULT '[]',
    subject      TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    in_reply_to  TEXT NOT NULL DEFAULT '',
    refs_json    TEXT NOT NULL DEFAULT '[]',
    sent_date    TIMESTAMP,
    text_body    TEXT NOT NULL DEFAULT '',
    html_body    TEXT NOT NULL DEFAULT '',
    reply_text   TEXT NOT NULL DEFAULT '',
    raw_key      TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    flags        INTEGER NOT NULL DEFAULT 0,
    dedupe_key   TEXT,
    inbound_id   INTEGER,
    error        TEXT NOT NULL DEFAULT '',
    meta_json    TEXT NOT NULL DEFAULT '{}',
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (company_id, dedupe_key)
);
CREATE INDEX messages_ticket ON messages (company_id, ticket_id, id);
-- Empty Message-IDs are never match keys (threading), so they are not indexed.
CREATE INDEX messages_message_id ON messages (company_id, message_id) WHERE message_id <> '';

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    message_id   INTEGER NOT NULL REFERENCES messages(id),
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    content_id   TEXT NOT NULL DEFAULT '',
    inline       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX attachments_message ON attachments (company_id, message_id);

CREATE TABLE inbound (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    channel_id   INTEGER NOT NULL REFERENCES channels(id),
    source_key   TEXT NOT NULL,
    raw_key      TEXT NOT NULL,
    size         INTEGER NOT NULL,
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    message_id   INTEGER,
    received_at  TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    lease_until  TIMESTAMP NOT NULL,
    UNIQUE (channel_id, source_key)
);
CREATE INDEX inbound_pending ON inbound (lease_until, id) WHERE state = 'pending';

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL DEFAULT '{}',
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      TIMESTAMP NOT NULL,
    lease_until TIMESTAMP NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    unique_key  TEXT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (company_id, kind, unique_key)
);
CREATE INDEX jobs_due ON jobs (kind, run_at, id) WHERE state = 'pending';
