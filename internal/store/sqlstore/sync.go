package sqlstore

import (
	"context"
	"fmt"

	"github.com/atende-helpdesk/atende/internal/store"
)

const checkpointCols = "company_id, channel_id, folder, uidvalidity, last_uid, import_until, import_total, import_done, import_complete, synced_since, updated_at"

func scanCheckpoint(sc interface{ Scan(...any) error }) (*store.SyncCheckpoint, error) {
	var cp store.SyncCheckpoint
	var uv, last, until int64
	err := sc.Scan(&cp.CompanyID, &cp.ChannelID, &cp.Folder, &uv, &last, &until, &cp.ImportTotal, &cp.ImportDone,
		&cp.ImportComplete, tsv{&cp.SyncedSince}, tsv{&cp.UpdatedAt})
	cp.UIDValidity, cp.LastUID, cp.ImportUntil = uint32(uv), uint32(last), uint32(until)
	return &cp, err
}

// GetSyncCheckpoint returns one folder's checkpoint.
func (s q) GetSyncCheckpoint(ctx context.Context, companyID, channelID int64, folder string) (*store.SyncCheckpoint, error) {
	cp, err := scanCheckpoint(s.row(ctx, "SELECT "+checkpointCols+" FROM sync_checkpoints WHERE company_id = ? AND channel_id = ? AND folder = ?",
		companyID, channelID, folder))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get sync checkpoint %d/%s", channelID, folder))
	}
	return cp, nil
}

// PutSyncCheckpoint upserts one folder's checkpoint.
func (s q) PutSyncCheckpoint(ctx context.Context, cp *store.SyncCheckpoint) error {
	what := fmt.Sprintf("put sync checkpoint %d/%s", cp.ChannelID, cp.Folder)
	if err := s.ownsChannel(ctx, what, cp.CompanyID, cp.ChannelID); err != nil {
		return err
	}
	cp.UpdatedAt = s.stamp(cp.UpdatedAt)
	res, err := s.exec(ctx, `INSERT INTO sync_checkpoints (`+checkpointCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id, folder) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,
			import_until = excluded.import_until, import_total = excluded.import_total, import_done = excluded.import_done,
			import_complete = excluded.import_complete, synced_since = excluded.synced_since, updated_at = excluded.updated_at
		WHERE sync_checkpoints.company_id = excluded.company_id`,
		cp.CompanyID, cp.ChannelID, cp.Folder, int64(cp.UIDValidity), int64(cp.LastUID), int64(cp.ImportUntil),
		cp.ImportTotal, cp.ImportDone, cp.ImportComplete, nullTime(cp.SyncedSince), cp.UpdatedAt)
	return affected(res, err, what)
}

// ListSyncCheckpoints lists a channel's checkpoints by folder.
func (s q) ListSyncCheckpoints(ctx context.Context, companyID, channelID int64) ([]store.SyncCheckpoint, error) {
	return list(ctx, s, "list sync checkpoints", scanCheckpoint,
		"SELECT "+checkpointCols+" FROM sync_checkpoints WHERE company_id = ? AND channel_id = ? ORDER BY folder", companyID, channelID)
}

// DeleteSyncCheckpoints forgets every checkpoint of a channel.
func (s q) DeleteSyncCheckpoints(ctx context.Context, companyID, channelID int64) error {
	if _, err := s.exec(ctx, "DELETE FROM sync_checkpoints WHERE company_id = ? AND channel_id = ?", companyID, channelID); err != nil {
		return fmt.Errorf("store: delete sync checkpoints of channel %d: %w", channelID, err)
	}
	return nil
}

const statusCols = "company_id, channel_id, state, done, total, last_error, last_error_code, last_error_at, last_message_at, updated_at"

func scanStatus(sc interface{ Scan(...any) error }) (*store.ChannelStatus, error) {
	var st store.ChannelStatus
	var state string
	err := sc.Scan(&st.CompanyID, &st.ChannelID, &state, &st.Done, &st.Total, &st.LastError, &st.LastErrorCode,
		tsv{&st.LastErrorAt}, tsv{&st.LastMessageAt}, tsv{&st.UpdatedAt})
	st.State = store.SyncState(state)
	return &st, err
}

// PutChannelStatus upserts a channel's status.
func (s q) PutChannelStatus(ctx context.Context, st *store.ChannelStatus) error {
	what := fmt.Sprintf("put channel status %d", st.ChannelID)
	if err := s.ownsChannel(ctx, what, st.CompanyID, st.ChannelID); err != nil {
		return err
	}
	st.UpdatedAt = s.stamp(st.UpdatedAt)
	res, err := s.exec(ctx, `INSERT INTO channel_status (`+statusCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel_id) DO UPDATE SET state = excluded.state, done = excluded.done, total = excluded.total,
			last_error = excluded.last_error, last_error_code = excluded.last_error_code, last_error_at = excluded.last_error_at,
			last_message_at = excluded.last_message_at, updated_at = excluded.updated_at
		WHERE channel_status.company_id = excluded.company_id`,
		st.CompanyID, st.ChannelID, string(st.State), st.Done, st.Total, st.LastError, st.LastErrorCode,
		nullTime(st.LastErrorAt), nullTime(st.LastMessageAt), st.UpdatedAt)
	return affected(res, err, what)
}

// GetChannelStatus returns a channel's status.
func (s q) GetChannelStatus(ctx context.Context, companyID, channelID int64) (*store.ChannelStatus, error) {
	st, err := scanStatus(s.row(ctx, "SELECT "+statusCols+" FROM channel_status WHERE company_id = ? AND channel_id = ?", companyID, channelID))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get channel status %d", channelID))
	}
	return st, nil
}

// ListChannelStatus lists a company's channel statuses by channel ID.
func (s q) ListChannelStatus(ctx context.Context, companyID int64) ([]store.ChannelStatus, error) {
	return list(ctx, s, "list channel status", scanStatus,
		"SELECT "+statusCols+" FROM channel_status WHERE company_id = ? ORDER BY channel_id", companyID)
}
