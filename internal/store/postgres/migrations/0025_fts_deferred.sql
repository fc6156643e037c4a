-- 0025: on SQLite, full-text indexing at the end of each transaction. PostgreSQL
-- indexes in the row's own statement; nothing to change (the number keeps
-- both schemas' versions aligned).
SELECT 1;
