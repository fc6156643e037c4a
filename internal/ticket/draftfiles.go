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
	add := make([]store.DraftFile, len(files))
	for i, f := range files {
		add[i] = store.DraftFile{Filename: f.Filename, ContentType: f.ContentType, Size: int64(len(f.Data))}
	}
	if err := draftLimits(kept, add); err != nil {
		return nil, err
	}
	for i, f := range files {
		if add[i].BlobKey, add[i].Size, err = s.blobs.Put(ctx, bytes.NewReader(f.Data), 0); err != nil {
			return nil, fmt.Errorf("ticket: keep draft file %q: %w", f.Filename, err)
		}
	}
	return s.addDraftFiles(ctx, a, id, add)
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
	var had, add []store.DraftFile
	for _, at := range rc.Attachments {
		i := slices.IndexFunc(kept, func(f store.DraftFile) bool { return f.BlobKey == at.BlobKey && f.Filename == at.Filename })
		if i >= 0 {
			had = append(had, kept[i])
			continue
		}
		add = append(add, store.DraftFile{BlobKey: at.BlobKey, Filename: at.Filename, ContentType: at.ContentType, Size: at.Size})
	}
	if err := draftLimits(kept, add); err != nil {
		return nil, err
	}
	added, err := s.addDraftFiles(ctx, a, id, add)
	return append(had, added...), err
}

// draftLimits checks files add against the limits of one draft, with
// the files kept already.
func draftLimits(kept, add []store.DraftFile) error {
	var total int64
	for _, f := range slices.Concat(kept, add) {
		total += f.Size
	}
	if total > MaxAttachmentBytes {
		return directory.Invalid("attachments", "attachments exceed 25 MB")
	}
	if len(kept)+len(add) > MaxDraftFiles {
		return directory.Invalid("attachments", fmt.Sprintf("at most %d files", MaxDraftFiles))
	}
	return nil
}

// addDraftFiles inserts files (blobs stored already) as the agent's on
// ticket id and returns them with their IDs.
func (s *Service) addDraftFiles(ctx context.Context, a Actor, id int64, files []store.DraftFile) ([]store.DraftFile, error) {
	now := s.clk.Now().UTC()
	for i := range files {
		f := &files[i]
		f.CompanyID, f.TicketID, f.AgentID, f.CreatedAt = a.CompanyID, id, a.AgentID, now
		if f.ContentType == "" {
			f.ContentType = "application/octet-stream"
		}
		if err := s.store.AddDraftFile(ctx, f); err != nil {
			return files[:i], fmt.Errorf("ticket: keep draft file %q: %w", f.Filename, err)
		}
	}
	return files, nil
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
