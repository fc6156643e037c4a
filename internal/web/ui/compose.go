package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// The agent's composer (issue 16): canned replies inserted with "/" or
// the picker, drafts kept on the server, undo send, "send and resolve".
// Everything works with plain forms; static/compose.js adds the
// Markdown toolbar, the "/" menu, autosave, pasted images and the
// countdown.

func (h *handler) composeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /tickets/{id}/draft", h.part(h.saveDraft))
	mux.Handle("POST /tickets/{id}/draft/files", http.MaxBytesHandler(h.part(h.uploadDraftFiles), ticket.MaxAttachmentBytes+1<<20))
	mux.HandleFunc("POST /tickets/{id}/draft/files/{fid}/delete", h.part(h.removeDraftFile))
	mux.HandleFunc("GET /tickets/{id}/draft/files/{fid}", h.part(h.draftFile))
	mux.Handle("POST /tickets/{id}/canned", http.MaxBytesHandler(http.HandlerFunc(h.agent(h.insertCanned)), ticket.MaxAttachmentBytes+1<<20))
	mux.HandleFunc("POST /tickets/{id}/canned/{cid}", h.part(h.cannedJSON))
	mux.HandleFunc("POST /tickets/{id}/messages/{mid}/undo", h.agent(h.undoReply))
	mux.HandleFunc("GET /canned", h.agent(h.cannedPage))
	mux.Handle("POST /canned", http.MaxBytesHandler(http.HandlerFunc(h.agent(h.cannedCreate)), ticket.MaxAttachmentBytes+1<<20))
	mux.HandleFunc("GET /canned/{cid}", h.agent(h.cannedEdit))
	mux.Handle("POST /canned/{cid}", http.MaxBytesHandler(http.HandlerFunc(h.agent(h.cannedUpdate)), ticket.MaxAttachmentBytes+1<<20))
	mux.HandleFunc("POST /canned/{cid}/delete", h.agent(h.cannedDelete))
	mux.HandleFunc("POST /canned/undo-delay", h.adminOnly(h.setUndoDelay))
}

// composeView is the composer's part of the ticket page.
type composeView struct {
	Draft       string
	Canned      []option // the picker: id, title
	CannedFiles []cannedFileView
	DraftFiles  []draftFileView
	Held        []undoView
	UndoSeconds int
}

// cannedFileView is a canned reply's file riding along with the reply
// (form value "canned_file" = "<canned id>:<attachment id>").
type cannedFileView struct {
	Value, Name, Size string
}

// draftFileView is a file kept with the agent's draft (store.DraftFile),
// in the composer's list and, as JSON, for its script: form value
// "draft_file" = its ID, ticked unless the agent unticked it in the form
// shown again.
type draftFileView struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Size    string `json:"size"`
	URL     string `json:"url"` // opens it (images show, other files download)
	Image   bool   `json:"image"`
	Checked bool   `json:"-"`
}

// undoView is one of the agent's replies waiting for the undo delay.
type undoView struct {
	ID       int64
	UndoURL  string
	UntilISO string
	// LeftMillis is the time left when the page was made (the browser
	// counts down from it; its own clock may differ from the server's).
	LeftMillis int64
	Seconds    int
	Summary    string
}

// composeData fills the composer: the agent's draft, the canned replies,
// the canned files already inserted (a form shown again) and the
// agent's replies still held.
func (h *handler) composeData(r *http.Request, s *session, p *ticketPage, d *ticket.Detail) error {
	a := s.actor()
	var err error
	if p.Compose.Draft, err = h.Tickets.Draft(r.Context(), a, d.Ticket.ID); err != nil {
		return err
	}
	list, err := h.Tickets.ListCanned(r.Context(), a)
	if err != nil {
		return err
	}
	for _, c := range list {
		p.Compose.Canned = append(p.Compose.Canned, option{Value: itoa(c.ID), Label: c.Title})
	}
	if r.Method == http.MethodPost {
		p.Compose.CannedFiles = h.cannedFileViews(r, a, r.PostForm["canned_file"])
	}
	files, err := h.Tickets.DraftFiles(r.Context(), a, d.Ticket.ID)
	if err != nil {
		return err
	}
	// A form shown again keeps the agent's ticks (draft_files_shown says
	// the form listed the files; keepUploads ticks the files it kept).
	shown := r.Method == http.MethodPost && r.PostFormValue("draft_files_shown") == "1"
	for _, f := range files {
		v := newDraftFileView(d.Ticket.ID, f)
		v.Checked = !shown || slices.Contains(r.PostForm["draft_file"], itoa(f.ID))
		p.Compose.DraftFiles = append(p.Compose.DraftFiles, v)
	}
	if n, err := h.Tickets.UndoSeconds(r.Context(), s.actor()); err == nil {
		p.Compose.UndoSeconds = n
	}
	now := s.Now()
	for _, m := range d.Messages {
		until := ticket.UndoUntil(&m.Message)
		if m.Direction != model.DirOut || m.Status != model.MsgQueued || m.AuthorID != s.P.AgentID || !until.After(now) {
			continue
		}
		sum := strings.Join(strings.Fields(m.Meta[ticket.MetaDraft]), " ")
		if r := []rune(sum); len(r) > 80 {
			sum = string(r[:80]) + "…"
		}
		p.Compose.Held = append(p.Compose.Held, undoView{ID: m.ID, UndoURL: fmt.Sprintf("/tickets/%d/messages/%d/undo", d.Ticket.ID, m.ID),
			UntilISO: until.UTC().Format(time.RFC3339), LeftMillis: until.Sub(now).Milliseconds(), Seconds: int(until.Sub(now).Seconds() + 0.999), Summary: sum})
	}
	return nil
}

// parseCannedFile splits "<canned id>:<attachment id>".
func parseCannedFile(v string) (cannedID, attID int64, ok bool) {
	a, b, found := strings.Cut(v, ":")
	c, err1 := strconv.ParseInt(a, 10, 64)
	at, err2 := strconv.ParseInt(b, 10, 64)
	return c, at, found && err1 == nil && err2 == nil && c > 0 && at > 0
}

// cannedFileViews describes the canned files of the form values the
// actor may use; others are dropped.
func (h *handler) cannedFileViews(r *http.Request, a ticket.Actor, values []string) []cannedFileView {
	var out []cannedFileView
	seen := map[string]bool{}
	cache := map[int64]*store.CannedReply{}
	for _, v := range values {
		cid, aid, ok := parseCannedFile(v)
		if !ok || seen[v] {
			continue
		}
		seen[v] = true
		c, found := cache[cid]
		if !found {
			c, _ = h.Tickets.GetCanned(r.Context(), a, cid)
			cache[cid] = c
		}
		if c == nil {
			continue
		}
		for _, at := range c.Attachments {
			if at.ID == aid {
				out = append(out, cannedFileView{Value: v, Name: at.Filename, Size: humanSize(at.Size)})
			}
		}
	}
	return out
}

// cannedReplyFiles reads the canned files a reply form carries.
func (h *handler) cannedReplyFiles(r *http.Request, a ticket.Actor) ([]ticket.Attachment, error) {
	byCanned := map[int64][]int64{}
	var order []int64
	for _, v := range r.PostForm["canned_file"] {
		cid, aid, ok := parseCannedFile(v)
		if !ok {
			continue
		}
		if _, seen := byCanned[cid]; !seen {
			order = append(order, cid)
		}
		byCanned[cid] = append(byCanned[cid], aid)
	}
	var out []ticket.Attachment
	for _, cid := range order {
		files, err := h.Tickets.CannedFiles(r.Context(), a, cid, byCanned[cid])
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, files...)
	}
	return out, nil
}

// saveDraft is the composer's autosave (fetch, form-encoded "text").
func (h *handler) saveDraft(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.Tickets.SaveDraft(r.Context(), s.actor(), pathID(r, "id"), r.PostFormValue("text"))
	var ve directory.ValidationError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ticket.ErrNotFound), errors.Is(err, ticket.ErrForbidden):
		http.NotFound(w, r)
	case errors.As(err, &ve):
		http.Error(w, s.L.T("err.invalid", strings.Join(values(s.L.fieldErrors(ve)), " ")), http.StatusUnprocessableEntity)
	default:
		h.Log.Error("ui: save draft", "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
	}
}

// keepUploads keeps the files a composer form carried (its "attachments")
// with the agent's draft and ticks them in r.PostForm, so the form shown
// again (a refused address, someone replied meanwhile, a canned reply
// inserted) still has them: a browser never refills a file input.
func (h *handler) keepUploads(r *http.Request, s *session, id int64, files []ticket.Attachment) error {
	kept, err := h.Tickets.KeepDraftFiles(r.Context(), s.actor(), id, files)
	for _, f := range kept {
		r.PostForm.Add("draft_file", itoa(f.ID))
	}
	if len(kept) > 0 {
		r.PostForm.Set("draft_files_shown", "1")
	}
	return err
}

// draftFileIDs are the form's ticked draft files.
func draftFileIDs(r *http.Request) []int64 {
	var out []int64
	for _, v := range r.PostForm["draft_file"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// uploadDraftFiles keeps the files the composer's script uploads as soon
// as they are chosen, pasted or dropped ("files"), so a reload or another
// tab still has them: [{"id", "name", "size", "url", "image"}].
func (h *handler) uploadDraftFiles(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	var files []ticket.Attachment
	err := r.ParseMultipartForm(32 << 20)
	if err == nil {
		files, err = ticket.FormAttachments(r.MultipartForm, "files")
	}
	var kept []store.DraftFile
	if err == nil {
		kept, err = h.Tickets.KeepDraftFiles(r.Context(), s.actor(), id, files)
	}
	var ve directory.ValidationError
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
	case errors.As(err, &tooBig):
		http.Error(w, s.L.T("compose.files_too_big"), http.StatusRequestEntityTooLarge)
		return
	case errors.Is(err, ticket.ErrNotFound), errors.Is(err, ticket.ErrForbidden):
		http.NotFound(w, r)
		return
	case errors.As(err, &ve):
		http.Error(w, s.L.T("err.invalid", strings.Join(values(s.L.fieldErrors(ve)), " ")), http.StatusUnprocessableEntity)
		return
	default:
		h.Log.Error("ui: keep draft files", "ticket", id, "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	out := make([]draftFileView, 0, len(kept))
	for _, f := range kept {
		out = append(out, newDraftFileView(id, f))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// removeDraftFile drops a kept file (the composer's × button).
func (h *handler) removeDraftFile(w http.ResponseWriter, r *http.Request, s *session) {
	err := h.Tickets.RemoveDraftFile(r.Context(), s.actor(), pathID(r, "id"), pathID(r, "fid"))
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ticket.ErrNotFound), errors.Is(err, ticket.ErrForbidden):
		http.NotFound(w, r)
	default:
		h.Log.Error("ui: remove draft file", "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
	}
}

// draftFile opens a kept file: a safe image shows (the composer's
// thumbnail), anything else downloads.
func (h *handler) draftFile(w http.ResponseWriter, r *http.Request, s *session) {
	f, rc, err := h.Tickets.OpenDraftFile(r.Context(), s.actor(), pathID(r, "id"), pathID(r, "fid"))
	if err != nil {
		h.fileErr(w, r, err)
		return
	}
	defer rc.Close()
	ct := mediaType(f.ContentType)
	hd := w.Header()
	if !inlineTypes[ct] {
		ct = "application/octet-stream"
		disp := mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename})
		if disp == "" {
			disp = "attachment"
		}
		hd.Set("Content-Disposition", disp)
	}
	hd.Set("Content-Type", ct)
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		h.Log.Warn("ui: send draft file", "file", f.ID, "err", err)
	}
}

// cannedJSON is a canned reply filled for this ticket, for the "/" menu:
// {"text": ..., "files": [{"value", "name", "size"}]}.
func (h *handler) cannedJSON(w http.ResponseWriter, r *http.Request, s *session) {
	rc, err := h.Tickets.RenderCanned(r.Context(), s.actor(), pathID(r, "id"), pathID(r, "cid"))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, ticket.ErrForbidden) {
			http.NotFound(w, r)
			return
		}
		h.Log.Error("ui: canned reply", "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	// Its files are kept with the draft (ticked in #draft-files).
	kept, err := h.Tickets.KeepCannedFiles(r.Context(), s.actor(), pathID(r, "id"), rc)
	var ve directory.ValidationError
	if errors.As(err, &ve) {
		http.Error(w, s.L.T("err.invalid", strings.Join(values(s.L.fieldErrors(ve)), " ")), http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		h.Log.Error("ui: keep canned files", "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	out := struct {
		Text  string          `json:"text"`
		Files []draftFileView `json:"files"`
	}{Text: rc.Text, Files: []draftFileView{}}
	for _, f := range kept {
		out.Files = append(out.Files, newDraftFileView(pathID(r, "id"), f))
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// newDraftFileView is kept file f of ticket id, ticked.
func newDraftFileView(id int64, f store.DraftFile) draftFileView {
	return draftFileView{ID: f.ID, Name: f.Filename, Size: humanSize(f.Size), Checked: true,
		URL: fmt.Sprintf("/tickets/%d/draft/files/%d", id, f.ID), Image: inlineTypes[mediaType(f.ContentType)]}
}

// insertCanned is the picker without JavaScript: the composer form is
// shown again with the chosen canned reply added to its text and files.
func (h *handler) insertCanned(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	uploads, err := replyAttachments(r) // parses the multipart form
	if err == nil {
		err = h.keepUploads(r, s, id, uploads)
	}
	if err != nil {
		h.afterPost(w, r, s, err, "", "")
		return
	}
	cid, _ := strconv.ParseInt(r.PostFormValue("canned_id"), 10, 64)
	rc, err := h.Tickets.RenderCanned(r.Context(), s.actor(), id, cid)
	if errors.Is(err, store.ErrNotFound) {
		err = directory.Invalid("canned_id", "required")
	}
	if err != nil {
		h.afterPost(w, r, s, err, "", "")
		return
	}
	text := strings.TrimRight(r.PostFormValue("text"), " \n\r")
	if text != "" {
		text += "\n\n"
	}
	r.PostForm.Set("text", text+rc.Text)
	// Its files are kept with the draft, ticked.
	kept, err := h.Tickets.KeepCannedFiles(r.Context(), s.actor(), id, rc)
	if err != nil {
		h.afterPost(w, r, s, err, "", "")
		return
	}
	for _, f := range kept {
		r.PostForm.Add("draft_file", itoa(f.ID))
	}
	if len(kept) > 0 {
		r.PostForm.Set("draft_files_shown", "1")
	}
	v := s.view("")
	v.Form = map[string]string{}
	for k, vals := range r.PostForm {
		if k != "csrf_token" && len(vals) > 0 {
			v.Form[k] = vals[0]
		}
	}
	v.Flash = s.L.T("compose.canned_inserted", rc.Title)
	h.showTicket(w, r, s, http.StatusOK, v)
}

// undoReply is "Desfazer".
func (h *handler) undoReply(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	_, err := h.Tickets.UndoReply(r.Context(), s.actor(), id, pathID(r, "mid"))
	if errors.Is(err, ticket.ErrTooLate) {
		if afterPaneAction(w, r, "too_late", "") {
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/tickets/%d?ok=too_late", id), http.StatusSeeOther)
		return
	}
	if errors.Is(err, ticket.ErrNotFound) {
		// Taken back already (a second click): back to the ticket, if it
		// is one the agent may see.
		if _, gerr := h.Tickets.Get(r.Context(), s.actor(), id); gerr == nil {
			if afterPaneAction(w, r, "", "#reply-h") {
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/tickets/%d#reply-h", id), http.StatusSeeOther)
			return
		}
	}
	if !h.handleErr(w, r, s, s.view(""), err) {
		return
	}
	if afterPaneAction(w, r, "undone", "#reply-h") {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/tickets/%d?ok=undone#reply-h", id), http.StatusSeeOther)
}

// composeFlash is the message of ?ok= after the composer's actions.
func composeFlash(l Localizer, ok string) string {
	switch ok {
	case "held":
		return l.T("compose.held")
	case "undone":
		return l.T("compose.undone")
	case "too_late":
		return l.T("compose.too_late")
	}
	return ""
}

// Respostas prontas: the company's (admins edit them) and the agent's own.

type cannedRow struct {
	ID             int64
	Title, Preview string
	Company        bool
	CanEdit        bool
	EditURL        string
}

type cannedPage struct {
	Rows        []cannedRow
	Admin       bool
	UndoSeconds int
	Edit        *store.CannedReply // the edit page
	EditCompany bool
	Variables   []string
}

var cannedVariables = []string{"{{contato.nome}}", "{{contato.primeiro_nome}}", "{{contato.email}}", "{{ticket.numero}}", "{{ticket.assunto}}",
	"{{agente.nome}}", "{{empresa.nome}}"}

func (h *handler) cannedData(r *http.Request, s *session) (*cannedPage, error) {
	a := s.actor()
	list, err := h.Tickets.ListCanned(r.Context(), a)
	if err != nil {
		return nil, err
	}
	p := &cannedPage{Admin: a.Admin, Variables: cannedVariables}
	for _, c := range list {
		pre := strings.Join(strings.Fields(c.Body), " ")
		if rs := []rune(pre); len(rs) > 100 {
			pre = string(rs[:100]) + "…"
		}
		p.Rows = append(p.Rows, cannedRow{ID: c.ID, Title: c.Title, Preview: pre, Company: c.AgentID == 0, CanEdit: a.CanEditCanned(&c),
			EditURL: fmt.Sprintf("/canned/%d", c.ID)})
	}
	if p.UndoSeconds, err = h.Tickets.UndoSeconds(r.Context(), s.actor()); err != nil {
		return nil, err
	}
	return p, nil
}

func (h *handler) showCanned(w http.ResponseWriter, r *http.Request, s *session, status int, v *view, edit *store.CannedReply) {
	p, err := h.cannedData(r, s)
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	p.Edit = edit
	if edit != nil {
		p.EditCompany = edit.AgentID == 0
	}
	v.Title = s.L.T("canned.title")
	v.Body = "canned"
	v.Page = p
	h.render(w, r, status, "canned", "layout", v)
}

func (h *handler) cannedPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := s.view("")
	switch r.URL.Query().Get("ok") {
	case "saved":
		v.Flash = s.L.T("canned.saved")
	case "deleted":
		v.Flash = s.L.T("canned.deleted")
	case "delay":
		v.Flash = s.L.T("canned.delay_saved")
	}
	h.showCanned(w, r, s, http.StatusOK, v, nil)
}

// cannedForm reads the create/edit form (multipart: files).
func cannedForm(r *http.Request) (ticket.CannedInput, error) {
	files, err := replyAttachments(r)
	if err != nil {
		return ticket.CannedInput{}, err
	}
	return ticket.CannedInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Scope: r.PostFormValue("scope"),
		Attachments: files}, nil
}

func (h *handler) cannedFormErr(w http.ResponseWriter, r *http.Request, s *session, err error, edit *store.CannedReply) {
	var ve directory.ValidationError
	if !errors.As(err, &ve) {
		h.handleErr(w, r, s, s.view(""), err)
		return
	}
	v := s.view("")
	v.Error = s.L.T("err.form")
	v.Errors = s.L.fieldErrors(ve)
	v.Form = map[string]string{}
	for k, vals := range r.PostForm {
		if k != "csrf_token" && len(vals) > 0 {
			v.Form[k] = vals[0]
		}
	}
	h.showCanned(w, r, s, http.StatusUnprocessableEntity, v, edit)
}

func (h *handler) cannedCreate(w http.ResponseWriter, r *http.Request, s *session) {
	in, err := cannedForm(r)
	if err == nil {
		_, err = h.Tickets.CreateCanned(r.Context(), s.actor(), in)
	}
	if err != nil {
		h.cannedFormErr(w, r, s, err, nil)
		return
	}
	http.Redirect(w, r, "/canned?ok=saved", http.StatusSeeOther)
}

// editable is the canned reply of the path the agent may edit.
func (h *handler) editable(w http.ResponseWriter, r *http.Request, s *session) *store.CannedReply {
	c, err := h.Tickets.GetCanned(r.Context(), s.actor(), pathID(r, "cid"))
	if err == nil && !s.actor().CanEditCanned(c) {
		err = ticket.ErrForbidden
	}
	if errors.Is(err, store.ErrNotFound) {
		err = ticket.ErrNotFound
	}
	if !h.handleErr(w, r, s, s.view(""), err) {
		return nil
	}
	return c
}

func (h *handler) cannedEdit(w http.ResponseWriter, r *http.Request, s *session) {
	if c := h.editable(w, r, s); c != nil {
		v := s.view("")
		v.Form = map[string]string{"title": c.Title, "body": c.Body}
		h.showCanned(w, r, s, http.StatusOK, v, c)
	}
}

func (h *handler) cannedUpdate(w http.ResponseWriter, r *http.Request, s *session) {
	c := h.editable(w, r, s)
	if c == nil {
		return
	}
	in, err := cannedForm(r)
	if err == nil {
		var remove []int64
		for _, v := range r.PostForm["remove_file"] {
			if id, err := strconv.ParseInt(v, 10, 64); err == nil {
				remove = append(remove, id)
			}
		}
		_, err = h.Tickets.UpdateCanned(r.Context(), s.actor(), c.ID, in, remove)
	}
	if err != nil {
		h.cannedFormErr(w, r, s, err, c)
		return
	}
	http.Redirect(w, r, "/canned?ok=saved", http.StatusSeeOther)
}

func (h *handler) cannedDelete(w http.ResponseWriter, r *http.Request, s *session) {
	c := h.editable(w, r, s)
	if c == nil {
		return
	}
	if err := h.Tickets.DeleteCanned(r.Context(), s.actor(), c.ID); !h.handleErr(w, r, s, s.view(""), err) {
		return
	}
	http.Redirect(w, r, "/canned?ok=deleted", http.StatusSeeOther)
}

func (h *handler) setUndoDelay(w http.ResponseWriter, r *http.Request, s *session) {
	// The bounds are the ticket service's (SetUndoSeconds); a value that
	// is not a number, or that it refuses, shows the form again.
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("undo_seconds")))
	if err == nil {
		err = h.Tickets.SetUndoSeconds(r.Context(), s.actor(), n)
	} else {
		err = directory.Invalid("undo_seconds", "not a number")
	}
	var ve directory.ValidationError
	if errors.As(err, &ve) {
		v := s.view("")
		v.Error = s.L.T("err.form")
		v.Errors = map[string]string{"undo_seconds": s.L.T("canned.delay_err", ticket.MaxUndoSeconds)}
		v.Form = map[string]string{"undo_seconds": r.PostFormValue("undo_seconds")}
		h.showCanned(w, r, s, http.StatusUnprocessableEntity, v, nil)
		return
	}
	if !h.handleErr(w, r, s, s.view(""), err) {
		return
	}
	http.Redirect(w, r, "/canned?ok=delay", http.StatusSeeOther)
}
