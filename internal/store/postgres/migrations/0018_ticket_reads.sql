-- 0018: when each agent last opened each ticket, so "unread" (customer
-- activity after that) is the agent's on every device, kept by the server.
CREATE TABLE ticket_reads (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    agent_id    BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL REFERENCES tickets(id),
    read_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (agent_id, ticket_id)
);
