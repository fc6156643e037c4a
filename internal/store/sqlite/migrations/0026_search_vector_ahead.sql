-- 0026: on PostgreSQL, a message's tsvector may be computed ahead of its
-- insert. SQLite's FTS5 index is written at each commit (0025); nothing to
-- change (the number keeps both schemas' versions aligned).
SELECT 1;
