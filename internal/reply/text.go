package reply

import (
	"regexp"
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

// Markdown → plain text for the text/plain part: the agent's lines as
// typed, without the emphasis markers; links as "text <url>", images as
// "[imagem: description]" in lang (the file's name for one of the
// reply's own files without a description); headings without "#". Lists ("- ", "1. ") and
// quotes ("> ") read well as they are and stay; indented and fenced code
// (a forwarded conversation) is left untouched.
var (
	mdImage  = regexp.MustCompile(`!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdLink   = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	mdStrong = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdEmStar = regexp.MustCompile(`(^|[^\w*])\*(\S(?:[^*]*?\S)?)\*($|[^\w*])`)
	mdEmUnd  = regexp.MustCompile(`(^|[^\w_])_(\S(?:[^_]*?\S)?)_($|[^\w_])`)
	mdHead   = regexp.MustCompile(`^#{1,6}\s+`)
	mdEscape = regexp.MustCompile(`\\([\\*_\[\]()#!>` + "`" + `-])`)
)

func markdownText(md, lang string) string {
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	fenced := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced || strings.HasPrefix(l, "    ") || strings.HasPrefix(l, "\t") {
			continue
		}
		// Escaped characters are set aside (private-use runes) so that no
		// rule below sees them, and put back bare at the end.
		l = mdEscape.ReplaceAllStringFunc(l, func(m string) string { return string(rune(0xE000) + rune(m[1])) })
		l = mdHead.ReplaceAllString(l, "")
		l = mdImage.ReplaceAllStringFunc(l, func(m string) string {
			p := mdImage.FindStringSubmatch(m)
			alt := p[1]
			if alt == "" && hasScheme(p[2], AttachmentScheme) {
				alt = attachmentName(p[2])
			}
			return imagePlaceholder(lang, alt)
		})
		l = mdLink.ReplaceAllStringFunc(l, func(m string) string {
			p := mdLink.FindStringSubmatch(m)
			if p[1] == p[2] || "mailto:"+p[1] == p[2] {
				return p[1]
			}
			return p[1] + " <" + p[2] + ">"
		})
		l = mdStrong.ReplaceAllString(l, "$2")
		for j := 0; j < 2; j++ { // adjacent emphases share a delimiter
			l = mdEmStar.ReplaceAllString(l, "$1$2$3")
			l = mdEmUnd.ReplaceAllString(l, "$1$2$3")
		}
		lines[i] = strings.Map(func(r rune) rune {
			if r >= 0xE000 && r < 0xE080 {
				return r - 0xE000
			}
			return r
		}, l)
	}
	return strings.Join(lines, "\n")
}
