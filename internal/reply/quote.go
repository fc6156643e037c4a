package reply

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/atende-helpdesk/atende/internal/model"
)

// phrases are the few words Atende writes into customers' mail, in the
// company's language.
var phrases = map[string]map[string]string{
	"pt-BR": {
		"quote.wrote":   "Em %s, %s escreveu:",
		"image":         "[imagem]",
		"image.alt":     "[imagem: %s]",
		"fwd.separator": "---------- Mensagem encaminhada ----------",
		"fwd.ticket":    "Atendimento #%d: %s",
		"fwd.from":      "De",
		"fwd.date":      "Data",
		"fwd.to":        "Para",
		"fwd.cc":        "Cc",
		"fwd.subject":   "Assunto",
	},
	"en": {
		"quote.wrote":   "On %s, %s wrote:",
		"image":         "[image]",
		"image.alt":     "[image: %s]",
		"fwd.separator": "---------- Forwarded message ----------",
		"fwd.ticket":    "Ticket #%d: %s",
		"fwd.from":      "From",
		"fwd.date":      "Date",
		"fwd.to":        "To",
		"fwd.cc":        "Cc",
		"fwd.subject":   "Subject",
	},
}

// Phrase is one of Atende's customer-facing phrases in lang ("pt-BR" for
// anything but "en").
func Phrase(lang, key string) string {
	if lang != "en" {
		lang = "pt-BR"
	}
	return phrases[lang][key]
}

var (
	ptWeekdays = []string{"dom.", "seg.", "ter.", "qua.", "qui.", "sex.", "sáb."}
	ptMonths   = []string{"jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.", "dez."}
)

// FormatDate is the short date of a quote header in lang and loc (nil =
// UTC): "05/06/2024 10:00" or "Wed, Jun 5, 2024 at 10:00".
func FormatDate(t time.Time, lang string, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if lang == "en" {
		return t.Format("Mon, Jan 2, 2006 at 15:04")
	}
	return t.Format("02/01/2006 15:04")
}

// FormatDateLong is a forward header's date with its UTC offset:
// "qua., 5 de jun. de 2024 10:00 -0300" or "Wed, Jun 5, 2024 10:00 -0300".
func FormatDateLong(t time.Time, lang string, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if lang == "en" {
		return t.Format("Mon, Jan 2, 2006 15:04 -0700")
	}
	return fmt.Sprintf("%s, %d de %s de %d %s", strings.TrimSuffix(ptWeekdays[t.Weekday()], "."), t.Day(), ptMonths[t.Month()-1],
		t.Year(), t.Format("15:04 -0700"))
}

// ForwardedText renders a ticket's correspondence (notes excluded),
// oldest first, as the plain text a forward carries, in the company's
// language and time zone.
func ForwardedText(t *model.Ticket, msgs []model.Message, lang string, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, Phrase(lang, "fwd.ticket")+"\n", t.Number, t.Subject)
	list := func(as []model.Address) string {
		out := make([]string, len(as))
		for i, x := range as {
			out[i] = x.String()
		}
		return strings.Join(out, ", ")
	}
	for _, m := range msgs {
		if m.Direction == model.DirNote {
			continue
		}
		when := m.Date
		if when.IsZero() {
			when = m.CreatedAt
		}
		fmt.Fprintf(&b, "\n%s: %s\n%s: %s\n", Phrase(lang, "fwd.from"), m.From.String(), Phrase(lang, "fwd.date"), FormatDateLong(when, lang, loc))
		if len(m.To) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", Phrase(lang, "fwd.to"), list(m.To))
		}
		if len(m.Cc) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", Phrase(lang, "fwd.cc"), list(m.Cc))
		}
		subject := m.Subject
		if subject == "" {
			subject = t.Subject
		}
		fmt.Fprintf(&b, "%s: %s\n\n%s\n", Phrase(lang, "fwd.subject"), subject, strings.TrimSpace(m.Text))
	}
	return b.String()
}

// ForwardSeparator is the line between the agent's note and the
// forwarded correspondence.
func ForwardSeparator(lang string) string { return Phrase(lang, "fwd.separator") }

// quoteImages prepares a stored message's HTML for quoting: each inline
// image (the ticket view's cid/<id> URL, a cid: source or an unresolved
// data-cid) is carried again as a related part when the caller gave its
// bytes, else it becomes a placeholder; remote images get their original
// URL back; anything else that would be an internal or relative URL
// becomes a placeholder. It returns the HTML of the raw mail (cid:
// sources), the HTML for the ticket view (cid/<id> sources) and the
// parts used, in order.
func quoteImages(quoted string, inline []Inline, lang string) (mailHTML, displayHTML string, parts []relatedPart) {
	if !strings.Contains(strings.ToLower(quoted), "<img") {
		return quoted, quoted, nil
	}
	byCID := map[string]int{}
	for i, in := range inline {
		if id := strings.Trim(in.ContentID, "<> "); id != "" {
			if _, dup := byCID[id]; !dup {
				byCID[id] = i
			}
		}
	}
	loaded := map[string]*relatedPart{} // nil value = unavailable
	var total int
	load := func(cid string) *relatedPart {
		if p, seen := loaded[cid]; seen {
			return p
		}
		loaded[cid] = nil
		i, ok := byCID[cid]
		if !ok || inline[i].Open == nil {
			return nil
		}
		data, ok := readWithin(inline[i].Open, MaxInlineBytes-total)
		if !ok {
			return nil
		}
		total += len(data)
		p := &relatedPart{Inline: inline[i], data: data}
		p.ContentID = cid
		if p.ContentType == "" {
			p.ContentType = "application/octet-stream"
		}
		loaded[cid] = p
		parts = append(parts, *p)
		return p
	}
	mailHTML, err1 := rewriteImages(quoted, lang, func(cid string) string {
		if load(cid) == nil {
			return ""
		}
		return "cid:" + cid
	})
	displayHTML, err2 := rewriteImages(quoted, lang, func(cid string) string {
		if load(cid) == nil {
			return ""
		}
		return "cid/" + url.PathEscape(cid)
	})
	if err1 != nil || err2 != nil {
		// Unparseable: quote the text only, never a broken reference.
		t := html.EscapeString(htmlToText(quoted))
		return "<pre>" + t + "</pre>", "<pre>" + t + "</pre>", nil
	}
	return mailHTML, displayHTML, parts
}

// rewriteImages rewrites every <img> of s: src for an inline image is
// src(cid) ("" = unavailable: placeholder).
func rewriteImages(s, lang string, src func(cid string) string) (string, error) {
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
	if err != nil {
		return "", err
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode && c.DataAtom == atom.Img {
				if text, ok := rewriteImg(c, lang, src); !ok {
					n.InsertBefore(&html.Node{Type: html.TextNode, Data: text}, c)
					n.RemoveChild(c)
				}
			} else {
				walk(c)
			}
			c = next
		}
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	walk(root)
	var b strings.Builder
	for c := root.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// rewriteImg fixes one image; false means "replace it with text".
func rewriteImg(n *html.Node, lang string, src func(string) string) (string, bool) {
	var cur, remote, dataCID, alt string
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		switch a.Key {
		case "src":
			cur = strings.TrimSpace(a.Val)
		case "data-remote-src":
			remote = strings.TrimSpace(a.Val)
		case "data-cid":
			dataCID = a.Val
		case "alt":
			alt = strings.TrimSpace(a.Val)
			kept = append(kept, a)
		default:
			kept = append(kept, a)
		}
	}
	n.Attr = kept
	placeholder := Phrase(lang, "image")
	if alt != "" {
		placeholder = fmt.Sprintf(Phrase(lang, "image.alt"), alt)
	}
	lower := strings.ToLower(cur)
	cid := ""
	switch {
	case strings.HasPrefix(lower, "cid:"):
		cid = cur[4:]
	case strings.HasPrefix(cur, "cid/"):
		cid = cur[4:]
	case dataCID != "" && cur == "":
		cid = dataCID
	}
	if cid != "" {
		if u, err := url.PathUnescape(cid); err == nil {
			cid = u
		}
		cid = strings.Trim(cid, "<> ")
		if s := src(cid); s != "" {
			n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: s})
			return "", true
		}
		return placeholder, false
	}
	for _, u := range []string{remote, cur} {
		l := strings.ToLower(u)
		if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
			n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: u})
			return "", true
		}
	}
	return placeholder, false
}
