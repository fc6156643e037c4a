-- 0002: sealed channel secrets, IMAP sync checkpoints and channel status.
CREATE TABLE channel_secrets (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    name        TEXT NOT NULL,
    ciphertext  BLOB NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (channel_id, name)
);
CREATE INDEX channel_secrets_company ON channel_secrets (company_id);

CREATE TABLE sync_checkpoints (
    company_id      INTEGER NOT NULL REFERENCES companies(id),
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    folder          TEXT NOT NULL,
    uidvalidity     INTEGER NOT NULL,
    last_uid        INTEGER NOT NULL,
    import_until    INTEGER NOT NULL DEFAULT 0,
    import_total    INTEGER NOT NULL DEFAULT 0,
    import_done     INTEGER NOT NULL DEFAULT 0,
    import_complete INTEGER NOT NULL DEFAULT 0,
    synced_since    TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (channel_id, folder)
);
CREATE INDEX sync_checkpoints_company ON sync_checkpoints (company_id);

CREATE TABLE channel_status (
    company_id      INTEGER NOT NULL REFERENCES companies(id),
    channel_id      INTEGER NOT NULL PRIMARY KEY REFERENCES channels(id),
    state           TEXT NOT NULL CHECK (state IN ('connected','syncing','idle','error','reconnect_needed')),
    done            INTEGER NOT NULL DEFAULT 0,
    total           INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_code TEXT NOT NULL DEFAULT '',
    last_error_at   TIMESTAMP,
    last_message_at TIMESTAMP,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX channel_status_company ON channel_status (company_id);
