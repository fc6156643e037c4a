package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/atende-helpdesk/atende/internal/store"
)

const noticeCols = "id, company_id, channel_id, kind, msg_key, msg_params, title, body, code, link, raw_key, created_at, read_at"

func scanNotice(sc interface{ Scan(...any) error }) (*store.Notice, error) {
	var n store.Notice
	var params string
	err := sc.Scan(&n.ID, &n.CompanyID, idv{&n.ChannelID}, &n.Kind, &n.Key, &params, &n.Title, &n.Body, &n.Code, &n.Link, &n.RawKey,
		tsv{&n.CreatedAt}, tsv{&n.ReadAt})
	if err == nil && params != "" {
		if e := json.Unmarshal([]byte(params), &n.Params); e != nil {
			err = fmt.Errorf("notice %d params: %w", n.ID, e)
		}
	}
	return &n, err
}

// noticeParams is the msg_params column: a JSON object, "" when none.
func noticeParams(p map[string]string) (string, error) {
	if len(p) == 0 {
		return "", nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("store: notice params: %w", err)
	}
	return string(b), nil
}

// CreateNotice inserts n; a notice with the same code already there is
// ErrConflict with n.ID set to it.
func (s q) CreateNotice(ctx context.Context, n *store.Notice) error {
	params, err := noticeParams(n.Params)
	if err != nil {
		return err
	}
	n.CreatedAt = s.stamp(n.CreatedAt)
	id, err := s.insertReturningID(ctx, "create notice "+n.Kind,
		`INSERT INTO notices (company_id, channel_id, kind, msg_key, msg_params, title, body, code, link, raw_key, created_at, read_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.CompanyID, nullID(n.ChannelID), n.Kind, n.Key, params, n.Title, n.Body, n.Code, n.Link, n.RawKey, n.CreatedAt, nullTime(n.ReadAt))
	if err == nil {
		n.ID = id
		return nil
	}
	if n.Code != "" {
		var existing int64
		if e := s.wrow(ctx, `SELECT id FROM notices WHERE company_id = ? AND COALESCE(channel_id, 0) = ? AND kind = ? AND code = ?`,
			n.CompanyID, n.ChannelID, n.Kind, n.Code).Scan(&existing); e == nil {
			n.ID = existing
		}
	}
	return err
}

// GetNotice by ID within a company.
func (s q) GetNotice(ctx context.Context, companyID, id int64) (*store.Notice, error) {
	n, err := scanNotice(s.row(ctx, "SELECT "+noticeCols+" FROM notices WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get notice %d", id))
	}
	return n, nil
}

// ListNotices of a company, newest first.
func (s q) ListNotices(ctx context.Context, companyID int64, f store.NoticeFilter) ([]store.Notice, error) {
	query := "SELECT " + noticeCols + " FROM notices WHERE company_id = ?"
	args := []any{companyID}
	if f.ChannelID != 0 {
		query += " AND channel_id = ?"
		args = append(args, f.ChannelID)
	}
	if f.UnreadOnly {
		query += " AND read_at IS NULL"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	return list(ctx, s, "list notices", scanNotice, query, args...)
}

// MarkNoticeRead sets read_at once.
func (s q) MarkNoticeRead(ctx context.Context, companyID, id int64, at time.Time) error {
	res, err := s.exec(ctx, "UPDATE notices SET read_at = COALESCE(read_at, ?) WHERE company_id = ? AND id = ?",
		s.stamp(at), companyID, id)
	return affected(res, err, fmt.Sprintf("mark notice %d read", id))
}

// CountUnreadNotices of a company.
func (s q) CountUnreadNotices(ctx context.Context, companyID int64) (int, error) {
	var n int
	if err := s.row(ctx, "SELECT COUNT(*) FROM notices WHERE company_id = ? AND read_at IS NULL", companyID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count unread notices: %w", err)
	}
	return n, nil
}
