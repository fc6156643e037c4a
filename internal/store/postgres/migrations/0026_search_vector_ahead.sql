-- 0026: a message's tsvector may be computed ahead of its insert.
--
-- The generated column of 0012 made every INSERT INTO messages fold and
-- tokenize the text (unaccent, lower, to_tsvector: ~1 ms of a 5 KB mail's
-- 1.6 ms of server time), inside the transaction of ingest's single
-- committer. Now the column is a plain one: ingest's workers compute the
-- vector in parallel with a read (store PrecomputeSearch, the same
-- expression) and the insert stores it; an insert without it, and any
-- update of the searched fields, gets it from the trigger below, so the
-- column always holds exactly what the generated one did. Existing rows
-- keep their vectors.
ALTER TABLE messages ALTER COLUMN search_tsv DROP EXPRESSION;

CREATE FUNCTION messages_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' OR NEW.search_tsv IS NULL THEN
        NEW.search_tsv := to_tsvector('simple'::regconfig,
            atende_fold(NEW.subject || ' ' || NEW.from_name || ' ' || NEW.from_address || ' ' || left(NEW.text_body, 262144)));
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_search_tsv BEFORE INSERT OR UPDATE OF subject, from_name, from_address, text_body ON messages
    FOR EACH ROW EXECUTE FUNCTION messages_search_tsv();

-- Vectors compress like the bodies (0014): lz4 where the server has it.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE messages ALTER COLUMN search_tsv SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'search vectors stay pglz-compressed: %', SQLERRM;
END
$$;
