// Package cluster lets several `atende serve` nodes share one database
// without a protocol of their own: PostgreSQL (or, for the one-node
// default, SQLite, through the same code) is the only coordinator.
//
// A Coordinator runs on every node. It heartbeats the node's row and
// holds mailbox leases (store.Cluster): a lease says which node keeps a
// channel's IMAP connection, carries a fencing token that grows with every
// new owner, and runs out TTL (15 s) after its last renewal by the
// DATABASE's clock, so nodes whose clocks disagree still agree on the
// owner. The coordinator:
//
//   - renews the node's leases every Renew (TTL/3) in one statement; a
//     lease the database did not renew is lost at once;
//   - fences itself: it believes it holds a lease only until its last
//     successful renewal was SENT plus TTL minus Margin (TTL/3), measured
//     on this process's monotonic clock, so after a missed renewal (a
//     database outage, a long pause) it stops the mailbox's sync well
//     before any other node can take the lease;
//   - balances: every Balance it counts the live nodes (heartbeat younger
//     than TTL, not stopped) and the mailboxes to sync, holds at most
//     ceil(mailboxes/nodes), releases the excess when nodes join, and
//     takes free or expired leases up to its share, looking again the
//     moment another node's heartbeat goes stale and its leases run out
//     (a dead node's mailboxes move within one TTL of its last renewal);
//     the token of a new owner is larger than any before;
//   - tells its user (the IMAP sync manager) about every change through
//     OnChange, and stops syncing a mailbox BEFORE releasing its lease;
//   - on shutdown stops every sync (Stopped), then releases all its
//     leases and marks the node stopped, so the others take over at once.
//
// The checkpoint writes of a mailbox's sync carry the token
// (store.Cluster.PutSyncCheckpointFenced): an owner whose lease lapsed can
// not move a checkpoint back, and the unique (channel, source key) of the
// inbound queue keeps a message it fetched twice from being stored twice.
//
// Queues any node may work (inbound rows, outbox, auto-replies, webhooks)
// need no coordinator: they are claimed with FOR UPDATE SKIP LOCKED (see
// store/sqlstore/queue.go). Live events reach the other nodes through
// Bus (LISTEN/NOTIFY, bus.go).
//
// Why the queues are not riverqueue/river: river is the reference design
// for a job queue on PostgreSQL (FOR UPDATE SKIP LOCKED claims, leases,
// LISTEN/NOTIFY wake-ups), and the queues here follow it. Adopting it
// would have split the store in two: river's SQLite driver is marked
// early-stage, and SQLite is Atende's one-node default, so the same jobs
// would need river on PostgreSQL and a second queue on SQLite, against
// the rule that one store implementation passes one conformance suite on
// both. Our queues are also not plain jobs: an inbound row is written in
// the same transaction as its raw-message record (the durable-accept
// contract), and outbox rows carry per-channel quotas and provider
// pauses; both live in the tables they belong to, claimed in one
// statement with SKIP LOCKED on PostgreSQL and under SQLite's single
// writer, with the same conformance cases ("Claims skip rows held by
// others") on both.
package cluster
