-- 0012: the inbox sorted by last customer activity, and full-text search.
--
-- tickets.activity_at is the time of the ticket's last customer activity:
-- its creation, its newest inbound message, or its reopening. Triggers keep
-- it in step inside the transaction that writes the message or the status,
-- so every writer (ingest, import, the API) moves it without knowing it.
ALTER TABLE tickets ADD COLUMN activity_at TIMESTAMP;
UPDATE tickets SET activity_at = COALESCE(
    (SELECT MAX(m.created_at) FROM messages m
      WHERE m.company_id = tickets.company_id AND m.ticket_id = tickets.id AND m.direction = 'in'),
    created_at);
UPDATE tickets SET activity_at = created_at WHERE activity_at < created_at;

CREATE TRIGGER tickets_activity_default AFTER INSERT ON tickets WHEN NEW.activity_at IS NULL BEGIN
    UPDATE tickets SET activity_at = NEW.created_at WHERE id = NEW.id;
END;
CREATE TRIGGER messages_activity AFTER INSERT ON messages WHEN NEW.direction = 'in' BEGIN
    UPDATE tickets SET activity_at = NEW.created_at
     WHERE id = NEW.ticket_id AND (activity_at IS NULL OR activity_at < NEW.created_at);
END;
CREATE TRIGGER tickets_reopen_activity AFTER UPDATE OF status ON tickets
    WHEN NEW.status = 'open' AND OLD.status IN ('resolved', 'closed') BEGIN
    UPDATE tickets SET activity_at = NEW.updated_at WHERE id = NEW.id;
END;

-- Keyset indexes, one per sort: last activity (with and without a status),
-- priority (urgent first, then last activity). Newest/oldest use the id.
CREATE INDEX tickets_company_activity ON tickets (company_id, activity_at, id);
CREATE INDEX tickets_company_status_activity ON tickets (company_id, status, activity_at, id);
CREATE INDEX tickets_company_priority ON tickets (company_id,
    (CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END), activity_at, id);
CREATE INDEX tickets_company_assignee_activity ON tickets (company_id, assignee_id, activity_at, id);
-- Covers the inbox's view counts (CountTicketViews reads no table row).
CREATE INDEX tickets_company_status_counts ON tickets (company_id, status, assignee_id, team_id);

-- Full-text search. FTS5 with external content: the index holds only the
-- terms, the text stays in messages (no second copy of every body); the
-- triggers below update it in the same transaction as the row, and
-- snippets are cut in Go from the row. unicode61 remove_diacritics 2
-- folds case and accents on both sides ("nao" finds "NÃO").
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, from_name, from_address, text_body,
    content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, subject, from_name, from_address, text_body)
    VALUES (NEW.id, NEW.subject, NEW.from_name, NEW.from_address, NEW.text_body);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, from_name, from_address, text_body)
    VALUES ('delete', OLD.id, OLD.subject, OLD.from_name, OLD.from_address, OLD.text_body);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, from_name, from_address, text_body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, from_name, from_address, text_body)
    VALUES ('delete', OLD.id, OLD.subject, OLD.from_name, OLD.from_address, OLD.text_body);
    INSERT INTO messages_fts (rowid, subject, from_name, from_address, text_body)
    VALUES (NEW.id, NEW.subject, NEW.from_name, NEW.from_address, NEW.text_body);
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, email, content='contacts', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO contacts_fts (rowid, name, email) VALUES (NEW.id, NEW.name, NEW.email);
END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', OLD.id, OLD.name, OLD.email);
END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF name, email ON contacts BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', OLD.id, OLD.name, OLD.email);
    INSERT INTO contacts_fts (rowid, name, email) VALUES (NEW.id, NEW.name, NEW.email);
END;

-- The ticket's own subject (an agent may edit it; a ticket may have no
-- message yet).
CREATE VIRTUAL TABLE tickets_fts USING fts5(
    subject, content='tickets', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');
CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO tickets_fts (rowid, subject) VALUES (NEW.id, NEW.subject);
END;
CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject);
END;
CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject ON tickets BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject);
    INSERT INTO tickets_fts (rowid, subject) VALUES (NEW.id, NEW.subject);
END;
