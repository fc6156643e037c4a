package smtpin

import (
	"io"
	"net/mail"
	"net/url"
	"regexp"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// Confirmation is a provider's forwarding-confirmation mail, recognised so
// it becomes a notice for the channel's admins instead of a ticket.
type Confirmation struct {
	Provider  string // "gmail"
	Requester string // the mailbox that asked to forward here
	Code      string
	Link      string // https link that confirms; "" when none found
}

// gmailSender is the only sender of Gmail forwarding confirmations.
const gmailSender = "forwarding-noreply@google.com"

var (
	subjectCode  = regexp.MustCompile(`\(#(\d{5,20})\)`)
	bodyCode     = regexp.MustCompile(`(?i)(?:confirmation code|c[óo]digo de confirma[çc][ãa]o|c[óo]digo de confirmaci[óo]n)\s*:?\s*(\d{5,20})`)
	gmailLink    = regexp.MustCompile(`https://(?:mail-settings\.google\.com|mail\.google\.com|isolated\.mail\.google\.com)/mail/[^\s"'<>]+`)
	addrInString = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
)

// maxNoticeText bounds how much body text is scanned.
const maxNoticeText = 256 << 10

// isConfirmationCandidate is the cheap header test done for every message.
func isConfirmationCandidate(hdr textproto.Header) bool {
	from, err := mail.ParseAddress(hdr.Get("From"))
	return err == nil && strings.EqualFold(from.Address, gmailSender)
}

// parseConfirmation extracts code, link and requester from a candidate
// (header already read from the same message in msg). ok is false when the
// mail is not a forwarding confirmation after all.
func parseConfirmation(msg io.Reader) (c Confirmation, ok bool) {
	e, err := message.Read(msg)
	if e == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
		return c, false
	}
	subject, _ := e.Header.Text("Subject")
	if m := subjectCode.FindStringSubmatch(subject); m != nil {
		c.Code = m[1]
	}
	if as := addrInString.FindAllString(subject, -1); len(as) > 0 {
		c.Requester = strings.ToLower(as[len(as)-1])
	}
	var text strings.Builder
	_ = e.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) {
			return nil
		}
		mt, _, _ := part.Header.ContentType()
		if !strings.HasPrefix(mt, "text/") && mt != "" || text.Len() >= maxNoticeText {
			return nil
		}
		b, _ := io.ReadAll(io.LimitReader(part.Body, int64(maxNoticeText-text.Len())))
		text.Write(b)
		text.WriteByte('\n')
		return nil
	})
	body := text.String()
	if c.Code == "" {
		if m := bodyCode.FindStringSubmatch(body); m != nil {
			c.Code = m[1]
		}
	}
	for _, l := range gmailLink.FindAllString(body, -1) {
		l = strings.TrimRight(l, ".,;)")
		u, err := url.Parse(l)
		if err == nil && u.Scheme == "https" && strings.Contains(u.EscapedPath(), "/vf-") {
			c.Link = l
			break
		}
	}
	if c.Requester == "" {
		if as := addrInString.FindAllString(body, 1); len(as) > 0 {
			c.Requester = strings.ToLower(as[0])
		}
	}
	if c.Code == "" && c.Link == "" {
		return c, false
	}
	c.Provider = "gmail"
	return c, true
}

// noticeMessage is the notice's message key and parameters: the UI and
// the API show it in the reader's language.
func (c Confirmation) noticeMessage(channelName string) (key string, params map[string]string) {
	if c.Requester == "" {
		return "notice.forwarding_confirmation_anon", map[string]string{"channel": channelName}
	}
	return "notice.forwarding_confirmation", map[string]string{"requester": c.Requester, "channel": channelName}
}

// title and body of the notice as stored (Portuguese, the product's
// default language): shown where the message key is unknown.
func (c Confirmation) noticeText(channelName string) (title, body string) {
	who := c.Requester
	if who == "" {
		who = "uma conta Gmail"
	}
	title = "Confirme o encaminhamento do Gmail de " + who
	body = who + " pediu para encaminhar e-mails ao canal «" + channelName + "». " +
		"Para concluir, abra o link de confirmação ou digite o código nas configurações do Gmail " +
		"(Configurações → Encaminhamento e POP/IMAP)."
	return title, body
}
