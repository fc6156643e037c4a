-- 0028: message search vectors are made in Go (search.TSVector), by the
-- tokenizer that also splits queries and that matches SQLite's unicode61:
-- the store passes every new message's vector to its insert (the trigger
-- of 0026 still fills it for SQL written outside the store, with the
-- server's to_tsvector).
--
-- Rows written before this migration hold the server's vectors, which
-- differ for a few letters (unaccent turns "ß" into "ss" and "ø" into "o",
-- the queries keep them) and for markup the server's parser skips. The
-- store rewrites them in the background (sqlstore revector.go), oldest
-- first, up to the newest message that exists now: search_revector keeps
-- how far it got, so a restart goes on from there.
CREATE TABLE search_revector (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    upto         BIGINT NOT NULL,
    done_through BIGINT NOT NULL,
    finished_at  TIMESTAMPTZ
);
INSERT INTO search_revector (id, upto, done_through)
    SELECT 1, COALESCE(MAX(id), 0), 0 FROM messages;
