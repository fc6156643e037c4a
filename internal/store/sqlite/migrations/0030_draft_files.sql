-- 0030: the files of an agent's unsent reply, kept on the server with its
-- draft: files attached or pasted in the composer (uploaded at once, so a
-- reload keeps them), those of a reply taken back with "Desfazer", and
-- those of a reply the server refused (a wrong address): the composer
-- shows them again instead of losing them. The bytes are in the blob
-- store (backup.Referenced reads blob_key).
CREATE TABLE draft_files (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies(id),
    ticket_id    INTEGER NOT NULL REFERENCES tickets(id),
    agent_id     INTEGER NOT NULL,
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX draft_files_owner ON draft_files (company_id, ticket_id, agent_id, id);
