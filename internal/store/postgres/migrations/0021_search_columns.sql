-- 0021: search reads stored columns instead of folding text per row.
--
-- The ticket-subject and contact branches of a search matched an
-- expression index (to_tsvector(atende_fold(subject)), a trigram index on
-- atende_fold(name || ' ' || email)). When the planner walks tickets by id
-- (a common word: the newest matches come first) or scans a small contacts
-- table, it recomputed unaccent() for every row it passed: 13 µs a ticket,
-- 126 ms for a subject word in one ticket in eight at 100,000 tickets.
-- Stored generated columns are folded once, when the row is written.
ALTER TABLE tickets ADD COLUMN subject_tsv tsvector GENERATED ALWAYS AS (
    to_tsvector('simple'::regconfig, atende_fold(subject))
) STORED;
CREATE INDEX tickets_subject_tsv ON tickets USING gin (subject_tsv);
DROP INDEX IF EXISTS tickets_search;

ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS (
    atende_fold(name || ' ' || email)
) STORED;
CREATE INDEX contacts_search_text ON contacts USING gin (search_text gin_trgm_ops);
DROP INDEX IF EXISTS contacts_search;
