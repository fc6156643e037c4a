-- 0006: DKIM keys Atende generates per company and sending domain.
CREATE TABLE dkim_keys (
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    domain      TEXT NOT NULL,
    selector    TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (company_id, domain)
);
