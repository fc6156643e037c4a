package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/atende-helpdesk/atende/internal/auth"
	"github.com/atende-helpdesk/atende/internal/clock"
	"github.com/atende-helpdesk/atende/internal/directory"
	"github.com/atende-helpdesk/atende/internal/identity"
	"github.com/atende-helpdesk/atende/internal/inbound/imapsync"
	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/outbound/signing"
	"github.com/atende-helpdesk/atende/internal/outbox"
	"github.com/atende-helpdesk/atende/internal/secrets"
	"github.com/atende-helpdesk/atende/internal/store"
	"github.com/atende-helpdesk/atende/internal/ticket"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps is what the UI needs. Live updates come from the API's event
// stream (GET /api/v1/events), so the UI itself needs no hub.
type Deps struct {
	Log       *slog.Logger
	Store     store.Store // contacts for the inbox rows
	Auth      *auth.HTTP
	Directory *directory.Service
	Tickets   *ticket.Service
	// Blobs serves attachments and inline (cid:) images; nil lists
	// attachments without download links.
	Blobs Blobs

	// Menu Canais (channels.go); nil fields disable what they serve.
	// Secrets seals the channel form's passwords.
	Secrets *secrets.Box
	// InboundDomain is the domain of internal channels' inbound addresses.
	InboundDomain string
	// ChannelChanged is called after a channel or its rule was saved.
	ChannelChanged func(ctx context.Context)
	// CheckConnection runs "Testar conexão" (like api.Deps.CheckConnection).
	CheckConnection func(ctx context.Context, s model.ChannelSettings, imapPassword, smtpPassword string, o imapsync.CheckOptions) *imapsync.CheckReport
	// SendingStatus is a channel's outbound status line on the channel list.
	SendingStatus func(ctx context.Context, ch *model.Channel) (outbox.Status, error)
	// RegenerateAddress gives an internal channel a new inbound token and
	// returns its new inbound address (like api.Deps.RegenerateAddress);
	// nil hides the "Gerar novo endereço" button.
	RegenerateAddress func(ctx context.Context, companyID, channelID int64) (string, error)
	// OAuthProviders lists the providers with a configured OAuth client
	// ("google", "microsoft"): the form links to their OAuth start.
	OAuthProviders []string
	// OAuth keeps the OAuth connections that signed in as another account
	// than the channel's (oauth.Tokens): the channel form shows them and
	// applies or drops them on save; nil shows none.
	OAuth OAuthConnections
	// Clock is the program's clock ("hoje 14:05" is relative to it); nil
	// = the system clock.
	Clock clock.Clock
	// Hosts refuses webhook URLs and mailbox servers on internal networks
	// (netguard.Guard); nil skips the check.
	Hosts directory.HostChecker
	// Identities are the domains and addresses the company verifies
	// (Administração → Domínios e endereços); nil hides the page and the
	// verification state of channel addresses.
	Identities *identity.Service
	// SendingDNS lists the DKIM/SPF records of a sending domain with what
	// the resolver finds (the channel page, the internal connection test).
	SendingDNS func(ctx context.Context, companyID int64, domain string) ([]signing.RecordStatus, error)
	// CheckRelay connects to the relay and authenticates (internal
	// channels' "Testar conexão"); nil: no relay configured.
	CheckRelay func(ctx context.Context) error
	// SystemMail queues Atende's own mail to agents (password reset
	// links); nil: the form still answers, nothing is mailed.
	SystemMail SystemMailer
	// BaseURL is the public URL links in mail start with ("" = the
	// request's origin).
	BaseURL string
	// ViewCounts keeps the inbox's view counts per company between
	// changes (counts.go); nil counts them on every page view. Set it only
	// with its Changed calls wired to every ticket change.
	ViewCounts *ViewCounts
}

// UploadRoutes are the UI routes that take files (the server's body
// limit is larger there; see package edge). A new route with file
// inputs belongs here.
var UploadRoutes = []string{"POST /tickets/{id}/replies", "POST /tickets/{id}/forwards"}

// PageCSP is the Content-Security-Policy of every UI page.
const PageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// FrameCSP is the Content-Security-Policy of a message body document.
const FrameCSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"

// frameCSPImages is FrameCSP after the agent asked to show remote images.
const frameCSPImages = "default-src 'none'; img-src 'self' data: http: https:; style-src 'unsafe-inline'"

// formCookie carries the double-submit CSRF token of the forms shown
// before a session exists (setup, login).
const formCookie = "atende_form"

// companyCookie remembers the company slug of the last login.
const companyCookie = "atende_company"

type handler struct {
	Deps
	pages   map[string]*template.Template
	version string // static asset version, for cache busting
}

// New returns the UI handler. It serves every path except /api/, which
// answers 404 here: mount it next to the API handler, e.g. with Combine.
func New(d Deps) http.Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	h := &handler{Deps: d, pages: map[string]*template.Template{}, version: assetVersion()}
	funcs := template.FuncMap{"itoa": itoa, "static": func(name string) string { return "/static/" + name + "?v=" + h.version },
		"addr": breakableAddress, "languages": langOptions}
	for _, p := range []string{"setup", "login", "inbox", "ticket", "error", "me", "contact", "canned"} {
		files := []string{"templates/layout.html", "templates/" + p + ".html"}
		if p == "inbox" {
			files = append(files, "templates/inbox_list.html", "templates/inbox_bulk.html", "templates/ticket_view.html", "templates/ticket_snooze.html")
		}
		if p == "ticket" {
			files = append(files, "templates/ticket_view.html", "templates/ticket_snooze.html")
		}
		h.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(templateFS, files...))
	}
	h.parseAdminPages(funcs)
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))

	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("GET /setup", h.setupPage)
	mux.HandleFunc("POST /setup", h.setupSubmit)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.loginSubmit)
	mux.HandleFunc("POST /logout", h.agent(h.logout))
	mux.HandleFunc("POST /me/language", h.agent(h.setLanguage))
	h.meRoutes(mux)
	mux.HandleFunc("GET /inbox", h.agent(h.inbox))
	mux.HandleFunc("GET /inbox/list", h.part(h.inboxList))
	mux.HandleFunc("POST /inbox/bulk", h.agent(h.bulk))
	mux.HandleFunc("GET /tickets/{id}", h.agent(h.ticketPage))
	mux.HandleFunc("GET /tickets/{id}/messages/{mid}/body", h.part(h.messageBody))
	if d.Blobs != nil {
		mux.HandleFunc("GET /tickets/{id}/attachments/{aid}", h.part(h.attachment))
		mux.HandleFunc("GET /tickets/{id}/attachments/{aid}/view", h.part(h.viewAttachment))
		mux.HandleFunc("GET /tickets/{id}/messages/{mid}/cid/{cid}", h.part(h.inlineImage))
		mux.HandleFunc("GET /tickets/{id}/messages/{mid}/raw", h.part(h.rawMessage))
	}
	mux.HandleFunc("POST /tickets/{id}/notes", h.agent(h.addNote))
	// Attachments are limited to ticket.MaxAttachmentBytes; the body limit
	// (a little more for the other fields) stops a huge upload before the
	// CSRF check parses the form into temporary files.
	mux.Handle("POST /tickets/{id}/replies", http.MaxBytesHandler(http.HandlerFunc(h.agent(h.reply)), ticket.MaxAttachmentBytes+1<<20))
	mux.HandleFunc("POST /tickets/{id}/forwards", h.agent(h.forward))
	mux.HandleFunc("POST /tickets/{id}/merge", h.agent(h.merge))
	mux.HandleFunc("POST /tickets/{id}/status", h.agent(h.setStatus))
	mux.HandleFunc("POST /tickets/{id}/snooze", h.agent(h.snooze))
	mux.HandleFunc("POST /tickets/{id}/assign", h.agent(h.assign))
	mux.HandleFunc("POST /tickets/{id}/details", h.agent(h.setDetails))
	mux.HandleFunc("POST /tickets/{id}/messages/{mid}/retry", h.agent(h.retry))
	mux.HandleFunc("GET /tickets/{id}/presence", h.part(h.presence))
	mux.HandleFunc("POST /tickets/{id}/presence", h.part(h.presence))
	mux.HandleFunc("GET /contacts/{id}", h.agent(h.contactPage))
	mux.HandleFunc("POST /contacts/{id}/name", h.agent(h.renameContact))
	h.composeRoutes(mux)
	h.channelRoutes(mux, funcs)
	h.passwordRoutes(mux, funcs)
	h.reportRoutes(mux, funcs)
	h.adminRoutes(mux)
	mux.HandleFunc("/", h.notFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			http.NotFound(w, r)
			return
		}
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		mux.ServeHTTP(w, r)
	})
}

// APIPaths are the path patterns the API handler (internal/web/api)
// serves outside the UI: the REST API, the probes and the OAuth redirect.
var APIPaths = []string{"/api/", "/healthz", "/readyz", "/oauth/"}

// Combine serves the API handler on APIPaths and the UI handler on
// everything else, from one handler.
func Combine(apiHandler, uiHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, p := range APIPaths {
		mux.Handle(p, apiHandler)
	}
	mux.Handle("/", uiHandler)
	return mux
}

func assetVersion() string {
	sum := sha256.New()
	fs.WalkDir(staticFS, "static", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := staticFS.ReadFile(path)
			sum.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(sum.Sum(nil))[:12]
}

// view is what every template gets.
type view struct {
	L      Localizer
	Title  string
	Me     *auth.Principal
	CSRF   string
	Flash  string
	Error  string
	Errors map[string]string // translated field errors by field name
	Form   map[string]string // submitted values to show again
	Body   string            // body class
	// AdminUnread is the admins' unread notice count (nav badge).
	AdminUnread int
	// SaveZone asks the page's script to save the browser's time zone
	// (the agent has none yet).
	SaveZone bool
	Page     any
	// Bulk is the inbox's bulk-action bar (bulk.go).
	Bulk *bulkBar
	// Snooze is the ticket page's "Adiar" box (snooze.go).
	Snooze *snoozeView
	// Pane is the ticket shown beside the inbox list (split.go); in that
	// ticket's view, Return is the inbox URL its forms come back to and
	// Close the inbox without the pane.
	Pane          *view
	Return, Close string
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, page, tmpl string, v *view) {
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	var buf bytes.Buffer
	if err := h.pages[page].ExecuteTemplate(&buf, tmpl, v); err != nil {
		h.Log.Error("ui: render", "page", page, "err", err)
		http.Error(w, v.L.T("err.internal"), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", PageCSP)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Language", v.L.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (h *handler) errorPage(w http.ResponseWriter, r *http.Request, l Localizer, status int, key string) {
	h.render(w, r, status, "error", "layout", &view{L: l, Title: l.T("err.title"), Error: l.T(key)})
}

// notFound is the 404 page; a logged-in agent keeps the navigation.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	if p, err := h.Auth.Authenticate(r); err == nil {
		if s, err := h.newSession(r, p); err == nil {
			v := s.view(s.L.T("err.title"))
			v.Error = s.L.T("err.not_found")
			v.Page = notFoundPage{Hint: true}
			h.render(w, r, http.StatusNotFound, "error", "layout", v)
			return
		}
	}
	h.errorPage(w, r, Localizer{pickLanguage("", r)}, http.StatusNotFound, "err.not_found")
}

// breakableAddress renders an email address that may wrap before "@" and
// after each dot, and nowhere inside a word.
func breakableAddress(a string) template.HTML {
	var b strings.Builder
	for i, r := range a {
		if r == '@' && i > 0 {
			b.WriteString("<wbr>")
		}
		b.WriteString(template.HTMLEscapeString(string(r)))
		if r == '.' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// notFoundPage adds the way back to the 404 page.
type notFoundPage struct{ Hint bool }

// session is an authenticated page request.
type session struct {
	P     *auth.Principal
	Agent *model.Agent
	L     Localizer
	// Loc is the agent's time zone (the company's while the agent has
	// none); Now is the program's clock.
	Loc *time.Location
	Now func() time.Time
	// Unread counts the company's unread admin notices (admins only).
	Unread int
}

func (s *session) actor() ticket.Actor {
	return ticket.Actor{CompanyID: s.P.CompanyID, AgentID: s.P.AgentID, Admin: s.P.IsAdmin(), TeamIDs: s.P.TeamIDs}
}

// when renders t in the agent's zone (see stamp).
func (s *session) when(t time.Time) stamp { return when(s.L, t, s.Now(), s.Loc) }

func (s *session) view(title string) *view {
	v := &view{L: s.L, Title: title, Me: s.P, AdminUnread: s.Unread, SaveZone: s.Agent != nil && s.Agent.TimeZone == ""}
	if s.P.Session != nil {
		v.CSRF = s.P.Session.CSRFToken
	}
	return v
}

// agent guards a page: a logged-in agent (else the login page) and, for
// unsafe methods, the session's CSRF token.
func (h *handler) agent(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return h.guard(false, fn)
}

// part guards what a page loads (list fragment, frame, files): like agent,
// but 401 instead of a redirect to the login page.
func (h *handler) part(fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return h.guard(true, fn)
}

func (h *handler) guard(part bool, fn func(w http.ResponseWriter, r *http.Request, s *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := h.Auth.Authenticate(r)
		if err != nil {
			if !errors.Is(err, auth.ErrUnauthenticated) {
				h.Log.Error("ui: authenticate", "err", err)
			}
			if r.Method == http.MethodGet && !part {
				http.Redirect(w, r, "/login?next="+urlEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			h.errorPage(w, r, Localizer{pickLanguage("", r)}, http.StatusUnauthorized, "err.forbidden")
			return
		}
		s, err := h.newSession(r, p)
		if err != nil {
			h.Log.Error("ui: load agent", "agent", p.AgentID, "err", err)
			h.errorPage(w, r, Localizer{pickLanguage("", r)}, http.StatusInternalServerError, "err.internal")
			return
		}
		if err := auth.CheckCSRF(r, p); err != nil {
			h.errorPage(w, r, s.L, http.StatusForbidden, "err.csrf")
			return
		}
		fn(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), s)
	}
}

// newSession loads the agent (language, time zone) behind principal p.
func (h *handler) newSession(r *http.Request, p *auth.Principal) (*session, error) {
	a, err := h.Directory.GetAgent(r.Context(), p.CompanyID, p.AgentID)
	if err != nil {
		return nil, err
	}
	s := &session{P: p, Agent: a, L: Localizer{pickLanguage(a.Language, r)}, Loc: time.UTC, Now: h.Clock.Now}
	if a.TimeZone != "" {
		s.Loc = model.LoadLocation(a.TimeZone)
	} else if h.Store != nil {
		if co, err := h.Store.GetCompany(r.Context(), p.CompanyID); err == nil {
			s.Loc = co.Location()
		}
	}
	if p.IsAdmin() && h.Store != nil {
		s.Unread, _ = h.Store.CountUnreadNotices(r.Context(), p.CompanyID) // badge only: 0 on error
	}
	return s, nil
}

// formToken returns the pre-session CSRF token, setting its cookie when
// the browser has none.
func (h *handler) formToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(formCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: h.Auth.Secure(r), MaxAge: int((12 * time.Hour).Seconds())})
	return tok
}

// checkFormToken verifies a pre-session form: same origin, and the form
// field equal to the cookie.
func checkFormToken(r *http.Request) bool {
	if auth.CheckOrigin(r) != nil {
		return false
	}
	c, err := r.Cookie(formCookie)
	if err != nil || c.Value == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(auth.CSRFField))) == 1
}

func (h *handler) root(w http.ResponseWriter, r *http.Request) {
	need, err := h.Directory.NeedsSetup(r.Context())
	if err != nil {
		h.Log.Error("ui: needs setup", "err", err)
		h.errorPage(w, r, Localizer{pickLanguage("", r)}, http.StatusInternalServerError, "err.internal")
		return
	}
	switch {
	case need:
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
	case auth.SessionToken(r) != "":
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}
