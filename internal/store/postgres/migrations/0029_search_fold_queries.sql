-- 0029: the ticket-subject and contact branches of a search fold the query
-- as their columns were folded.
--
-- Since 0028 a message's vector and the query's words are folded in Go
-- (search.Fold, as SQLite's unicode61), but tickets.subject_tsv and
-- contacts.search_text are still folded by atende_fold (unaccent), which
-- turns "ß" into "ss", "ø" into "o", "æ" into "ae": a contact "Søren" was
-- not found by "søren", nor an agent-edited subject "Straße" by "straße".
-- Those two branches now pass the query's words through atende_fold too.
-- Both functions are IMMUTABLE (as atende_fold): with the words known at
-- planning (search plans each query with its values), the planner folds
-- them into constants and reads the indexes as before.

-- atende_tsquery is the tsquery of terms folded by atende_fold, all
-- required, each a prefix when prefix is set.
CREATE FUNCTION atende_tsquery(terms text[], prefix boolean) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT to_tsquery('simple'::regconfig, COALESCE(string_agg(quote_literal(w) || CASE WHEN prefix THEN ':*' ELSE '' END, ' & '), ''))
          FROM unnest(terms) AS t, regexp_split_to_table(atende_fold(t), '[^[:alnum:]]+') AS w
          WHERE w <> '' $$;
