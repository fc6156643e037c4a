-- 0005: send log (daily quotas), per-channel pauses of the outbound queue,
-- and the last automatic reply per contact (auto-reply window).
CREATE TABLE sends (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    message_id  INTEGER NOT NULL,
    sent_at     TIMESTAMP NOT NULL,
    UNIQUE (company_id, message_id)
);
CREATE INDEX sends_channel_time ON sends (company_id, channel_id, sent_at);

CREATE TABLE channel_pauses (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    until       TIMESTAMP NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (company_id, channel_id)
);

CREATE INDEX messages_channel_status ON messages (company_id, channel_id, status);

CREATE TABLE auto_replies (
    company_id  INTEGER NOT NULL REFERENCES companies(id),
    channel_id  INTEGER NOT NULL REFERENCES channels(id),
    address     TEXT NOT NULL,
    sent_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (company_id, channel_id, address)
);
