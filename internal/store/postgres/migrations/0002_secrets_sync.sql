-- 0002: sealed channel secrets, IMAP sync checkpoints and channel status.
CREATE TABLE channel_secrets (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    channel_id  BIGINT NOT NULL REFERENCES channels(id),
    name        TEXT NOT NULL,
    ciphertext  BYTEA NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, name)
);
CREATE INDEX channel_secrets_company ON channel_secrets (company_id);

CREATE TABLE sync_checkpoints (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    channel_id      BIGINT NOT NULL REFERENCES channels(id),
    folder          TEXT NOT NULL,
    uidvalidity     BIGINT NOT NULL,
    last_uid        BIGINT NOT NULL,
    import_until    BIGINT NOT NULL DEFAULT 0,
    import_total    BIGINT NOT NULL DEFAULT 0,
    import_done     BIGINT NOT NULL DEFAULT 0,
    import_complete BOOLEAN NOT NULL DEFAULT FALSE,
    synced_since    TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (channel_id, folder)
);
CREATE INDEX sync_checkpoints_company ON sync_checkpoints (company_id);

CREATE TABLE channel_status (
    company_id      BIGINT NOT NULL REFERENCES companies(id),
    channel_id      BIGINT NOT NULL PRIMARY KEY REFERENCES channels(id),
    state           TEXT NOT NULL CHECK (state IN ('connected','syncing','idle','error','reconnect_needed')),
    done            BIGINT NOT NULL DEFAULT 0,
    total           BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_code TEXT NOT NULL DEFAULT '',
    last_error_at   TIMESTAMPTZ,
    last_message_at TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX channel_status_company ON channel_status (company_id);
