package reply

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// AttachmentScheme is how the agent's Markdown places one of the reply's
// own files where it was pasted: ![alt](attachment:<file name,
// percent-encoded>). It names a file of Input.Attachments only; nothing
// else is ever fetched, and a name that matches no file becomes text.
const AttachmentScheme = "attachment:"

// MaxEmbeddedBytes bounds the agent's images shown inline in one reply;
// an image past it stays an ordinary attachment.
const MaxEmbeddedBytes = 10 << 20

// embeddableTypes are the image types shown inline: raster images every
// mail client displays (no SVG, which may carry scripts).
var embeddableTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Embedded is an attachment the body shows inline.
type Embedded struct {
	Index     int    // in Input.Attachments
	ContentID string // without brackets
}

// bodySanitizer is sanitizer for the agent's Markdown: it also lets the
// attachment: sources through, which embedImages resolves right after.
var bodySanitizer = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("style").OnElements("span", "p", "div")
	p.AllowURLSchemes("mailto", "http", "https", "cid", strings.TrimSuffix(AttachmentScheme, ":"))
	return p
}()

// embedded is an agent's image carried as a related part.
type embedded struct {
	Embedded
	part relatedPart
}

// embedImages resolves the images of the agent's (sanitized) HTML: an
// attachment: source naming a raster image of in.Attachments within the
// size budget becomes a related part with a fresh Content-ID (cid: in the
// mail, the ticket view's cid/<id> in display); any other image that is
// not a plain http(s) URL — an unknown name, a file that is no image or
// too big, a cid: or relative source typed by hand — becomes the text
// "[imagem: alt]" in lang, never a broken <img>. Links to attachment:
// lose their href.
func embedImages(s string, in Input, lang, domain string) (mailHTML, displayHTML string, used []embedded, err error) {
	if !strings.Contains(strings.ToLower(s), "<img") && !strings.Contains(strings.ToLower(s), AttachmentScheme) {
		return s, s, nil, nil
	}
	byName := map[string]int{}
	for i, a := range in.Attachments {
		if _, dup := byName[a.Filename]; !dup {
			byName[a.Filename] = i
		}
	}
	loaded := map[int]int{} // attachment index → index in used; -1 = not embeddable
	total := 0
	load := func(name string) *embedded {
		i, ok := byName[name]
		if !ok {
			return nil
		}
		if u, seen := loaded[i]; seen {
			if u < 0 {
				return nil
			}
			return &used[u]
		}
		loaded[i] = -1
		a := in.Attachments[i]
		ct := mediaTypeOf(a)
		if !embeddableTypes[ct] || a.Open == nil {
			return nil
		}
		data, ok := readWithin(a.Open, MaxEmbeddedBytes-total)
		if !ok {
			return nil
		}
		total += len(data)
		cid := fmt.Sprintf("img%d.%s@%s", len(used)+1, randomToken(), domain)
		used = append(used, embedded{Embedded: Embedded{Index: i, ContentID: cid},
			part: relatedPart{Inline: Inline{ContentID: cid, ContentType: ct, Filename: a.Filename, Size: int64(len(data))}, data: data}})
		loaded[i] = len(used) - 1
		return &used[len(used)-1]
	}
	render := func(src func(e *embedded) string) (string, error) {
		ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		nodes, err := html.ParseFragment(strings.NewReader(s), ctx)
		if err != nil {
			return "", err
		}
		root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
		for _, n := range nodes {
			root.AppendChild(n)
		}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			for c := n.FirstChild; c != nil; {
				next := c.NextSibling
				switch {
				case c.Type == html.ElementNode && c.DataAtom == atom.Img:
					if text, ok := embedImg(c, lang, load, src); !ok {
						n.InsertBefore(&html.Node{Type: html.TextNode, Data: text}, c)
						n.RemoveChild(c)
					}
				case c.Type == html.ElementNode && c.DataAtom == atom.A:
					kept := c.Attr[:0]
					for _, a := range c.Attr {
						if a.Key != "href" || !hasScheme(a.Val, AttachmentScheme) {
							kept = append(kept, a)
						}
					}
					c.Attr = kept
					walk(c)
				default:
					walk(c)
				}
				c = next
			}
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
	if mailHTML, err = render(func(e *embedded) string { return "cid:" + e.ContentID }); err != nil {
		return "", "", nil, err
	}
	if displayHTML, err = render(func(e *embedded) string { return "cid/" + url.PathEscape(e.ContentID) }); err != nil {
		return "", "", nil, err
	}
	return mailHTML, displayHTML, used, nil
}

// embedImg resolves one image of the agent's HTML; false means "replace
// it with this text".
func embedImg(n *html.Node, lang string, load func(string) *embedded, src func(*embedded) string) (string, bool) {
	var cur, alt string
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		switch a.Key {
		case "src":
			cur = strings.TrimSpace(a.Val)
		case "alt":
			alt = strings.TrimSpace(a.Val)
			kept = append(kept, a)
		default:
			kept = append(kept, a)
		}
	}
	n.Attr = kept
	if hasScheme(cur, AttachmentScheme) {
		name := attachmentName(cur)
		if alt == "" {
			alt = name
		}
		if e := load(name); e != nil {
			n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: src(e)})
			return "", true
		}
	} else if hasScheme(cur, "https://") || hasScheme(cur, "http://") {
		n.Attr = append(n.Attr, html.Attribute{Key: "src", Val: cur})
		return "", true
	}
	return imagePlaceholder(lang, alt), false
}

// attachmentName is the file name an attachment: URL points to.
func attachmentName(u string) string {
	name := u[len(AttachmentScheme):]
	if un, err := url.PathUnescape(name); err == nil {
		name = un
	}
	return name
}

func hasScheme(u, scheme string) bool {
	return len(u) >= len(scheme) && strings.EqualFold(u[:len(scheme)], scheme)
}

func imagePlaceholder(lang, alt string) string {
	if alt = strings.Join(strings.Fields(alt), " "); alt != "" {
		return fmt.Sprintf(Phrase(lang, "image.alt"), alt)
	}
	return Phrase(lang, "image")
}

// mediaTypeOf is an attachment's media type, lower case, from its
// Content-Type or else its extension.
func mediaTypeOf(a Attachment) string {
	ct := a.ContentType
	if ct == "" {
		ct = mime.TypeByExtension(extOf(a.Filename))
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return strings.ToLower(mt)
}

// readWithin reads a file whole when it is not empty and fits in budget
// bytes; ok is false otherwise (or when it cannot be read): the caller
// leaves it out of the mail's inline parts.
func readWithin(open func() (io.ReadCloser, error), budget int) (data []byte, ok bool) {
	rc, err := open()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	data, err = io.ReadAll(io.LimitReader(rc, int64(budget)+1))
	if err != nil || len(data) == 0 || len(data) > budget {
		return nil, false
	}
	return data, true
}
