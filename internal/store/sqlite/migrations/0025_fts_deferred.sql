-- 0025: full-text indexing at the end of each transaction.
--
-- FTS5 writes what it gathered in memory to a new index segment at every
-- savepoint, and SQLite opens one for every statement that fires a trigger
-- in a transaction: with the insert triggers of 0012 writing the indexes,
-- every stored message made segments of its own for the automerge to
-- rewrite (a third of the single writer's time ingesting 5 KB mail). Now
-- an insert only notes its row in fts_pending; the transaction indexes the
-- noted rows in one statement per index just before its commit
-- (internal/store/sqlstore/ftsdefer.go), so a committed row is always
-- indexed. The update and delete triggers leave a noted row alone (it is
-- indexed as it stands at the end), and an update that leaves the indexed
-- columns as they were (every ticket update sets its subject) no longer
-- rewrites the index. tbl: 1 messages, 2 contacts, 3 tickets.
CREATE TABLE fts_pending (tbl INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (tbl, id)) WITHOUT ROWID;
DROP TRIGGER messages_fts_ai;
DROP TRIGGER messages_fts_ad;
DROP TRIGGER messages_fts_au;
CREATE TRIGGER messages_fts_ai AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO fts_pending (tbl, id) VALUES (1, NEW.id);
END;
CREATE TRIGGER messages_fts_ad AFTER DELETE ON messages
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 1 AND id = OLD.id) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, from_name, from_address, text_body)
    VALUES ('delete', OLD.id, OLD.subject, OLD.from_name, OLD.from_address, OLD.text_body);
END;
CREATE TRIGGER messages_fts_au AFTER UPDATE OF subject, from_name, from_address, text_body ON messages
    WHEN (OLD.subject IS NOT NEW.subject OR OLD.from_name IS NOT NEW.from_name OR OLD.from_address IS NOT NEW.from_address
          OR OLD.text_body IS NOT NEW.text_body)
     AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 1 AND id = OLD.id) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, subject, from_name, from_address, text_body)
    VALUES ('delete', OLD.id, OLD.subject, OLD.from_name, OLD.from_address, OLD.text_body);
    INSERT INTO messages_fts (rowid, subject, from_name, from_address, text_body)
    VALUES (NEW.id, NEW.subject, NEW.from_name, NEW.from_address, NEW.text_body);
END;
DROP TRIGGER contacts_fts_ai;
DROP TRIGGER contacts_fts_ad;
DROP TRIGGER contacts_fts_au;
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN
    INSERT OR IGNORE INTO fts_pending (tbl, id) VALUES (2, NEW.id);
END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 2 AND id = OLD.id) BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', OLD.id, OLD.name, OLD.email);
END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE OF name, email ON contacts
    WHEN (OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email)
     AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 2 AND id = OLD.id) BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', OLD.id, OLD.name, OLD.email);
    INSERT INTO contacts_fts (rowid, name, email) VALUES (NEW.id, NEW.name, NEW.email);
END;
DROP TRIGGER tickets_fts_ai;
DROP TRIGGER tickets_fts_ad;
DROP TRIGGER tickets_fts_au;
CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN
    INSERT OR IGNORE INTO fts_pending (tbl, id) VALUES (3, NEW.id);
END;
CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets
    WHEN NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 3 AND id = OLD.id) BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject);
END;
CREATE TRIGGER tickets_fts_au AFTER UPDATE OF subject ON tickets
    WHEN OLD.subject IS NOT NEW.subject
     AND NOT EXISTS (SELECT 1 FROM fts_pending WHERE tbl = 3 AND id = OLD.id) BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, subject) VALUES ('delete', OLD.id, OLD.subject);
    INSERT INTO tickets_fts (rowid, subject) VALUES (NEW.id, NEW.subject);
END;
