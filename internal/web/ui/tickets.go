package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"html/template"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/search"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

// option is one <option> of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// row is one ticket in the inbox list.
type row struct {
	ID, Number                       int64
	Subject, Status, StatusLabel     string
	Contact, Team, Assignee, Channel string
	LastISO, LastText                string
	LastMillis                       int64
	Snippet                          template.HTML // search excerpt, escaped, matches in <mark>
	Priority, PriorityLabel          string        // shown unless normal
	Tags                             []string
	Unread                           bool // customer activity since the agent last opened it
	Current                          bool // shown in the pane beside the list (t=ID)
}

// viewLink is one inbox view in the left column.
type viewLink struct {
	View, Label, URL string
	Count            int
	Counted, Current bool
}

type inboxPage struct {
	Statuses, Teams, Assignees, Channels, Sorts []option
	Priorities                                  []option
	Tag                                         string
	// For the empty list's next step: filters to clear, or no channel
	// yet, or the address mail arrives at.
	Filtered     bool
	NoChannels   bool
	FirstAddress string
	Query        string
	View         string
	Views        []viewLink
	Rows         []row
	Older        string // URL of the next page, "" on the last
	Searching    bool
	// SearchScope names the view a search ran in and SearchAll links to
	// the same search over every ticket the agent can see, when the view
	// narrowed it (the default view leaves resolved tickets out).
	SearchScope, SearchAll string
	// names are the directory lists the page was built with (the bulk
	// bar reuses them instead of reading them again).
	names *directoryNames
}

// directoryNames are the names of a company's teams, agents and channels.
type directoryNames struct {
	teams, agents, channels map[int64]string
	teamList                []model.Team
	agentList               []model.Agent
	channelList             []model.Channel
}

func (h *handler) names(r *http.Request, companyID int64) (*directoryNames, error) {
	n := &directoryNames{teams: map[int64]string{}, agents: map[int64]string{}, channels: map[int64]string{}}
	var err error
	if n.teamList, err = h.Directory.ListTeams(r.Context(), companyID); err != nil {
		return nil, fmt.Errorf("ui: teams: %w", err)
	}
	if n.agentList, err = h.Directory.ListAgents(r.Context(), companyID); err != nil {
		return nil, fmt.Errorf("ui: agents: %w", err)
	}
	if n.channelList, err = h.Directory.ListChannels(r.Context(), companyID); err != nil {
		return nil, fmt.Errorf("ui: channels: %w", err)
	}
	for _, t := range n.teamList {
		n.teams[t.ID] = t.Name
	}
	for _, a := range n.agentList {
		n.agents[a.ID] = a.Name
	}
	for _, c := range n.channelList {
		n.channels[c.ID] = c.Name
	}
	return n, nil
}

func idParam(q url.Values, name string) int64 {
	n, _ := strconv.ParseInt(q.Get(name), 10, 64)
	return max(n, 0)
}

// inboxData builds the inbox for the view and filters in r's query. It
// runs a fixed number of queries whatever the page size (TestInboxQueries).
func (h *handler) inboxData(r *http.Request, s *session) (*inboxPage, error) {
	q := r.URL.Query()
	f := ticket.Filter{Status: model.TicketStatus(q.Get("status")), TeamID: idParam(q, "team"), AssigneeID: idParam(q, "assignee"),
		ChannelID: idParam(q, "channel"), Query: q.Get("q"), Cursor: q.Get("cursor"),
		View: ticket.View(q.Get("view")), Sort: store.TicketSort(q.Get("sort")), Tag: strings.TrimSpace(q.Get("tag"))}
	if pr := q.Get("priority"); slices.Contains(ticket.Priorities, pr) {
		f.Priority = pr
	}
	if !f.Status.Valid() {
		f.Status = ""
	}
	if f.View == "" || !f.View.Valid() {
		f.View = ticket.ViewOpen
	}
	if !f.Sort.Valid() {
		f.Sort = ""
	}
	page, err := h.Tickets.List(r.Context(), s.actor(), f)
	if err != nil {
		return nil, err
	}
	n, err := h.names(r, s.P.CompanyID)
	if err != nil {
		return nil, err
	}
	counts, err := h.viewCounts(r, s)
	if err != nil {
		return nil, err
	}
	p := &inboxPage{Query: f.Query, View: string(f.View), Searching: strings.TrimSpace(f.Query) != "", names: n}
	for _, v := range ticket.Views {
		l := viewLink{View: string(v), Label: s.L.T("inbox.view." + string(v)), URL: "/inbox?view=" + string(v), Current: v == f.View, Counted: true}
		switch v {
		case ticket.ViewMine:
			l.Count = counts.Mine
		case ticket.ViewUnassigned:
			l.Count = counts.Unassigned
		case ticket.ViewTeams:
			l.Count = counts.Teams
		case ticket.ViewOpen:
			l.Count = counts.Open
		case ticket.ViewPending:
			l.Count = counts.Pending
		default:
			l.Counted = false
		}
		p.Views = append(p.Views, l)
	}
	if p.Searching && f.View != ticket.ViewAll {
		p.SearchScope = s.L.T("inbox.view." + string(f.View))
		p.SearchAll = "/inbox?" + url.Values{"view": {string(ticket.ViewAll)}, "q": {f.Query}}.Encode()
	}
	p.Sorts = nil
	for _, so := range []store.TicketSort{store.SortActivity, store.SortNewest, store.SortOldest, store.SortPriority} {
		p.Sorts = append(p.Sorts, option{Value: string(so), Label: s.L.T("inbox.sort." + string(so)), Selected: so == f.Sort || (f.Sort == "" && so == store.SortActivity)})
	}
	p.Statuses = []option{{Value: "", Label: s.L.T("inbox.any")}}
	for _, st := range []model.TicketStatus{model.StatusOpen, model.StatusPending, model.StatusResolved, model.StatusClosed} {
		p.Statuses = append(p.Statuses, option{Value: string(st), Label: s.L.Status(st), Selected: st == f.Status})
	}
	p.Teams = []option{{Value: "", Label: s.L.T("inbox.any")}}
	for _, t := range n.teamList {
		p.Teams = append(p.Teams, option{Value: itoa(t.ID), Label: t.Name, Selected: t.ID == f.TeamID})
	}
	p.Assignees = []option{{Value: "", Label: s.L.T("inbox.any")}}
	for _, a := range n.agentList {
		p.Assignees = append(p.Assignees, option{Value: itoa(a.ID), Label: a.Name, Selected: a.ID == f.AssigneeID})
	}
	p.Priorities = []option{{Value: "", Label: s.L.T("inbox.any")}}
	for _, pr := range ticket.Priorities {
		p.Priorities = append(p.Priorities, option{Value: pr, Label: s.L.T("priority." + pr), Selected: pr == f.Priority})
	}
	p.Tag = f.Tag
	p.Filtered = f.Status != "" || f.TeamID != 0 || f.AssigneeID != 0 || f.ChannelID != 0 || f.Priority != "" || f.Tag != "" ||
		p.Searching || (f.View != ticket.ViewOpen && f.View != ticket.ViewAll)
	p.NoChannels = len(n.channelList) == 0
	if !p.NoChannels {
		p.FirstAddress = n.channelList[0].Settings.PrimaryEmail
	}
	p.Channels = []option{{Value: "", Label: s.L.T("inbox.any")}}
	for _, c := range n.channelList {
		p.Channels = append(p.Channels, option{Value: itoa(c.ID), Label: c.Name, Selected: c.ID == f.ChannelID})
	}
	// One query for the page's contacts (not one per row).
	contacts := map[int64]string{}
	var ids []int64
	for _, t := range page.Tickets {
		if _, ok := contacts[t.ContactID]; !ok {
			contacts[t.ContactID] = ""
			ids = append(ids, t.ContactID)
		}
	}
	cs, err := h.Store.GetContacts(r.Context(), s.P.CompanyID, ids)
	if err != nil {
		return nil, fmt.Errorf("ui: contacts: %w", err)
	}
	for i := range cs {
		contacts[cs[i].ID] = contactLabel(&cs[i])
	}
	// One query for the agent's read marks of the page.
	tids := make([]int64, len(page.Tickets))
	for i, t := range page.Tickets {
		tids[i] = t.ID
	}
	reads, err := h.Store.TicketReads(r.Context(), s.P.CompanyID, s.P.AgentID, tids)
	if err != nil {
		return nil, fmt.Errorf("ui: read marks: %w", err)
	}
	paneID := idParam(q, "t")
	for _, t := range page.Tickets {
		last := t.LastMessageAt
		if last.IsZero() {
			last = t.UpdatedAt
		}
		rw := row{ID: t.ID, Number: t.Number, Subject: t.Subject, Status: string(t.Status), StatusLabel: s.L.Status(t.Status),
			Contact: contacts[t.ContactID], Team: n.teams[t.TeamID], Assignee: n.agents[t.AssigneeID], Channel: n.channels[t.ChannelID],
			LastISO: last.UTC().Format(time.RFC3339), LastText: s.when(last).Text, LastMillis: last.UnixMilli(), Tags: t.Tags,
			Current: paneID != 0 && t.ID == paneID}
		if at, ok := reads[t.ID]; !ok || t.ActivityAt.After(at) {
			rw.Unread = true
		}
		if t.Priority != "" && t.Priority != "normal" {
			rw.Priority, rw.PriorityLabel = t.Priority, s.L.T("priority."+t.Priority)
		}
		if sn, ok := page.Snippets[t.ID]; ok {
			rw.Snippet = template.HTML(search.HTML(sn, store.MarkStart, store.MarkEnd)) // escaped by search.HTML
		}
		p.Rows = append(p.Rows, rw)
	}
	if page.NextCursor != "" {
		q.Set("cursor", page.NextCursor)
		p.Older = "/inbox?" + q.Encode()
	}
	return p, nil
}

func contactLabel(c *model.Contact) string {
	if c.Name != "" {
		return c.Name + " <" + c.Email + ">"
	}
	return c.Email
}

func (h *handler) inbox(w http.ResponseWriter, r *http.Request, s *session) {
	h.inboxPage(w, r, s, http.StatusOK, nil)
}

// inboxPage renders the inbox; with t=ID in the query (or pane, a ticket
// view already filled) the ticket is shown beside the list (split.go).
func (h *handler) inboxPage(w http.ResponseWriter, r *http.Request, s *session, status int, pane *view) {
	v := s.view(s.L.T("inbox.title"))
	v.Body = "inbox"
	if id := idParam(r.URL.Query(), "t"); pane == nil && id > 0 {
		var err error
		pane, err = h.paneView(r, s, id, paneReturn(r.URL, id))
		if err != nil && !errors.Is(err, ticket.ErrNotFound) && !errors.Is(err, ticket.ErrForbidden) {
			h.handleErr(w, r, s, v, err)
			return
		}
		// A ticket the agent may not see (or no longer exists): the
		// inbox alone, like any unknown ticket.
	}
	// The pane's ticket is read before the list is: its row is not unread.
	p, err := h.inboxData(r, s)
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	v.Page = p
	v.Bulk, v.Flash = h.bulkBar(r, s, p.names)
	if pane != nil {
		v.Pane = pane
		v.Body = "inbox split"
		v.Title = pane.Title + " · " + v.Title
		if v.Flash == "" {
			v.Flash = pane.Flash
		}
		if v.Flash == "" {
			v.Flash = ticketFlash(s.L, r.URL.Query().Get("ok"))
		}
		v.Error = pane.Error
	}
	h.render(w, r, status, "inbox", "layout", v)
}

// inboxList is the list fragment the inbox script swaps in on live events.
func (h *handler) inboxList(w http.ResponseWriter, r *http.Request, s *session) {
	v := s.view("")
	p, err := h.inboxData(r, s)
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	v.Page = p
	h.render(w, r, http.StatusOK, "inbox", "list", v)
}

// handleErr shows err (if any) and reports whether the caller may go on.
func (h *handler) handleErr(w http.ResponseWriter, r *http.Request, s *session, v *view, err error) bool {
	var ve directory.ValidationError
	switch {
	case err == nil:
		return true
	case errors.Is(err, ticket.ErrNotFound), errors.Is(err, ticket.ErrForbidden):
		// Not the agent's ticket looks exactly like no such ticket.
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
	case errors.As(err, &ve):
		v.Error = s.L.T("err.invalid", strings.Join(values(s.L.fieldErrors(ve)), " "))
		h.render(w, r, http.StatusUnprocessableEntity, "error", "layout", v)
	default:
		h.Log.Error("ui: request", "path", r.URL.Path, "err", err)
		h.errorPage(w, r, s.L, http.StatusInternalServerError, "err.internal")
	}
	return false
}

func values(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	return out
}

// messageView is one message of the thread.
type messageView struct {
	ID                 int64
	Kind               string // in, out, note
	From, To, Cc, Bcc  string
	Author             string
	DateISO, DateText  string
	Subject            string
	DMARC              bool
	HTML               bool // body shown in the sandboxed frame
	Remote             bool // has blocked remote images
	Quoted             bool // ReplyText is shorter than the whole body
	ReplyText, Text    string
	BodyURL, ImagesURL string
	Status, Error      string
	DateFull           string
	Auto               bool   // our automatic reply
	Failed             bool   // not sent: the banner and "Tentar novamente"
	Retrying           bool   // queued after a temporary failure
	FailText           string // the translated explanation
	RetryURL           string
	// Partial: Atende could not read the whole message; PartialReason is
	// the parser's (technical, English) reason, shown as detail.
	Partial       bool
	PartialReason string
	RawURL        string // the message as received (.eml)
	Attachments   []attachmentView
}

type attachmentView struct {
	Name, Type, Size, URL string
	// ViewURL opens it in the browser (images as a thumbnail, PDFs in
	// the browser's viewer); "" when it can only be downloaded.
	ViewURL    string
	Image, PDF bool
}

type ticketPage struct {
	T                model.Ticket
	StatusLabel      string
	Contact          string
	ContactEmail     string
	MergedInto       int64
	Messages         []messageView
	Statuses         []option
	Teams, Assignees []option
	LastMillis       int64
	// Signature is the plain-text preview of the signature a reply gets
	// (the agent's personal one when set, else the channel's);
	// SignatureOwn says it is the agent's.
	Signature    string
	SignatureOwn bool
	Priorities   []option
	Tags         string // comma-separated, for the form
	TagList      []string
	PriorityText string
	// W is the agent workspace: timeline, contact panel, held send
	// (workspace.go).
	W       *workspace
	Compose composeView // the composer (compose.go)
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func addrList(as []model.Address) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = addr(a)
	}
	return strings.Join(out, ", ")
}

func addr(a model.Address) string {
	if a.Name != "" {
		return a.Name + " <" + a.Address + ">"
	}
	return a.Address
}

func (h *handler) ticketData(r *http.Request, s *session, id int64) (*ticketPage, error) {
	d, err := h.Tickets.Get(r.Context(), s.actor(), id)
	if err != nil {
		return nil, err
	}
	n, err := h.names(r, s.P.CompanyID)
	if err != nil {
		return nil, err
	}
	p := &ticketPage{T: d.Ticket, StatusLabel: s.L.Status(d.Ticket.Status), Contact: contactLabel(&d.Contact), ContactEmail: d.Contact.Email,
		MergedInto: mergedNumber(r.Context(), h.Store, d), LastMillis: d.Ticket.LastMessageAt.UnixMilli()}
	if err := h.signaturePreview(r, s, p); err != nil {
		return nil, err
	}
	if d.Ticket.LastMessageAt.IsZero() {
		p.LastMillis = d.Ticket.UpdatedAt.UnixMilli()
	}
	for _, st := range []model.TicketStatus{model.StatusOpen, model.StatusPending, model.StatusResolved, model.StatusClosed} {
		p.Statuses = append(p.Statuses, option{Value: string(st), Label: s.L.Status(st), Selected: st == d.Ticket.Status})
	}
	prio := d.Ticket.Priority
	if prio == "" {
		prio = "normal"
	}
	for _, pr := range ticket.Priorities {
		p.Priorities = append(p.Priorities, option{Value: pr, Label: s.L.T("priority." + pr), Selected: pr == prio})
	}
	p.PriorityText = s.L.T("priority." + prio)
	p.TagList = d.Ticket.Tags
	p.Tags = strings.Join(d.Ticket.Tags, ", ")
	p.Teams = []option{{Value: "0", Label: s.L.T("ticket.no_team"), Selected: d.Ticket.TeamID == 0}}
	for _, t := range n.teamList {
		p.Teams = append(p.Teams, option{Value: itoa(t.ID), Label: t.Name, Selected: t.ID == d.Ticket.TeamID})
	}
	p.Assignees = []option{{Value: "0", Label: s.L.T("ticket.nobody"), Selected: d.Ticket.AssigneeID == 0}}
	for _, a := range n.agentList {
		if !a.Disabled || a.ID == d.Ticket.AssigneeID {
			p.Assignees = append(p.Assignees, option{Value: itoa(a.ID), Label: a.Name, Selected: a.ID == d.Ticket.AssigneeID})
		}
	}
	for _, m := range d.Messages {
		date := m.Date
		if date.IsZero() {
			date = m.CreatedAt
		}
		ds := s.when(date)
		mv := messageView{ID: m.ID, Kind: string(m.Direction), From: addr(m.From), To: addrList(m.To), Cc: addrList(m.Cc), Bcc: addrList(m.Bcc),
			Author: n.agents[m.AuthorID], DateISO: ds.ISO, DateText: ds.Text, DateFull: ds.Full, Subject: m.Subject,
			DMARC: m.Flags.Has(model.FlagDMARCFail), HTML: m.Direction != model.DirNote && strings.TrimSpace(m.HTML) != "",
			Remote: strings.Contains(m.HTML, "data-remote-src"), Text: m.Text, ReplyText: m.ReplyText,
			Auto: m.Direction == model.DirOut && m.Flags.Has(model.FlagAutoReply)}
		if m.Direction == model.DirOut {
			mv.Status = s.L.T("msg." + string(m.Status))
			kind, detail := outbox.ParseFailure(m.Error)
			mv.Error = detail
			switch {
			case m.Status == model.MsgFailed:
				mv.Failed = true
				mv.FailText = s.L.T("ticket.fail." + failKind(kind, detail))
				mv.RetryURL = fmt.Sprintf("/tickets/%d/messages/%d/retry", d.Ticket.ID, m.ID)
			case m.Status == model.MsgQueued && m.Error != "":
				mv.Retrying = true
				mv.FailText = s.L.T("ticket.retrying")
			}
		}
		if reason, ok := m.Meta["partial"]; ok {
			mv.Partial, mv.PartialReason = true, fmt.Sprint(reason)
		}
		if m.Direction == model.DirIn && m.RawKey != "" && h.Blobs != nil {
			mv.RawURL = fmt.Sprintf("/tickets/%d/messages/%d/raw", d.Ticket.ID, m.ID)
		}
		mv.Quoted = m.Direction == model.DirIn && hasQuote(m.ReplyText, m.Text, m.HTML)
		mv.BodyURL = fmt.Sprintf("/tickets/%d/messages/%d/body", d.Ticket.ID, m.ID)
		mv.ImagesURL = mv.BodyURL + "?images=1"
		for _, a := range m.Attachments {
			if a.Inline && a.ContentID != "" && strings.Contains(m.HTML, "cid/"+url.PathEscape(a.ContentID)) {
				continue // shown in the message itself
			}
			av := attachmentView{Name: a.Filename, Type: a.ContentType, Size: humanSize(a.Size)}
			if h.Blobs != nil {
				av.URL = fmt.Sprintf("/tickets/%d/attachments/%d", d.Ticket.ID, a.ID)
				if viewable(a) {
					av.ViewURL = av.URL + "/view"
					av.PDF = mediaType(a.ContentType) == "application/pdf"
					av.Image = !av.PDF
				}
			}
			mv.Attachments = append(mv.Attachments, av)
		}
		p.Messages = append(p.Messages, mv)
	}
	if err := h.workspaceData(r, s, d, n, p); err != nil {
		return nil, err
	}
	if err := h.composeData(r, s, p, d); err != nil {
		return nil, err
	}
	return p, nil
}

func pathID(r *http.Request, name string) int64 {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func (h *handler) showTicket(w http.ResponseWriter, r *http.Request, s *session, status int, v *view) {
	id := pathID(r, "id")
	if id == 0 {
		h.errorPage(w, r, s.L, http.StatusNotFound, "err.not_found")
		return
	}
	p, err := h.ticketData(r, s, id)
	if !h.handleErr(w, r, s, v, err) {
		return
	}
	h.markRead(r, s, p.T.ID)
	h.renderTicket(w, r, s, status, v, p)
}

// renderTicket shows ticket p: its page, or, for a form posted from the
// inbox pane, the inbox with the ticket beside the list (split.go).
func (h *handler) renderTicket(w http.ResponseWriter, r *http.Request, s *session, status int, v *view, p *ticketPage) {
	if ret := postReturn(r); ret != "" {
		h.fillPane(r, s, v, p, ret)
		h.inboxWithPane(w, r, s, status, v, ret)
		return
	}
	v.Title = fmt.Sprintf("#%d %s", p.T.Number, p.T.Subject)
	v.Body = "ticket"
	v.Page = p
	v.Snooze = h.snoozeView(r, s, v, &p.T)
	h.render(w, r, status, "ticket", "layout", v)
}

func (h *handler) ticketPage(w http.ResponseWriter, r *http.Request, s *session) {
	if r.URL.Query().Get("pane") == "1" {
		h.ticketPane(w, r, s)
		return
	}
	v := s.view("")
	v.Flash = ticketFlash(s.L, r.URL.Query().Get("ok"))
	h.showTicket(w, r, s, http.StatusOK, v)
}

// messageBody serves one message's sanitized HTML as its own document,
// for the sandboxed iframe of the ticket view.
func (h *handler) messageBody(w http.ResponseWriter, r *http.Request, s *session) {
	id, mid := pathID(r, "id"), pathID(r, "mid")
	d, err := h.Tickets.Get(r.Context(), s.actor(), id)
	if err != nil {
		if errors.Is(err, ticket.ErrNotFound) || errors.Is(err, ticket.ErrForbidden) {
			http.NotFound(w, r)
			return
		}
		h.Log.Error("ui: message body", "ticket", id, "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	var msg *model.Message
	for i := range d.Messages {
		if d.Messages[i].ID == mid {
			msg = &d.Messages[i].Message
		}
	}
	if msg == nil {
		http.NotFound(w, r)
		return
	}
	body, csp := msg.HTML, FrameCSP
	if r.URL.Query().Get("images") == "1" {
		body, csp = showRemoteImages(body), frameCSPImages
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "private, no-store")
	fmt.Fprintf(w, `<!doctype html><html lang="%s"><head><meta charset="utf-8"><base target="_blank"><style>%s</style></head><body>`,
		html.EscapeString(s.L.Lang), frameStyle)
	w.Write([]byte(body))
	w.Write([]byte("</body></html>"))
}

const frameStyle = `html{color-scheme:light}body{margin:0;padding:4px 2px;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;` +
	`color:#1f2933;overflow-wrap:anywhere}img{max-width:100%;height:auto}img[src=""]{display:none}` +
	`blockquote{margin:0 0 0 4px;padding-left:10px;border-left:3px solid #cbd2d9;color:#52606d}a{color:#1d4ed8}` +
	`table{max-width:100%}pre{white-space:pre-wrap}`

// showRemoteImages copies data-remote-src (http/https only) into src.
func showRemoteImages(s string) string {
	if !strings.Contains(s, "data-remote-src") {
		return s
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return s
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == atom.Img {
			remote := ""
			for _, a := range n.Attr {
				if a.Key == "data-remote-src" {
					remote = a.Val
				}
			}
			if u, err := url.Parse(remote); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				found := false
				for i := range n.Attr {
					if n.Attr[i].Key == "src" {
						n.Attr[i].Val, found = remote, true
					}
				}
				if !found {
					n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: remote})
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	var b strings.Builder
	for _, n := range nodes {
		walk(n)
		if err := html.Render(&b, n); err != nil {
			return s
		}
	}
	return b.String()
}

// afterPost redirects to the ticket or shows the form errors on it.
func (h *handler) afterPost(w http.ResponseWriter, r *http.Request, s *session, err error, ok, anchor string) {
	id := pathID(r, "id")
	var ve directory.ValidationError
	if errors.As(err, &ve) {
		v := s.view("")
		v.Error = s.L.T("err.form")
		v.Errors = s.L.fieldErrors(ve)
		v.Form = map[string]string{}
		for k, vals := range r.PostForm {
			if k != "csrf_token" && len(vals) > 0 {
				v.Form[k] = vals[0]
			}
		}
		h.showTicket(w, r, s, http.StatusUnprocessableEntity, v)
		return
	}
	if !h.handleErr(w, r, s, s.view(""), err) {
		return
	}
	if afterPaneAction(w, r, ok, anchor) {
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/tickets/%d?ok=%s%s", id, ok, anchor), http.StatusSeeOther)
}

func (h *handler) addNote(w http.ResponseWriter, r *http.Request, s *session) {
	m, err := h.Tickets.AddNote(r.Context(), s.actor(), pathID(r, "id"), r.PostFormValue("note"))
	if err != nil {
		err = renameField(err, "text", "note")
		h.afterPost(w, r, s, err, "", "")
		return
	}
	h.afterPost(w, r, s, nil, "saved", fmt.Sprintf("#m%d", m.ID))
}

// renameField maps a service field name to the form field name.
func renameField(err error, from, to string) error {
	var ve directory.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := make(directory.ValidationError, len(ve))
	for i, fe := range ve {
		if fe.Field == from {
			fe.Field = to
		}
		out[i] = fe
	}
	return out
}

// parseAddrs reads a comma-separated address list of one form field.
func parseAddrs(v *directory.ValidationError, field, s string) []model.Address {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		*v = append(*v, directory.FieldError{Field: field, Message: "must be an email address"})
		return nil
	}
	out := make([]model.Address, len(list))
	for i, a := range list {
		out[i] = model.Address{Name: a.Name, Address: a.Address}
	}
	return out
}

func (h *handler) reply(w http.ResponseWriter, r *http.Request, s *session) {
	if h.holdReply(w, r, s) {
		return
	}
	id := pathID(r, "id")
	var v directory.ValidationError
	in := ticket.ReplyInput{Text: r.PostFormValue("text")}
	in.To = parseAddrs(&v, "to", r.PostFormValue("to"))
	in.Cc = parseAddrs(&v, "cc", r.PostFormValue("cc"))
	in.Bcc = parseAddrs(&v, "bcc", r.PostFormValue("bcc"))
	switch r.PostFormValue("quote") {
	case "show":
		yes := true
		in.Quote = &yes
	case "none":
		no := false
		in.Quote = &no
	}
	atts, err := replyAttachments(r)
	if err != nil {
		h.afterPost(w, r, s, err, "", "")
		return
	}
	// A reply not sent keeps its new files with the draft: the form shown
	// again lists them, ticked (a browser never refills a file input).
	fail := func(err error) {
		if kerr := h.keepUploads(r, s, id, atts); kerr != nil {
			h.Log.Warn("ui: keep the files of a reply not sent", "ticket", id, "err", kerr)
		}
		h.afterPost(w, r, s, err, "", "")
	}
	in.Attachments = atts
	in.DraftFiles = draftFileIDs(r)
	// The composer's choices: "send and resolve" / "send and leave
	// pending", the undo delay, the files of inserted canned replies.
	in.Status, in.Hold = model.TicketStatus(r.PostFormValue("then")), true
	canned, err := h.cannedReplyFiles(r, s.actor())
	if err != nil {
		fail(err)
		return
	}
	in.Attachments = append(in.Attachments, canned...)
	if len(v) > 0 {
		fail(v)
		return
	}
	m, err := h.Tickets.Reply(r.Context(), s.actor(), id, in)
	if err != nil {
		var ve directory.ValidationError
		if errors.As(err, &ve) {
			for i := range ve {
				ve[i].Field, _, _ = strings.Cut(ve[i].Field, "[") // to[0].address → to
			}
			err = ve
		}
		fail(err)
		return
	}
	if !ticket.UndoUntil(m).IsZero() {
		h.afterPost(w, r, s, nil, "held", "#reply-h")
		return
	}
	h.afterPost(w, r, s, nil, "sent", fmt.Sprintf("#m%d", m.ID))
}

// signaturePreview fills p.Signature with the signature a reply from this
// agent on this ticket's channel gets, its variables filled in the same way
// as internal/reply does, as plain text.
func (h *handler) signaturePreview(r *http.Request, s *session, p *ticketPage) error {
	sig := ""
	if s.Agent != nil && strings.TrimSpace(s.Agent.Signature) != "" {
		sig, p.SignatureOwn = s.Agent.Signature, true
	}
	ch, err := h.Store.GetChannel(r.Context(), s.P.CompanyID, p.T.ChannelID)
	if err != nil {
		return fmt.Errorf("ui: signature preview: %w", err)
	}
	if sig == "" {
		sig = ch.Settings.Signature
	}
	if strings.TrimSpace(sig) == "" {
		return nil
	}
	co, err := h.Store.GetCompany(r.Context(), s.P.CompanyID)
	if err != nil {
		return fmt.Errorf("ui: signature preview: %w", err)
	}
	agentName := ""
	if s.Agent != nil {
		agentName = s.Agent.Name
	}
	sig = strings.NewReplacer(
		"{{agent.name}}", html.EscapeString(agentName),
		"{{ticket.number}}", strconv.FormatInt(p.T.Number, 10),
		"{{channel.name}}", html.EscapeString(ch.Name),
		"{{company.name}}", html.EscapeString(co.Name),
	).Replace(sig)
	p.Signature = htmlText(sig)
	return nil
}

// htmlText renders an HTML fragment as plain text, one line per <br>,
// paragraph, div or list item.
func htmlText(s string) string {
	nodes, err := html.ParseFragment(strings.NewReader(s), &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"})
	if err != nil {
		return s
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style:
				return
			case atom.Br:
				b.WriteString("\n")
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.P, atom.Div, atom.Li, atom.Tr, atom.H1, atom.H2, atom.H3, atom.Table:
				b.WriteString("\n")
			}
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// replyAttachments reads the composer's "attachments" files (the form is
// multipart/form-data); together they may not exceed
// ticket.MaxAttachmentBytes.
func replyAttachments(r *http.Request) ([]ticket.Attachment, error) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			if errors.Is(err, http.ErrNotMultipart) {
				return nil, nil
			}
			return nil, fmt.Errorf("ui: read reply form: %w", err)
		}
	}
	return ticket.FormAttachments(r.MultipartForm, "attachments")
}

// merge merges this ticket into the one numbered "target" and shows that
// ticket.
func (h *handler) merge(w http.ResponseWriter, r *http.Request, s *session) {
	num, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("target")), "#"), 10, 64)
	if err != nil || num <= 0 {
		h.afterPost(w, r, s, directory.Invalid("target", "no such ticket"), "", "")
		return
	}
	target, err := h.Store.GetTicketByNumber(r.Context(), s.P.CompanyID, num)
	if errors.Is(err, store.ErrNotFound) {
		h.afterPost(w, r, s, directory.Invalid("target", "no such ticket"), "", "")
		return
	} else if err != nil {
		h.afterPost(w, r, s, err, "", "")
		return
	}
	if _, err := h.Tickets.Merge(r.Context(), s.actor(), pathID(r, "id"), target.ID); err != nil {
		h.afterPost(w, r, s, renameField(err, "target_id", "target"), "", "")
		return
	}
	if ret := postReturn(r); ret != "" {
		u, _ := url.Parse(ret) // valid: returnTarget parsed it
		http.Redirect(w, r, withParam(paneReturn(u, target.ID), "ok", "merged"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/tickets/%d?ok=merged", target.ID), http.StatusSeeOther)
}

func (h *handler) forward(w http.ResponseWriter, r *http.Request, s *session) {
	var v directory.ValidationError
	in := ticket.ForwardInput{Text: r.PostFormValue("fwd_text")}
	in.To = parseAddrs(&v, "fwd_to", r.PostFormValue("fwd_to"))
	if len(v) > 0 {
		h.afterPost(w, r, s, v, "", "")
		return
	}
	m, err := h.Tickets.Forward(r.Context(), s.actor(), pathID(r, "id"), in)
	if err != nil {
		var ve directory.ValidationError
		if errors.As(err, &ve) {
			for i := range ve {
				f, _, _ := strings.Cut(ve[i].Field, "[")
				ve[i].Field = "fwd_" + f
			}
			err = ve
		}
		h.afterPost(w, r, s, err, "", "")
		return
	}
	h.afterPost(w, r, s, nil, "forwarded", fmt.Sprintf("#m%d", m.ID))
}

func (h *handler) setStatus(w http.ResponseWriter, r *http.Request, s *session) {
	_, err := h.Tickets.SetStatus(r.Context(), s.actor(), pathID(r, "id"), model.TicketStatus(r.PostFormValue("status")))
	h.afterPost(w, r, s, err, "saved", "")
}

// retry is "Tentar novamente" on a failed message.
func (h *handler) retry(w http.ResponseWriter, r *http.Request, s *session) {
	mid := pathID(r, "mid")
	_, err := h.Tickets.Retry(r.Context(), s.actor(), pathID(r, "id"), mid)
	h.afterPost(w, r, s, err, "retried", fmt.Sprintf("#m%d", mid))
}

// setDetails saves the priority and tags.
func (h *handler) setDetails(w http.ResponseWriter, r *http.Request, s *session) {
	prio := r.PostFormValue("priority")
	tags := strings.Split(r.PostFormValue("tags"), ",")
	_, err := h.Tickets.SetDetails(r.Context(), s.actor(), pathID(r, "id"), ticket.DetailsInput{Priority: &prio, Tags: tags})
	h.afterPost(w, r, s, err, "saved", "")
}

// failKind is the explanation key of a failed message; texts stored
// before failure kinds existed are told apart by their SMTP code.
func failKind(kind, detail string) string {
	switch kind {
	case outbox.FailRejected, outbox.FailConfig, outbox.FailRelayStartTLS, outbox.FailGaveUp:
		return kind
	}
	if strings.Contains(detail, "permanent failure: 5") || strings.HasPrefix(strings.TrimSpace(detail), "5") {
		return outbox.FailRejected
	}
	return "unknown"
}

func (h *handler) assign(w http.ResponseWriter, r *http.Request, s *session) {
	assignee, err2 := strconv.ParseInt(r.PostFormValue("assignee"), 10, 64)
	// No team field (the "a" shortcut in the inbox): the team stays.
	var teamID *int64
	var err1 error
	if _, ok := r.PostForm["team"]; ok {
		var team int64
		team, err1 = strconv.ParseInt(r.PostFormValue("team"), 10, 64)
		teamID = &team
	}
	if err1 != nil || err2 != nil {
		h.afterPost(w, r, s, directory.ValidationError{{Field: "assignee", Message: "no such active agent"}}, "", "")
		return
	}
	_, err := h.Tickets.Assign(r.Context(), s.actor(), pathID(r, "id"), ticket.AssignInput{TeamID: teamID, AssigneeID: &assignee})
	h.afterPost(w, r, s, renameField(renameField(err, "team_id", "team"), "assignee_id", "assignee"), "saved", "")
}

// hasQuote reports whether a message carries quoted history to collapse:
// its reply text is set and differs from the whole text (whitespace
// aside), and the body has quote markup or "> " quoted lines.
func hasQuote(replyText, text, htmlBody string) bool {
	rt := strings.Join(strings.Fields(replyText), " ")
	if rt == "" || rt == strings.Join(strings.Fields(text), " ") {
		return false
	}
	if strings.Contains(htmlBody, "<blockquote") {
		return true
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), ">") {
			return true
		}
	}
	return false
}

// mergedNumber is the number (what agents know) of the ticket this one was
// merged into; 0 when it was not merged.
func mergedNumber(ctx context.Context, st store.Store, d *ticket.Detail) int64 {
	if d.MergedInto == 0 {
		return 0
	}
	if t, err := st.GetTicket(ctx, d.Ticket.CompanyID, d.MergedInto); err == nil {
		return t.Number
	}
	return d.MergedInto
}
