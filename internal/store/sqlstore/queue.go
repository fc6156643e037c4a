package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

const inboundCols = "id, company_id, channel_id, source_key, raw_key, size, state, attempts, last_error, message_id, received_at, processed_at, lease_until"

func scanInbound(sc interface{ Scan(...any) error }) (*model.Inbound, error) {
	var in model.Inbound
	var state string
	err := sc.Scan(&in.ID, &in.CompanyID, &in.ChannelID, &in.SourceKey, &in.RawKey, &in.Size, &state, &in.Attempts, &in.LastError,
		idv{&in.MessageID}, tsv{&in.ReceivedAt}, tsv{&in.ProcessedAt}, tsv{&in.LeaseUntil})
	in.State = model.InboundState(state)
	return &in, err
}

// InsertInbounds inserts several rows (store.InboundQueue). On PostgreSQL
// one statement inserts the rows and their bytes: the accepts that wait
// together for ingest's committer (5 on average while it is saturated)
// cost it one round trip instead of one each. SQLite runs InsertInbound
// for each (its statements cost no round trip).
func (s q) InsertInbounds(ctx context.Context, ins []*model.Inbound) ([]bool, error) {
	dup := make([]bool, len(ins))
	if !s.d.Dollar || len(ins) == 1 {
		for i, in := range ins {
			err := s.InsertInbound(ctx, in)
			if errors.Is(err, store.ErrConflict) {
				dup[i] = true
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		return dup, nil
	}
	n := len(ins)
	var (
		companies, channels, sizes = make([]int64, n), make([]int64, n), make([]int64, n)
		sources, rawKeys, states   = make([]string, n), make([]string, n), make([]string, n)
		received                   = make([]time.Time, n)
		raws                       = make([][]byte, n) // nil: NULL, the bytes are in the blob store
	)
	for i, in := range ins {
		in.ReceivedAt = s.stamp(in.ReceivedAt)
		if in.State == "" {
			in.State = model.InboundPending
		}
		companies[i], channels[i], sources[i], rawKeys[i], sizes[i] = in.CompanyID, in.ChannelID, in.SourceKey, in.RawKey, in.Size
		states[i], received[i], raws[i] = string(in.State), in.ReceivedAt, in.Raw
	}
	type key struct {
		channel int64
		source  string
	}
	ids := map[key]int64{}
	err := func() error {
		rows, err := s.w.QueryContext(ctx, `WITH v AS (
				SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::timestamptz[], $8::bytea[])
					WITH ORDINALITY AS v(company_id, channel_id, source_key, raw_key, size, state, received_at, raw, ord)),
			ins AS (INSERT INTO inbound (company_id, channel_id, source_key, raw_key, size, state, attempts, last_error, received_at, lease_until)
				SELECT company_id, channel_id, source_key, raw_key, size, state, 0, '', received_at, received_at FROM v ORDER BY ord
				ON CONFLICT DO NOTHING RETURNING id, channel_id, source_key),
			raw AS (INSERT INTO inline_blobs (key, data)
				SELECT DISTINCT ON (f.raw_key) f.raw_key, f.raw
				FROM (SELECT DISTINCT ON (channel_id, source_key) * FROM v ORDER BY channel_id, source_key, ord) f
				JOIN ins ON ins.channel_id = f.channel_id AND ins.source_key = f.source_key
				WHERE f.raw IS NOT NULL ORDER BY f.raw_key, f.ord
				ON CONFLICT (key) DO NOTHING)
			SELECT id, channel_id, source_key FROM ins`,
			companies, channels, sources, rawKeys, sizes, states, received, raws)
		s.count()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.channel, &k.source); err != nil {
				return err
			}
			ids[k] = id
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("store: insert inbound rows: %w", err)
	}
	for i, in := range ins {
		k := key{in.ChannelID, in.SourceKey}
		if id, ok := ids[k]; ok {
			in.ID, in.LeaseUntil = id, in.ReceivedAt
			delete(ids, k) // a later row with the same key is its duplicate
			continue
		}
		old, err := scanInbound(s.wrow(ctx, "SELECT "+inboundCols+" FROM inbound WHERE channel_id = ? AND source_key = ?", in.ChannelID, in.SourceKey))
		if err != nil {
			return nil, fmt.Errorf("store: insert inbound rows: read existing: %w", err)
		}
		*in, dup[i] = *old, true
	}
	return dup, nil
}

// InsertInbound stores a new pending row; an existing (channel, source
// key) yields ErrConflict with in filled from the existing row.
func (s q) InsertInbound(ctx context.Context, in *model.Inbound) error {
	in.ReceivedAt = s.stamp(in.ReceivedAt)
	if in.State == "" {
		in.State = model.InboundPending
	}
	const insert = `INSERT INTO inbound (company_id, channel_id, source_key, raw_key, size, state, attempts, last_error, received_at, lease_until)
		 VALUES (?, ?, ?, ?, ?, ?, 0, '', ?, ?)`
	args := []any{in.CompanyID, in.ChannelID, in.SourceKey, in.RawKey, in.Size, string(in.State), in.ReceivedAt, in.ReceivedAt}
	var id int64
	var err error
	inlined := false
	if in.Raw != nil && s.d.Dollar {
		// PostgreSQL: the row and its bytes in one statement, one round
		// trip (the bytes only when the row is new). The accepts' group
		// commit waits on these statements while ingest loads the server.
		err = s.wrow(ctx, `WITH ins AS (`+insert+` ON CONFLICT DO NOTHING RETURNING id),
			raw AS (INSERT INTO inline_blobs (key, data) SELECT CAST(? AS text), CAST(? AS bytea) WHERE EXISTS (SELECT 1 FROM ins)
				ON CONFLICT (key) DO NOTHING)
			SELECT id FROM ins`, append(args, in.RawKey, in.Raw)...).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			err = fmt.Errorf("store: insert inbound: %w", store.ErrConflict)
		case err != nil:
			err = fmt.Errorf("store: insert inbound: %w", err)
		}
		inlined = true
	} else {
		id, err = s.insertReturningID(ctx, "insert inbound", insert, args...)
	}
	if errors.Is(err, store.ErrConflict) {
		old, err2 := scanInbound(s.wrow(ctx, "SELECT "+inboundCols+" FROM inbound WHERE channel_id = ? AND source_key = ?", in.ChannelID, in.SourceKey))
		if err2 != nil {
			return fmt.Errorf("store: insert inbound: read existing: %w", err2)
		}
		*in = *old
		return err
	}
	if err != nil {
		return err
	}
	in.ID = id
	in.LeaseUntil = in.ReceivedAt
	if in.Raw != nil && !inlined {
		// After the row: a duplicate (above) stores nothing. The same
		// content under the same key may be there already (another
		// source's copy): the bytes are equal, keep the old row.
		if err := s.PutInlineBlob(ctx, in.RawKey, in.Raw); err != nil {
			return fmt.Errorf("store: insert inbound: keep the raw message: %w", err)
		}
	}
	return nil
}

// PutInlineBlob keeps data under key unless the key is kept already.
func (s q) PutInlineBlob(ctx context.Context, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	if _, err := s.exec(ctx, `INSERT INTO inline_blobs (key, data) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, data); err != nil {
		return fmt.Errorf("store: keep inline blob: %w", err)
	}
	return nil
}

// GetInlineBlob reads the raw bytes InsertInbound kept under key.
func (s q) GetInlineBlob(ctx context.Context, key string) ([]byte, error) {
	var b []byte
	if err := s.row(ctx, "SELECT data FROM inline_blobs WHERE key = ?", key).Scan(&b); err != nil {
		return nil, notFound(err, "get inline blob")
	}
	return b, nil
}

// GetInbound by ID within a company.
func (s q) GetInbound(ctx context.Context, companyID, id int64) (*model.Inbound, error) {
	in, err := scanInbound(s.row(ctx, "SELECT "+inboundCols+" FROM inbound WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get inbound %d", id))
	}
	return in, nil
}

// ClaimInbound leases due pending rows in one statement. On PostgreSQL
// the candidate rows are locked with FOR UPDATE SKIP LOCKED, so workers on
// several nodes claiming at once each get different rows without waiting
// on one another; SQLite has one writer, which serialises claims anyway.
func (s q) ClaimInbound(ctx context.Context, lease time.Duration, limit int) ([]model.Inbound, error) {
	now := s.now()
	out, err := list(ctx, s.writer(), "claim inbound", scanInbound, `WITH due AS (
			SELECT id FROM inbound WHERE state = 'pending' AND lease_until <= ? ORDER BY id LIMIT ?`+s.d.skipLocked()+`)
		UPDATE inbound SET lease_until = ?, attempts = attempts + 1
		WHERE id IN (SELECT id FROM due) AND state = 'pending' AND lease_until <= ? RETURNING `+inboundCols,
		now, limit, now.Add(lease), now)
	slices.SortFunc(out, func(a, b model.Inbound) int { return cmp.Compare(a.ID, b.ID) })
	return out, err
}

// skipLocked is the row-lock clause of a claim's candidate query.
func (d *Dialect) skipLocked() string {
	if d.Name == "postgres" {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// writer is s with reads sent to the writer (statements that write and
// return rows: UPDATE ... RETURNING through list); they take no read slot
// (readgate.go): a write never queues behind agents' reads.
func (s q) writer() q {
	s.r = s.w
	s.gate = nil
	return s
}

// FinishInbound marks a row done.
func (s q) FinishInbound(ctx context.Context, companyID, id, messageID int64, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE inbound SET state = 'done', message_id = ?, processed_at = ?, last_error = '' WHERE company_id = ? AND id = ?",
		nullID(messageID), at.UTC(), companyID, id)
	return affected(res, err, fmt.Sprintf("finish inbound %d", id))
}

// FinishInbounds marks several rows done (store.InboundQueue): one
// statement on PostgreSQL, where ingest's committer would otherwise wait
// a round trip per message for it.
func (s q) FinishInbounds(ctx context.Context, done []store.InboundDone) error {
	if !s.d.Dollar || len(done) == 1 {
		for _, d := range done {
			if err := s.FinishInbound(ctx, d.CompanyID, d.ID, d.MessageID, d.At); err != nil {
				return err
			}
		}
		return nil
	}
	if len(done) == 0 {
		return nil
	}
	companies, ids, messages := make([]int64, len(done)), make([]int64, len(done)), make([]*int64, len(done))
	at := make([]time.Time, len(done))
	for i, d := range done {
		companies[i], ids[i], at[i] = d.CompanyID, d.ID, d.At.UTC()
		if d.MessageID != 0 {
			messages[i] = &done[i].MessageID
		}
	}
	s.count()
	res, err := s.w.ExecContext(ctx, `UPDATE inbound i SET state = 'done', message_id = v.message_id, processed_at = v.at, last_error = ''
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[]) AS v(company_id, id, message_id, at)
		WHERE i.company_id = v.company_id AND i.id = v.id`, companies, ids, messages, at)
	if err != nil {
		return fmt.Errorf("store: finish inbound rows: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(done)) {
		return fmt.Errorf("store: finish inbound rows: %d of %d marked (%v): %w", n, len(done), err, store.ErrNotFound)
	}
	return nil
}

// RetryInbound records an error and schedules a retry or fails the row.
func (s q) RetryInbound(ctx context.Context, companyID, id int64, errText string, retryAt time.Time, failed bool) error {
	state := model.InboundPending
	if failed {
		state = model.InboundFailed
	}
	res, err := s.exec(ctx, "UPDATE inbound SET state = ?, last_error = ?, lease_until = ? WHERE company_id = ? AND id = ?",
		string(state), errText, retryAt.UTC(), companyID, id)
	return affected(res, err, fmt.Sprintf("retry inbound %d", id))
}

// CountInbound crosses companies (health and tests).
func (s q) CountInbound(ctx context.Context, state model.InboundState) (int, error) {
	var n int
	if err := s.row(ctx, "SELECT COUNT(*) FROM inbound WHERE state = ?", string(state)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count inbound: %w", err)
	}
	return n, nil
}

const jobCols = "id, company_id, kind, payload, state, attempts, run_at, lease_until, last_error, unique_key, created_at, updated_at"

func scanJob(sc interface{ Scan(...any) error }) (*model.Job, error) {
	var j model.Job
	var state, payload string
	err := sc.Scan(&j.ID, &j.CompanyID, &j.Kind, &payload, &state, &j.Attempts, tsv{&j.RunAt}, tsv{&j.LeaseUntil}, &j.LastError,
		strv{&j.UniqueKey}, tsv{&j.CreatedAt}, tsv{&j.UpdatedAt})
	j.State, j.Payload = model.JobState(state), []byte(payload)
	return &j, err
}

// EnqueueJob inserts a pending job.
func (s q) EnqueueJob(ctx context.Context, j *model.Job) error {
	now := s.now()
	j.CreatedAt, j.UpdatedAt, j.State = now, now, model.JobPending
	if j.RunAt.IsZero() {
		j.RunAt = now
	}
	j.RunAt = j.RunAt.UTC()
	payload := string(j.Payload)
	if payload == "" {
		payload = "{}"
	}
	id, err := s.insertReturningID(ctx, "enqueue job "+j.Kind,
		`INSERT INTO jobs (company_id, kind, payload, state, attempts, run_at, lease_until, last_error, unique_key, created_at, updated_at)
		 VALUES (?, ?, ?, 'pending', 0, ?, ?, '', ?, ?, ?)`,
		j.CompanyID, j.Kind, payload, j.RunAt, j.RunAt, nullStr(j.UniqueKey), now, now)
	if errors.Is(err, store.ErrConflict) {
		if err2 := s.wrow(ctx, "SELECT id FROM jobs WHERE company_id = ? AND kind = ? AND unique_key = ?", j.CompanyID, j.Kind, j.UniqueKey).Scan(&j.ID); err2 != nil {
			return fmt.Errorf("store: enqueue job: read existing: %w", err2)
		}
		return err
	}
	j.ID = id
	j.LeaseUntil = j.RunAt
	return err
}

// ClaimJobs leases due jobs of the given kinds in one statement (FOR
// UPDATE SKIP LOCKED on PostgreSQL, like ClaimInbound).
func (s q) ClaimJobs(ctx context.Context, kinds []string, lease time.Duration, limit int) ([]model.Job, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	now := s.now()
	args := []any{}
	for _, k := range kinds {
		args = append(args, k)
	}
	args = append(args, now, now, limit, now.Add(lease), now, now)
	out, err := list(ctx, s.writer(), "claim jobs", scanJob, `WITH due AS (
			SELECT id FROM jobs WHERE state = 'pending' AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)
			AND run_at <= ? AND lease_until <= ? ORDER BY run_at, id LIMIT ?`+s.d.skipLocked()+`)
		UPDATE jobs SET lease_until = ?, attempts = attempts + 1, updated_at = ?
		WHERE id IN (SELECT id FROM due) AND state = 'pending' AND lease_until <= ? RETURNING `+jobCols, args...)
	slices.SortFunc(out, func(a, b model.Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, err
}

// CompleteJob marks a job done.
func (s q) CompleteJob(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, "UPDATE jobs SET state = 'done', last_error = '', updated_at = ? WHERE id = ?", s.now(), id)
	return affected(res, err, fmt.Sprintf("complete job %d", id))
}

// RetryJob reschedules (or permanently fails) a job.
func (s q) RetryJob(ctx context.Context, id int64, errText string, runAt time.Time, failed bool) error {
	state := model.JobPending
	if failed {
		state = model.JobFailed
	}
	res, err := s.exec(ctx, "UPDATE jobs SET state = ?, last_error = ?, run_at = ?, lease_until = ?, updated_at = ? WHERE id = ?",
		string(state), errText, runAt.UTC(), runAt.UTC(), s.now(), id)
	return affected(res, err, fmt.Sprintf("retry job %d", id))
}

// RestartJob puts a failed job of the company back in the queue (pending,
// no attempts, due at runAt); it reports false, and changes nothing, when
// the job is not failed (already pending, running or done).
func (s q) RestartJob(ctx context.Context, companyID, id int64, runAt time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE jobs SET state = 'pending', attempts = 0, last_error = '', run_at = ?, lease_until = ?, updated_at = ?
		WHERE company_id = ? AND id = ? AND state = 'failed'`, runAt.UTC(), runAt.UTC(), s.now(), companyID, id)
	if err != nil {
		return false, fmt.Errorf("store: restart job %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: restart job %d: %w", id, err)
	}
	return n == 1, nil
}

// GetJob by ID within a company.
func (s q) GetJob(ctx context.Context, companyID, id int64) (*model.Job, error) {
	j, err := scanJob(s.row(ctx, "SELECT "+jobCols+" FROM jobs WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get job %d", id))
	}
	return j, nil
}

// PostponeJob reschedules without counting an attempt.
func (s q) PostponeJob(ctx context.Context, id int64, runAt time.Time) error {
	res, err := s.exec(ctx, `UPDATE jobs SET run_at = ?, lease_until = ?, updated_at = ?,
		attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = ? AND state = 'pending'`,
		runAt.UTC(), runAt.UTC(), s.now(), id)
	return affected(res, err, fmt.Sprintf("postpone job %d", id))
}
