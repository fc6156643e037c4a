// Package reports is the first cut of Atende's reports: per day (in the
// company's time zone) and per team, tickets opened and resolved, and the
// first-response and resolution times (median and 90th percentile).
//
// The store lists the tickets created or resolved in the range with their
// first agent reply (store.Reports); Build aggregates in Go, so SQLite and
// PostgreSQL give the same answers. Attribution:
//   - opened: the day the ticket was created;
//   - resolved and resolution time: the day it last became resolved or
//     closed (a merged ticket is closed, so it counts as resolved);
//   - first-response time: the day the ticket was created, for tickets
//     that got an agent reply (notes and automatic replies do not count).
//
// Percentiles use the nearest-rank method (the smallest value with at
// least p% of the values at or below it); the median is the 50th
// percentile by the same rule, so it is always one of the measured times.
//
// ParsePeriod (the filters: from/to days with their defaults, the team)
// and WriteCSV are shared by the UI's /reports and GET /api/v1/reports,
// so both read the same period and write the same CSV.
package reports
