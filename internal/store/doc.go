// Package store declares Atende's persistence interface and its sentinel
// errors. It holds no SQL: the implementations live in store/sqlite (the
// embedded default) and store/postgres, both built on store/sqlstore, and
// both must pass the one conformance suite in store/storetest.
//
// Every method that touches tenant data takes the company ID and scopes
// its query by it: another company's ID answers ErrNotFound. The few
// methods that cross companies (inbound address lookup, the worker queues,
// listing channels to sync) say so in their names or comments.
//
// # Time
//
// The store has one clock, given to it when it is opened (sqlite.Open,
// postgres.Open take a clock.Clock): internal/app passes the same
// clock.System it gives every service, a test passes the same clock.Fake it
// gives every component it drives. The store stamps with that clock every
// time it writes on its own (created/updated times left unset, a job's
// default run time, migration records), and it decides with that clock
// whether a job or an inbound row is due (ClaimJobs, ClaimInbound take no
// "now" from the caller). Nothing in the store reads the wall clock, and
// no SQL uses the database's clock (CURRENT_TIMESTAMP, now()).
//
// Why the program's clock and not the database's: every time the store
// keeps is compared with times the domain computes (a retry's backoff, a
// daily quota that resets at midnight in the company's time zone, a
// session's expiry, the 24 h auto-reply window); with one clock for both,
// a test can run the whole program at any date, forward or backward, and
// production behaves the same. The database's clock (PostgreSQL's now())
// would be the better judge only of questions between processes: which
// node holds a lease when several nodes with drifting clocks share one
// database. Those leases (mailbox ownership across nodes) compare only
// durations measured on the database's own clock, never a stored business
// time, so they may use now() without reintroducing a second clock into
// scheduling; keep it that way. The Cluster group (cluster.go) is that
// exception, and the only one: node heartbeats and mailbox leases are
// stored and compared in milliseconds of the database's own clock
// (clock_timestamp() on PostgreSQL, julianday('now') on SQLite), never
// against a time the program computed.
//
// # Several nodes
//
// The worker queues (ClaimInbound, ClaimJobs) claim in one statement
// whose candidate rows are locked FOR UPDATE SKIP LOCKED on PostgreSQL,
// so nodes claiming at once get disjoint rows without waiting on each
// other. PutSyncCheckpointFenced writes a mailbox's checkpoint only under
// the lease that owns it (its fencing token), see package cluster.
package store
