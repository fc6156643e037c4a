package ticket

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"path/filepath"
	"strings"

	"github.com/atende-helpdesk/atende/internal/directory"
)

// FormAttachments reads the files of a parsed multipart form's field (the
// UI's composer and canned reply forms, the API's canned reply upload);
// together they may not exceed MaxAttachmentBytes. An empty file input
// is skipped.
func FormAttachments(form *multipart.Form, field string) ([]Attachment, error) {
	if form == nil {
		return nil, nil
	}
	var out []Attachment
	var total int64
	for _, fh := range form.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // empty file input
		}
		total += fh.Size
		if total > MaxAttachmentBytes {
			return nil, directory.Invalid(field, "attachments exceed 25 MB")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("ticket: open attachment %q: %w", fh.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxAttachmentBytes+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("ticket: read attachment %q: %w", fh.Filename, err)
		}
		ct := fh.Header.Get("Content-Type")
		if ct == "" || strings.EqualFold(ct, "application/octet-stream") {
			// curl -F and most HTTP libraries send no type of their own:
			// the name's, when the table knows it (mime's built-in table
			// plus the system's).
			ct = "application/octet-stream"
			if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(fh.Filename))); t != "" {
				ct = t
			}
		}
		out = append(out, Attachment{Filename: fh.Filename, ContentType: ct, Data: data})
	}
	return out, nil
}
