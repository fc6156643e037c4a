package mailparse

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/atende-helpdesk/atende/internal/yield"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

var mailClassRe = regexp.MustCompile(`^(?:(?:gmail_[a-z_]+|yahoo_quoted|ydp[0-9a-f]+yahoo-style-wrap|moz-[a-z-]+|Mso[A-Za-z]+|WordSection[0-9]+|Apple-[A-Za-z-]+|zmail_extra|elementToProof|OutlookMessageHeader|x_[A-Za-z0-9_]+)\s*){1,8}$`)

var dataImageRe = regexp.MustCompile(`^image/(gif|jpeg|png|webp);base64,`)

// htmlPolicy is the sanitizer for mail HTML: bluemonday's UGC policy (no
// script, style, iframe, object, embed, form, base, meta, link, event
// handlers) plus the presentational attributes mail relies on, a safe subset
// of inline CSS, cid: and raster data: images, and no relative URLs.
func htmlPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		p.AllowRelativeURLs(false)
		p.AllowURLSchemes("http", "https", "mailto", "tel", "cid")
		p.AllowURLSchemeWithCustomPolicy("data", func(u *url.URL) bool {
			// only base64 raster images (no SVG, no HTML)
			if !dataImageRe.MatchString(u.Opaque) {
				return false
			}
			_, err := base64.StdEncoding.DecodeString(u.Opaque[strings.Index(u.Opaque, ",")+1:])
			return err == nil
		})
		p.RequireNoFollowOnLinks(true)
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.AllowElements("font", "center", "span", "div", "u", "s", "strike", "small", "big")
		p.AllowAttrs("color").Matching(regexp.MustCompile(`^#?[0-9A-Za-z]{1,20}$`)).OnElements("font")
		p.AllowAttrs("face").Matching(regexp.MustCompile(`^[\w\s,"'-]{1,100}$`)).OnElements("font")
		p.AllowAttrs("size").Matching(regexp.MustCompile(`^[+-]?[0-9]{1,2}$`)).OnElements("font")
		p.AllowAttrs("bgcolor").Matching(regexp.MustCompile(`^#?[0-9A-Za-z]{1,20}$`)).OnElements("table", "tr", "td", "th", "div")
		p.AllowAttrs("align").Matching(regexp.MustCompile(`(?i)^(left|right|center|justify)$`)).Globally()
		p.AllowAttrs("valign").Matching(regexp.MustCompile(`(?i)^(top|middle|bottom|baseline)$`)).OnElements("td", "th", "tr")
		p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[0-9]{1,4}(%|px)?$`)).OnElements("table", "td", "th", "img", "col")
		p.AllowAttrs("border", "cellpadding", "cellspacing").Matching(bluemonday.Integer).OnElements("table")
		p.AllowAttrs("type").Matching(regexp.MustCompile(`^cite$`)).OnElements("blockquote")
		// Only the class names mail clients use to mark quotes and
		// signatures (needed to find the visible part of a reply), so that
		// mail cannot borrow the application's own CSS classes.
		p.AllowAttrs("class").Matching(mailClassRe).OnElements("div", "blockquote", "span", "p")
		// Inline CSS: only these properties, with bluemonday's per-property
		// value validators (no url(), expression() or positioning).
		p.AllowStyles(
			"color", "background-color", "font-size", "font-weight", "font-style", "font-family",
			"text-align", "text-decoration", "line-height", "vertical-align", "white-space",
			"margin", "margin-top", "margin-bottom", "margin-left", "margin-right",
			"padding", "padding-top", "padding-bottom", "padding-left", "padding-right",
			"border-color", "border-style", "border-width", "width", "height",
		).Globally()
		policy = p
	})
	return policy
}

// sanitizeHTML makes mail HTML safe to display and rewrites images: remote
// (http/https) sources move to data-remote-src with an empty src, so the UI
// loads them only on request; cid: sources point to the attachment URL.
func sanitizeHTML(raw string, attachmentURL func(string) string, g *yield.Gate) string {
	clean := htmlPolicy().SanitizeReader(g.Reader(strings.NewReader(raw), yield.HTMLEvery)).String()
	if !strings.Contains(clean, "<img") {
		return strings.ToValidUTF8(strings.TrimSpace(clean), "\uFFFD")
	}
	// Only the img tags change: the rest is copied as the sanitizer wrote
	// it, token by token (a parse into a tree and a render back cost a
	// third of the sanitizing).
	var b strings.Builder
	b.Grow(len(clean) + 256)
	z := html.NewTokenizer(g.Reader(strings.NewReader(clean), yield.HTMLEvery))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break // io.EOF: a string reader fails no other way
		}
		if (tt == html.StartTagToken || tt == html.SelfClosingTagToken) && isImgTag(z.Raw()) {
			if tok := z.Token(); tok.DataAtom == atom.Img {
				tok.Type = html.SelfClosingTagToken
				tok.Attr = rewriteImg(tok.Attr, attachmentURL)
				b.WriteString(tok.String())
				continue
			}
		}
		b.Write(z.Raw())
	}
	return strings.ToValidUTF8(strings.TrimSpace(b.String()), "\uFFFD")
}

// isImgTag says whether raw, a start tag's bytes, opens an img element.
func isImgTag(raw []byte) bool {
	if len(raw) < 5 || raw[0] != '<' || !bytes.EqualFold(raw[1:4], []byte("img")) {
		return false
	}
	switch raw[4] {
	case ' ', '\t', '\n', '\f', '\r', '/', '>':
		return true
	}
	return false
}

// rewriteImg rewrites an img tag's attributes (see sanitizeHTML).
func rewriteImg(attr []html.Attribute, attachmentURL func(string) string) []html.Attribute {
	for i, a := range attr {
		if a.Key != "src" {
			continue
		}
		v := strings.TrimSpace(a.Val)
		lower := strings.ToLower(v)
		switch {
		case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
			attr[i].Val = ""
			attr = append(attr, html.Attribute{Key: "data-remote-src", Val: v})
		case strings.HasPrefix(lower, "cid:"):
			cid, err := url.PathUnescape(v[4:])
			if err != nil || !utf8.ValidString(cid) {
				cid = v[4:]
			}
			cid = strings.Trim(cid, "<> ")
			target := ""
			if attachmentURL != nil {
				target = attachmentURL(cid)
			}
			attr[i].Val = target
			if target == "" {
				attr = append(attr, html.Attribute{Key: "data-cid", Val: cid})
			}
		}
		return attr
	}
	return attr
}

// htmlToText renders sanitized HTML as plain text: block elements start
// new lines, list items get "- ", blockquotes are prefixed with "> " and
// links whose URL differs from their text keep it in angle brackets.
func htmlToText(s string, g *yield.Gate) string {
	doc, err := html.Parse(g.Reader(strings.NewReader(s), yield.HTMLEvery))
	if err != nil {
		// e.g. nesting deeper than x/net/html accepts: keep the text only
		return tokenText(s, g)
	}
	var lines []string
	var cur strings.Builder
	quote := 0
	flush := func(force bool) {
		t := strings.TrimSpace(cur.String())
		cur.Reset()
		if t == "" && !force {
			return
		}
		prefix := strings.Repeat("> ", quote)
		if t == "" {
			lines = append(lines, strings.TrimRight(prefix, " "))
			return
		}
		lines = append(lines, prefix+t)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			t := strings.Join(strings.Fields(n.Data), " ")
			if t == "" {
				if cur.Len() > 0 && strings.TrimSpace(n.Data) == "" && n.Data != "" {
					cur.WriteString(" ")
				}
				return
			}
			if cur.Len() > 0 && startsWithSpace(n.Data) {
				cur.WriteString(" ")
			}
			cur.WriteString(t)
			if endsWithSpace(n.Data) {
				cur.WriteString(" ")
			}
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Title:
				return
			case atom.Br:
				flush(true)
				return
			case atom.Hr:
				flush(false)
				lines = append(lines, "---")
				return
			case atom.Img:
				for _, a := range n.Attr {
					if a.Key == "alt" && strings.TrimSpace(a.Val) != "" {
						cur.WriteString("[" + strings.TrimSpace(a.Val) + "]")
					}
				}
				return
			}
		}
		block := n.Type == html.ElementNode && isBlock(n.DataAtom)
		if block {
			flush(false)
		}
		if n.DataAtom == atom.Blockquote {
			quote++
		}
		if n.DataAtom == atom.Li {
			cur.WriteString("- ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && n.DataAtom == atom.A {
			href := ""
			for _, a := range n.Attr {
				if a.Key == "href" {
					href = a.Val
				}
			}
			text := strings.TrimSpace(textContent(n))
			target := strings.TrimPrefix(href, "mailto:")
			if href != "" && text != "" && text != href && text != target && !strings.HasPrefix(href, "mailto:") {
				cur.WriteString(" <" + href + ">")
			}
		}
		if block {
			flush(false)
			if n.DataAtom == atom.P || n.DataAtom == atom.Table || n.DataAtom == atom.Ul || n.DataAtom == atom.Ol ||
				n.DataAtom == atom.H1 || n.DataAtom == atom.H2 || n.DataAtom == atom.H3 {
				if len(lines) > 0 && lines[len(lines)-1] != "" {
					flush(true)
				}
			}
		}
		if n.DataAtom == atom.Blockquote {
			quote--
		}
	}
	walk(doc)
	flush(false)
	// collapse runs of blank lines
	var out []string
	for _, l := range lines {
		if strings.TrimSpace(strings.Trim(l, ">")) == "" && len(out) > 0 && strings.TrimSpace(strings.Trim(out[len(out)-1], ">")) == "" {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func startsWithSpace(s string) bool {
	return s != "" && strings.ContainsRune(" \t\r\n\u00a0", rune(s[0]))
}
func endsWithSpace(s string) bool {
	return s != "" && strings.ContainsRune(" \t\r\n", rune(s[len(s)-1]))
}

func textContent(n *html.Node) string {
	var b strings.Builder
	var f func(*html.Node)
	f = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			f(c)
		}
	}
	f(n)
	return b.String()
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Table, atom.Tr, atom.Ul, atom.Ol, atom.Li, atom.Blockquote, atom.Pre,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Center, atom.Dl, atom.Dt, atom.Dd, atom.Address, atom.Figure, atom.Tbody, atom.Thead:
		return true
	}
	return false
}

// tokenText returns the text of HTML without building a tree; it is the
// fallback for documents the tree builder refuses.
func tokenText(s string, g *yield.Gate) string {
	z := html.NewTokenizer(g.Reader(strings.NewReader(s), yield.HTMLEvery))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Script || a == atom.Style || a == atom.Title {
				skip++
			}
			if a == atom.Br || isBlock(a) {
				b.WriteString("\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if a := atom.Lookup(name); a == atom.Script || a == atom.Style || a == atom.Title {
				if skip > 0 {
					skip--
				}
			}
		}
	}
}
