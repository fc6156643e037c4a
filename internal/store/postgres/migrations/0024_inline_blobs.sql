-- 0024: small raw messages kept in the database. Accept stores a raw
-- message of up to 64 KiB here, in the transaction that inserts its inbound
-- row, instead of as a blob file (or S3 object): one commit for the bytes
-- and the row. The key is the same content address as a blob's
-- ("sha256/<hex>"), so every reader finds the bytes by the message's
-- raw_key (blob.Inline reads here first). Rows are never rewritten; like
-- inbound rows, they are not deleted.
CREATE TABLE inline_blobs (
    key  TEXT PRIMARY KEY,
    data BYTEA NOT NULL
);
-- Mail compresses well and lz4 is cheap (see 0014); a server without lz4
-- keeps pglz.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE inline_blobs ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'inline blobs stay pglz-compressed: %', SQLERRM;
END
$$;
