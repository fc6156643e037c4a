package ui

import (
	"net/http"
	"regexp"
	"strings"

	"golang.org/x/text/language"

	"github.com/atende-helpdesk/atende/internal/store"
)

// Admin notices are stored with a message key and parameters
// (store.Notice.Key, Params) and shown in the reader's language: the
// catalog has Key+".title" and Key+".body" under the "notice." prefix, with
// {name} placeholders filled from Params. A "detail" parameter that the
// body does not place itself is added after it as "notice.detail".

// reNoticeParam is a {name} placeholder of a notice message.
var reNoticeParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// NoticeText is n's title and body in lang (a catalog's language; pt-BR
// when lang has none). A notice without a key, or with a key this
// catalog does not have (written by a newer version), keeps its stored
// text; ok reports whether the text came from the catalog.
func NoticeText(lang string, n *store.Notice) (title, body string, ok bool) {
	msgs, found := catalog[lang]
	if !found {
		msgs = catalog[LangPT]
	}
	if n.Key == "" {
		return n.Title, n.Body, false
	}
	t, okT := msgs[n.Key+".title"]
	b, okB := msgs[n.Key+".body"]
	if !okT || !okB {
		return n.Title, n.Body, false
	}
	fill := func(s string) string {
		return reNoticeParam.ReplaceAllStringFunc(s, func(m string) string { return n.Params[m[1:len(m)-1]] })
	}
	title, body = fill(t), fill(b)
	if d := n.Params["detail"]; d != "" && !strings.Contains(b, "{detail}") {
		body += " " + fill(msgs["notice.detail"])
	}
	return title, body, true
}

// noticeKindLabel names a notice kind in l's language ("notice.kind."+kind),
// or is the kind itself when the catalog has no name for it.
func noticeKindLabel(l Localizer, kind string) string {
	if s, ok := catalog[l.Lang]["notice.kind."+kind]; ok {
		return s
	}
	return kind
}

// APINoticeText is api.Deps.NoticeText: n in the API request's language
// (APILanguage). A notice without a message key keeps its stored text,
// which is pt-BR.
func APINoticeText(r *http.Request, n *store.Notice) (lang, title, body string) {
	lang = APILanguage(r)
	title, body, ok := NoticeText(lang, n)
	if !ok {
		lang = LangPT
	}
	return lang, title, body
}

// APILanguage is the language of an API request's texts: the best match
// of its Accept-Language among the catalogs, English when it names none of
// them (the API has no per-agent language of its own).
func APILanguage(r *http.Request) string {
	if al := r.Header.Get("Accept-Language"); al != "" {
		if tags, _, err := language.ParseAcceptLanguage(al); err == nil && len(tags) > 0 {
			if _, idx, conf := cats.matcher.Match(tags...); conf != language.No {
				return cats.langs[idx]
			}
		}
	}
	return LangEN
}
