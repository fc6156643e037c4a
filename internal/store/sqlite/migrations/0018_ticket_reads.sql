-- 0018: when each agent last opened each ticket, so "unread" (customer
-- activity after that) is the agent's on every device, kept by the server.
CREATE TABLE ticket_reads (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    agent_id    INTEGER NOT NULL,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    read_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, ticket_id)
);
