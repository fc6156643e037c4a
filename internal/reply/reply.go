package reply

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gmail "github.com/emersion/go-message/mail"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	ghtml "github.com/yuin/goldmark/renderer/html"

	"github.com/atende-helpdesk/atende/internal/model"
	"github.com/atende-helpdesk/atende/internal/thread"
)

// MaxReferences bounds the References header: the first entry (thread
// root) plus the newest ones.
const MaxReferences = 20

// Attachment is a file to attach.
type Attachment struct {
	Filename    string
	ContentType string
	Open        func() (io.ReadCloser, error)
}

// Input is everything a reply is made of.
type Input struct {
	Channel     *model.Channel
	Ticket      *model.Ticket
	CompanyName string
	Agent       *model.Agent // nil for automatic messages
	// Thread is the ticket's messages, oldest first (notes are ignored).
	Thread []model.Message
	// To, Cc, Bcc: nil means the default (To: the contact or the last
	// sender; Cc: everyone else on the thread minus our addresses).
	To, Cc, Bcc []model.Address
	Contact     model.Address // the ticket's contact
	Subject     string        // "" = "Re: " + ticket subject
	Markdown    string        // the agent's text
	Attachments []Attachment
	// Quote overrides the channel's "show quote in reply" when set.
	Quote *bool
	// SubjectTag adds "[#n]" to the subject; ReplyToken sets Reply-To to
	// the plus-address carrying the ticket's token.
	SubjectTag bool
	ReplyToken bool
	// Auto marks an automatic message (initial message / auto-reply).
	Auto bool
	// Language is the company's: quote header and image placeholder
	// ("pt-BR", the default, or "en").
	Language string
	// Location is the company's time zone for the quote header; nil = UTC.
	Location *time.Location
	// Inline are the inline images (cid:) of the quoted message (see
	// Quoted): a quoted image is carried again as a multipart/related
	// part with its Content-ID; one that is missing or cannot be read
	// becomes a "[imagem]" placeholder, never an internal URL.
	Inline []Inline
	Now    time.Time
	// MessageIDDomain is the right-hand side of our Message-IDs; "" =
	// the From address's domain.
	MessageIDDomain string
}

// Inline is an inline image of the quoted message.
type Inline struct {
	ContentID   string // without brackets
	ContentType string
	Filename    string
	// BlobKey is handed back in Output.Inline for the caller's own
	// attachment rows; Compose does not use it.
	BlobKey string
	Size    int64
	Open    func() (io.ReadCloser, error)
}

// MaxInlineBytes bounds the quoted images carried again in one reply;
// past it the remaining ones become placeholders.
const MaxInlineBytes = 10 << 20

// Output is the composed message.
type Output struct {
	Raw       []byte
	MessageID string // without brackets
	From      model.Address
	To, Cc    []model.Address
	Bcc       []model.Address // including the carbon-copy archive address
	Subject   string
	InReplyTo string
	Refs      []string
	Text      string
	// HTML is the body as the ticket view shows it: inline images point
	// to the message's cid/<id> URLs (the raw mail says cid:<id>).
	HTML string
	// Inline are the quoted images the raw mail carries (related parts).
	Inline []Inline
	// Embedded are the attachments the agent placed in the text
	// (![alt](attachment:name)): the raw mail carries them as related
	// parts under these Content-IDs instead of as attachments, and HTML
	// shows them through the message's cid/<id> URLs.
	Embedded []Embedded
	// Recipients is the SMTP envelope: To + Cc + Bcc, deduplicated.
	Recipients []string
}

// ErrInvalid wraps every input error (header injection, bad address...).
var ErrInvalid = errors.New("invalid reply")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Compose builds the message.
func Compose(in Input) (*Output, error) {
	if in.Channel == nil || in.Ticket == nil {
		return nil, invalid("channel and ticket are required")
	}
	if in.Now.IsZero() {
		// The caller's clock dates the message; reply never reads the wall clock.
		return nil, errors.New("reply: Input.Now is required")
	}
	from, err := fromAddress(in.Channel)
	if err != nil {
		return nil, err
	}
	out := &Output{From: from}
	ours := map[string]bool{}
	for _, a := range in.Channel.Addresses() {
		ours[a] = true
	}
	ours[model.NormalizeEmail(from.Address)] = true
	own := func(addr string) bool {
		a := model.NormalizeEmail(addr)
		return ours[a] || inboundOf(in.Channel, a)
	}

	// Recipients. Those chosen by the agent are checked (a clear error);
	// the defaults come from the thread, that is from customers' mail, and
	// an address no reply can go to is left out instead of making the
	// ticket unanswerable.
	last := lastInbound(in.Thread)
	if in.To != nil {
		out.To = in.To
	} else {
		to := model.Address{Name: model.OneLine(in.Contact.Name), Address: in.Contact.Address}
		if last != nil && !own(last.From.Address) && checkAddress(model.Address{Address: last.From.Address}) == nil {
			to = model.Address{Name: model.OneLine(last.From.Name), Address: last.From.Address}
		}
		if to.Address == "" {
			return nil, invalid("no recipient: the ticket has no contact address")
		}
		out.To = []model.Address{to}
	}
	if in.Cc != nil {
		out.Cc = in.Cc
	} else {
		out.Cc = defaultCc(in.Thread, out.To, own)
	}
	out.Bcc = append(out.Bcc, in.Bcc...)
	if cc := strings.TrimSpace(in.Channel.Settings.CarbonCopy); cc != "" {
		out.Bcc = append(out.Bcc, model.Address{Address: cc})
	}
	for _, list := range [][]model.Address{out.To, out.Cc, out.Bcc} {
		for _, a := range list {
			if err := checkAddress(a); err != nil {
				return nil, err
			}
		}
	}
	out.Recipients = envelope(out.To, out.Cc, out.Bcc)
	if len(out.Recipients) == 0 {
		return nil, invalid("no recipients")
	}

	// Subject. The ticket's comes from a customer's mail: made one line
	// (an agent's own subject with a line break is an error below).
	subject := in.Subject
	if subject == "" {
		subject = model.OneLine(in.Ticket.Subject)
		if !isReply(subject) {
			subject = "Re: " + subject
		}
	}
	if strings.ContainsAny(subject, "\r\n") {
		return nil, invalid("subject must be one line (it contains a line break)")
	}
	if in.SubjectTag {
		if tag := thread.SubjectTag(in.Ticket.Number); tag != "" && !strings.Contains(subject, tag) {
			subject = subject + " " + tag
		}
	}
	out.Subject = subject

	// Threading.
	if last := lastWithMessageID(in.Thread); last != nil {
		out.InReplyTo = last.MessageID
		out.Refs = boundRefs(append(append([]string{}, last.References...), last.MessageID))
	}
	domain := in.MessageIDDomain
	if domain == "" {
		_, domain, _ = strings.Cut(from.Address, "@")
	}
	out.MessageID = newMessageID(in.Now, domain)

	// Body.
	b, err := body(in, last, domain)
	if err != nil {
		return nil, err
	}
	out.Text, out.HTML = b.text, b.display
	for _, p := range b.parts {
		out.Inline = append(out.Inline, p.Inline)
	}
	for _, e := range b.embedded {
		out.Embedded = append(out.Embedded, e.Embedded)
	}

	raw, err := write(in, out, b)
	if err != nil {
		return nil, err
	}
	out.Raw = raw
	return out, nil
}

// isReply reports whether a subject already starts with a reply prefix.
func isReply(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	for _, p := range []string{"re:", "res:", "aw:", "sv:", "r:", "re :"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return false
}

func fromAddress(ch *model.Channel) (model.Address, error) {
	addr := ch.Settings.FromEmail
	if addr == "" {
		addr = ch.Settings.PrimaryEmail
	}
	if addr == "" {
		addr = ch.Settings.IMAP.Username
	}
	if addr == "" {
		return model.Address{}, invalid("the channel has no From address: set \"From email\" in the channel")
	}
	a := model.Address{Name: ch.Settings.FromName, Address: addr}
	if a.Name == "" {
		a.Name = model.OneLine(ch.Name)
	}
	return a, checkAddress(a)
}

// inboundOf reports whether addr is ch's inbound address
// (<company>-<token>@<inbound domain>, any +detail): mail a customer sent
// to it directly lists it as a recipient, and copying a reply there would
// hand the secret token to everyone on the thread and loop the reply back
// into the ticket.
func inboundOf(ch *model.Channel, addr string) bool {
	if ch.InboundToken == "" {
		return false
	}
	local, _, ok := strings.Cut(model.NormalizeEmail(addr), "@")
	if !ok {
		return false
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	return strings.HasSuffix(local, "-"+strings.ToLower(ch.InboundToken))
}

// checkAddress rejects header injection and malformed addresses.
func checkAddress(a model.Address) error {
	if strings.ContainsAny(a.Name, "\r\n") {
		return invalid("name %q must be one line", a.Name)
	}
	if strings.ContainsAny(a.Address, "\r\n\t <>,;\"") {
		return invalid("%q is not a valid email address", a.Address)
	}
	p, err := mail.ParseAddress(a.Address)
	if err != nil || p.Address != a.Address || !strings.Contains(a.Address, "@") {
		return invalid("%q is not a valid email address", a.Address)
	}
	// A domain literal (x@[127.0.0.1]) or a bare address as the domain
	// makes the relay deliver straight to that host, internal ones
	// included: mail goes to domains only.
	domain := a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	if strings.HasPrefix(domain, "[") || net.ParseIP(strings.Trim(domain, "[]")) != nil || !strings.Contains(domain, ".") {
		return invalid("%q is not a valid email address (mail goes to domain names, not to IP addresses)", a.Address)
	}
	return nil
}

func lastInbound(msgs []model.Message) *model.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction == model.DirIn {
			return &msgs[i]
		}
	}
	return nil
}

func lastWithMessageID(msgs []model.Message) *model.Message {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Direction != model.DirNote && msgs[i].MessageID != "" {
			return &msgs[i]
		}
	}
	return nil
}

// defaultCc keeps everyone who was on the thread (From, To, Cc of its
// mails) except our own addresses and the To recipients.
func defaultCc(msgs []model.Message, to []model.Address, own func(string) bool) []model.Address {
	skip := map[string]bool{}
	for _, a := range to {
		skip[model.NormalizeEmail(a.Address)] = true
	}
	var out []model.Address
	add := func(a model.Address) {
		k := model.NormalizeEmail(a.Address)
		if k == "" || skip[k] || own(k) || strings.HasSuffix(k, "@invalid") || !model.ValidEmail(k) || checkAddress(model.Address{Address: k}) != nil {
			return // never prefill a typo ("gerente@cliente") stored earlier, our own or an IP-literal address
		}
		skip[k] = true
		out = append(out, model.Address{Name: model.OneLine(a.Name), Address: k})
	}
	for _, m := range msgs {
		if m.Direction == model.DirNote {
			continue
		}
		add(m.From)
		for _, a := range m.To {
			add(a)
		}
		for _, a := range m.Cc {
			add(a)
		}
	}
	return out
}

func envelope(lists ...[]model.Address) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, a := range l {
			k := model.NormalizeEmail(a.Address)
			if k != "" && !seen[k] {
				seen[k] = true
				out = append(out, a.Address)
			}
		}
	}
	return out
}

// boundRefs keeps the thread root and the newest entries.
func boundRefs(refs []string) []string {
	var clean []string
	for _, r := range refs {
		if r = strings.TrimSpace(r); r != "" && !strings.ContainsAny(r, "\r\n<> ") {
			clean = append(clean, r)
		}
	}
	if len(clean) <= MaxReferences {
		return clean
	}
	return append([]string{clean[0]}, clean[len(clean)-MaxReferences+1:]...)
}

func newMessageID(now time.Time, domain string) string {
	return fmt.Sprintf("atende.%d.%s@%s", now.Unix(), randomToken(), domain)
}

// randomToken is 96 random bits in lower-case base32.
func randomToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// md renders the agent's Markdown; a single newline is a line break, as
// typed in the composer's text box.
var md = goldmark.New(goldmark.WithRendererOptions(ghtml.WithHardWraps()))

// sanitizer keeps the formatting an agent or a signature may use, and
// cid: sources of the quoted images carried again.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("style").OnElements("span", "p", "div")
	p.AllowURLSchemes("mailto", "http", "https", "cid")
	return p
}()

// composed is the body in its three forms and the images it carries.
type composed struct {
	text    string
	mail    string        // HTML of the raw mail (cid: sources)
	display string        // HTML for the ticket view (cid/<id> sources)
	parts   []relatedPart // quoted images
	// embedded are the agent's own images shown inline.
	embedded []embedded
}

type relatedPart struct {
	Inline
	data []byte
}

func body(in Input, last *model.Message, domain string) (*composed, error) {
	if strings.ContainsRune(in.Markdown, 0) {
		return nil, invalid("the message text contains a NUL byte")
	}
	var h bytes.Buffer
	if err := md.Convert([]byte(in.Markdown), &h); err != nil {
		return nil, fmt.Errorf("reply: render markdown: %w", err)
	}
	// The agent's images are described in the agent's language (the
	// company's when the agent has none set).
	lang := in.Language
	if in.Agent != nil && in.Agent.Language != "" {
		lang = in.Agent.Language
	}
	mailBody, displayBody, used, err := embedImages(bodySanitizer.Sanitize(h.String()), in, lang, domain)
	if err != nil {
		return nil, fmt.Errorf("reply: place images: %w", err)
	}
	c := &composed{text: strings.TrimRight(markdownText(in.Markdown, lang), "\n ") + "\n", embedded: used}

	if sig := signature(in); sig != "" {
		mailBody += `<div class="atende-signature">` + sig + `</div>`
		displayBody += `<div class="atende-signature">` + sig + `</div>`
		c.text += "\n-- \n" + SignatureText(sig) + "\n"
	}
	c.mail, c.display = mailBody, displayBody

	quote := in.Channel.Settings.ShowQuote
	if in.Quote != nil {
		quote = *in.Quote
	}
	if quote && last != nil && !in.Auto {
		header := quoteHeader(last, in.Language, in.Location)
		quoted := last.HTML
		if quoted == "" {
			quoted = "<pre>" + html.EscapeString(last.Text) + "</pre>"
		}
		mailQ, displayQ, parts := quoteImages(quoted, in.Inline, in.Language)
		c.parts = parts
		wrap := func(q string) string {
			return `<div class="atende_quote"><div>` + html.EscapeString(header) + `</div>` +
				`<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">` +
				sanitizer.Sanitize(q) + `</blockquote></div>`
		}
		c.mail += wrap(mailQ)
		c.display += wrap(displayQ)
		c.text += "\n" + header + "\n" + quoteText(last.Text)
	}
	return c, nil
}

// Quoted is the message a reply on this thread quotes: the newest one
// from outside (nil when there is none). Its inline images go in
// Input.Inline.
func Quoted(thread []model.Message) *model.Message { return lastInbound(thread) }

// signature picks the agent's personal signature over the channel's,
// fills its variables and returns it as safe HTML (SignatureHTML).
func signature(in Input) string {
	sig := in.Channel.Settings.Signature
	if in.Agent != nil && strings.TrimSpace(in.Agent.Signature) != "" {
		sig = in.Agent.Signature
	}
	if strings.TrimSpace(sig) == "" {
		return ""
	}
	agentName := ""
	if in.Agent != nil {
		agentName = in.Agent.Name
	}
	return SignatureHTML(sig, map[string]string{"agent.name": agentName, "ticket.number": fmt.Sprint(in.Ticket.Number),
		"channel.name": in.Channel.Name, "company.name": in.CompanyName})
}

// SignatureHTML turns a signature as an admin or agent typed it into the
// HTML every reply carries: its {{variables}} filled (HTML-escaped) and,
// unless it is laid out with block tags or <br> already, each line break
// kept as a <br> ("Equipe de Suporte\nLoja Exemplo\n(11) 4002-8922" is
// three lines in the mail, as in the composer's preview). The result is
// sanitized.
func SignatureHTML(sig string, vars map[string]string) string {
	sig = strings.ReplaceAll(strings.TrimSpace(sig), "\r\n", "\n")
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{{"+k+"}}", html.EscapeString(v))
	}
	sig = strings.NewReplacer(pairs...).Replace(sig)
	if !blockTagRE.MatchString(sig) {
		sig = strings.ReplaceAll(sig, "\n", "<br>\n")
	}
	return sanitizer.Sanitize(sig)
}

// SignatureText is the plain-text form of a signature's HTML: one line
// per <br>, paragraph or block.
func SignatureText(sigHTML string) string { return htmlToText(sigHTML) }

// blockTagRE finds tags that lay out lines themselves.
var blockTagRE = regexp.MustCompile(`(?i)<(br|p|div|table|tr|ul|ol|li|h[1-6]|blockquote|pre)[\s/>]`)

// quoteHeader introduces the quoted message, in the company's language
// and time zone.
func quoteHeader(m *model.Message, lang string, loc *time.Location) string {
	when := m.Date
	if when.IsZero() {
		when = m.CreatedAt
	}
	who := m.From.String()
	return fmt.Sprintf(Phrase(lang, "quote.wrote"), FormatDate(when, lang, loc), who)
}

func quoteText(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, ">") {
			b.WriteString(">" + line + "\n")
		} else if line == "" {
			b.WriteString(">\n")
		} else {
			b.WriteString("> " + line + "\n")
		}
	}
	return b.String()
}

func toMail(list []model.Address) []*gmail.Address {
	out := make([]*gmail.Address, 0, len(list))
	for _, a := range list {
		out = append(out, &gmail.Address{Name: a.Name, Address: a.Address})
	}
	return out
}

func write(in Input, out *Output, b *composed) ([]byte, error) {
	var h gmail.Header
	h.SetDate(in.Now)
	h.SetAddressList("From", []*gmail.Address{{Name: out.From.Name, Address: out.From.Address}})
	h.SetAddressList("To", toMail(out.To))
	if len(out.Cc) > 0 {
		h.SetAddressList("Cc", toMail(out.Cc))
	}
	h.SetSubject(out.Subject)
	h.SetMessageID(out.MessageID)
	if out.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{out.InReplyTo})
		h.SetMsgIDList("References", out.Refs)
	}
	if in.ReplyToken && in.Ticket.ReplyToken != "" {
		if rt, err := thread.PlusAddress(out.From.Address, in.Ticket.ReplyToken); err == nil {
			h.SetAddressList("Reply-To", []*gmail.Address{{Name: out.From.Name, Address: rt}})
		}
	}
	if in.Auto {
		h.Set("Auto-Submitted", "auto-replied")
		h.Set("X-Auto-Response-Suppress", "All")
		h.Set("Precedence", "auto_reply")
	}
	h.Set("X-Atende-Ticket", fmt.Sprint(in.Ticket.Number))
	h.Set("MIME-Version", "1.0")

	// mixed( related( alternative(text, html), inline images ),
	// attachments ), each level only when it has something to hold:
	// the quoted images and the agent's own (embedded) ones are the
	// related parts; an embedded attachment is not attached again.
	for _, a := range in.Attachments {
		if strings.ContainsAny(a.Filename, "\r\n") {
			return nil, invalid("attachment name %q must be one line", a.Filename)
		}
	}
	inlined := map[int]bool{}
	related := append([]relatedPart(nil), b.parts...)
	for _, e := range b.embedded {
		inlined[e.Index] = true
		related = append(related, e.part)
	}
	var attach []Attachment
	for i, a := range in.Attachments {
		if !inlined[i] {
			attach = append(attach, a)
		}
	}
	var buf bytes.Buffer
	root := h.Header
	switch {
	case len(attach) > 0:
		root.SetContentType("multipart/mixed", nil)
	case len(related) > 0:
		root.SetContentType("multipart/related", map[string]string{"type": "multipart/alternative"})
	default:
		root.SetContentType("multipart/alternative", nil)
	}
	w, err := message.CreateWriter(&buf, root)
	if err != nil {
		return nil, fmt.Errorf("reply: write headers: %w", err)
	}
	rel := w
	if len(attach) > 0 && len(related) > 0 {
		var rh message.Header
		rh.SetContentType("multipart/related", map[string]string{"type": "multipart/alternative"})
		if rel, err = w.CreatePart(rh); err != nil {
			return nil, err
		}
	}
	alt := rel
	if len(attach) > 0 || len(related) > 0 {
		var ah message.Header
		ah.SetContentType("multipart/alternative", nil)
		if alt, err = rel.CreatePart(ah); err != nil {
			return nil, err
		}
	}
	if err := leaf(alt, "text/plain", map[string]string{"charset": "utf-8"}, "quoted-printable", nil, []byte(out.Text)); err != nil {
		return nil, err
	}
	htmlDoc := []byte("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + b.mail + "</body></html>")
	if err := leaf(alt, "text/html", map[string]string{"charset": "utf-8"}, "quoted-printable", nil, htmlDoc); err != nil {
		return nil, err
	}
	if alt != rel {
		if err := alt.Close(); err != nil {
			return nil, err
		}
	}
	for _, p := range related {
		extra := map[string]string{"Content-ID": "<" + p.ContentID + ">"}
		params := map[string]string{}
		disp := "inline"
		if p.Filename != "" {
			params["name"] = p.Filename
			if disp = mime.FormatMediaType("inline", map[string]string{"filename": p.Filename}); disp == "" {
				disp = "inline"
			}
		}
		extra["Content-Disposition"] = disp
		if err := leaf(rel, p.ContentType, params, "base64", extra, p.data); err != nil {
			return nil, err
		}
	}
	if rel != w {
		if err := rel.Close(); err != nil {
			return nil, err
		}
	}
	for _, a := range attach {
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(extOf(a.Filename))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil {
			mt, params = "application/octet-stream", nil
		}
		if params == nil {
			params = map[string]string{}
		}
		delete(params, "charset")
		var ah message.Header
		ah.SetContentType(mt, params)
		ah.SetContentDisposition("attachment", map[string]string{"filename": a.Filename})
		ah.Set("Content-Transfer-Encoding", "base64")
		pw, err := w.CreatePart(ah)
		if err != nil {
			return nil, err
		}
		r, err := a.Open()
		if err != nil {
			return nil, fmt.Errorf("reply: open attachment %s: %w", a.Filename, err)
		}
		_, err = io.Copy(pw, r)
		r.Close()
		if cerr := pw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("reply: attach %s: %w", a.Filename, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// leaf writes one non-multipart part.
func leaf(parent *message.Writer, contentType string, params map[string]string, cte string, extra map[string]string, data []byte) error {
	var ph message.Header
	ph.SetContentType(contentType, params)
	ph.Set("Content-Transfer-Encoding", cte)
	for k, v := range extra {
		ph.Set(k, v)
	}
	pw, err := parent.CreatePart(ph)
	if err != nil {
		return fmt.Errorf("reply: write %s part: %w", contentType, err)
	}
	if _, err := pw.Write(data); err != nil {
		return fmt.Errorf("reply: write %s part: %w", contentType, err)
	}
	return pw.Close()
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// Message is the queued outbound row for this composed message on ticket
// tk, its raw bytes stored under rawKey; callers add flags or meta.
func (o *Output) Message(tk *model.Ticket, authorID int64, rawKey string, size int64, at time.Time) *model.Message {
	at = at.UTC()
	return &model.Message{CompanyID: tk.CompanyID, TicketID: tk.ID, ChannelID: tk.ChannelID, Direction: model.DirOut,
		Status: model.MsgQueued, AuthorID: authorID, From: o.From, To: o.To, Cc: o.Cc, Bcc: o.Bcc, Subject: o.Subject,
		MessageID: o.MessageID, InReplyTo: o.InReplyTo, References: o.Refs, Date: at, Text: o.Text, HTML: o.HTML,
		ReplyText: o.Text, RawKey: rawKey, Size: size, CreatedAt: at}
}
