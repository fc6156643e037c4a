-- 0024: small raw messages kept in the database. Accept stores a raw
-- message of up to 64 KiB here, in the transaction that inserts its inbound
-- row, instead of as a blob file: no file to create, no two fsyncs, one
-- group commit for the bytes and the row. The key is the same content
-- address as a blob file's ("sha256/<hex>"), so every reader finds the
-- bytes by the message's raw_key (blob.Inline reads here first). Rows are
-- never rewritten; like inbound rows, they are not deleted.
CREATE TABLE inline_blobs (
    key  TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
