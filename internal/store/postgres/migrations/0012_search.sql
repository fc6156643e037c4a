-- 0012: the inbox sorted by last customer activity, and full-text search.
--
-- tickets.activity_at is the time of the ticket's last customer activity:
-- its creation, its newest inbound message, or its reopening. Triggers keep
-- it in step inside the transaction that writes the message or the status.
ALTER TABLE tickets ADD COLUMN activity_at TIMESTAMPTZ;
UPDATE tickets t SET activity_at = GREATEST(t.created_at, COALESCE(
    (SELECT MAX(m.created_at) FROM messages m
      WHERE m.company_id = t.company_id AND m.ticket_id = t.id AND m.direction = 'in'),
    t.created_at));

CREATE FUNCTION atende_ticket_activity_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.activity_at IS NULL THEN
        NEW.activity_at := NEW.created_at;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.status = 'open' AND OLD.status IN ('resolved', 'closed') THEN
        NEW.activity_at := NEW.updated_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_activity BEFORE INSERT OR UPDATE OF status ON tickets
    FOR EACH ROW EXECUTE FUNCTION atende_ticket_activity_default();

CREATE FUNCTION atende_message_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tickets SET activity_at = NEW.created_at
     WHERE id = NEW.ticket_id AND (activity_at IS NULL OR activity_at < NEW.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER messages_activity AFTER INSERT ON messages
    FOR EACH ROW WHEN (NEW.direction = 'in') EXECUTE FUNCTION atende_message_activity();

CREATE INDEX tickets_company_activity ON tickets (company_id, activity_at, id);
CREATE INDEX tickets_company_status_activity ON tickets (company_id, status, activity_at, id);
CREATE INDEX tickets_company_priority ON tickets (company_id,
    (CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END), activity_at, id);
CREATE INDEX tickets_company_assignee_activity ON tickets (company_id, assignee_id, activity_at, id);
-- Covers the inbox's view counts (CountTicketViews reads no table row).
CREATE INDEX tickets_company_status_counts ON tickets (company_id, status, assignee_id, team_id);

-- Full-text search: a stored tsvector of each message (subject, sender,
-- body) with case and accents folded by unaccent, in a GIN index; contacts
-- by trigram (pg_trgm) so parts of names and addresses match. Both are
-- trusted extensions (PostgreSQL 13+): a database owner may create them.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- atende_fold folds accents and splits addresses and dotted names into
-- words the way SQLite's unicode61 tokenizer does. unaccent() is only
-- STABLE (it reads a dictionary); naming the dictionary makes the wrapper
-- safe to declare IMMUTABLE, which generated columns and indexes need.
CREATE FUNCTION atende_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT translate(lower(public.unaccent('public.unaccent'::regdictionary, $1)), '@./_-+:', '       ') $$;

-- The body is capped at 256 kB of text: a tsvector holds at most 1 MB.
ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, atende_fold(subject || ' ' || from_name || ' ' || from_address || ' ' || left(text_body, 262144)))
) STORED;
CREATE INDEX messages_search ON messages USING gin (search_tsv);

CREATE INDEX contacts_search ON contacts USING gin (atende_fold(name || ' ' || email) gin_trgm_ops);

-- The ticket's own subject (an agent may edit it; a ticket may have no
-- message yet).
CREATE INDEX tickets_search ON tickets USING gin (to_tsvector('simple'::regconfig, atende_fold(subject)));
