-- 0007: the domains and addresses each company owns, verified by a DNS
-- TXT record (domains) or a code mailed to the address. Only a verified
-- address (or one under a verified domain) routes inbound mail by its
-- primary/additional email or is a From on the shared relay; what one
-- company verified, no other can verify (identities_verified).
CREATE TABLE identities (
    id              INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES companies(id),
    kind            TEXT NOT NULL,
    value           TEXT NOT NULL,
    token           TEXT NOT NULL DEFAULT '',
    code_hash       TEXT NOT NULL DEFAULT '',
    code_expires_at TIMESTAMP,
    code_attempts   INTEGER NOT NULL DEFAULT 0,
    sends           INTEGER NOT NULL DEFAULT 0,
    sends_since     TIMESTAMP,
    last_sent_at    TIMESTAMP,
    verified_at     TIMESTAMP,
    checked_at      TIMESTAMP,
    check_result    TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    UNIQUE (company_id, kind, value)
);
CREATE UNIQUE INDEX identities_verified ON identities (kind, value) WHERE verified_at IS NOT NULL;
