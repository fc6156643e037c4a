-- 0003: notices for a channel's admins (forwarding confirmations, ...).
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    channel_id  INTEGER REFERENCES channels(id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL DEFAULT '',
    code        TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL DEFAULT '',
    raw_key     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);

CREATE INDEX notices_company_id ON notices (company_id, id);
-- One notice per confirmation code: a re-delivered mail makes no second notice.
CREATE UNIQUE INDEX notices_code ON notices (company_id, COALESCE(channel_id, 0), kind, code) WHERE code <> '';
