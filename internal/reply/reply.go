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
	"strings"
	"time"

	gmail "github.com/emersion/go-message/mail"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"

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
	Auto     bool
	Language string // "pt-BR" (default) or "en": quote header language
	Now      time.Time
	// MessageIDDomain is the right-hand side of our Message-IDs; "" =
	// the From address's domain.
	MessageIDDomain string
}

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
	HTML      string
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
	textBody, htmlBody, err := body(in, last)
	if err != nil {
		return nil, err
	}
	out.Text, out.HTML = textBody, htmlBody

	raw, err := write(in, out)
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
		if k == "" || skip[k] || own(k) || strings.HasSuffix(k, "@invalid") || checkAddress(model.Address{Address: k}) != nil {
			return
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
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("atende.%d.%s@%s", now.Unix(),
		strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])), domain)
}

var md = goldmark.New()

// sanitizer keeps the formatting an agent or a signature may use.
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("style").OnElements("span", "p", "div")
	return p
}()

func body(in Input, last *model.Message) (string, string, error) {
	if strings.ContainsRune(in.Markdown, 0) {
		return "", "", invalid("the message text contains a NUL byte")
	}
	var h bytes.Buffer
	if err := md.Convert([]byte(in.Markdown), &h); err != nil {
		return "", "", fmt.Errorf("reply: render markdown: %w", err)
	}
	htmlBody := sanitizer.Sanitize(h.String())
	textBody := strings.TrimRight(in.Markdown, "\n ") + "\n"

	sig := signature(in)
	if sig != "" {
		htmlBody += `<div class="atende-signature">` + sanitizer.Sanitize(sig) + `</div>`
		textBody += "\n-- \n" + htmlToText(sig) + "\n"
	}

	quote := in.Channel.Settings.ShowQuote
	if in.Quote != nil {
		quote = *in.Quote
	}
	if quote && last != nil && !in.Auto {
		header := quoteHeader(last, in.Language)
		quoted := last.HTML
		if quoted == "" {
			quoted = "<pre>" + html.EscapeString(last.Text) + "</pre>"
		}
		htmlBody += `<div class="atende_quote"><div>` + html.EscapeString(header) + `</div>` +
			`<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">` +
			sanitizer.Sanitize(quoted) + `</blockquote></div>`
		textBody += "\n" + header + "\n" + quoteText(last.Text)
	}
	return textBody, htmlBody, nil
}

// signature picks the agent's personal signature over the channel's and
// fills its variables.
func signature(in Input) string {
	sig := in.Channel.Settings.Signature
	if in.Agent != nil && strings.TrimSpace(in.Agent.Signature) != "" {
		sig = in.Agent.Signature
	}
	if sig == "" {
		return ""
	}
	agentName := ""
	if in.Agent != nil {
		agentName = in.Agent.Name
	}
	r := strings.NewReplacer(
		"{{agent.name}}", html.EscapeString(agentName),
		"{{ticket.number}}", fmt.Sprint(in.Ticket.Number),
		"{{channel.name}}", html.EscapeString(in.Channel.Name),
		"{{company.name}}", html.EscapeString(in.CompanyName),
	)
	return r.Replace(sig)
}

func quoteHeader(m *model.Message, lang string) string {
	when := m.Date
	if when.IsZero() {
		when = m.CreatedAt
	}
	who := m.From.String()
	if lang == "en" {
		return fmt.Sprintf("On %s, %s wrote:", when.Format("Mon, Jan 2, 2006 at 15:04"), who)
	}
	return fmt.Sprintf("Em %s, %s escreveu:", when.Format("02/01/2006 15:04"), who)
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

func write(in Input, out *Output) ([]byte, error) {
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

	var buf bytes.Buffer
	var textW, htmlW io.WriteCloser
	var mw *gmail.Writer
	var iw *gmail.InlineWriter
	var err error
	if len(in.Attachments) > 0 {
		mw, err = gmail.CreateWriter(&buf, h)
		if err == nil {
			iw, err = mw.CreateInline()
		}
	} else {
		iw, err = gmail.CreateInlineWriter(&buf, h)
	}
	if err != nil {
		return nil, fmt.Errorf("reply: write headers: %w", err)
	}
	var th, hh gmail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	hh.Set("Content-Type", "text/html; charset=utf-8")
	if textW, err = iw.CreatePart(th); err != nil {
		return nil, err
	}
	io.WriteString(textW, out.Text)
	textW.Close()
	if htmlW, err = iw.CreatePart(hh); err != nil {
		return nil, err
	}
	io.WriteString(htmlW, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"+out.HTML+"</body></html>")
	htmlW.Close()
	if err := iw.Close(); err != nil {
		return nil, err
	}
	for _, a := range in.Attachments {
		if strings.ContainsAny(a.Filename, "\r\n") {
			return nil, invalid("attachment name %q must be one line", a.Filename)
		}
		var ah gmail.AttachmentHeader
		ct := a.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(extOf(a.Filename))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		ah.Set("Content-Type", ct)
		ah.SetFilename(a.Filename)
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, err
		}
		r, err := a.Open()
		if err != nil {
			return nil, fmt.Errorf("reply: open attachment %s: %w", a.Filename, err)
		}
		_, err = io.Copy(w, r)
		r.Close()
		w.Close()
		if err != nil {
			return nil, fmt.Errorf("reply: attach %s: %w", a.Filename, err)
		}
	}
	if mw != nil {
		if err := mw.Close(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
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
