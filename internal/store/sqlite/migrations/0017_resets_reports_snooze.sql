-- 0017: password reset links (issue 16), the resolution time reports
-- read, and snoozed tickets.
--
-- password_resets: one row per mailed link; only the SHA-256 of the
-- link's token is kept. used_at is set once, when the link is used (or
-- when another link of the same agent is).
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    agent_id    INTEGER NOT NULL REFERENCES agents(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP
);
CREATE INDEX password_resets_agent ON password_resets (company_id, agent_id);

-- tickets.resolved_at: when the ticket last became resolved or closed
-- (its updated_at, the store's clock), NULL while open or pending. Kept
-- by triggers so every code path that changes a status keeps it right.
ALTER TABLE tickets ADD COLUMN resolved_at TIMESTAMP;
UPDATE tickets SET resolved_at = updated_at WHERE status IN ('resolved', 'closed');

CREATE TRIGGER tickets_resolved_at_insert AFTER INSERT ON tickets
WHEN NEW.status IN ('resolved', 'closed')
BEGIN
    UPDATE tickets SET resolved_at = NEW.updated_at WHERE id = NEW.id;
END;

CREATE TRIGGER tickets_resolved_at_update AFTER UPDATE OF status ON tickets
WHEN (NEW.status IN ('resolved', 'closed')) <> (OLD.status IN ('resolved', 'closed'))
BEGIN
    UPDATE tickets SET resolved_at = CASE WHEN NEW.status IN ('resolved', 'closed') THEN NEW.updated_at END WHERE id = NEW.id;
END;

CREATE INDEX tickets_company_created ON tickets (company_id, created_at);
CREATE INDEX tickets_company_resolved ON tickets (company_id, resolved_at);

-- tickets.snoozed_until: a pending ticket reopens at this time (a
-- "ticket.snooze" job does it). Any status change away from pending
-- clears it, so a stale job never reopens a ticket snoozed no more.
ALTER TABLE tickets ADD COLUMN snoozed_until TIMESTAMP;

CREATE TRIGGER tickets_snooze_clear AFTER UPDATE OF status ON tickets
WHEN NEW.status <> 'pending' AND NEW.snoozed_until IS NOT NULL
BEGIN
    UPDATE tickets SET snoozed_until = NULL WHERE id = NEW.id;
END;
