-- 0014: message bodies compressed with lz4 instead of pglz when the server
-- can (PostgreSQL 14+ built with lz4): storing a message TOAST-compresses its
-- text, HTML and reply text, and pglz made that the costliest step of
-- ingest on PostgreSQL. Rows already stored keep their compression (both
-- are read transparently). A server without lz4 keeps pglz: the ALTERs run
-- in a block that turns the error into a notice.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE messages ALTER COLUMN text_body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE messages ALTER COLUMN html_body SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE messages ALTER COLUMN reply_text SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'message bodies stay pglz-compressed: %', SQLERRM;
END
$$;
