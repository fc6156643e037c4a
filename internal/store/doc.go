// Package store declares Atende's persistence interface and its sentinel
// errors. It holds no SQL: the implementations live in store/sqlite (the
// embedded default) and store/postgres, both built on store/sqlstore, and
// both must pass the one conformance suite in store/storetest.
//
// Every method that touches tenant data takes the company ID and scopes
// its query by it: another company's ID answers ErrNotFound. The few
// methods that cross companies (inbound address lookup, the worker queues,
// listing channels to sync) say so in their names or comments.
package store
