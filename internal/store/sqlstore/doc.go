// Package sqlstore implements store.Store on database/sql for both SQLite
// and PostgreSQL.
//
// Why one implementation and not two: the schema differs per database (see
// the numbered migrations in store/sqlite and store/postgres), but the
// queries Atende needs are plain, portable SQL (INSERT ... ON CONFLICT DO
// NOTHING RETURNING, partial indexes, LIMIT). Writing every query twice
// would double the code and let the two drift; instead the queries are
// written once with '?' placeholders and rebound to $n for PostgreSQL. The
// dialect packages own connection set-up, pragmas and migrations, and the
// shared conformance suite (store/storetest) runs against both.
package sqlstore
