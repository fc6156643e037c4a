package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Blobs opens stored attachment bytes (blob.Store).
type Blobs interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// inlineTypes are the image types a message frame may show inline (cid:).
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// findAttachment returns attachment aid (or, with aid 0, the one with
// Content-ID cid of message mid) of a ticket the agent may see.
func (h *handler) findAttachment(r *http.Request, s *session, id, mid, aid int64, cid string) (*model.Attachment, error) {
	d, err := h.Tickets.Get(r.Context(), s.actor(), id)
	if err != nil {
		return nil, err
	}
	for _, m := range d.Messages {
		if mid != 0 && m.ID != mid {
			continue
		}
		for i, a := range m.Attachments {
			if (aid != 0 && a.ID == aid) || (aid == 0 && cid != "" && a.ContentID == cid) {
				return &m.Attachments[i], nil
			}
		}
	}
	return nil, ticket.ErrNotFound
}

// attachment downloads a file of a message; it is never rendered by the
// browser (attachment disposition, sandbox CSP, nosniff).
func (h *handler) attachment(w http.ResponseWriter, r *http.Request, s *session) {
	aid, _ := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	a, err := h.findAttachment(r, s, pathID(r, "id"), 0, aid, "")
	if err != nil {
		h.fileErr(w, r, err)
		return
	}
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename})
	if disp == "" {
		disp = "attachment"
	}
	w.Header().Set("Content-Disposition", disp)
	h.serveBlob(w, r, a, "application/octet-stream")
}

// inlineImage serves a cid: image of a message frame (the frame's
// relative URL cid/<id>), only for safe raster image types.
func (h *handler) inlineImage(w http.ResponseWriter, r *http.Request, s *session) {
	cid := r.PathValue("cid")
	a, err := h.findAttachment(r, s, pathID(r, "id"), pathID(r, "mid"), 0, cid)
	if err == nil && (!inlineTypes[a.ContentType] || cid == "") {
		err = ticket.ErrNotFound
	}
	if err != nil {
		h.fileErr(w, r, err)
		return
	}
	h.serveBlob(w, r, a, a.ContentType)
}

func (h *handler) serveBlob(w http.ResponseWriter, r *http.Request, a *model.Attachment, contentType string) {
	rc, err := h.Blobs.Open(r.Context(), a.BlobKey)
	if err != nil {
		h.Log.Error("ui: open attachment", "attachment", a.ID, "err", err)
		http.Error(w, "attachment unavailable", http.StatusInternalServerError)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, max-age=3600")
	if a.Size > 0 {
		hd.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	}
	if _, err := io.Copy(w, rc); err != nil {
		h.Log.Warn("ui: send attachment", "attachment", a.ID, "err", err)
	}
}

// rawMessage downloads a received message exactly as it arrived (.eml):
// the way to read what Atende could not, in any mail client.
func (h *handler) rawMessage(w http.ResponseWriter, r *http.Request, s *session) {
	id, mid := pathID(r, "id"), pathID(r, "mid")
	d, err := h.Tickets.Get(r.Context(), s.actor(), id)
	if err != nil {
		h.fileErr(w, r, err)
		return
	}
	var m *model.Message
	for i := range d.Messages {
		if d.Messages[i].ID == mid && d.Messages[i].RawKey != "" && d.Messages[i].Direction != model.DirNote {
			m = &d.Messages[i].Message
		}
	}
	if m == nil {
		h.fileErr(w, r, ticket.ErrNotFound)
		return
	}
	name := fmt.Sprintf("ticket-%d-message-%d.eml", d.Ticket.Number, m.ID)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.serveBlob(w, r, &model.Attachment{ID: m.ID, BlobKey: m.RawKey, Size: m.Size}, "message/rfc822")
}

func (h *handler) fileErr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ticket.ErrNotFound) || errors.Is(err, ticket.ErrForbidden) {
		http.NotFound(w, r)
		return
	}
	h.Log.Error("ui: attachment", "path", r.URL.Path, "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

// viewTypes are the attachment types the browser may show itself (image
// thumbnails in the ticket, PDFs in its own viewer); every other type is
// only downloaded.
var viewTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "application/pdf": true}

// maxThumbPixels refuses to let browsers decode images larger than this
// (a decompression bomb: a few KB of PNG that is 50,000 × 50,000 pixels).
const maxThumbPixels = 40_000_000

// viewable reports whether an attachment can be opened in the browser.
func viewable(a model.Attachment) bool { return viewTypes[mediaType(a.ContentType)] }

func mediaType(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// viewAttachment serves an image or PDF attachment inline, with its own
// type, for the ticket's thumbnails and the browser's PDF viewer: still
// nosniff (edge), and a CSP sandbox so a PDF (or an image opened as a
// page) runs no script with the app's origin. Chromium's PDF viewer
// still renders under that sandbox (TestBrowserPDFViewer, Chromium 156
// headless). Images whose header says they are larger than
// maxThumbPixels are refused.
func (h *handler) viewAttachment(w http.ResponseWriter, r *http.Request, s *session) {
	aid, _ := strconv.ParseInt(r.PathValue("aid"), 10, 64)
	a, err := h.findAttachment(r, s, pathID(r, "id"), 0, aid, "")
	if err == nil && !viewable(*a) {
		err = ticket.ErrNotFound
	}
	if err != nil {
		h.fileErr(w, r, err)
		return
	}
	mt := mediaType(a.ContentType)
	if strings.HasPrefix(mt, "image/") {
		rc, err := h.Blobs.Open(r.Context(), a.BlobKey)
		if err != nil {
			h.Log.Error("ui: open attachment", "attachment", a.ID, "err", err)
			http.Error(w, "attachment unavailable", http.StatusInternalServerError)
			return
		}
		cfg, err := decodeConfig[mt](rc)
		rc.Close()
		if err != nil || int64(cfg.Width)*int64(cfg.Height) > maxThumbPixels {
			http.Error(w, "this image cannot be shown; download it", http.StatusUnsupportedMediaType)
			return
		}
	}
	disp := mime.FormatMediaType("inline", map[string]string{"filename": a.Filename})
	if disp == "" {
		disp = "inline"
	}
	w.Header().Set("Content-Disposition", disp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.serveBlob(w, r, a, mt)
}

// decodeConfig reads an image's header (its size) without decoding it; the
// type must match the bytes.
var decodeConfig = map[string]func(io.Reader) (image.Config, error){
	"image/png": png.DecodeConfig, "image/jpeg": jpeg.DecodeConfig, "image/gif": gif.DecodeConfig,
}
