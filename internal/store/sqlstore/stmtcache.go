package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements (Dialect.CacheStatements, SQLite):
// the pure-Go SQLite spends a large share of a small query's CPU parsing
// its SQL, and ingest runs the same dozen statements for every message.
// PostgreSQL needs none (pgx caches prepared statements per connection).
//
// A statement first seen inside a transaction cannot be prepared on the
// pool there (SQLite's single writer connection is the transaction's), so
// it runs unprepared and is prepared once the transaction has ended.
type stmtCache struct {
	mu sync.Mutex
	m  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// maxStmts bounds the cache; queries built with a varying number of
// placeholders stop being cached past it.
const maxStmts = 512

func (c *stmtCache) lookup(pool *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[stmtKey{pool, query}]
}

// prepare prepares query on pool unless cached or the cache is full.
func (c *stmtCache) prepare(ctx context.Context, pool *sql.DB, query string) *sql.Stmt {
	if st := c.lookup(pool, query); st != nil {
		return st
	}
	c.mu.Lock()
	full := len(c.m) >= maxStmts
	c.mu.Unlock()
	if full {
		return nil
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil // the query runs unprepared and reports its own error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[stmtKey{pool, query}]; old != nil {
		st.Close()
		return old
	}
	c.m[stmtKey{pool, query}] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}

// txStmts is what one transaction needs from the cache.
type txStmts struct {
	cache  *stmtCache
	pool   *sql.DB // the writer pool the transaction runs on
	tx     *sql.Tx
	missed []string
}

// stmt returns the cached statement bound to the transaction, or nil (then
// the query is remembered and prepared after the transaction).
func (t *txStmts) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.cache.lookup(t.pool, query); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.missed = append(t.missed, query)
	return nil
}
