package ticket

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
)

// An agent's draft keeps its files on the server (store.DraftFile), so
// no path of the composer loses one: files chosen or pasted (the
// composer uploads them at once: a reload keeps them), the files of a
// reply the server did not send (a wrong address, someone replied
// meanwhile) and those of a reply taken back with "Desfazer". The
// composer lists them, ticked; a reply sends the ticked ones
// (ReplyInput.DraftFiles) and then clears the draft's files.

// MaxDraftFiles bounds the files kept with one draft.
const MaxDraftFiles = 50

// MetaDraftFiles is the meta key of a held reply that says how many of
// its attachments (the first ones, in order) are the agent's files: they
// go back to the draft on undo (the rest are copies of quoted images,
// which the next reply quotes again).
const MetaDraftFiles = "draft_files"

// DraftFiles are the agent's files kept with the draft on ticket id.
func (s *Service) DraftFiles(ctx context.Context, a Actor, id int64) ([]store.DraftFile, error) {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return nil, fmt.Errorf("ticket: draft files: %w", err)
	}
	fs, err := s.store.ListDraftFiles(ctx, a.CompanyID, id, a.AgentID)
	if err != nil {
		return nil, fmt.Errorf("ticket: draft files: %w", err)
	}
	return fs, nil
}

// KeepDraftFiles stores files with the agent's draft on ticket id; with
// the files kept already they may not exceed MaxAttachmentBytes or
// MaxDraftFiles.
func (s *Service) KeepDraftFiles(ctx context.Context, a Actor, id int64, files []Attachment) ([]store.DraftFile, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if s.blobs == nil {
		return nil, fmt.Errorf("ticket: keep draft files: no blob store")
	}
	kept, err := s.DraftFiles(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, f := range kept {
		total += f.Size
	}
	for _, f := range files {
		total += int64(len(f.Data))
	}
	if total > MaxAttachmentBytes {
		return nil, directory.Invalid("attachments", "attachments exceed 25 MB")
	}
	if len(kept)+len(files) > MaxDraftFiles {
		return nil, directory.Invalid("attachments", fmt.Sprintf("at most %d files", MaxDraftFiles))
	}
	now := s.clk.Now().UTC()
	out := make([]store.DraftFile, 0, len(files))
	for _, f := range files {
		key, n, err := s.blobs.Put(ctx, bytes.NewReader(f.Data), 0)
		if err != nil {
			return out, fmt.Errorf("ticket: keep draft file %q: %w", f.Filename, err)
		}
		ct := f.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		df := store.DraftFile{CompanyID: a.CompanyID, TicketID: id, AgentID: a.AgentID, BlobKey: key,
			Filename: f.Filename, ContentType: ct, Size: n, CreatedAt: now}
		if err := s.store.AddDraftFile(ctx, &df); err != nil {
			return out, fmt.Errorf("ticket: keep draft file %q: %w", f.Filename, err)
		}
		out = append(out, df)
	}
	return out, nil
}

// KeepCannedFiles keeps canned reply rc's files with the agent's draft on
// ticket id (the same blobs, no copy), so they stay through a reload like
// any other file of the reply; a file the draft holds already (same name
// and bytes: the reply inserted twice) is not added again. It returns the
// draft's files of rc, those kept before included.
func (s *Service) KeepCannedFiles(ctx context.Context, a Actor, id int64, rc *RenderedCanned) ([]store.DraftFile, error) {
	if len(rc.Attachments) == 0 {
		return nil, nil
	}
	kept, err := s.DraftFiles(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, f := range kept {
		total += f.Size
	}
	now := s.clk.Now().UTC()
	var out []store.DraftFile
	count := len(kept)
next:
	for _, at := range rc.Attachments {
		for _, f := range kept {
			if f.BlobKey == at.BlobKey && f.Filename == at.Filename {
				out = append(out, f)
				continue next
			}
		}
		total += at.Size
		count++
		if total > MaxAttachmentBytes {
			return out, directory.Invalid("attachments", "attachments exceed 25 MB")
		}
		if count > MaxDraftFiles {
			return out, directory.Invalid("attachments", fmt.Sprintf("at most %d files", MaxDraftFiles))
		}
		df := store.DraftFile{CompanyID: a.CompanyID, TicketID: id, AgentID: a.AgentID, BlobKey: at.BlobKey,
			Filename: at.Filename, ContentType: at.ContentType, Size: at.Size, CreatedAt: now}
		if err := s.store.AddDraftFile(ctx, &df); err != nil {
			return out, fmt.Errorf("ticket: keep canned file %q: %w", at.Filename, err)
		}
		out = append(out, df)
	}
	return out, nil
}

// RemoveDraftFile drops one of the agent's draft files on ticket id.
func (s *Service) RemoveDraftFile(ctx context.Context, a Actor, id, fileID int64) error {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return fmt.Errorf("ticket: remove draft file: %w", err)
	}
	n, err := s.store.DeleteDraftFiles(ctx, a.CompanyID, id, a.AgentID, []int64{fileID})
	if err != nil {
		return fmt.Errorf("ticket: remove draft file: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("ticket: draft file %d: %w", fileID, ErrNotFound)
	}
	return nil
}

// ClearDraftFiles drops all of the agent's draft files on ticket id.
func (s *Service) ClearDraftFiles(ctx context.Context, a Actor, id int64) error {
	if _, err := s.load(ctx, s.store, a, id); err != nil {
		return fmt.Errorf("ticket: clear draft files: %w", err)
	}
	if _, err := s.store.DeleteDraftFiles(ctx, a.CompanyID, id, a.AgentID, nil); err != nil {
		return fmt.Errorf("ticket: clear draft files: %w", err)
	}
	return nil
}

// OpenDraftFile is one of the agent's draft files on ticket id with its
// bytes (the composer's preview).
func (s *Service) OpenDraftFile(ctx context.Context, a Actor, id, fileID int64) (*store.DraftFile, io.ReadCloser, error) {
	fs, err := s.DraftFiles(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range fs {
		if f.ID == fileID {
			rc, err := s.blobs.Open(ctx, f.BlobKey)
			if err != nil {
				return nil, nil, fmt.Errorf("ticket: draft file %d: %w", fileID, err)
			}
			return &f, rc, nil
		}
	}
	return nil, nil, fmt.Errorf("ticket: draft file %d: %w", fileID, ErrNotFound)
}

// draftAttachments reads the agent's draft files with these IDs on
// ticket id, in the order they were kept; IDs that are gone (sent from
// another tab) are skipped.
func (s *Service) draftAttachments(ctx context.Context, a Actor, id int64, ids []int64) ([]Attachment, error) {
	fs, err := s.store.ListDraftFiles(ctx, a.CompanyID, id, a.AgentID)
	if err != nil {
		return nil, fmt.Errorf("ticket: draft files: %w", err)
	}
	var out []Attachment
	for _, f := range fs {
		if !slices.Contains(ids, f.ID) {
			continue
		}
		rc, err := s.blobs.Open(ctx, f.BlobKey)
		if err != nil {
			return nil, fmt.Errorf("ticket: draft file %q: %w", f.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, MaxAttachmentBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("ticket: draft file %q: %w", f.Filename, err)
		}
		out = append(out, Attachment{Filename: f.Filename, ContentType: f.ContentType, Data: data})
	}
	return out, nil
}

// undoneFiles are the agent's files of held reply m: its first
// MetaDraftFiles attachments (a reply held before that meta existed:
// those not shown in its text).
func undoneFiles(m *model.Message, atts []model.Attachment) []model.Attachment {
	n, err := strconv.Atoi(m.Meta[MetaDraftFiles])
	if err != nil {
		var out []model.Attachment
		for _, at := range atts {
			if !at.Inline {
				out = append(out, at)
			}
		}
		return out
	}
	return atts[:min(max(n, 0), len(atts))]
}
