-- 0021: on PostgreSQL, stored search columns for ticket subjects and
-- contacts. SQLite's FTS5 tables already hold the folded text; nothing to
-- change (the number keeps both schemas' versions aligned).
SELECT 1;
