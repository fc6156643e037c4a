-- 0027: on PostgreSQL, a faster atende_fold with the same results. SQLite's
-- FTS5 folds in its tokenizer; nothing to change (the number keeps both
-- schemas' versions aligned).
SELECT 1;
