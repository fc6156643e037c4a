package api

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// Canned replies (issue 16): the company's (admins manage them) and the
// caller's own, through ticket.Service as the UI's /canned pages. Another
// agent's own canned reply answers 404 like a missing one; an agent
// editing a company canned reply 403.

type cannedAttachmentView struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"` // GET it for the bytes
}

type cannedView struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Body  string `json:"body"`
	// Scope is "company" or "own"; OwnerID the agent of an own one.
	Scope     string    `json:"scope"`
	OwnerID   int64     `json:"owner_id,omitempty"`
	Editable  bool      `json:"editable"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Attachments are listed by GET /canned-replies/{id} (not the list).
	Attachments []cannedAttachmentView `json:"attachments,omitempty"`
}

func cannedFiles(cannedID int64, atts []store.CannedAttachment) []cannedAttachmentView {
	out := []cannedAttachmentView{}
	for _, a := range atts {
		out = append(out, cannedAttachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size,
			URL: fmt.Sprintf("/api/v1/canned-replies/%d/attachments/%d", cannedID, a.ID)})
	}
	return out
}

func viewCanned(a ticket.Actor, c *store.CannedReply, withFiles bool) cannedView {
	v := cannedView{ID: c.ID, Title: c.Title, Body: c.Body, Scope: ticket.CannedCompany, OwnerID: c.AgentID,
		Editable: a.CanEditCanned(c), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.AgentID != 0 {
		v.Scope = ticket.CannedOwn
	}
	if withFiles {
		v.Attachments = cannedFiles(c.ID, c.Attachments)
	}
	return v
}

func (d Deps) listCanned(w http.ResponseWriter, r *http.Request) {
	a := actor(r)
	l, err := d.Tickets.ListCanned(r.Context(), a)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	out := list[cannedView]{Items: []cannedView{}}
	for i := range l {
		out.Items = append(out.Items, viewCanned(a, &l[i], false))
	}
	reply(w, http.StatusOK, out)
}

func (d Deps) getCanned(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Tickets.GetCanned(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewCanned(actor(r), c, true))
}

// createCanned: POST /api/v1/canned-replies {title, body, scope}; scope
// "company" is for admins (422 for an agent), "own" the default.
func (d Deps) createCanned(w http.ResponseWriter, r *http.Request) {
	var in ticket.CannedInput
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	c, err := d.Tickets.CreateCanned(r.Context(), actor(r), in)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, viewCanned(actor(r), c, true))
}

// editableCanned loads the canned reply in the path and checks the
// caller may change it: another agent's own is 404, a company one for an
// agent 403.
func (d Deps) editableCanned(w http.ResponseWriter, r *http.Request) (*store.CannedReply, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	c, err := d.Tickets.GetCanned(r.Context(), actor(r), id)
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	if !actor(r).CanEditCanned(c) {
		problem(w, http.StatusForbidden, "forbidden", "Only admins may change the company's canned replies.", nil)
		return nil, false
	}
	return c, true
}

// updateCanned: PATCH /api/v1/canned-replies/{id} {title?, body?,
// remove_attachment_ids?}.
func (d Deps) updateCanned(w http.ResponseWriter, r *http.Request) {
	c, ok := d.editableCanned(w, r)
	if !ok {
		return
	}
	var in struct {
		Title  *string `json:"title"`
		Body   *string `json:"body"`
		Remove []int64 `json:"remove_attachment_ids"`
	}
	if err := decode(w, r, &in); err != nil {
		d.fail(w, r, err)
		return
	}
	ci := ticket.CannedInput{Title: c.Title, Body: c.Body}
	if in.Title != nil {
		ci.Title = *in.Title
	}
	if in.Body != nil {
		ci.Body = *in.Body
	}
	c, err := d.Tickets.UpdateCanned(r.Context(), actor(r), c.ID, ci, in.Remove)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, viewCanned(actor(r), c, true))
}

func (d Deps) deleteCanned(w http.ResponseWriter, r *http.Request) {
	c, ok := d.editableCanned(w, r)
	if !ok {
		return
	}
	if err := d.Tickets.DeleteCanned(r.Context(), actor(r), c.ID); err != nil {
		d.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cannedAttachment: GET /api/v1/canned-replies/{id}/attachments/{attachment_id},
// the file's bytes (as an attachment: never rendered by a browser).
func (d Deps) cannedAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	aid, err := pathID(r, "attachment_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	files, err := d.Tickets.CannedFiles(r.Context(), actor(r), id, []int64{aid})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if len(files) == 0 {
		d.fail(w, r, fmt.Errorf("api: canned attachment %d: %w", aid, store.ErrNotFound))
		return
	}
	f := files[0]
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	w.Write(f.Data)
}

// addCannedFiles: POST /api/v1/canned-replies/{id}/attachments, a
// multipart/form-data body with one or more "file" parts (at most 25 MB
// together, as the UI's form), added to the canned reply.
func (d Deps) addCannedFiles(w http.ResponseWriter, r *http.Request) {
	c, ok := d.editableCanned(w, r)
	if !ok {
		return
	}
	files, err := formFiles(w, r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	c, err = d.Tickets.UpdateCanned(r.Context(), actor(r), c.ID, ticket.CannedInput{Title: c.Title, Body: c.Body, Attachments: files}, nil)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, viewCanned(actor(r), c, true))
}

// formFiles reads a multipart/form-data body's "file" parts (one or
// more, at most 25 MB together, as the UI's forms).
func formFiles(w http.ResponseWriter, r *http.Request) ([]ticket.Attachment, error) {
	r.Body = http.MaxBytesReader(w, r.Body, ticket.MaxAttachmentBytes+1<<20)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, directory.Invalid("file", "attachments exceed 25 MB")
		}
		return nil, fmt.Errorf("%w: send multipart/form-data with one or more \"file\" parts (%v)", errBadJSON, err)
	}
	defer r.MultipartForm.RemoveAll()
	files, err := ticket.FormAttachments(r.MultipartForm, "file")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, directory.Invalid("file", "required: one or more file parts")
	}
	return files, nil
}

type renderedCannedView struct {
	ID          int64                  `json:"id"`
	Title       string                 `json:"title"`
	Body        string                 `json:"body"`
	Attachments []cannedAttachmentView `json:"attachments"`
}

// renderCanned: GET /api/v1/tickets/{id}/canned-replies/{canned_id}, the
// canned reply with its variables filled for the ticket and the caller
// exactly as the UI's composer inserts it (ticket.Service.RenderCanned).
func (d Deps) renderCanned(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	cid, err := pathID(r, "canned_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rc, err := d.Tickets.RenderCanned(r.Context(), actor(r), id, cid)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, renderedCannedView{ID: rc.ID, Title: rc.Title, Body: rc.Text, Attachments: cannedFiles(rc.ID, rc.Attachments)})
}
