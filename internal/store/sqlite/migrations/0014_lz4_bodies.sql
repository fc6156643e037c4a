-- 0014: on PostgreSQL, message bodies are lz4-compressed. SQLite stores
-- text uncompressed; nothing to change (the number keeps both schemas'
-- versions aligned).
SELECT 1;
