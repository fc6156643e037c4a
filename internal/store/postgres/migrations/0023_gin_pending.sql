-- 0023: the search indexes keep a short pending list.
--
-- A GIN index adds new entries to a pending list first and merges them
-- into the index when the list passes gin_pending_list_limit (4 MB by
-- default) or at VACUUM. Every search reads the whole pending list of
-- each GIN index it uses, so with ingest running it reads up to 4 MB per
-- index on every query: at 1,000,000 messages a bulk-loaded database
-- left 274 + 163 pending pages in the message and subject indexes, and a
-- VACUUM that merged them cut a search's backend CPU by a third to a
-- half. 512 kB keeps the merge batched (tens of messages per merge)
-- while a search reads at most 64 pending pages per index.
ALTER INDEX messages_search SET (gin_pending_list_limit = 512);
ALTER INDEX tickets_subject_tsv SET (gin_pending_list_limit = 512);
ALTER INDEX contacts_search_text SET (gin_pending_list_limit = 512);
