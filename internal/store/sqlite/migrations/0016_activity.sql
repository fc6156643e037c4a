-- 0016: the agent workspace (issue 16): a ticket's activity timeline,
-- who is viewing or typing in a ticket (presence, shared by every node).

-- ticket_activity: what happened to a ticket besides its messages, written
-- by the domain services in the transaction that made the change (status,
-- assignment, team, merges, routing, auto-reply, delivery failures and
-- retries). actor_id 0 = Atende itself; data is a small JSON object.
CREATE TABLE ticket_activity (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL,
    actor_id    INTEGER NOT NULL DEFAULT 0,
    data_json   TEXT NOT NULL DEFAULT '{}',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX ticket_activity_ticket ON ticket_activity (company_id, ticket_id, id);

-- ticket_presence: an agent viewing (or typing in) a ticket until
-- expires_at; renewed by the agent's page, gone when it expires.
CREATE TABLE ticket_presence (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    ticket_id   INTEGER NOT NULL,
    agent_id    INTEGER NOT NULL,
    typing      INTEGER NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (company_id, ticket_id, agent_id)
);
CREATE INDEX ticket_presence_agent ON ticket_presence (company_id, agent_id);
