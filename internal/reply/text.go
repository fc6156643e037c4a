package reply

import (
	"strings"

	"golang.org/x/net/html"
)

// htmlToText renders a small HTML fragment (a signature) as plain text:
// block elements and <br> become line breaks, links keep their URL.
func htmlToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	nl := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	var href string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			b.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "br":
				b.WriteByte('\n')
			case "p", "div", "li", "tr", "h1", "h2", "h3":
				nl()
			case "a":
				href = ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						href = string(v)
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "p", "div", "li", "tr", "h1", "h2", "h3":
				nl()
			case "a":
				if href != "" && !strings.Contains(b.String(), href) && strings.HasPrefix(href, "http") {
					b.WriteString(" <" + href + ">")
				}
				href = ""
			}
		}
	}
}
