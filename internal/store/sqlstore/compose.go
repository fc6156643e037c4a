package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/atende-helpdesk/atende/internal/store"
)

const cannedCols = "id, company_id, agent_id, title, body, created_at, updated_at"

func scanCanned(sc interface{ Scan(...any) error }) (*store.CannedReply, error) {
	var c store.CannedReply
	err := sc.Scan(&c.ID, &c.CompanyID, &c.AgentID, &c.Title, &c.Body, tsv{&c.CreatedAt}, tsv{&c.UpdatedAt})
	return &c, err
}

const cannedAttCols = "id, company_id, canned_id, blob_key, filename, content_type, size"

func scanCannedAtt(sc interface{ Scan(...any) error }) (*store.CannedAttachment, error) {
	var a store.CannedAttachment
	err := sc.Scan(&a.ID, &a.CompanyID, &a.CannedID, &a.BlobKey, &a.Filename, &a.ContentType, &a.Size)
	return &a, err
}

// CreateCannedReply inserts c and its attachments.
func (s q) CreateCannedReply(ctx context.Context, c *store.CannedReply) error {
	c.CreatedAt = s.stamp(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	id, err := s.insertReturningID(ctx, "create canned reply",
		`INSERT INTO canned_replies (company_id, agent_id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		c.CompanyID, c.AgentID, c.Title, c.Body, c.CreatedAt, c.UpdatedAt)
	if err != nil {
		return err
	}
	c.ID = id
	for i := range c.Attachments {
		a := &c.Attachments[i]
		a.CompanyID, a.CannedID = c.CompanyID, c.ID
		if err := s.AddCannedAttachment(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// GetCannedReply by ID within a company, with its attachments.
func (s q) GetCannedReply(ctx context.Context, companyID, id int64) (*store.CannedReply, error) {
	c, err := scanCanned(s.row(ctx, "SELECT "+cannedCols+" FROM canned_replies WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get canned reply %d", id))
	}
	if c.Attachments, err = list(ctx, s, "list canned attachments", scanCannedAtt,
		"SELECT "+cannedAttCols+" FROM canned_attachments WHERE company_id = ? AND canned_id = ? ORDER BY id", companyID, id); err != nil {
		return nil, err
	}
	return c, nil
}

// ListCannedReplies of the company and of one agent, by title.
func (s q) ListCannedReplies(ctx context.Context, companyID, agentID int64) ([]store.CannedReply, error) {
	return list(ctx, s, "list canned replies", scanCanned,
		"SELECT "+cannedCols+" FROM canned_replies WHERE company_id = ? AND (agent_id = 0 OR agent_id = ?) ORDER BY title, id",
		companyID, agentID)
}

// UpdateCannedReply writes title and body.
func (s q) UpdateCannedReply(ctx context.Context, c *store.CannedReply) error {
	c.UpdatedAt = s.now()
	res, err := s.exec(ctx, "UPDATE canned_replies SET title = ?, body = ?, updated_at = ? WHERE company_id = ? AND id = ?",
		c.Title, c.Body, c.UpdatedAt, c.CompanyID, c.ID)
	return affected(res, err, fmt.Sprintf("update canned reply %d", c.ID))
}

// AddCannedAttachment adds a file to a canned reply of the same company.
func (s q) AddCannedAttachment(ctx context.Context, a *store.CannedAttachment) error {
	var n int
	if err := s.wrow(ctx, "SELECT COUNT(*) FROM canned_replies WHERE company_id = ? AND id = ?", a.CompanyID, a.CannedID).Scan(&n); err != nil {
		return fmt.Errorf("store: add canned attachment: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: add canned attachment: canned reply %d: %w", a.CannedID, store.ErrNotFound)
	}
	id, err := s.insertReturningID(ctx, "add canned attachment",
		`INSERT INTO canned_attachments (company_id, canned_id, blob_key, filename, content_type, size) VALUES (?, ?, ?, ?, ?, ?)`,
		a.CompanyID, a.CannedID, a.BlobKey, a.Filename, a.ContentType, a.Size)
	a.ID = id
	return err
}

// DeleteCannedAttachment removes one file.
func (s q) DeleteCannedAttachment(ctx context.Context, companyID, cannedID, id int64) error {
	res, err := s.exec(ctx, "DELETE FROM canned_attachments WHERE company_id = ? AND canned_id = ? AND id = ?", companyID, cannedID, id)
	return affected(res, err, fmt.Sprintf("delete canned attachment %d", id))
}

// DeleteCannedReply removes one and its attachments.
func (s q) DeleteCannedReply(ctx context.Context, companyID, id int64) error {
	if _, err := s.exec(ctx, "DELETE FROM canned_attachments WHERE company_id = ? AND canned_id = ?", companyID, id); err != nil {
		return fmt.Errorf("store: delete canned reply %d: %w", id, err)
	}
	res, err := s.exec(ctx, "DELETE FROM canned_replies WHERE company_id = ? AND id = ?", companyID, id)
	return affected(res, err, fmt.Sprintf("delete canned reply %d", id))
}

// SaveDraft upserts the agent's draft.
func (s q) SaveDraft(ctx context.Context, d *store.Draft) error {
	d.UpdatedAt = s.stamp(d.UpdatedAt)
	_, err := s.exec(ctx, `INSERT INTO drafts (company_id, ticket_id, agent_id, body, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (company_id, ticket_id, agent_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
		d.CompanyID, d.TicketID, d.AgentID, d.Body, d.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store: save draft: %w", err)
	}
	return nil
}

// GetDraft of an agent on a ticket.
func (s q) GetDraft(ctx context.Context, companyID, ticketID, agentID int64) (*store.Draft, error) {
	d := store.Draft{CompanyID: companyID, TicketID: ticketID, AgentID: agentID}
	err := s.row(ctx, "SELECT body, updated_at FROM drafts WHERE company_id = ? AND ticket_id = ? AND agent_id = ?",
		companyID, ticketID, agentID).Scan(&d.Body, tsv{&d.UpdatedAt})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("get draft of ticket %d", ticketID))
	}
	return &d, nil
}

// DeleteDraft removes the agent's draft, if any.
func (s q) DeleteDraft(ctx context.Context, companyID, ticketID, agentID int64) error {
	if _, err := s.exec(ctx, "DELETE FROM drafts WHERE company_id = ? AND ticket_id = ? AND agent_id = ?", companyID, ticketID, agentID); err != nil {
		return fmt.Errorf("store: delete draft: %w", err)
	}
	return nil
}

const draftFileCols = "id, company_id, ticket_id, agent_id, blob_key, filename, content_type, size, created_at"

func scanDraftFile(sc interface{ Scan(...any) error }) (*store.DraftFile, error) {
	var f store.DraftFile
	err := sc.Scan(&f.ID, &f.CompanyID, &f.TicketID, &f.AgentID, &f.BlobKey, &f.Filename, &f.ContentType, &f.Size, tsv{&f.CreatedAt})
	return &f, err
}

// AddDraftFile keeps a file with the agent's draft.
func (s q) AddDraftFile(ctx context.Context, f *store.DraftFile) error {
	f.CreatedAt = s.stamp(f.CreatedAt)
	id, err := s.insertReturningID(ctx, "add draft file",
		`INSERT INTO draft_files (company_id, ticket_id, agent_id, blob_key, filename, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		f.CompanyID, f.TicketID, f.AgentID, f.BlobKey, f.Filename, f.ContentType, f.Size, f.CreatedAt)
	if err != nil {
		return err
	}
	f.ID = id
	return nil
}

// ListDraftFiles of an agent on a ticket, oldest first.
func (s q) ListDraftFiles(ctx context.Context, companyID, ticketID, agentID int64) ([]store.DraftFile, error) {
	return list(ctx, s, "list draft files", scanDraftFile,
		"SELECT "+draftFileCols+" FROM draft_files WHERE company_id = ? AND ticket_id = ? AND agent_id = ? ORDER BY id",
		companyID, ticketID, agentID)
}

// DeleteDraftFiles removes some (ids) or all (nil) of the agent's draft
// files on a ticket.
func (s q) DeleteDraftFiles(ctx context.Context, companyID, ticketID, agentID int64, ids []int64) (int, error) {
	query := "DELETE FROM draft_files WHERE company_id = ? AND ticket_id = ? AND agent_id = ?"
	args := []any{companyID, ticketID, agentID}
	if ids != nil {
		if len(ids) == 0 {
			return 0, nil
		}
		query += " AND id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")"
		for _, id := range ids {
			args = append(args, id)
		}
	}
	res, err := s.exec(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store: delete draft files: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete draft files: %w", err)
	}
	return int(n), nil
}

// UndoSeconds is the company's undo-send delay.
func (s q) UndoSeconds(ctx context.Context, companyID int64) (int, error) {
	var n int
	err := s.row(ctx, "SELECT undo_seconds FROM compose_settings WHERE company_id = ?", companyID).Scan(&n)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return store.DefaultUndoSeconds, nil
		}
		return 0, fmt.Errorf("store: undo seconds: %w", err)
	}
	return n, nil
}

// SetUndoSeconds sets it.
func (s q) SetUndoSeconds(ctx context.Context, companyID int64, seconds int) error {
	_, err := s.exec(ctx, `INSERT INTO compose_settings (company_id, undo_seconds) VALUES (?, ?)
		ON CONFLICT (company_id) DO UPDATE SET undo_seconds = excluded.undo_seconds`, companyID, seconds)
	if err != nil {
		return fmt.Errorf("store: set undo seconds: %w", err)
	}
	return nil
}

// CancelSend deletes an unclaimed send job with its message. A claim
// counts an attempt in the same statement that leases the job, so
// "pending with no attempt" is exactly "no worker has it" (on PostgreSQL
// the DELETE waits for a concurrent claim's row lock and then re-checks).
func (s q) CancelSend(ctx context.Context, companyID, messageID int64, jobKind, uniqueKey string) (bool, error) {
	res, err := s.exec(ctx, `DELETE FROM jobs WHERE company_id = ? AND kind = ? AND unique_key = ? AND state = 'pending' AND attempts = 0`,
		companyID, jobKind, uniqueKey)
	if err != nil {
		return false, fmt.Errorf("store: cancel send of message %d: %w", messageID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: cancel send of message %d: %w", messageID, err)
	}
	if n == 0 {
		return false, nil
	}
	if _, err := s.exec(ctx, "DELETE FROM attachments WHERE company_id = ? AND message_id = ?", companyID, messageID); err != nil {
		return false, fmt.Errorf("store: cancel send of message %d: %w", messageID, err)
	}
	res, err = s.exec(ctx, "DELETE FROM messages WHERE company_id = ? AND id = ?", companyID, messageID)
	if err := affected(res, err, fmt.Sprintf("cancel send of message %d", messageID)); err != nil {
		return false, err
	}
	return true, nil
}
