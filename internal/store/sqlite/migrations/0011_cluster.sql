-- 0011: several nodes on one database. Times in these tables are
-- milliseconds since the Unix epoch read from the DATABASE's clock
-- (julianday('now')), never from a node's: a lease is decided by one clock
-- however far the nodes' clocks drift (see internal/store/doc.go).
--
-- nodes: every `atende serve` process heartbeats its row; a node whose
-- heartbeat is older than the lease period is gone. instance is random per
-- process: a second live process with the same node_id is refused.
CREATE TABLE nodes (
    node_id      TEXT PRIMARY KEY,
    started_ms   INTEGER NOT NULL,
    heartbeat_ms INTEGER NOT NULL,
    http_addr    TEXT NOT NULL DEFAULT '',
    smtp_addr    TEXT NOT NULL DEFAULT '',
    version      TEXT NOT NULL DEFAULT '',
    instance     TEXT NOT NULL DEFAULT '',
    stopped      INTEGER NOT NULL DEFAULT 0
);

-- mailbox_leases: which node holds a channel's IMAP connection. The row
-- outlives its owners: releasing clears node_id and expires_ms but keeps
-- token, so every new owner gets a larger fencing token than any before.
CREATE TABLE mailbox_leases (
    channel_id  INTEGER PRIMARY KEY REFERENCES channels(id) ON DELETE CASCADE,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    node_id     TEXT NOT NULL DEFAULT '',
    token       INTEGER NOT NULL,
    acquired_ms INTEGER NOT NULL DEFAULT 0,
    expires_ms  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mailbox_leases_node ON mailbox_leases (node_id);

-- The fencing token of the lease under which a checkpoint was last
-- written: a write with a smaller token is refused.
ALTER TABLE sync_checkpoints ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
