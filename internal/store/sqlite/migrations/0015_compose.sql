-- 0015: the agent's composer. Canned replies (respostas prontas) of a
-- company (agent_id 0) or of one agent, with their attachments; drafts
-- kept per agent per ticket; each company's undo-send delay.
CREATE TABLE canned_replies (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    agent_id    INTEGER NOT NULL DEFAULT 0,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX canned_replies_owner ON canned_replies (company_id, agent_id, title);
CREATE TABLE canned_attachments (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    canned_id    INTEGER NOT NULL REFERENCES canned_replies(id) ON DELETE CASCADE,
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL
);
CREATE INDEX canned_attachments_reply ON canned_attachments (company_id, canned_id);
CREATE TABLE drafts (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    agent_id    INTEGER NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (company_id, ticket_id, agent_id)
);
CREATE TABLE compose_settings (
    company_id   INTEGER PRIMARY KEY REFERENCES companies(id),
    undo_seconds INTEGER NOT NULL
);
