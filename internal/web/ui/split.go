package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/atende-helpdesk/atende/internal/ticket"
)

// The split inbox (issue 16): /inbox?…&t=ID shows the views, the list and
// ticket ID beside it on wide screens (the CSS breakpoint is 1200 px;
// narrower, the ticket takes the whole width). It is server-rendered, so
// it works without JavaScript and survives a reload; the pane is the
// ticket page's own "ticket" template with the same data (ticketData).
//
// With JavaScript on a wide screen, a row's click fetches the pane alone
// (GET /tickets/{id}?pane=1&return=<inbox URL>) and pushes the inbox URL
// with t=ID. Both ways mark the ticket read, as opening its page does.
//
// The pane's forms carry "return", the inbox URL they came from: after a
// POST the agent lands there again (the flash on top, the same ticket in
// the pane), and a form error or a held reply shows the inbox with the
// pane and the errors in it. returnTarget accepts only a local /inbox URL,
// so "return" is never an open redirect.

// paneParams are the query parameters of one-time notices, left out of
// the URL the pane's forms return to.
var paneParams = []string{"ok", "bulk", "bulk_n", "bulk_arg", "bulk_status", "bulk_skipped", "pane", "return"}

// returnTarget is raw when it is a local /inbox URL, else "".
func returnTarget(raw string) string {
	if raw == "" || safeNext(raw) != raw {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Path != "/inbox" || u.Fragment != "" {
		return ""
	}
	return raw
}

// paneReturn is the inbox URL u showing ticket id, without one-time
// notices.
func paneReturn(u *url.URL, id int64) string {
	q := u.Query()
	for _, k := range paneParams {
		q.Del(k)
	}
	q.Set("t", strconv.FormatInt(id, 10))
	return "/inbox?" + q.Encode()
}

// paneClose is ret without its ticket: the inbox the pane closes to.
func paneClose(ret string) string {
	u, err := url.Parse(ret)
	if err != nil {
		return "/inbox"
	}
	q := u.Query()
	q.Del("t")
	if len(q) == 0 {
		return "/inbox"
	}
	return "/inbox?" + q.Encode()
}

// withParam sets one query parameter of a local URL.
func withParam(path, key, value string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// postReturn is the validated "return" of a pane form ("" when the form
// came from the ticket page).
func postReturn(r *http.Request) string {
	if r.Method != http.MethodPost {
		return ""
	}
	return returnTarget(r.PostFormValue("return"))
}

// afterPaneAction redirects a pane form to its inbox, with the flash key
// ok ("" for none) and anchor; it reports whether it did.
func afterPaneAction(w http.ResponseWriter, r *http.Request, ok, anchor string) bool {
	ret := postReturn(r)
	if ret == "" {
		return false
	}
	if ok != "" {
		ret = withParam(ret, "ok", ok)
	}
	http.Redirect(w, r, ret+anchor, http.StatusSeeOther)
	return true
}

// fillPane makes v the view of ticket p shown in the inbox pane.
func (h *handler) fillPane(r *http.Request, s *session, v *view, p *ticketPage, ret string) {
	v.Page = p
	v.Snooze = h.snoozeView(r, s, v, &p.T)
	v.Return = ret
	v.Close = paneClose(ret)
	v.Title = fmt.Sprintf("#%d %s", p.T.Number, p.T.Subject)
}

// paneView loads ticket id for the pane and marks it read.
func (h *handler) paneView(r *http.Request, s *session, id int64, ret string) (*view, error) {
	p, err := h.ticketData(r, s, id)
	if err != nil {
		return nil, err
	}
	h.markRead(r, s, p.T.ID)
	v := s.view("")
	h.fillPane(r, s, v, p, ret)
	return v, nil
}

func (h *handler) markRead(r *http.Request, s *session, id int64) {
	// The agent has seen the ticket: unread marks are the agent's, on
	// every device (store.Reads).
	if err := h.Store.MarkTicketRead(r.Context(), s.P.CompanyID, s.P.AgentID, id); err != nil {
		h.Log.Warn("ui: mark ticket read", "ticket", id, "err", err)
	}
}

// ticketPane answers GET /tickets/{id}?pane=1: the ticket view alone, for
// the inbox script to put beside the list.
func (h *handler) ticketPane(w http.ResponseWriter, r *http.Request, s *session) {
	id := pathID(r, "id")
	ret := returnTarget(r.URL.Query().Get("return"))
	if ret == "" {
		ret = "/inbox?t=" + strconv.FormatInt(id, 10)
	}
	v, err := h.paneView(r, s, id, ret)
	if err != nil {
		if errors.Is(err, ticket.ErrNotFound) || errors.Is(err, ticket.ErrForbidden) || id == 0 {
			http.NotFound(w, r)
			return
		}
		h.Log.Error("ui: ticket pane", "ticket", id, "err", err)
		http.Error(w, s.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	h.render(w, r, http.StatusOK, "ticket", "ticket", v)
}

// inboxWithPane shows the inbox at ret with pane (a ticket view with a
// form error, a held reply or an inserted canned reply) beside the list.
func (h *handler) inboxWithPane(w http.ResponseWriter, r *http.Request, s *session, status int, pane *view, ret string) {
	u, err := url.Parse(ret)
	if err != nil {
		h.errorPage(w, r, s.L, http.StatusBadRequest, "err.form")
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL = u
	r2.RequestURI = ret
	h.inboxPage(w, r2, s, status, pane)
}

// ticketFlash is the notice after a ticket action (?ok=).
func ticketFlash(l Localizer, ok string) string {
	switch ok {
	case "saved":
		return l.T("ticket.saved")
	case "sent":
		return l.T("ticket.sent")
	case "forwarded":
		return l.T("ticket.forwarded")
	case "merged":
		return l.T("ticket.merged_ok")
	case "retried":
		return l.T("ticket.retried")
	}
	return composeFlash(l, ok)
}

// hasRows reports whether the inbox page lists any ticket.
func hasRows(p *inboxPage) bool { return p != nil && len(p.Rows) > 0 }
