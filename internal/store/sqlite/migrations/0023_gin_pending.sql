-- 0023: on PostgreSQL, the search indexes keep a short GIN pending list.
-- SQLite's FTS5 tables have no such list; nothing to change (the number
-- keeps both schemas' versions aligned).
SELECT 1;
